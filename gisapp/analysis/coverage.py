"""How much of each village one carrier × technology layer covers.

Three kinds of evidence, one result shape. Every function returns a DataFrame aligned
to ``villages.index`` (no village dropped or duplicated) with

``area_share``   float64, share of the village area covered, in [0, 1]; NaN = cannot judge
``pop_share``    float64, share of the village's people covered, in [0, 1]; NaN = cannot judge
``centre``       pandas ``"boolean"``: whether the village centre is covered; NA = unknown
``signal_dbm``   float64, signal at / near the centre (rasters and measurements only)

* :func:`polygon_coverage` — coverage polygons (carriers' service maps), exact areas in a
  metric CRS: the coverage union is cut into tiles (``tile_m``) before intersecting,
  because intersecting villages with one huge union polygon is what makes a plain overlay
  slow (DESIGN.md: 62 s → 6 s for 100,000 villages).
* :func:`raster_coverage` — signal rasters (dBm), exact pixel fractions through a reusable
  :class:`~gisapp.analysis.zonal.ZonalIndex`; no geometry work per call, so changing the
  threshold is cheap.
* :func:`measurement_coverage` — drive-test points.

Point villages (only a location is known) have no area: their ``area_share`` and
``pop_share`` are the centre answer as 1.0 / 0.0.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from gisapp.analysis.zonal import Grid, ZonalIndex, _polygon_cells
from gisapp.errors import InputError

__all__ = [
    "AREA_SHARE", "POP_SHARE", "CENTRE", "SIGNAL_DBM",
    "centres", "polygon_coverage", "raster_coverage", "centre_signal", "measurement_coverage",
]

log = logging.getLogger(__name__)

AREA_SHARE = "area_share"
POP_SHARE = "pop_share"
CENTRE = "centre"
SIGNAL_DBM = "signal_dbm"

_POINT_TYPES = (0, 4)      # Point, MultiPoint
_AREA_TYPES = (3, 6)       # Polygon, MultiPolygon


# --- helpers -------------------------------------------------------------------------


def _geom_array(geoms: gpd.GeoSeries) -> np.ndarray:
    arr = np.asarray(geoms.array, dtype=object)
    return np.where(pd.isna(arr), None, arr) if len(arr) else arr


def _metric_crs_of(gdf: gpd.GeoDataFrame | gpd.GeoSeries, layer: str) -> CRS:
    if gdf.crs is None:
        raise InputError("the layer has no coordinate reference system; the coverage is "
                         "measured in a metric CRS, reproject both layers to it first "
                         "(gisapp.crs.to_metric)", layer=layer)
    crs = CRS.from_user_input(gdf.crs)
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise InputError(f"the layer is in {crs.name}, not a projected CRS in metres; "
                         "reproject it to the run's metric CRS first (gisapp.crs.to_metric)",
                         layer=layer)
    return crs


def _same_metric_crs(villages, other, other_layer: str, centre_pts=None) -> CRS:
    crs = _metric_crs_of(villages, "villages")
    ocrs = _metric_crs_of(other, other_layer)
    if not crs.equals(ocrs):
        raise InputError(f"the layer is in {ocrs.name} but the villages are in {crs.name}; "
                         "reproject both to the same metric CRS first (gisapp.crs.to_metric)",
                         layer=other_layer)
    if centre_pts is not None and getattr(centre_pts, "crs", None) is not None:
        if not CRS.from_user_input(centre_pts.crs).equals(crs):
            raise InputError(f"the village centres are in {CRS.from_user_input(centre_pts.crs).name} "
                             f"but the villages are in {crs.name}; compute them with "
                             "centres(villages) on the metric layer", layer="centres")
    return crs


def _centre_array(centres_: gpd.GeoSeries | np.ndarray, n: int) -> np.ndarray:
    arr = _geom_array(centres_) if isinstance(centres_, gpd.GeoSeries) else np.asarray(centres_, dtype=object)
    if len(arr) != n:
        raise InputError(f"{len(arr)} centres for {n} villages; pass centres(villages)",
                         layer="centres")
    return arr


def _result(index: pd.Index, area, pop, centre, signal=None) -> pd.DataFrame:
    data = {
        AREA_SHARE: pd.Series(np.asarray(area, dtype="float64"), index=index),
        POP_SHARE: pd.Series(np.asarray(pop, dtype="float64"), index=index),
        CENTRE: pd.Series(pd.array(centre, dtype="boolean"), index=index),
    }
    if signal is not None:
        data[SIGNAL_DBM] = pd.Series(np.asarray(signal, dtype="float64"), index=index)
    return pd.DataFrame(data, index=index)


def _bool_or_na(flag: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(flag, dtype=bool), ~np.asarray(known, dtype=bool))


# --- centres -------------------------------------------------------------------------


def centres(villages: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """The centre of each village: the point itself, or a point surely inside the polygon.

    Returns
    -------
    geopandas.GeoSeries
        Points in the villages' CRS, aligned to their index; None for null/empty geometries.
        Polygons use ``representative_point`` (always inside, unlike the centroid).
    """
    geoms = villages.geometry if isinstance(villages, gpd.GeoDataFrame) else villages
    arr = _geom_array(geoms)
    out = np.full(len(arr), None, dtype=object)
    ok = ~(pd.isna(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, bool)
    if ok.any():
        out[ok] = shapely.point_on_surface(arr[ok])
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs, name="centre")


# --- polygons ------------------------------------------------------------------------


def _tile_pieces(cover: np.ndarray, bounds: tuple[float, float, float, float],
                 tile_m: float) -> np.ndarray:
    """The union of ``cover`` cut into disjoint tile pieces over ``bounds``.

    Each coverage polygon is cut by the tiles it touches first, then unioned per tile:
    many small unions instead of one giant one, and the pieces are small enough that
    intersecting them with villages is fast. The loop runs over tiles, not villages.
    """
    minx, miny, maxx, maxy = bounds
    nx = max(1, int(np.ceil((maxx - minx) / tile_m)))
    ny = max(1, int(np.ceil((maxy - miny) / tile_m)))
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    x0 = minx + gx.ravel() * tile_m
    y0 = miny + gy.ravel() * tile_m
    tiles = shapely.box(x0, y0, x0 + tile_m, y0 + tile_m)
    tree = shapely.STRtree(tiles)
    ci, ti = tree.query(cover, predicate="intersects")
    if len(ci) == 0:
        return np.empty(0, dtype=object)
    order = np.argsort(ti, kind="stable")
    ti, ci = ti[order], ci[order]
    starts = np.flatnonzero(np.r_[True, ti[1:] != ti[:-1]])
    ends = np.r_[starts[1:], len(ti)]
    pieces = []
    for s, e in zip(starts, ends):          # a loop over tiles (hundreds), not villages
        k = ti[s]
        rect = (x0[k], y0[k], x0[k] + tile_m, y0[k] + tile_m)
        # clip_by_rect is several times faster than a general intersection; its output is
        # not guaranteed valid, so invalid clips are redone with the exact intersection
        cut = shapely.clip_by_rect(cover[ci[s:e]], *rect)
        bad = ~shapely.is_valid(cut)
        if bad.any():
            cut[bad] = shapely.intersection(cover[ci[s:e]][bad], tiles[k])
        pieces.append(cut[0] if e - s == 1 else shapely.union_all(cut))
    pieces = np.asarray(pieces, dtype=object)
    # keep only the areal part (cuts along tile edges can leave lines)
    pieces = shapely.get_parts(pieces)
    pieces = pieces[np.isin(shapely.get_type_id(pieces), (3,)) & (shapely.area(pieces) > 0)]
    return pieces


def polygon_coverage(
    villages: gpd.GeoDataFrame,
    coverage: gpd.GeoDataFrame,
    *,
    centres: gpd.GeoSeries,
    pop_index: ZonalIndex | None = None,
    pop_values: np.ndarray | None = None,
    tile_m: float = 10_000.0,
    extent: tuple[float, float, float, float] | None = None,
) -> pd.DataFrame:
    """Share of each village's area (and people) inside coverage polygons.

    Parameters
    ----------
    villages
        Polygons and/or points in a metric CRS.
    coverage
        Coverage polygons of one carrier × technology, in the same CRS. Invalid polygons
        are repaired with ``make_valid`` (logged); non-areal parts are ignored.
    centres
        :func:`centres` of the villages (same CRS, same order).
    pop_index, pop_values
        Optional population grid: a :class:`ZonalIndex` of the villages on it and the people
        per pixel. Then ``pop_share`` is population-weighted: each pixel's covered share is
        its exact coverage fraction by the coverage union, and the people of
        a pixel are taken as spread evenly over it. The only error is in pixels cut by both
        a village boundary and a coverage edge, where the covered part of the pixel is
        assumed to fall inside and outside the village in proportion. Villages with no
        people on the grid fall back to their area share.
    tile_m
        Tile size (metres) the coverage union is cut into before intersecting.
    extent
        (minx, miny, maxx, maxy) over which the coverage union is cut, by default the
        villages' bounds. The Dask engine passes the whole run's extent with each
        partition, so it cuts the same tiles (and pieces) as a local run.

    Returns
    -------
    pandas.DataFrame
        Index ``villages.index``; ``area_share``, ``pop_share`` (float64 in [0, 1], NaN for
        null/empty/linear villages) and ``centre`` (``"boolean"``, NA without a centre).

    Raises
    ------
    InputError
        A layer has no CRS, is not metric, or the CRSs differ.
    """
    _same_metric_crs(villages, coverage, "coverage", centres)
    if (pop_index is None) != (pop_values is None):
        raise InputError("pass both pop_index and pop_values (or neither) for population "
                         "shares", layer="population")
    varr = _geom_array(villages.geometry)
    n = len(varr)
    carr = _centre_array(centres, n)
    if n == 0:
        return _result(villages.index, [], [], [])

    cover = _geom_array(coverage.geometry)
    cover = cover[~(pd.isna(cover) | shapely.is_empty(cover))] if len(cover) else cover
    invalid = ~shapely.is_valid(cover)
    if invalid.any():
        log.info("coverage: repaired %d invalid polygons with make_valid", int(invalid.sum()))
        cover = cover.copy()
        cover[invalid] = shapely.make_valid(cover[invalid])
    cover = shapely.get_parts(cover)
    cover = cover[np.isin(shapely.get_type_id(cover), _AREA_TYPES)]

    type_id = shapely.get_type_id(varr)
    ok = ~(pd.isna(varr) | shapely.is_empty(varr))
    is_area = ok & np.isin(type_id, _AREA_TYPES)
    is_point = ok & np.isin(type_id, _POINT_TYPES)

    pieces = np.empty(0, dtype=object)
    if len(cover):
        vb = shapely.total_bounds(varr[ok]) if ok.any() else np.full(4, np.nan)
        if extent is not None:
            vb = np.asarray(extent, dtype=np.float64)
        cb = shapely.total_bounds(cover)
        bounds = (max(vb[0], cb[0]), max(vb[1], cb[1]), min(vb[2], cb[2]), min(vb[3], cb[3]))
        if bounds[0] <= bounds[2] and bounds[1] <= bounds[3]:
            pieces = _tile_pieces(cover, bounds, float(tile_m))
    tree = shapely.STRtree(pieces)
    shapely.prepare(pieces)

    # centres
    c_ok = ~(pd.isna(carr) | shapely.is_empty(carr))
    ci, _ = tree.query(carr, predicate="intersects")
    centre_hit = np.zeros(n, dtype=bool)
    centre_hit[ci] = True
    centre = _bool_or_na(centre_hit, c_ok)

    # areas
    area = np.full(n, np.nan)
    v_area = shapely.area(varr)
    vi, pj = tree.query(varr, predicate="intersects")
    keep = is_area[vi]
    vi, pj = vi[keep], pj[keep]
    inside = shapely.within(varr[vi], pieces[pj])
    a = np.empty(len(vi))
    a[inside] = v_area[vi[inside]]
    part = ~inside
    a[part] = shapely.area(shapely.intersection(varr[vi[part]], pieces[pj[part]]))
    covered = np.bincount(vi, weights=a, minlength=n)
    pos_area = is_area & (v_area > 0)
    area[pos_area] = np.clip(covered[pos_area] / v_area[pos_area], 0.0, 1.0)
    area[is_point] = centre_hit[is_point].astype(float)
    area[is_point & ~c_ok] = np.nan

    pop = area.copy()
    if pop_index is not None:
        if pop_index.n_villages != n:
            raise InputError(f"the population index holds {pop_index.n_villages} villages, "
                             f"not {n}; build it from the same villages", layer="population")
        pshare = _pop_share_from_pieces(pieces, CRS.from_user_input(villages.crs),
                                        pop_index, pop_values)
        use = is_area & np.isfinite(pshare)
        pop[use] = pshare[use]
    return _result(villages.index, area, pop, centre)


def _pop_share_from_pieces(pieces: np.ndarray, crs: CRS, index: ZonalIndex,
                           pop_values: np.ndarray) -> np.ndarray:
    """Population-weighted covered share per village, from exact pixel coverage fractions."""
    if len(pieces):
        geo = gpd.GeoSeries(pieces, crs=crs)
        if index.crs is not None and not index.crs.equals(crs):
            geo = geo.to_crs(index.crs)
        arr = _geom_array(geo)
        arr = arr[np.isin(shapely.get_type_id(arr), _AREA_TYPES) & ~shapely.is_empty(arr)]
        _, cells, fr = _polygon_cells(arr, np.arange(len(arr)),
                                      Grid(index.transform, index.shape, index.crs))
        ucell, inv = np.unique(cells, return_inverse=True)
        ufrac = np.clip(np.bincount(inv, weights=fr), 0.0, 1.0)
    else:
        ucell = np.empty(0, np.int64)
        ufrac = np.empty(0, np.float64)
    # covered fraction of each indexed pixel (sparse lookup: no full-grid array)
    pos = np.searchsorted(ucell, index.cell)
    pos = np.minimum(pos, max(len(ucell) - 1, 0))
    hit = (len(ucell) > 0) & (ucell[pos] == index.cell) if len(ucell) else np.zeros(len(index.cell), bool)
    cfrac = np.where(hit, ufrac[pos] if len(ucell) else 0.0, 0.0)
    w = index._gather(pop_values, "pop_values").astype(np.float64, copy=False)
    w = index.frac * np.where(np.isfinite(w), w, 0.0)
    den = np.bincount(index.village, weights=w, minlength=index.n_villages)
    num = np.bincount(index.village, weights=w * cfrac, minlength=index.n_villages)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.clip(num / den, 0.0, 1.0), np.nan)


# --- rasters -------------------------------------------------------------------------


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
    rows, cols = grid.shape
    ok = ~(pd.isna(arr) | shapely.is_empty(arr))
    x = np.full(len(arr), np.nan)
    y = np.full(len(arr), np.nan)
    pos = shapely.point_on_surface(arr[ok])
    x[ok] = shapely.get_x(pos)
    y[ok] = shapely.get_y(pos)
    inv = ~transform
    col_f = inv.a * x + inv.b * y + inv.c
    row_f = inv.d * x + inv.e * y + inv.f
    col = np.floor(np.asarray(col_f, dtype=np.float64))
    row = np.floor(np.asarray(row_f, dtype=np.float64))
    inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    out[inside] = grid[row[inside].astype(np.int64), col[inside].astype(np.int64)].astype(np.float64)
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


# --- measurements --------------------------------------------------------------------


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
