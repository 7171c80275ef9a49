"""The pipeline's types: what a run reports, measures and returns.

:class:`RunReport` collects what a run repaired, refused or wants the user to know;
:class:`RasterState` is one signal raster indexed on the villages; :class:`Measured` is the
slow stage's output (:func:`gisapp.pipeline.measure`, either engine) and :class:`Result`
the cheap stage's (:func:`gisapp.pipeline.assess`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gisapp.analysis import gaps, zonal
from gisapp.config import MeasurementLayer, RunConfig, SignalRaster
from gisapp.errors import KeyedMessage
from gisapp.progress import Progress

__all__ = ["Progress", "RunReport", "RasterState", "Measured", "Result"]

log = logging.getLogger("gisapp.pipeline")


@dataclass
class RunReport:
    """What the run repaired, refused, could not match or wants the user to know."""

    n_villages: int = 0
    repaired_geometries: int = 0
    missing_geometries: int = 0
    bad_population: int = 0
    warnings: list[str] = field(default_factory=list)
    unmatched_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    layers: list[dict[str, Any]] = field(default_factory=list)
    #: more for the manifest: how distances were measured, power calibration ...
    details: dict[str, Any] = field(default_factory=dict)

    def warn(self, message: str, *, key: str | None = None, **params: Any) -> None:
        """Log and keep ``message`` (English); with ``key`` (catalogue ``warn_<key>``) and
        its ``params`` the app writes it in the reader's language."""
        log.warning(message)
        self.warnings.append(KeyedMessage(message, key, params) if key else message)

    def merge(self, other: RunReport) -> None:
        """Take a job's warnings (already logged), layer entries and unmatched names."""
        self.warnings.extend(other.warnings)
        self.layers.extend(other.layers)
        if len(other.unmatched_names):
            self.unmatched_names = other.unmatched_names


@dataclass
class RasterState:
    """One signal raster indexed on the villages: what ``assess`` needs to apply a threshold."""

    layer: SignalRaster
    key: str
    index: zonal.ZonalIndex
    dbm: np.ndarray
    pop_weights: np.ndarray | None
    centre_dbm: np.ndarray


@dataclass
class Measured:
    """Everything :func:`assess` needs, measured once per set of inputs."""

    config: RunConfig
    crs: CRS
    base: gpd.GeoDataFrame                 # metric CRS; identity, pop, area, centre
    centres: gpd.GeoSeries                 # metric CRS, one point (or None) per village
    polygon_layers: list[gaps.LayerMeasure]
    coverage_geoms: dict[str, gpd.GeoDataFrame]
    raster_layers: list[RasterState]
    measurement_layers: list[tuple[MeasurementLayer, gpd.GeoDataFrame]]
    declared: pd.Series | None
    declared_source: str
    declared_date: str | None
    dist_grid_m: pd.Series | None
    lights: pd.Series | None
    dist_fibre_m: pd.Series | None
    dist_site_m: pd.Series | None
    site_dist_by_carrier: pd.DataFrame | None
    facilities: pd.DataFrame | None
    pop_index: zonal.ZonalIndex | None
    pop_values: np.ndarray | None
    report: RunReport
    #: the map's non-coverage layers (towers, grid, fibre, facilities) in EPSG:4326; the
    #: coverage layers' display copies are built on demand (:class:`~gisapp.pipeline.layers.DisplayLayers`)
    display: dict[str, gpd.GeoDataFrame]
    input_hashes: dict[str, str]
    notes: dict[Any, str]
    seconds: float = 0.0
    #: complaint points per village (``complaints``, ``complaints__<carrier>``), or None
    complaints: pd.DataFrame | None = None
    #: assess's caches: unions of layers, raster/measurement shares per threshold, and the
    #: coverage display copies
    union_cache: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)
    measure_cache: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)
    display_cache: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)


@dataclass
class Result:
    """The result of a run. ``villages`` and the display layers are in EPSG:4326."""

    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    report: RunReport
    config: RunConfig
    #: the map's layers by name (``towers``, ``grid``, ``fibre``, ``facilities``,
    #: ``coverage:<key>``); a read-only mapping
    layers: Mapping[str, gpd.GeoDataFrame]
    manifest: dict[str, Any]
