"""Coverage shares from coverage polygons (carriers' service maps): exact areas in a
metric CRS, each village measured against the coverage inside its own rectangle."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gisapp.analysis.coverage.common import (
    _AREA_TYPES, _POINT_TYPES, _bool_or_na, _centre_array, _geom_array, _result,
    _same_metric_crs,
)
from gisapp.analysis.coverage.pieces import _elementwise, _layer_cut, _valid_polygons
from gisapp.analysis.fractions import polygon_cells
from gisapp.analysis.zonal import Grid, ZonalIndex
from gisapp.errors import InputError

@functools.lru_cache(maxsize=16)
def _transformer(src_wkt: str, dst_wkt: str) -> Transformer:
    """A cached pyproj transformer (building one takes tens of milliseconds)."""
    return Transformer.from_crs(CRS.from_wkt(src_wkt), CRS.from_wkt(dst_wkt), always_xy=True)


def _village_rects(varr: np.ndarray, crs: CRS, pop_index: ZonalIndex | None) -> np.ndarray:
    """(n, 4) rectangle per village holding the village and every pixel it touches.

    The pixels of a grid in another CRS are not rectangles in metres: their block's
    corners and edge midpoints are transformed and the rectangle grown by 0.1 % of its
    size (at least 1 m), far more than a few-km edge bends.
    """
    rect = shapely.bounds(varr)
    if pop_index is None or len(pop_index.cell) == 0:
        return rect
    n = len(varr)
    village, cell = pop_index.village, pop_index.cell
    if np.any(village[1:] < village[:-1]):
        order = np.argsort(village, kind="stable")
        village, cell = village[order], cell[order]
    row, col = np.divmod(cell, pop_index.shape[1])
    first = np.flatnonzero(np.r_[True, village[1:] != village[:-1]])
    has = np.zeros(n, dtype=bool)
    has[village[first]] = True
    r0, r1 = np.minimum.reduceat(row, first), np.maximum.reduceat(row, first)
    c0, c1 = np.minimum.reduceat(col, first), np.maximum.reduceat(col, first)
    t = pop_index.transform
    x0, x1 = t.c + c0 * t.a, t.c + (c1 + 1) * t.a
    y1, y0 = t.f + r0 * t.e, t.f + (r1 + 1) * t.e
    px = np.column_stack([x0, y0, x1, y1])
    if pop_index.crs is not None and not CRS.from_user_input(pop_index.crs).equals(crs):
        fx = np.array([0, 0.5, 1, 1, 1, 0.5, 0, 0])
        fy = np.array([0, 0, 0, 0.5, 1, 1, 1, 0.5])
        xs = x0[:, None] + (x1 - x0)[:, None] * fx
        ys = y0[:, None] + (y1 - y0)[:, None] * fy
        tr = _transformer(CRS.from_user_input(pop_index.crs).to_wkt(), crs.to_wkt())
        mx, my = (np.asarray(q).reshape(xs.shape) for q in tr.transform(xs.ravel(), ys.ravel()))
        px = np.column_stack([mx.min(1), my.min(1), mx.max(1), my.max(1)])
        pad = np.maximum(1.0, 1e-3 * np.maximum(px[:, 2] - px[:, 0], px[:, 3] - px[:, 1]))
        px += np.column_stack([-pad, -pad, pad, pad])
    sub = rect[has]
    rect[has] = np.column_stack([np.fmin(sub[:, 0], px[:, 0]), np.fmin(sub[:, 1], px[:, 1]),
                                 np.fmax(sub[:, 2], px[:, 2]), np.fmax(sub[:, 3], px[:, 3])])
    return rect


def _slots(rects: np.ndarray, todo: np.ndarray, tile_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The rectangles of villages ``todo``, those wider or taller than ``tile_m`` cut
    along a fixed grid of ``tile_m`` (multiples of it from 0, the same in every
    partition), so no village makes one huge union. Returns (village, rectangle) rows."""
    r = rects[todo]
    big = ((r[:, 2] - r[:, 0]) > tile_m) | ((r[:, 3] - r[:, 1]) > tile_m)
    if not big.any():
        return todo, r
    b = r[big]
    ix0, iy0 = np.floor(b[:, 0] / tile_m), np.floor(b[:, 1] / tile_m)
    nx = (np.floor(b[:, 2] / tile_m) - ix0 + 1).astype(np.int64)
    ny = (np.floor(b[:, 3] / tile_m) - iy0 + 1).astype(np.int64)
    cnt = nx * ny
    k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    j = np.repeat(np.arange(len(b)), cnt)
    gx, gy = ix0[j] + k % nx[j], iy0[j] + k // nx[j]
    cut = np.column_stack([np.maximum(b[j, 0], gx * tile_m), np.maximum(b[j, 1], gy * tile_m),
                           np.minimum(b[j, 2], (gx + 1) * tile_m),
                           np.minimum(b[j, 3], (gy + 1) * tile_m)])
    keep = (cut[:, 2] > cut[:, 0]) & (cut[:, 3] > cut[:, 1])
    return (np.concatenate([todo[~big], todo[big][j[keep]]]),
            np.concatenate([r[~big], cut[keep]]))


def polygon_coverage(
    villages: gpd.GeoDataFrame,
    coverage: gpd.GeoDataFrame,
    *,
    centres: gpd.GeoSeries,
    pop_index: ZonalIndex | None = None,
    pop_values: np.ndarray | None = None,
    tile_m: float = 10_000.0,
) -> pd.DataFrame:
    """Share of each village's area (and people) inside coverage polygons.

    Exact areas in a metric CRS. Each village is measured against the coverage inside
    its own rectangle (its bounds grown to the population pixels it touches): small
    unions of small clipped pieces, only where polygons overlap, only near villages.
    The pieces of recent layers are kept, so a later call on the same villages with
    those layers' rows concatenated (their union) only unions across layers.

    Parameters
    ----------
    villages
        Polygons and/or points in a metric CRS.
    coverage
        Coverage polygons of one carrier × technology (or of several, for their union),
        in the same CRS. Invalid polygons are repaired with ``make_valid`` (logged);
        non-areal parts are ignored. Parts of one valid multipolygon row never overlap,
        so a layer given as dissolved rows needs the fewest unions.
    centres
        :func:`centres` of the villages (same CRS, same order).
    pop_index, pop_values
        Optional population grid: a :class:`ZonalIndex` of the villages on it and the people
        per pixel. Then ``pop_share`` is population-weighted: each pixel's covered share is
        its exact coverage fraction by the coverage union, and the people of
        a pixel are taken as spread evenly over it. The only error is in pixels cut by both
        a village boundary and a coverage edge, where the covered part of the pixel is
        assumed to fall inside and outside the village in proportion. Villages with no
        people on the grid fall back to their area share. On a grid in another CRS the
        coverage is reprojected by its vertices (as the index does with the villages).
    tile_m
        A village rectangle wider or taller than this (metres) is cut along a fixed grid
        of this size, so one very large village never unions a whole layer at once.
        The shares of a village depend only on the coverage polygons within two pixel
        diagonals of it, so a partition of the villages given those polygons gets the
        whole run's shares.

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
    crs = _same_metric_crs(villages, coverage, "coverage", centres)
    if (pop_index is None) != (pop_values is None):
        raise InputError("pass both pop_index and pop_values (or neither) for population "
                         "shares", layer="population")
    varr = _geom_array(villages.geometry)
    n = len(varr)
    carr = _centre_array(centres, n)
    if n == 0:
        return _result(villages.index, [], [], [])
    if pop_index is not None and pop_index.n_villages != n:
        raise InputError(f"the population index holds {pop_index.n_villages} villages, "
                         f"not {n}; build it from the same villages", layer="population")

    cover = _geom_array(coverage.geometry)
    type_id = shapely.get_type_id(varr)
    ok = ~(pd.isna(varr) | shapely.is_empty(varr))
    is_area = ok & np.isin(type_id, _AREA_TYPES)
    is_point = ok & np.isin(type_id, _POINT_TYPES)

    # the covered part of each village's rectangle (or of each tile of a large one)
    rects = _village_rects(varr, crs, pop_index)
    slot_v, slot_r = _slots(rects, np.flatnonzero(is_area), float(tile_m))
    whole, owner, pieces = _layer_cut(cover, slot_r)
    cut = _Slots(slot_v, slot_r, whole, owner, pieces,
                 np.bincount(slot_v, minlength=n)[slot_v] == 1)   # the slot is the rectangle
    v_whole = np.zeros(n, dtype=bool)
    v_whole[slot_v[whole & cut.single]] = True

    centre_hit, c_ok = _centre_hits(carr, cover, rects, cut, v_whole)
    area, cut_whole = _area_shares(varr, cut, is_area)
    area[is_point] = centre_hit[is_point].astype(float)
    area[is_point & ~c_ok] = np.nan

    pop = area.copy()
    if pop_index is not None:
        pshare = _covered_pop_share(pop_index, pop_values, cut, cut_whole, v_whole, crs)
        use = is_area & np.isfinite(pshare)
        pop[use] = pshare[use]
    return _result(villages.index, area, pop, _bool_or_na(centre_hit, c_ok))


@dataclass(frozen=True)
class _Slots:
    """The village rectangles (or tiles of large ones) and the coverage inside them."""

    village: np.ndarray     # village of each slot
    rect: np.ndarray        # (slots, 4) rectangle of each slot
    whole: np.ndarray       # bool per slot: wholly covered
    owner: np.ndarray       # slot of each piece
    pieces: np.ndarray      # covered parts of the partly covered slots
    single: np.ndarray      # bool per slot: the slot is the village's whole rectangle


def _centre_hits(carr: np.ndarray, cover: np.ndarray, rects: np.ndarray, cut: _Slots,
                 v_whole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each centre is covered, and whether it is known.

    A centre inside its (uncut) village rectangle is covered iff it lies in the covered
    part of the rectangle; any other (points, lines, large villages) is looked up.
    """
    n = len(carr)
    slot_v, owner, pieces, single = cut.village, cut.owner, cut.pieces, cut.single
    c_ok = ~(pd.isna(carr) | shapely.is_empty(carr))
    centre_hit = np.zeros(n, dtype=bool)
    pt = c_ok & (shapely.get_type_id(carr) == 0)
    cx, cy = np.full(n, np.nan), np.full(n, np.nan)
    cx[pt], cy[pt] = shapely.get_x(carr[pt]), shapely.get_y(carr[pt])
    one = np.zeros(n, dtype=bool)
    one[slot_v[single]] = True
    with np.errstate(invalid="ignore"):
        in_rect = (one & pt & (cx >= rects[:, 0]) & (cx <= rects[:, 2])
                   & (cy >= rects[:, 1]) & (cy <= rects[:, 3]))
    centre_hit[in_rect & v_whole] = True
    mine = single[owner] & in_rect[slot_v[owner]]
    centre_hit[slot_v[owner[mine]]] = shapely.intersects(pieces[mine], carr[slot_v[owner[mine]]])
    rest = np.flatnonzero(c_ok & ~in_rect)
    polys = _valid_polygons(cover)[0] if len(rest) else np.empty(0, dtype=object)
    if len(polys):
        ci, _ = shapely.STRtree(polys).query(carr[rest], predicate="intersects")
        centre_hit[rest[ci]] = True
    return centre_hit, c_ok


def _area_shares(varr: np.ndarray, cut: _Slots,
                 is_area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covered share of each areal village's area (NaN for the others), summed over its
    slots, and the wholly covered slots of cut rectangles. A village inside the covered
    part of its rectangle needs no intersection."""
    n = len(varr)
    slot_v, slot_r, whole, owner, pieces, single = (
        cut.village, cut.rect, cut.whole, cut.owner, cut.pieces, cut.single)
    v_area = shapely.area(varr)
    slot_area = np.where(whole & single, v_area[slot_v], 0.0)
    cut_whole = np.flatnonzero(whole & ~single)
    slot_area[cut_whole] = shapely.area(shapely.intersection(
        varr[slot_v[cut_whole]], shapely.box(*slot_r[cut_whole].T)))
    if len(owner):
        pv = slot_v[owner]
        inside = _elementwise(shapely.contains_properly, pieces, varr[pv])
        slot_area[owner[inside]] = v_area[pv[inside]]
        part = ~inside
        slot_area[owner[part]] = _elementwise(lambda a, b: shapely.area(shapely.intersection(a, b)),
                                              varr[pv[part]], pieces[part])
    covered = np.bincount(slot_v, weights=slot_area, minlength=n)
    area = np.full(n, np.nan)
    pos_area = is_area & (v_area > 0)
    area[pos_area] = np.clip(covered[pos_area] / v_area[pos_area], 0.0, 1.0)
    return area, cut_whole


def _covered_pop_share(pop_index: ZonalIndex, pop_values: np.ndarray, cut: _Slots,
                       cut_whole: np.ndarray, v_whole: np.ndarray, crs: CRS) -> np.ndarray:
    """:func:`_pop_share` of the covered parts per village: the pieces, and the whole
    tiles of cut rectangles."""
    slot_v, slot_r, owner, single = cut.village, cut.rect, cut.owner, cut.single
    cells_of = np.concatenate([slot_v[owner], slot_v[cut_whole]])
    geoms = np.concatenate([cut.pieces, shapely.box(*slot_r[cut_whole].T)])
    grid_crs = None if pop_index.crs is None else CRS.from_user_input(pop_index.crs)
    tiled = np.concatenate([~single[owner], np.ones(len(cut_whole), dtype=bool)])
    if grid_crs is not None and not grid_crs.equals(crs) and tiled.any():
        # the tiles of a cut rectangle meet along straight lines in metres, which bend
        # on the grid: reprojected by vertices, neighbours' edges along a cut would
        # leave slivers between them (~1e-4 of a 1 km pixel for a 10 km edge), so
        # those pieces get a vertex every quarter pixel first
        geoms[tiled] = shapely.segmentize(geoms[tiled], _pixel_m(pop_index, crs) / 4)
    return _pop_share(pop_index, pop_values, v_whole, cells_of, geoms, crs)


def _pixel_m(index: ZonalIndex, crs: CRS) -> float:
    """The shorter side, in metres of ``crs``, of the pixel at the middle of the indexed ones."""
    t = index.transform
    row, col = np.divmod(int(np.median(index.cell)), index.shape[1])
    x = t.c + np.array([col, col + 1, col]) * t.a
    y = t.f + np.array([row, row, row + 1]) * t.e
    tr = _transformer(CRS.from_user_input(index.crs).to_wkt(), crs.to_wkt())
    mx, my = (np.asarray(q) for q in tr.transform(x, y))
    return float(min(np.hypot(mx[1] - mx[0], my[1] - my[0]), np.hypot(mx[2] - mx[0], my[2] - my[0])))


def _pop_share(index: ZonalIndex, pop_values: np.ndarray, v_whole: np.ndarray,
               village: np.ndarray, covered: np.ndarray, crs: CRS) -> np.ndarray:
    """Population-weighted covered share per village, from exact pixel coverage fractions.

    A pixel's covered fraction is 1 for a village whose rectangle is wholly covered,
    else the exact fraction of the pixel inside the village's covered parts
    (``covered``, owned by ``village``; disjoint, within the village's rectangle, which
    holds the whole pixel).
    """
    cfrac = v_whole[index.village].astype(np.float64)
    if len(covered):
        geo = gpd.GeoSeries(covered, crs=crs)
        if index.crs is not None and not CRS.from_user_input(index.crs).equals(crs):
            geo = geo.to_crs(index.crs)
        arr = _geom_array(geo)
        good = np.isin(shapely.get_type_id(arr), _AREA_TYPES) & ~shapely.is_empty(arr)
        v, cells, fr = polygon_cells(arr[good], village[good],
                                      Grid(index.transform, index.shape, index.crs))
        # (village, cell) → fraction (summed over a cut village's tiles), looked up for
        # the index's pairs
        ncell = np.int64(index.shape[0]) * np.int64(index.shape[1])
        key = v.astype(np.int64) * ncell + cells
        order = np.argsort(key, kind="stable")
        key, fr = key[order], fr[order]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, np.int64)
        key = key[first]
        fr = np.clip(np.add.reduceat(fr, first), 0.0, 1.0) if len(first) else fr[:0]
        want = index.village.astype(np.int64) * ncell + index.cell
        pos = np.minimum(np.searchsorted(key, want), max(len(key) - 1, 0))
        hit = (key[pos] == want) if len(key) else np.zeros(len(want), dtype=bool)
        cfrac = np.where(hit, fr[pos] if len(key) else 0.0, cfrac)
    w = index._gather(pop_values, "pop_values").astype(np.float64, copy=False)
    w = index.frac * np.where(np.isfinite(w), w, 0.0)
    den = np.bincount(index.village, weights=w, minlength=index.n_villages)
    num = np.bincount(index.village, weights=w * cfrac, minlength=index.n_villages)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.clip(num / den, 0.0, 1.0), np.nan)
