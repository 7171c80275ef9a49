"""How much of each village one carrier × technology layer covers.

Three kinds of evidence, one result shape. Every function returns a DataFrame aligned
to ``villages.index`` (no village dropped or duplicated) with

``area_share``   float64, share of the village area covered, in [0, 1]; NaN = cannot judge
``pop_share``    float64, share of the village's people covered, in [0, 1]; NaN = cannot judge
``centre``       pandas ``"boolean"``: whether the village centre is covered; NA = unknown
``signal_dbm``   float64, signal at / near the centre (rasters and measurements only)

* :func:`polygon_coverage` — coverage polygons (carriers' service maps), exact areas in a
  metric CRS: each village is measured against the coverage clipped to its own rectangle
  (unioned only where polygons overlap there), because one union of a whole layer, or
  intersecting villages with it, is what makes a plain overlay slow (DESIGN.md: 62 s for
  100,000 villages; tiling the union first: 6 s; per-village rectangles: about half that).
* :func:`raster_coverage` — signal rasters (dBm), exact pixel fractions through a reusable
  :class:`~gisapp.analysis.zonal.ZonalIndex`; no geometry work per call, so changing the
  threshold is cheap.
* :func:`measurement_coverage` — drive-test points.

Point villages (only a location is known) have no area: their ``area_share`` and
``pop_share`` are the centre answer as 1.0 / 0.0.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS, Transformer

from gisapp.analysis.zonal import Grid, ZonalIndex, _polygon_cells
from gisapp.errors import InputError
from gisapp.parallel import n_threads, parallel_map

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
#
# Each village is measured against the coverage inside its own rectangle: its bounds,
# grown to the population pixels it touches (so the rectangle decides both the covered
# area and every pixel's covered fraction). The coverage polygons there are clipped to
# it with a fast rectangle clip and, where several overlap, unioned: many small unions
# of small pieces, none where a rectangle lies wholly inside one polygon, none between
# the parts of one valid (multi)polygon row (they never overlap), and no work away
# from the villages. The answer for a village depends only on the polygons touching its
# rectangle, so any partition of the villages gets the whole run's shares.

#: coverage polygons with more vertices than this are halved (across the middle of their
#: longer side) until they have at most this many, so clipping one to a rectangle stays
#: cheap however large and detailed the coverage polygons are
_SPLIT_VERTICES = 1024
#: at most this many halvings (a guard against degenerate rings that never get smaller)
_SPLIT_ROUNDS = 32


#: rectangles (or pieces) per chunk of work handed to a thread; results do not depend on it
_CHUNK = 1_000


def _chunks(n: int) -> list[tuple[int, int]]:
    """(start, stop) of the chunks ``range(n)`` is worked on in: about :data:`_CHUNK`
    long, at most four per thread."""
    k = max(1, min(-(-n // _CHUNK), 4 * n_threads()))
    b = np.linspace(0, n, k + 1).astype(int)
    return [(int(b[i]), int(b[i + 1])) for i in range(k) if b[i + 1] > b[i]]


def _elementwise(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``fn(*arrays)`` for an elementwise ``fn`` (shapely releases the GIL), on threads."""
    spans = _chunks(len(arrays[0]))
    if len(spans) <= 1:
        return fn(*arrays)
    return np.concatenate(list(parallel_map(lambda ab: fn(*(x[ab[0]:ab[1]] for x in arrays)), spans)))


def _clip_to_rects(geoms: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """``clip_by_rect`` of each geometry with its own rectangle (rows of ``rects``).

    ``shapely.clip_by_rect`` takes one rectangle per call; the ufunc under it broadcasts
    one per geometry, which is what a vectorised clip needs (a loop over rectangles is
    the fallback). The fast clip may return invalid polygons: see :func:`_fix_clips`.
    """
    if len(geoms) == 0:
        return np.empty(0, dtype=object)
    xmin, ymin, xmax, ymax = (np.ascontiguousarray(rects[:, k], dtype=np.float64) for k in range(4))
    try:
        return shapely.lib.clip_by_rect(geoms, xmin, ymin, xmax, ymax)
    except (AttributeError, TypeError):          # a shapely whose ufunc does not broadcast
        return np.array([shapely.clip_by_rect(g, *r) for g, r in zip(geoms, rects)], dtype=object)


def _fix_clips(clips: np.ndarray, geoms: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Redo invalid fast clips with the exact intersection (in place; returns ``clips``).

    ``clip_by_rect`` of a valid polygon can come out invalid (a ring touching itself
    where a hole was cut open along the rectangle's edge).
    """
    bad = ~shapely.is_valid(clips)
    if bad.any():
        clips[bad] = shapely.intersection(geoms[bad], shapely.box(*rects[bad].T))
    return clips


def _areal_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons of ``geoms`` with positive area (flattening collections), by owner."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    multi = np.isin(shapely.get_type_id(parts), (6, 7))
    if multi.any():                              # collections holding multipolygons
        sub, k = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][k]])
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    order = np.argsort(owner[keep], kind="stable")
    return parts[keep][order], owner[keep][order]


def _valid_polygons(cover: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The polygons of the coverage rows, repaired, each with a group id.

    Polygons of one group never overlap (the parts of one valid (multi)polygon row).
    Invalid rows are repaired with ``make_valid`` (logged); each polygonal member of a
    repaired collection is a group of its own. Also returns the next free group id.
    """
    cover = cover[~(pd.isna(cover) | shapely.is_empty(cover))] if len(cover) else cover
    invalid = ~shapely.is_valid(cover)
    if invalid.any():
        log.info("coverage: repaired %d invalid polygons with make_valid", int(invalid.sum()))
        cover = cover.copy()
        cover[invalid] = shapely.make_valid(cover[invalid])
    members, row = shapely.get_parts(cover, return_index=True)
    collection = shapely.get_type_id(cover) == 7
    group = np.where(collection[row], len(cover) + np.arange(len(members)), row)
    polys, k = _areal_parts(members)
    return polys, group[k], len(cover) + len(members)


def _coverage_polygons(cover: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_valid_polygons`, with polygons of many vertices cut into pieces, each a
    group of its own (unioned where they meet), so clipping one stays cheap."""
    polys, group, next_group = _valid_polygons(cover)
    out_p, out_g = [], []
    for _ in range(_SPLIT_ROUNDS):
        big = shapely.get_num_coordinates(polys) > _SPLIT_VERTICES
        out_p.append(polys[~big])
        out_g.append(group[~big])
        polys = polys[big]
        if not len(polys):
            break
        b = shapely.bounds(polys)
        wide = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
        lo, hi = b.copy(), b.copy()
        lo[wide, 2] = hi[wide, 0] = (b[wide, 0] + b[wide, 2]) / 2
        lo[~wide, 3] = hi[~wide, 1] = (b[~wide, 1] + b[~wide, 3]) / 2
        rects = np.concatenate([lo, hi])
        src = np.concatenate([polys, polys])
        polys, _ = _areal_parts(_fix_clips(_clip_to_rects(src, rects), src, rects))
        group = next_group + np.arange(len(polys))
        next_group += len(polys)
    else:
        out_p.append(polys)
        out_g.append(group)
    return np.concatenate(out_p), np.concatenate(out_g)


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


def _is_whole_rect(clips: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Whether each clip is exactly its rectangle (one coverage polygon holds it all):
    a ring of four vertices, all on the rectangle's corners, enclosing most of it."""
    out = np.zeros(len(clips), dtype=bool)
    cand = np.flatnonzero((shapely.get_type_id(clips) == 3)
                          & (shapely.get_num_coordinates(clips) == 5)
                          & (shapely.get_num_interior_rings(clips) == 0))
    if not len(cand):
        return out
    xy = shapely.get_coordinates(clips[cand]).reshape(len(cand), 5, 2)
    r = rects[cand]
    on_x = (xy[:, :, 0] == r[:, None, 0]) | (xy[:, :, 0] == r[:, None, 2])
    on_y = (xy[:, :, 1] == r[:, None, 1]) | (xy[:, :, 1] == r[:, None, 3])
    big = shapely.area(clips[cand]) > 0.75 * (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
    out[cand] = on_x.all(1) & on_y.all(1) & big
    return out


def _union_by_owner_serial(g: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of the geometries of each owner (``o`` sorted): pairwise and vectorised, in
    log2(most per owner) rounds — a loop over rounds, not owners."""
    while len(o) > 1:
        same_next = np.r_[o[1:] == o[:-1], False]
        if not same_next.any():
            break
        first = np.r_[True, ~same_next[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(o)), 0))
        left = np.flatnonzero(((np.arange(len(o)) - start) % 2 == 0) & same_next)
        g = g.copy()
        g[left] = shapely.union(g[left], g[left + 1])
        keep = np.ones(len(o), dtype=bool)
        keep[left + 1] = False
        g, o = g[keep], o[keep]
    return g, o


def _union_by_owner(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_union_by_owner_serial` on threads, by chunks of whole owners."""
    if not len(owner):
        return geoms, owner
    # chunk starts moved back to the first geometry of their owner
    starts = np.searchsorted(owner, owner[[a for a, _ in _chunks(len(owner))]])
    edges = np.unique(np.r_[starts, len(owner)])
    done = list(parallel_map(lambda i: _union_by_owner_serial(geoms[edges[i]:edges[i + 1]],
                                                              owner[edges[i]:edges[i + 1]]),
                             range(len(edges) - 1)))
    return np.concatenate([g for g, _ in done]), np.concatenate([o for _, o in done])


def _covered_pieces(polys: np.ndarray, group: np.ndarray,
                    rects: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The coverage inside each rectangle (on threads by chunks of rectangles).

    Returns ``whole`` (bool per rectangle: entirely covered), and for the partly covered
    rectangles their positions and covered parts (one valid (multi)polygon each).
    """
    none = np.empty(0, np.int64), np.empty(0, dtype=object)
    if not len(polys) or not len(rects):
        return (np.zeros(len(rects), dtype=bool), *none)
    tree = shapely.STRtree(polys)
    tree.query(polys[:1])       # GEOS builds the tree on its first query: here, not in threads

    def run(ab: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rect = rects[ab[0]:ab[1]]
        whole = np.zeros(len(rect), dtype=bool)
        ri, pj = tree.query(shapely.box(*rect.T))
        clips = _clip_to_rects(polys[pj], rect[ri])
        whole[ri[_is_whole_rect(clips, rect[ri])]] = True
        keep = ~whole[ri] & ~shapely.is_empty(clips)
        ri, pj, clips = ri[keep], pj[keep], clips[keep]
        _fix_clips(clips, polys[pj], rect[ri])
        # one multipolygon per (rectangle, group), then the groups of a rectangle unioned
        order = np.lexsort((pj, group[pj], ri))
        ri, gj, clips = ri[order], group[pj[order]], clips[order]
        parts, k = _areal_parts(clips)
        if not len(parts):
            return (whole, *none)
        key_r, key_g = ri[k], gj[k]
        new = np.r_[True, (key_r[1:] != key_r[:-1]) | (key_g[1:] != key_g[:-1])]
        multi = shapely.multipolygons(parts, indices=np.cumsum(new) - 1)
        alone = new & np.r_[new[1:], True]           # groups of one polygon stay polygons
        multi[alone[new]] = parts[alone]
        pieces, owner = _union_by_owner_serial(multi, key_r[new])
        return whole, owner + ab[0], pieces

    done = list(parallel_map(run, _chunks(len(rects))))
    return (np.concatenate([w for w, _, _ in done]), np.concatenate([o for _, o, _ in done]),
            np.concatenate([p for _, _, p in done]))


# A union of layers (pipeline.assessing.union_shares: "any carrier", "4G") is asked for right after
# the layers themselves, on the same villages: the pieces of each layer are kept (keyed by
# content: the rectangles and each row's WKB) so the union reuses them and only unions
# across layers. Bounded by the number of pieces held; the kept arrays are shared between
# calls (and threads), so nothing changes them (not even shapely.prepare).

#: at most this many pieces are kept for reuse (about 0.5 kB each)
_CACHE_PIECES = 200_000


@dataclass(frozen=True)
class _Cut:
    """The coverage of some rows inside a set of rectangles (see :func:`_covered_pieces`)."""

    rows: bytes            # digest of the rows' digests, in order
    first: bytes           # digest of the first row
    n_rows: int
    whole: np.ndarray
    owner: np.ndarray
    pieces: np.ndarray


_CUTS: OrderedDict[tuple[bytes, bytes], _Cut] = OrderedDict()
_CUTS_LOCK = threading.Lock()


def _digest(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(p)
    return h.digest()


def _combine(cuts: list[_Cut | tuple[np.ndarray, np.ndarray, np.ndarray]],
             n_rects: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of several cuts of the same rectangles."""
    if len(cuts) == 1:
        c = cuts[0]
        return (c.whole, c.owner, c.pieces) if isinstance(c, _Cut) else c
    whole = np.zeros(n_rects, dtype=bool)
    owners, pieces = [], []
    for c in cuts:
        w, o, p = (c.whole, c.owner, c.pieces) if isinstance(c, _Cut) else c
        whole |= w
        owners.append(o)
        pieces.append(p)
    owner, piece = np.concatenate(owners), np.concatenate(pieces)
    keep = ~whole[owner]
    order = np.argsort(owner[keep], kind="stable")
    piece, owner = _union_by_owner(piece[keep][order], owner[keep][order])
    return whole, owner, piece


def _layer_cut(cover: np.ndarray, rects: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_covered_pieces` of the coverage rows ``cover``, reusing the cuts of
    earlier calls on the same rectangles for runs of rows they covered."""
    cover = cover[~(pd.isna(cover) | shapely.is_empty(cover))] if len(cover) else cover
    if not len(cover) or not len(rects):
        return _covered_pieces(*_coverage_polygons(cover), rects)
    rkey = _digest(np.ascontiguousarray(rects).tobytes())
    row = [_digest(w) for w in shapely.to_wkb(cover)]
    key = (rkey, _digest(*row))
    with _CUTS_LOCK:
        hit = _CUTS.get(key)
        if hit is not None:
            _CUTS.move_to_end(key)
            return hit.whole, hit.owner, hit.pieces
        known = sorted((c for (r, _), c in _CUTS.items() if r == rkey),
                       key=lambda c: -c.n_rows)
    # runs of rows that an earlier call cut whole (a union of layers concatenates them)
    at = {}
    for i, d in enumerate(row):
        at.setdefault(d, i)
    claimed = np.zeros(len(row), dtype=bool)
    parts: list = []                                 # (first row, cut), unioned in row order
    for c in known:
        i = at.get(c.first)
        if i is None or i + c.n_rows > len(row) or claimed[i:i + c.n_rows].any():
            continue
        if _digest(*row[i:i + c.n_rows]) == c.rows:
            claimed[i:i + c.n_rows] = True
            parts.append((i, c))
    if not claimed.all():
        fresh = _covered_pieces(*_coverage_polygons(cover[~claimed]), rects)
        parts.append((int(np.argmin(claimed)), fresh))
    parts.sort(key=lambda p: p[0])
    whole, owner, pieces = _combine([c for _, c in parts], len(rects))
    cut = _Cut(key[1], row[0], len(row), whole, owner, pieces)
    with _CUTS_LOCK:
        _CUTS[key] = cut
        held = sum(len(c.pieces) for c in _CUTS.values())
        while len(_CUTS) > 1 and held > _CACHE_PIECES:
            _, old = _CUTS.popitem(last=False)
            held -= len(old.pieces)
        if held > _CACHE_PIECES:
            _CUTS.clear()
    return whole, owner, pieces


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
    extent
        Not needed any more (the Dask engine passes the run's extent with each
        partition): the shares of a village depend only on the coverage polygons within
        two pixel diagonals of it, so a partition given those gets the whole run's shares.

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
    del extent                                  # see the docstring: no longer needed
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
    single = np.bincount(slot_v, minlength=n)[slot_v] == 1     # the slot is the rectangle
    v_whole = np.zeros(n, dtype=bool)
    v_whole[slot_v[whole & single]] = True

    # centres: one inside its (uncut) village rectangle is covered iff it lies in the
    # covered part of the rectangle; any other (points, lines, large villages) is looked up
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
    centre = _bool_or_na(centre_hit, c_ok)

    # areas, summed over a village's slots; a village inside the covered part of its
    # rectangle needs no intersection
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
    area[is_point] = centre_hit[is_point].astype(float)
    area[is_point & ~c_ok] = np.nan

    pop = area.copy()
    if pop_index is not None:
        # covered parts per village: the pieces, and the whole tiles of cut rectangles
        cells_of = np.concatenate([slot_v[owner], slot_v[cut_whole]])
        geoms = np.concatenate([pieces, shapely.box(*slot_r[cut_whole].T)])
        grid_crs = None if pop_index.crs is None else CRS.from_user_input(pop_index.crs)
        tiled = np.concatenate([~single[owner], np.ones(len(cut_whole), dtype=bool)])
        if grid_crs is not None and not grid_crs.equals(crs) and tiled.any():
            # the tiles of a cut rectangle meet along straight lines in metres, which bend
            # on the grid: reprojected by vertices, neighbours' edges along a cut would
            # leave slivers between them (~1e-4 of a 1 km pixel for a 10 km edge), so
            # those pieces get a vertex every quarter pixel first
            geoms[tiled] = shapely.segmentize(geoms[tiled], _pixel_m(pop_index, crs) / 4)
        pshare = _pop_share(pop_index, pop_values, v_whole, cells_of, geoms, crs)
        use = is_area & np.isfinite(pshare)
        pop[use] = pshare[use]
    return _result(villages.index, area, pop, centre)


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
        v, cells, fr = _polygon_cells(arr[good], village[good],
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
