"""Exact pixel fractions of polygons on a north-up grid, and the pixel of each point.

The geometric part of zonal statistics (:class:`gisapp.analysis.zonal.ZonalIndex` and the
polygon shares of :mod:`gisapp.analysis.coverage` use it): which pixels a polygon covers
and the exact share of each pixel's area inside it, in float64 numpy from the rings.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

from gisapp.crs import Grid, pixel_index
from gisapp.errors import InputError
from gisapp.parallel import parallel_map
from gisapp.progress import Progress

__all__ = ["check_grid", "polygon_cells", "point_cells"]


def check_grid(transform: Affine, shape: tuple[int, int], *, path: object = None) -> None:
    """Raise :class:`~gisapp.errors.InputError` unless the grid is north-up, unrotated and
    has pixels (what the exact fractions assume)."""
    if transform.b != 0 or transform.d != 0:
        raise InputError("rotated rasters are not supported; warp the raster to a north-up "
                         "grid first (gdalwarp)", path=path)
    if transform.a <= 0 or transform.e >= 0:
        raise InputError("the raster is not north-up (pixel width must be > 0 and height < 0); "
                         "warp it to a north-up grid first (gdalwarp)", path=path)
    if len(shape) != 2 or shape[0] <= 0 or shape[1] <= 0:
        raise InputError(f"the raster grid has no pixels (shape {tuple(shape)})", path=path)


# --- exact pixel fractions ---------------------------------------------------------


#: cells of village bounding boxes handled at once by :func:`polygon_cells` (1e6: the
#: working arrays stay in cache; 4e6 was twice as slow, 2.5e5 slower again)
_CHUNK_CELLS = 1_000_000


def polygon_cells(
    geoms: np.ndarray, positions: np.ndarray, grid: Grid, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position, flat cell, fraction) of polygons on a north-up grid: exact, in numpy.

    The area of a polygon inside a cell [c, c+1] × [r, r+1] (pixel units) is the boundary
    integral ∮ (clamp(x, c, c+1) − c) dy over its rings (Green's theorem; the cell's
    horizontal sides add nothing). Every ring edge is split where it crosses a pixel line;
    a piece inside cell (r, c) adds ``(mean x − c) · dy`` to that cell and ``dy`` (full
    width) to every cell left of it in row r — a suffix sum along the row. So every pixel
    of the village's bounding box gets its exact fraction, in float64, with no Python loop
    over villages (chunks of :data:`_CHUNK_CELLS` bounding-box cells). Fractions ≤ 1e-12
    of a pixel are dropped. Agrees with exactextract to its float32 precision (3e-8).
    """
    t = grid.transform
    rows, cols = grid.shape
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    n = len(geoms)
    if not n:
        return empty
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    rings, ridx = shapely.get_rings(parts, return_index=True)
    xy, cidx = shapely.get_coordinates(rings, return_index=True)
    vert_v = pidx[ridx][cidx]                      # village (0 … n-1) of each vertex
    X = (xy[:, 0] - t.c) / t.a                      # column units
    Y = (t.f - xy[:, 1]) / (-t.e)                   # row units (down)
    bb = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        c0 = np.floor((bb[:, 0] - t.c) / t.a)
        c1 = np.floor((bb[:, 2] - t.c) / t.a)
        r0 = np.floor((t.f - bb[:, 3]) / (-t.e))
        r1 = np.floor((t.f - bb[:, 1]) / (-t.e))
    has = np.isfinite(c0) & np.isfinite(c1) & np.isfinite(r0) & np.isfinite(r1)
    c0, c1, r0, r1 = (np.where(has, q, 0).astype(np.int64) for q in (c0, c1, r0, r1))
    # clip to the grid: columns left of it and rows off it are not needed; everything
    # right of it is gathered in one extra column (its pieces still fill cells to the left)
    c0, c1 = np.maximum(c0, 0), np.minimum(c1, cols)
    r0, r1 = np.maximum(r0, 0), np.minimum(r1, rows - 1)
    has &= (c0 <= c1) & (c0 < cols) & (r0 <= r1)
    w = np.where(has, c1 - c0 + 1, 0)
    h = np.where(has, r1 - r0 + 1, 0)
    size = w * h
    e = np.flatnonzero(cidx[1:] == cidx[:-1])      # edge e runs from vertex e to e + 1
    ev = vert_v[e]                                  # in village order (parts, rings keep it)
    keep = has[ev]
    e, ev = e[keep], ev[keep]
    cum = np.cumsum(size)
    bounds = [0]
    while bounds[-1] < n:
        done = int(cum[bounds[-1] - 1]) if bounds[-1] else 0
        nxt = int(np.searchsorted(cum, done + _CHUNK_CELLS, side="right"))
        bounds.append(max(nxt, bounds[-1] + 1))
    estart = np.searchsorted(ev, bounds)

    def chunk(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        a, b = bounds[k], bounds[k + 1]
        sl = slice(estart[k], estart[k + 1])
        if sl.start == sl.stop:
            return None
        v, rr, cc, fr = _chunk_cells(X, Y, e[sl], ev[sl], a, b, c0, c1, r0, r1, w, h)
        ok = cc < cols
        return positions[v[ok]], rr[ok] * cols + cc[ok], fr[ok]

    out_v, out_c, out_f = [], [], []
    # a loop over chunks, not villages; chunks are independent and numpy releases the GIL
    # in their heavy parts, so they run on threads (in order: results do not depend on
    # the number of threads)
    for k, res in enumerate(parallel_map(chunk, range(len(bounds) - 1))):
        if res is not None:
            out_v.append(res[0])
            out_c.append(res[1])
            out_f.append(res[2])
        if progress is not None:
            progress(bounds[k + 1] / n, "indexing villages")
    if not out_v:
        return empty
    return np.concatenate(out_v), np.concatenate(out_c), np.concatenate(out_f)


def _crossings(p0: np.ndarray, p1: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edge, t) where each edge p0 → p1 crosses an integer strictly between its ends."""
    lo = np.floor(np.minimum(p0, p1)) + 1
    hi = np.ceil(np.maximum(p0, p1)) - 1
    cnt = np.maximum(hi - lo + 1, 0).astype(np.int64)
    idx = np.repeat(np.arange(len(p0)), cnt)
    start = np.repeat(np.cumsum(cnt) - cnt, cnt)
    k = lo[idx] + (np.arange(int(cnt.sum())) - start)
    return idx, (k - p0[idx]) / d[idx]


def _chunk_cells(
    X: np.ndarray, Y: np.ndarray, e: np.ndarray, ev: np.ndarray, a: int, b: int,
    c0: np.ndarray, c1: np.ndarray, r0: np.ndarray, r1: np.ndarray, w: np.ndarray, h: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fractions for villages a … b-1 (see :func:`polygon_cells`)."""
    x0, y0, x1, y1 = X[e], Y[e], X[e + 1], Y[e + 1]
    dx, dy = x1 - x0, y1 - y0
    ix, tx = _crossings(x0, x1, dx)
    iy, ty = _crossings(y0, y1, dy)
    m = len(e)
    ids = np.concatenate([np.arange(m), np.arange(m), ix, iy])
    ts = np.concatenate([np.zeros(m), np.ones(m), tx, ty])
    order = np.lexsort((ts, ids))
    ids, ts = ids[order], ts[order]
    s = np.flatnonzero(ids[1:] == ids[:-1])        # piece from t[s] to t[s + 1]
    pe, ta, tb = ids[s], ts[s], ts[s + 1]
    xs = np.where(ta == 0, x0[pe], x0[pe] + ta * dx[pe])
    ys = np.where(ta == 0, y0[pe], y0[pe] + ta * dy[pe])
    xe = np.where(tb == 1, x1[pe], x0[pe] + tb * dx[pe])
    ye = np.where(tb == 1, y1[pe], y0[pe] + tb * dy[pe])
    dyp = ye - ys
    xm = (xs + xe) / 2
    cc = np.floor(xm).astype(np.int64)
    rr = np.floor((ys + ye) / 2).astype(np.int64)
    v = ev[pe]
    # pieces left of the grid or off its rows change no cell of the grid
    keep = (dyp != 0) & (cc >= c0[v]) & (rr >= r0[v]) & (rr <= r1[v])
    xm, dyp, cc, rr, v = xm[keep], dyp[keep], cc[keep], rr[keep], v[keep]
    direct_w = (xm - cc) * dyp
    cc = np.minimum(cc, c1[v])                      # right of the grid: the extra column
    size = (w * h)[a:b]
    off = np.concatenate([[0], np.cumsum(size)])
    total = int(off[-1])
    local = off[v - a] + (rr - r0[v]) * w[v] + (cc - c0[v])
    direct = np.bincount(local, weights=direct_w, minlength=total)
    cs = np.cumsum(np.bincount(local, weights=dyp, minlength=total))
    hb, wb = h[a:b], w[a:b]
    rowoff = np.concatenate([[0], np.cumsum(hb)])
    rows_v = np.repeat(np.arange(b - a), hb)
    row_w = wb[rows_v]
    row_start = off[rows_v] + (np.arange(len(rows_v)) - rowoff[rows_v]) * row_w
    # fraction = −(direct + sum of dy right of the cell in its row); rings are counter-
    # clockwise on the map, i.e. clockwise in (column, row-down) units, hence the sign
    frac = cs[np.repeat(row_start + row_w - 1, row_w)]
    frac -= cs
    frac += direct
    np.negative(frac, out=frac)
    sel = np.flatnonzero(frac > 1e-12)
    rk = np.searchsorted(row_start, sel, side="right") - 1
    vk = rows_v[rk]
    return (vk + a, r0[a:b][vk] + (rk - rowoff[vk]), c0[a:b][vk] + (sel - row_start[rk]),
            np.minimum(frac[sel], 1.0))



def point_cells(
    xs: np.ndarray, ys: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell index of the pixel containing each point; ``ok`` False outside the grid."""
    row, col, ok = pixel_index(grid.transform, xs, ys, shape=grid.shape)
    cell = np.where(ok, row * grid.shape[1] + col, -1).astype(np.int64)
    return cell, ok
