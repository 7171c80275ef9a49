"""Coverage judged from drive-test measurement points."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp.analysis.coverage.common import (
    _POINT_TYPES, _bool_or_na, _centre_array, _geom_array, _result, _same_metric_crs,
)
from gisapp.errors import InputError

def _max_per_group(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, groups, values)
    out[np.isneginf(out)] = np.nan
    return out


def measurement_coverage(
    villages: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    centres: gpd.GeoSeries,
    threshold_dbm: float,
    radius_m: float,
    signal_col: str,
) -> pd.DataFrame:
    """Coverage judged from drive-test points of ONE carrier × technology.

    Parameters
    ----------
    villages
        Polygons and/or points in a metric CRS.
    points
        Measurement points in the same CRS, with a signal column (dBm; NaN rows ignored).
    centres
        :func:`centres` of the villages.
    threshold_dbm
        A measurement counts as covered when its signal is ≥ this.
    radius_m
        A measurement speaks for this distance (metres) around it.
    signal_col
        Column of ``points`` with the signal in dBm.

    Returns
    -------
    pandas.DataFrame
        Index ``villages.index``:

        ``signal_dbm``  best signal within ``radius_m`` of the centre (NaN if none)
        ``centre``      ``signal_dbm`` ≥ threshold (NA if no measurement within radius)
        ``area_share``  share of the measurements inside the village (within ``radius_m``
                        of a point village) that are ≥ threshold (NaN if none)
        ``pop_share``   equal to ``area_share`` (measurements are a sample of places, not
                        of people)
    """
    _same_metric_crs(villages, points, "measurements", centres)
    if signal_col not in points.columns:
        raise InputError(f"no column '{signal_col}' with the signal in dBm; columns are "
                         f"{', '.join(map(str, points.columns))}", layer="measurements")
    varr = _geom_array(villages.geometry)
    n = len(varr)
    carr = _centre_array(centres, n)
    sig = pd.to_numeric(points[signal_col], errors="coerce").to_numpy(dtype=np.float64,
                                                                       na_value=np.nan)
    parr = _geom_array(points.geometry)
    good = np.isfinite(sig) & ~(pd.isna(parr) | shapely.is_empty(parr)) if len(parr) else np.zeros(0, bool)
    parr, sig = parr[good], sig[good]
    tree = shapely.STRtree(parr)

    ci, pj = tree.query(carr, predicate="dwithin", distance=float(radius_m))
    best = _max_per_group(ci, sig[pj], n)
    known = np.isfinite(best)
    with np.errstate(invalid="ignore"):
        centre = _bool_or_na(known & (best >= threshold_dbm), known)

    type_id = shapely.get_type_id(varr)
    ok = ~(pd.isna(varr) | shapely.is_empty(varr))
    is_point = ok & np.isin(type_id, _POINT_TYPES)
    is_area = ok & ~is_point
    vi, pk = tree.query(varr, predicate="intersects")
    keep = is_area[vi]
    vi, pk = vi[keep], pk[keep]
    qi, qk = tree.query(varr, predicate="dwithin", distance=float(radius_m))
    keep = is_point[qi]
    vi = np.concatenate([vi, qi[keep]])
    pk = np.concatenate([pk, qk[keep]])
    total = np.bincount(vi, minlength=n).astype(float)
    good_n = np.bincount(vi, weights=(sig[pk] >= threshold_dbm).astype(float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        area = np.where(total > 0, good_n / total, np.nan)
    return _result(villages.index, area, area.copy(), centre, best)
