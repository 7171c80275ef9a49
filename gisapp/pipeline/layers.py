"""The public layer API that the local engine and the Dask engine share.

Reading a layer into the run's CRS (with its overlap check), coverage and raster layers,
the layer keys of a run (computed by one rule, :func:`layer_keys`), the messages both
engines give about a signal raster, the input hashes, and the map's display copy of a
coverage layer (:func:`display_layer`, built on demand by :class:`DisplayLayers`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from gisapp import schema as S
from gisapp.analysis import zonal
from gisapp.config import CoverageLayer, RunConfig, SignalRaster
from gisapp.crs import to_metric
from gisapp.errors import NoOverlapError
from gisapp.io import export
from gisapp.io.raster import bounds_in, open_raster, read_band
from gisapp.io.vector import read_vector
from gisapp.pipeline.model import Measured, RunReport
from gisapp.pipeline.normalise import check_columns

__all__ = [
    "OVERLAP_MARGIN_M", "DISPLAY_TOLERANCE_M", "read_layer", "check_overlap", "read_coverage",
    "read_raster", "require_cells", "unique_key", "layer_keys", "signal_no_overlap",
    "signal_no_data_warning", "layer_entry", "file_hash", "input_hashes", "lonlat",
    "display_layer", "DisplayLayers",
]

log = logging.getLogger("gisapp.pipeline")

#: a vector layer with nothing within this distance of the villages is refused (wrong CRS?)
OVERLAP_MARGIN_M = 50_000.0
#: display tolerance for coverage polygons sent to the map, metres
DISPLAY_TOLERANCE_M = 50.0


# --------------------------------------------------------------------------- vector layers


def read_layer(path: Path, *, role: str, cfg: RunConfig, crs: CRS, villages: gpd.GeoDataFrame,
               layer: str | None = None, lon: str | None = None, lat: str | None = None,
               layer_crs: str | None = None, require_overlap: bool = True,
               report: RunReport | None = None) -> gpd.GeoDataFrame:
    """Read a layer into the run's CRS (empty geometries dropped, invalid ones repaired),
    then :func:`check_overlap`."""
    gdf = read_vector(path, layer=layer, lon=lon, lat=lat, crs=layer_crs, role=role,
                      max_mb=cfg.options.max_file_mb)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.geometry[invalid].to_numpy())
        log.info("%s: repaired %d invalid geometries", role, int(invalid.sum()))
    source = gdf
    gdf = to_metric(gdf, crs)
    check_overlap(gdf, source, villages, path=path, role=role,
                  require_overlap=require_overlap, report=report)
    return gdf


def check_overlap(gdf: gpd.GeoDataFrame, source: gpd.GeoDataFrame, villages: gpd.GeoDataFrame,
                  *, path: Path, role: str, require_overlap: bool,
                  report: RunReport | None) -> None:
    """A layer far from every village is refused (``require_overlap``, naming a likely
    cause) or, for distance layers, reported as a warning. ``gdf`` is in the run's CRS,
    ``source`` the same rows in the layer's own CRS."""
    if not len(gdf):
        return
    vb = villages.geometry[villages["_has_geom"]].total_bounds
    m = OVERLAP_MARGIN_M
    near = (vb[0] - m, vb[1] - m, vb[2] + m, vb[3] + m)
    if not require_overlap:
        if report is not None and _disjoint(gdf.total_bounds, near):
            report.warn(
                f"{role} ({Path(path).name}): nothing within {m / 1000:.0f} km of the villages, "
                "so every distance to it is large; check the layer's CRS if that is not true",
            key="layer_far", role=role, file=Path(path).name, km=round(m / 1000))
        return
    # a tower or coverage edge just outside the villages' box is normal; a wrong CRS
    # puts a layer hundreds of km away, so only a layer this far off is refused
    if _disjoint(gdf.total_bounds, near):
        hint = ("check that both are in the same area and that each has the right CRS (set "
                "crs = \"EPSG:...\" for the layer in the config if its .prj is wrong or missing)")
        if _looks_swapped(source, villages):
            hint = ("the coordinates look swapped (lat, lon): with x and y exchanged they "
                    "would overlap; write them as lon, lat (x = longitude), or " + hint)
        raise NoOverlapError(
            f"this layer does not overlap the villages at all (nothing within "
            f"{m / 1000:.0f} km of them); {hint}", path=path, layer=role,
            key="layer_no_overlap", params=dict(km=round(m / 1000)))


def _disjoint(a: Any, b: Any) -> bool:
    """Whether two (minx, miny, maxx, maxy) boxes do not meet."""
    return bool(a[0] > b[2] or a[2] < b[0] or a[1] > b[3] or a[3] < b[1])


def _looks_swapped(layer: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> bool:
    """A geographic layer that misses the villages but would meet them with x and y
    exchanged (lat, lon written as x, y)."""
    if layer.crs is None or not layer.crs.is_geographic or not len(layer):
        return False
    v = villages.geometry[villages["_has_geom"]]
    if not len(v):
        return False
    vb = v.to_crs(layer.crs).total_bounds
    lb = layer.total_bounds
    return _disjoint(lb, vb) and not _disjoint((lb[1], lb[0], lb[3], lb[2]), vb)


def read_coverage(layer: CoverageLayer, *, role: str, cfg: RunConfig, crs: CRS,
                  villages: gpd.GeoDataFrame, report: RunReport) -> gpd.GeoDataFrame:
    """A coverage layer in the run's CRS, filtered by attribute when the config says so."""
    gdf = read_layer(layer.path, role=role, cfg=cfg, crs=crs, villages=villages,
                     layer=layer.layer, layer_crs=layer.crs)
    if layer.filter_column:
        gdf = check_columns(gdf, {"filter_column": layer.filter_column}, path=layer.path,
                            layer=role)
        gdf = gdf[gdf[layer.filter_column].astype(str) == str(layer.filter_value)]
        if gdf.empty:
            report.warn(f"{role}: no feature has {layer.filter_column} = {layer.filter_value}",
            key="filter_empty", role=role, column=layer.filter_column, value=layer.filter_value)
    return gdf


# --------------------------------------------------------------------------- rasters


def read_raster(path: Path, *, role: str, cfg: RunConfig,
                villages: gpd.GeoDataFrame | None = None) -> tuple[np.ndarray, Any, Any]:
    """Band 1 as floats (NaN = nodata; float32 bands stay float32), with the checks every
    input gets: the file exists, is under ``options.max_file_mb``, is a raster and has a CRS
    (messages name the layer). With ``villages``, only the window under them is read (a
    national raster used for one province costs the province's pixels)."""
    with open_raster(path, role=role, max_mb=cfg.options.max_file_mb) as ds:
        bounds = None if villages is None else bounds_in(villages, ds.crs)
        return read_band(ds, bounds=bounds)


def require_cells(index: zonal.ZonalIndex, *, path: Path, role: str) -> None:
    """Refuse a raster under which no village has a pixel."""
    if len(index.cell) == 0:
        raise NoOverlapError(
            "this raster does not overlap any village; check its CRS and extent (the raster "
            "and the villages must cover the same area)", path=path, layer=role,
            key="raster_no_overlap",
        )


def signal_no_overlap(layer: SignalRaster, key: str) -> NoOverlapError:
    """The error for a signal raster no village touches (both engines raise it)."""
    return NoOverlapError(
        "this signal raster does not overlap any village; check its CRS and extent",
        path=layer.path, layer=f"signal {key}",
    )


def signal_no_data_warning(key: str, index: zonal.ZonalIndex, dbm: np.ndarray,
                           has: np.ndarray) -> str | None:
    """The warning for villages under only nodata pixels of a signal raster, or None."""
    no_data = ~(np.nan_to_num(index.valid_fraction(dbm)) > 0) & has
    if not no_data.any():
        return None
    return (f"signal {key}: the raster has no valid pixel (nodata) over {int(no_data.sum())} "
            f"of {int(has.sum())} village(s); it says nothing about their signal")


# --------------------------------------------------------------------------- keys, report, hashes


def unique_key(key: str, kind: str, used: set[str]) -> str:
    """A layer key not used yet: a second Viettel 4G layer (say, measured beside the
    declared one) becomes ``viettel_4g_measured`` instead of overwriting the first."""
    out = key
    if out in used:
        out = f"{key}_{kind}"
    n = 2
    while out in used:
        out = f"{key}_{kind}_{n}"
        n += 1
    used.add(out)
    return out


def layer_keys(cfg: RunConfig) -> tuple[list[str], list[str]]:
    """The keys of the run's coverage layers and signal rasters, in config order (coverage
    first), unique across both: the one rule both engines use."""
    used: set[str] = set()
    cov = [unique_key(S.layer_key(x.carrier, x.technology), x.kind, used) for x in cfg.coverage]
    sig = [unique_key(S.layer_key(x.carrier, x.technology), x.kind, used)
           for x in cfg.signal_rasters]
    return cov, sig


def layer_entry(role: str, path: Any, kind: str, date: str | None, features: int) -> dict[str, Any]:
    """One entry of :attr:`RunReport.layers`."""
    return {"role": role, "path": str(path), "kind": kind, "date": date, "features": features}


def file_hash(path: Path) -> str:
    """SHA-256 of an input file, or ``unreadable``."""
    try:
        return export.file_sha256(path)
    except OSError:
        return "unreadable"


def input_hashes(cfg: RunConfig) -> dict[str, str]:
    """Path → SHA-256 of every input file of the config (for the manifest)."""
    return {str(p): file_hash(p) for p in cfg.input_paths() if Path(p).is_file()}


def lonlat(centres: gpd.GeoSeries, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the village centres (NaN without one)."""
    c = gpd.GeoSeries(centres, crs=crs).to_crs(4326)
    ok = ~(c.isna() | c.is_empty)
    lon = np.full(len(c), np.nan)
    lat = np.full(len(c), np.nan)
    lon[ok.to_numpy()] = c[ok].x.to_numpy()
    lat[ok.to_numpy()] = c[ok].y.to_numpy()
    return lon, lat


# --------------------------------------------------------------------------- display


def display_layer(geoms: gpd.GeoDataFrame, *, carrier: str, technology: str, kind: str,
                  crs: CRS) -> gpd.GeoDataFrame:
    """The map's copy of a coverage layer: its polygons simplified by
    :data:`DISPLAY_TOLERANCE_M` (in the run's metric ``crs``), in EPSG:4326."""
    return gpd.GeoDataFrame(
        {"carrier": carrier, "technology": technology, "kind": kind},
        index=range(len(geoms)), geometry=geoms.geometry.simplify(DISPLAY_TOLERANCE_M).to_numpy(),
        crs=crs,
    ).to_crs(4326)


_DISPLAY_LOCK = threading.Lock()


class DisplayLayers(Mapping):
    """:attr:`Result.layers`: the measured display layers, and ``coverage:<key>`` for each
    coverage layer, whose simplified copy (:func:`display_layer`) is built the first time
    it is asked for and kept on the :class:`Measured` (so once per measure, whatever the
    number of assessments). Read-only."""

    def __init__(self, measured: Measured) -> None:
        self._m = measured
        self._coverage = {f"coverage:{lm.key}": lm for lm in measured.polygon_layers}

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        lm = self._coverage.get(name)
        if lm is None:
            return self._m.display[name]
        cache = self._m.display_cache
        with _DISPLAY_LOCK:
            if lm.key not in cache:
                cache[lm.key] = display_layer(self._m.coverage_geoms[lm.key], carrier=lm.carrier,
                                              technology=lm.technology, kind=lm.kind,
                                              crs=self._m.crs)
            return cache[lm.key]

    def __iter__(self) -> Iterator[str]:
        yield from self._coverage
        yield from (k for k in self._m.display if k not in self._coverage)

    def __len__(self) -> int:
        return len(self._coverage) + sum(1 for k in self._m.display if k not in self._coverage)
