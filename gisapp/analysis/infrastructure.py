"""Distances and counts from villages to infrastructure: grid, fibre, towers, facilities.

All inputs must already be in the same *projected* CRS in metres (the run's analysis
CRS, see :mod:`gisapp.crs`); these functions refuse anything else rather than compute
in degrees. Geometry work is vectorised with a shapely 2 ``STRtree``: no Python loop
over villages.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp import schema
from gisapp.errors import InputError, MissingCRSError
from gisapp.names import slug

__all__ = ["distance_to", "count_within", "nearest_by_group", "fibre_reached"]

log = logging.getLogger(__name__)


def _geoseries(obj: gpd.GeoSeries | gpd.GeoDataFrame) -> gpd.GeoSeries:
    return obj.geometry if isinstance(obj, gpd.GeoDataFrame) else obj


def _check_metric(a: gpd.GeoSeries, b: gpd.GeoSeries, *, what: str) -> None:
    """Raise unless both layers have the same projected CRS in metres."""
    if a.crs is None or b.crs is None:
        raise MissingCRSError(
            f"the villages or the {what} have no CRS; reproject both to the run's metric CRS "
            "(gisapp.crs.to_metric) first",
            layer=what,
        )
    ca, cb = CRS.from_user_input(a.crs), CRS.from_user_input(b.crs)
    if not ca.equals(cb):
        raise InputError(
            f"the villages ({ca.to_string()}) and the {what} ({cb.to_string()}) are in "
            "different CRSs; reproject both to the run's metric CRS (gisapp.crs.to_metric) first",
            layer=what,
        )
    if not ca.is_projected:
        raise InputError(
            f"the {what} are in a geographic CRS ({ca.to_string()}); distances need a projected "
            "CRS in metres: reproject with gisapp.crs.to_metric first",
            layer=what,
        )
    unit = ca.axis_info[0].unit_name if ca.axis_info else ""
    if unit not in ("metre", "meter"):
        raise InputError(
            f"the {what} are in a CRS with units of '{unit}' ({ca.to_string()}); distances "
            "need metres: reproject with gisapp.crs.to_metric first",
            layer=what,
        )


def _usable(geoms: np.ndarray) -> np.ndarray:
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def distance_to(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame,
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    max_distance: float | None = None,
    what: str = "features",
) -> pd.Series:
    """Distance in metres from each village to the nearest feature.

    Parameters
    ----------
    geoms
        Villages (polygons or points) in a projected metric CRS.
    features
        Lines or points in the same CRS (grid lines, fibre routes, towers).
    max_distance
        Search radius in metres; villages with no feature that close get NaN. None
        searches without limit (the right choice for power rules, where "far" is
        itself evidence).
    what
        The layer's role, for error messages ("grid", "fibre" ...).

    Returns
    -------
    pandas.Series
        float metres, indexed like ``geoms``, exactly one value per village: 0 for a
        village touching or containing a feature, NaN for null/empty geometries, when
        the feature layer is empty or nothing lies within ``max_distance``.

    Raises
    ------
    InputError
        The CRSs differ, are geographic, or are not in metres.
    """
    geoms = _geoseries(geoms)
    features = _geoseries(features)
    _check_metric(geoms, features, what=what)
    out = np.full(len(geoms), np.nan)
    g = np.asarray(geoms.array, dtype=object)
    f = np.asarray(features.array, dtype=object)
    f = f[_usable(f)] if len(f) else f
    if len(g) and len(f):
        # small runs: the plain nearest search is already fast (importing scipy and
        # building the KD-tree would cost more than it saves)
        pieces = _pieces(f) if len(g) >= _SEGMENT_SEARCH_MIN else None
        if pieces is None:
            tree = shapely.STRtree(f)
            # all_matches=False: one nearest feature per village even on exact ties;
            # null/empty input geometries get no row at all.
            (gi, _fi), dist = tree.query_nearest(
                g, max_distance=max_distance, return_distance=True, all_matches=False
            )
            out[gi] = dist
        else:
            out = _nearest_distance(g, pieces, max_distance)
    return pd.Series(out, index=geoms.index, name="dist_m", dtype=float)


#: from this many villages on, distances are searched over single segments
_SEGMENT_SEARCH_MIN = 20_000
#: villages handled per block in :func:`_nearest_distance` (bounds the candidate pairs)
_BLOCK = 50_000
#: at most this many densified points in the upper-bound KD-tree
_MAX_DENSE = 500_000


def _pieces(f: np.ndarray) -> np.ndarray | None:
    """Lines and points split into single segments and points; None for other types.

    A long line has a huge envelope that overlaps thousands of others, which is what
    makes an STRtree nearest search over whole grid lines slow (29 s for 100,000
    villages and 10,000 lines). The distance to a line is the smallest distance to one
    of its segments, so splitting changes no result.
    """
    parts = shapely.get_parts(f)
    tid = shapely.get_type_id(parts)
    if not np.isin(tid, (0, 1, 2)).all():           # Point, LineString, LinearRing
        return None
    pts = parts[tid == 0]
    lines = parts[tid != 0]
    segs = np.empty(0, dtype=object)
    if len(lines):
        xy, owner = shapely.get_coordinates(lines, return_index=True)
        same = owner[1:] == owner[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        # a zero-length segment (repeated vertex) is a point
        zero = (a == b).all(axis=1)
        segs = shapely.linestrings(np.stack([a[~zero], b[~zero]], axis=1))
        pts = np.concatenate([pts, shapely.points(a[zero])])
    out = np.concatenate([pts, segs]) if len(pts) else segs
    return out[_usable(out)] if len(out) else out


def _nearest_distance(g: np.ndarray, pieces: np.ndarray, max_distance: float | None) -> np.ndarray:
    """Exact distance from each geometry to the nearest piece (NaN beyond ``max_distance``).

    1. An upper bound per village: the distance from one of its vertices to the nearest
       point of the densified pieces (a KD-tree; any vertex lies on the village, and the
       densified points lie on the pieces, so this is ≥ the true distance).
    2. Candidates: pieces whose envelope meets the village's envelope grown by that bound
       (every piece at least as close as the bound is among them).
    3. Exact ``shapely.distance`` over the candidate pairs, minimum per village.
    """
    from scipy.spatial import cKDTree

    n = len(g)
    out = np.full(n, np.nan)
    ok = np.flatnonzero(_usable(g)) if n else np.empty(0, np.intp)
    if not len(ok) or not len(pieces):
        return out
    total = float(shapely.length(pieces).sum())
    step = max(500.0, total / _MAX_DENSE)
    dense = shapely.get_coordinates(shapely.segmentize(pieces, step))
    kd = cKDTree(dense)
    tree = shapely.STRtree(pieces)
    limit = np.inf if max_distance is None else float(max_distance)
    for s in range(0, len(ok), _BLOCK):
        sel = ok[s:s + _BLOCK]
        gs = g[sel]
        xy, owner = shapely.get_coordinates(gs, return_index=True)
        first = np.searchsorted(owner, np.arange(len(gs)))
        has_xy = first < len(owner)
        first = np.minimum(first, max(len(owner) - 1, 0))
        ub = np.full(len(gs), np.inf)
        if len(xy):
            d, _ = kd.query(xy[first])
            ub = np.where(has_xy & (owner[first] == np.arange(len(gs))), d, np.inf)
        r = np.minimum(ub, limit)
        r = np.where(np.isfinite(r), r * (1 + 1e-9) + 1e-6, r)
        b = shapely.bounds(gs)
        fin = np.isfinite(r)
        if not fin.all():      # no bound (no max_distance, no vertex): fall back to the tree
            (gi, _fi), dist = tree.query_nearest(gs[~fin], return_distance=True,
                                                 all_matches=False)
            out[sel[np.flatnonzero(~fin)[gi]]] = dist
        idx = np.flatnonzero(fin)
        if not len(idx):
            continue
        boxes = shapely.box(b[idx, 0] - r[idx], b[idx, 1] - r[idx],
                            b[idx, 2] + r[idx], b[idx, 3] + r[idx])
        vi, pj = tree.query(boxes)
        dist = shapely.distance(gs[idx[vi]], pieces[pj])
        best = np.full(len(idx), np.inf)
        np.minimum.at(best, vi, dist)
        best[best > limit] = np.inf
        out[sel[idx]] = np.where(np.isfinite(best), best, np.nan)
    return out


def count_within(
    villages: gpd.GeoDataFrame | gpd.GeoSeries,
    points: gpd.GeoDataFrame,
    *,
    by: str | None = None,
    buffer_m: float = 0.0,
    what: str = "facilities",
) -> pd.DataFrame:
    """Count points (facilities) inside each village.

    Parameters
    ----------
    villages
        Polygons (a point counts when it lies inside or on the boundary) or points
        (a point counts when within ``buffer_m`` metres). Projected metric CRS.
    points
        The facilities, same CRS.
    by
        Column of ``points`` with the facility type; adds one count column per type.
    buffer_m
        Radius around *point* villages, metres (polygons are used as they are).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages``, int64 columns ``n_facilities`` (all points) and, when
        ``by`` is given, ``n_<type slug>`` per type (e.g. ``n_school``), sorted by name.
        A point inside two overlapping villages counts for both.
    """
    vg = _geoseries(villages)
    if by is not None and by not in points.columns:
        raise InputError(
            f"the {what} have no column '{by}'; the columns are: "
            f"{', '.join(map(str, points.columns))}",
            layer=what,
        )
    _check_metric(vg, _geoseries(points), what=what)
    g = np.asarray(vg.array, dtype=object)
    p = np.asarray(_geoseries(points).array, dtype=object)
    p_ok = np.flatnonzero(_usable(p)) if len(p) else np.array([], dtype=int)
    vi_parts, pi_parts = [], []
    if len(g) and len(p_ok):
        tree = shapely.STRtree(p[p_ok])
        ok = _usable(g)
        is_point = ok & np.isin(shapely.get_type_id(g), [0, 4])  # Point, MultiPoint
        areal = ok & ~is_point
        if areal.any():
            sel = np.flatnonzero(areal)
            a, b = tree.query(g[sel], predicate="intersects")
            vi_parts.append(sel[a])
            pi_parts.append(p_ok[b])
        if is_point.any():
            sel = np.flatnonzero(is_point)
            if buffer_m > 0:
                a, b = tree.query(g[sel], predicate="dwithin", distance=buffer_m)
            else:
                a, b = tree.query(g[sel], predicate="intersects")
            vi_parts.append(sel[a])
            pi_parts.append(p_ok[b])
    vi = np.concatenate(vi_parts) if vi_parts else np.array([], dtype=np.intp)
    pi = np.concatenate(pi_parts) if pi_parts else np.array([], dtype=np.intp)
    out = pd.DataFrame(
        {schema.N_FACILITIES: np.bincount(vi, minlength=len(g)).astype(np.int64)}, index=vg.index
    )
    if by is not None:
        types = points[by].to_numpy(dtype=object)
        names = pd.Series(types).map(lambda t: f"n_{slug(t)}" if slug(t) else None)
        cols = sorted(c for c in pd.unique(names.dropna()))
        pair_cols = names.to_numpy(dtype=object)[pi] if len(pi) else np.array([], dtype=object)
        keep = pd.notna(pair_cols)
        codes = pd.Categorical(pair_cols[keep], categories=cols).codes
        counts = np.zeros((len(g), len(cols)), dtype=np.int64)
        np.add.at(counts, (vi[keep], codes), 1)
        for j, c in enumerate(cols):
            out[c] = counts[:, j]
    return out


def nearest_by_group(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame,
    features: gpd.GeoDataFrame,
    *,
    group_col: str,
    max_distance: float | None = None,
) -> pd.DataFrame:
    """Distance from each village to the nearest feature of each group.

    Parameters
    ----------
    geoms
        Villages, projected metric CRS.
    features
        Features with a group column (e.g. towers with ``carrier``), same CRS.
    group_col
        The group column; rows with a missing group are ignored.
    max_distance
        As in :func:`distance_to`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``geoms``, one float column ``dist_m__<slug of group>`` (metres)
        per group, sorted by column name; no columns when there are no features.
        Groups whose slugs coincide ("Viettel" and "VIETTEL") are one group.
    """
    g = _geoseries(geoms)
    if group_col not in features.columns:
        raise InputError(
            f"the features have no column '{group_col}'; the columns are: "
            f"{', '.join(map(str, features.columns))}",
            layer=group_col,
        )
    _check_metric(g, _geoseries(features), what=group_col)
    slugs = features[group_col].map(slug).to_numpy(dtype=object)
    out = pd.DataFrame(index=g.index)
    for s in sorted(set(x for x in slugs if x)):  # one pass per group, not per village
        out[f"dist_m__{s}"] = distance_to(
            g, _geoseries(features)[slugs == s], max_distance=max_distance, what=group_col
        ).to_numpy()
    return out


def fibre_reached(dist_fibre_m: pd.Series, *, reach_m: float) -> pd.Series:
    """Whether fibre is within ``reach_m`` metres (nullable boolean; NA where unknown).

    Returns
    -------
    pandas.Series
        ``boolean`` dtype named ``fibre_reached``, indexed like the input.
    """
    d = pd.to_numeric(pd.Series(dist_fibre_m), errors="coerce").astype("Float64")
    return (d <= reach_m).astype("boolean").rename(schema.FIBRE_REACHED)
