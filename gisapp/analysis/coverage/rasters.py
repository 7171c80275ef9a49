"""Coverage shares from signal rasters (dBm) through a reusable
:class:`~gisapp.analysis.zonal.ZonalIndex`, and the signal at each village centre."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from gisapp.analysis.coverage.common import _bool_or_na, _geom_array, _result
from gisapp.analysis.zonal import ZonalIndex
from gisapp.crs import pixel_index
from gisapp.errors import InputError

def centre_signal(
    centres: gpd.GeoSeries | np.ndarray,
    dbm: np.ndarray,
    transform: Affine,
    *,
    crs: object = None,
) -> np.ndarray:
    """Signal (dBm) of the pixel holding each centre; NaN outside the raster or nodata.

    ``centres`` are reprojected to ``crs`` (the raster's) when both are known and differ.
    """
    if isinstance(centres, gpd.GeoSeries) and crs is not None and centres.crs is not None \
            and not CRS.from_user_input(centres.crs).equals(CRS.from_user_input(crs)):
        centres = centres.to_crs(crs)
    arr = _geom_array(centres) if isinstance(centres, gpd.GeoSeries) else np.asarray(centres, dtype=object)
    out = np.full(len(arr), np.nan)
    if len(arr) == 0:
        return out
    grid = np.asarray(dbm)          # no whole-grid copy: only the centres' pixels are read
    ok = ~(pd.isna(arr) | shapely.is_empty(arr))
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    pos = shapely.point_on_surface(arr[ok])
    x[ok] = shapely.get_x(pos)
    y[ok] = shapely.get_y(pos)
    row, col, inside = pixel_index(transform, x, y, shape=grid.shape)
    out[inside] = grid[row[inside], col[inside]].astype(np.float64)
    return out


def _shares(index: ZonalIndex, hit: np.ndarray, w: np.ndarray) -> np.ndarray:
    den = np.bincount(index.village, weights=w, minlength=index.n_villages)
    num = np.bincount(index.village, weights=np.where(hit, w, 0.0), minlength=index.n_villages)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.clip(num / den, 0.0, 1.0), np.nan)


def raster_coverage(
    index: ZonalIndex,
    dbm: np.ndarray,
    *,
    threshold_dbm: float,
    centres: gpd.GeoSeries | None = None,
    pop_weights: np.ndarray | None = None,
    signal_dbm: np.ndarray | None = None,
    pair_weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Coverage shares from a signal raster on the grid the villages were indexed on.

    Parameters
    ----------
    index
        :class:`ZonalIndex` of the villages on the raster's grid (built once, reused).
    dbm
        Signal per pixel (dBm, NaN = nodata) on that grid.
    threshold_dbm
        A pixel is covered when its signal is ≥ this.
    centres
        :func:`centres` of the villages (any CRS; reprojected to the grid's).
    pop_weights
        Optional people per pixel on the same grid, for ``pop_share``; without it
        ``pop_share`` equals ``area_share``. Villages without people on the grid fall back
        to their area share.
    signal_dbm
        Optional precomputed :func:`centre_signal` (cache it across threshold changes).
    pair_weights
        Instead of ``pop_weights``: people on the pixel of each (village, pixel) pair of
        ``index`` (aligned to ``index.cell``), as :func:`~gisapp.analysis.zonal.people_on_cells`
        gives without building a whole grid of people.

    Returns
    -------
    pandas.DataFrame
        Index ``0 … n-1`` (the caller sets the villages' index); ``area_share``,
        ``pop_share`` (float64, nodata excluded; NaN with no valid pixel), ``centre``
        (``"boolean"``, NA when the centre signal is NaN), ``signal_dbm`` (float64).
    """
    grid = np.asarray(dbm)          # float32 stays float32: no whole-grid float64 copy
    # only the indexed pixels are looked at: no full-grid temporaries per threshold
    v = index._gather(grid, "dbm").astype(np.float64, copy=False)
    valid = np.isfinite(v)
    with np.errstate(invalid="ignore"):
        hit = valid & (v >= threshold_dbm)
    area = _shares(index, hit, np.where(valid, index.frac, 0.0))
    pop = area
    if pop_weights is not None and pair_weights is not None:
        raise InputError("give pop_weights (a grid) or pair_weights (per pair), not both",
                         layer="population")
    if pair_weights is not None and len(pair_weights) != len(index.cell):
        raise InputError(f"{len(pair_weights)} pair weights for {len(index.cell)} "
                         "(village, pixel) pairs", layer="population")
    if pop_weights is not None or pair_weights is not None:
        pw = (index._gather(pop_weights, "pop_weights") if pair_weights is None
              else np.asarray(pair_weights)).astype(np.float64, copy=False)
        w = np.where(valid, index.frac, 0.0) * np.where(np.isfinite(pw), pw, 0.0)
        pshare = _shares(index, hit, w)
        pop = np.where(np.isfinite(pshare), pshare, area)
    if signal_dbm is None:
        if centres is None:
            raise InputError("pass centres (or a precomputed signal_dbm) for the centre "
                             "signal", layer="centres")
        signal_dbm = centre_signal(centres, grid, index.transform, crs=index.crs)
    signal_dbm = np.asarray(signal_dbm, dtype=np.float64)
    if len(signal_dbm) != index.n_villages:
        raise InputError(f"{len(signal_dbm)} centre signals for {index.n_villages} villages",
                         layer="centres")
    known = np.isfinite(signal_dbm)
    with np.errstate(invalid="ignore"):
        flag = known & (signal_dbm >= threshold_dbm)
    idx = centres.index if isinstance(centres, gpd.GeoSeries) else pd.RangeIndex(index.n_villages)
    return _result(idx, area, pop, _bool_or_na(flag, known), signal_dbm)
