"""The coverage inside each village rectangle: coverage polygons repaired, cut when they
have many vertices, clipped to the rectangles and unioned where they overlap (on threads),
and the pieces of recent layers kept for a union of layers to reuse.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from gisapp.parallel import n_threads, parallel_map

log = logging.getLogger("gisapp.analysis.coverage")

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
