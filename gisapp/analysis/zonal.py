"""Exact zonal statistics with the villages indexed once per raster grid.

Indexing (finding which pixels each village covers, and by how much) is the slow,
geometric part of raster statistics; summing values is cheap. :class:`ZonalIndex`
does the geometric part once per grid and keeps the answer as three flat arrays
(village position, flat cell index, coverage fraction), so every further layer on the
same grid (another carrier × technology, another threshold) is a handful of
``numpy.bincount`` calls.

Coverage fractions are exact — the share of each pixel's area that lies inside the
polygon, computed in numpy from the rings (:func:`_polygon_cells`, float64; it agrees with
exactextract to exactextract's float32 precision) — not "pixel centre in polygon", so a
village smaller than a pixel still gets its share. Points get the pixel containing them with
fraction 1. Null, empty and non-areal/non-point geometries get no cells, so every
statistic for them is NaN (never an exception).

Values are float arrays on the grid (2-D, or flat in row-major order) with NaN for
nodata; :func:`read_band` produces them from a file (``float32`` bands stay ``float32``;
statistics cast only the indexed pixels to ``float64``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.warp import reproject

from gisapp.crs import check_crs
from gisapp.parallel import parallel_map
from gisapp.errors import InputError, UnreadableFileError
from gisapp.schema import POP

__all__ = [
    "Grid",
    "ZonalIndex",
    "read_band",
    "band_window",
    "bounds_in",
    "resample_to",
    "people_on_cells",
    "population_from_raster",
]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
PathOrDataset = str | os.PathLike | rasterio.io.DatasetReader


@dataclass(frozen=True)
class Grid:
    """A raster grid: affine ``transform``, ``shape`` (rows, cols) and ``crs``."""

    transform: Affine
    shape: tuple[int, int]
    crs: CRS | None

    @classmethod
    def of(cls, dataset: rasterio.io.DatasetReader) -> Grid:
        crs = None if dataset.crs is None else CRS.from_user_input(dataset.crs)
        return cls(dataset.transform, (dataset.height, dataset.width), crs)

    def same_as(self, other: Grid, *, tol: float = 1e-6) -> bool:
        """True when both grids have the same shape, CRS and (within ``tol`` × pixel) transform."""
        if tuple(self.shape) != tuple(other.shape):
            return False
        if (self.crs is None) != (other.crs is None):
            return False
        if self.crs is not None and not self.crs.equals(other.crs):
            return False
        px = max(abs(self.transform.a), abs(self.transform.e))
        return all(abs(a - b) <= tol * px for a, b in zip(self.transform[:6], other.transform[:6]))


def _open(path_or_dataset: PathOrDataset) -> tuple[Any, bool]:
    if isinstance(path_or_dataset, (str, os.PathLike)):
        try:
            return rasterio.open(path_or_dataset), True
        except rasterio.errors.RasterioIOError as exc:
            raise UnreadableFileError(
                f"cannot open the raster ({exc}); check that the file exists and is a GeoTIFF "
                "or another format GDAL reads", path=path_or_dataset,
            ) from exc
    return path_or_dataset, False


def _check_grid(transform: Affine, shape: tuple[int, int], *, path: object = None) -> None:
    if transform.b != 0 or transform.d != 0:
        raise InputError("rotated rasters are not supported; warp the raster to a north-up "
                         "grid first (gdalwarp)", path=path)
    if transform.a <= 0 or transform.e >= 0:
        raise InputError("the raster is not north-up (pixel width must be > 0 and height < 0); "
                         "warp it to a north-up grid first (gdalwarp)", path=path)
    if len(shape) != 2 or shape[0] <= 0 or shape[1] <= 0:
        raise InputError(f"the raster grid has no pixels (shape {tuple(shape)})", path=path)


# --- exact pixel fractions ---------------------------------------------------------


#: cells of village bounding boxes handled at once by :func:`_polygon_cells` (1e6: the
#: working arrays stay in cache; 4e6 was twice as slow, 2.5e5 slower again)
_CHUNK_CELLS = 1_000_000


def _polygon_cells(
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
    """Fractions for villages a … b-1 (see :func:`_polygon_cells`)."""
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


def _point_cells(
    xs: np.ndarray, ys: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell index of the pixel containing each point; ``ok`` False outside the grid."""
    inv = ~grid.transform
    col_f = inv.a * xs + inv.b * ys + inv.c
    row_f = inv.d * xs + inv.e * ys + inv.f
    col = np.floor(np.asarray(col_f, dtype=np.float64))
    row = np.floor(np.asarray(row_f, dtype=np.float64))
    rows, cols = grid.shape
    ok = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    cell = np.where(ok, row * cols + col, -1).astype(np.int64)
    return cell, ok


@dataclass(frozen=True, eq=False)
class ZonalIndex:
    """Which pixels of one grid each village covers, and by how much.

    Attributes
    ----------
    village
        ``int64`` village position (0 … n_villages-1, the row order of the villages).
    cell
        ``int64`` flat (row-major) index of the pixel in the grid.
    frac
        ``float64`` share of the pixel's area inside the village (1 for points).
    shape, transform, crs
        The grid.
    n_villages
        Number of villages (rows of every result).
    """

    village: np.ndarray
    cell: np.ndarray
    frac: np.ndarray
    shape: tuple[int, int]
    transform: Affine
    crs: CRS | None
    n_villages: int

    # --- construction ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        villages: gpd.GeoDataFrame | gpd.GeoSeries,
        *,
        transform: Affine,
        shape: tuple[int, int],
        crs: Any,
        progress: Progress | None = None,
    ) -> ZonalIndex:
        """Index the villages on a grid.

        Parameters
        ----------
        villages
            Polygons and/or points, any CRS (reprojected to the grid's CRS here; the input is
            not changed).
        transform, shape, crs
            The grid: a north-up affine transform, (rows, cols), and its CRS.
        progress
            Optional ``progress(fraction, message)`` callback.

        Returns
        -------
        ZonalIndex
        """
        shape = (int(shape[0]), int(shape[1]))
        _check_grid(transform, shape)
        grid_crs = None if crs is None else CRS.from_user_input(crs)
        grid = Grid(transform, shape, grid_crs)
        geoms = villages.geometry if isinstance(villages, gpd.GeoDataFrame) else villages
        n = len(geoms)
        if n and grid_crs is not None:
            frame = gpd.GeoDataFrame(geometry=geoms)
            src_crs = check_crs(frame, layer="villages")
            if not src_crs.equals(grid_crs):
                geoms = geoms.to_crs(grid_crs)
        arr = np.asarray(geoms.array, dtype=object) if n else np.empty(0, dtype=object)
        arr = np.where(pd.isna(arr), None, arr) if n else arr
        type_id = shapely.get_type_id(arr)
        nonempty = ~shapely.is_empty(arr) & (type_id >= 0)
        is_poly = nonempty & np.isin(type_id, (3, 6))          # Polygon, MultiPolygon
        is_point = nonempty & np.isin(type_id, (0, 4))         # Point, MultiPoint
        other = nonempty & ~is_poly & ~is_point
        if other.any():
            log.warning("%d village geometries are neither polygons nor points (e.g. lines); "
                        "they get no raster statistics", int(other.sum()))

        parts_v, parts_c, parts_f = [], [], []
        poly_pos = np.flatnonzero(is_poly)
        if len(poly_pos):
            pv, pc, pf = _polygon_cells(arr[poly_pos], poly_pos, grid, progress)
            keep = pf > 0
            parts_v.append(pv[keep])
            parts_c.append(pc[keep])
            parts_f.append(pf[keep])
        pt_pos = np.flatnonzero(is_point)
        if len(pt_pos):
            pts, owner = shapely.get_parts(arr[pt_pos], return_index=True)
            cell, ok = _point_cells(shapely.get_x(pts), shapely.get_y(pts), grid)
            v = pt_pos[owner][ok]
            c = cell[ok]
            # a MultiPoint with two points in one pixel counts that pixel once
            key = np.unique(np.stack([v, c]), axis=1) if len(v) else np.empty((2, 0), np.int64)
            parts_v.append(key[0].astype(np.int64))
            parts_c.append(key[1].astype(np.int64))
            parts_f.append(np.ones(key.shape[1], dtype=np.float64))
        if parts_v:
            village = np.concatenate(parts_v)
            cell = np.concatenate(parts_c)
            frac = np.concatenate(parts_f)
        else:
            village = np.empty(0, np.int64)
            cell = np.empty(0, np.int64)
            frac = np.empty(0, np.float64)
        if progress is not None:
            progress(1.0, "villages indexed")
        log.debug("zonal index: %d villages, %d (village, pixel) pairs", n, len(cell))
        return cls(village, cell, frac, shape, transform, grid_crs, n)

    @classmethod
    def from_raster(
        cls,
        villages: gpd.GeoDataFrame | gpd.GeoSeries,
        path_or_dataset: PathOrDataset,
        *,
        progress: Progress | None = None,
    ) -> ZonalIndex:
        """Index the villages on the grid of a raster file or open rasterio dataset."""
        ds, owned = _open(path_or_dataset)
        try:
            grid = Grid.of(ds)
        finally:
            if owned:
                ds.close()
        if grid.crs is None:
            raise InputError("the raster has no coordinate reference system; assign one "
                             "(gdal_edit.py -a_srs EPSG:...) before using it",
                             path=path_or_dataset if owned else None)
        return cls.build(villages, transform=grid.transform, shape=grid.shape, crs=grid.crs,
                         progress=progress)

    @property
    def grid(self) -> Grid:
        return Grid(self.transform, self.shape, self.crs)

    # --- statistics -----------------------------------------------------------------

    def _gather(self, values: np.ndarray, name: str = "values") -> np.ndarray:
        """Values of the indexed pixels (flat, float64)."""
        arr = np.asarray(values)
        size = self.shape[0] * self.shape[1]
        if arr.shape not in (tuple(self.shape), (size,)):
            raise InputError(
                f"{name} has shape {arr.shape} but the villages were indexed on a grid of "
                f"shape {tuple(self.shape)}; resample the raster to that grid (resample_to)"
            )
        return arr.reshape(-1)[self.cell]

    def _bincount(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.village, weights=weights, minlength=self.n_villages)

    def _valid_weights(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v = self._gather(values).astype(np.float64, copy=False)
        ok = np.isfinite(v)
        return np.where(ok, v, 0.0), np.where(ok, self.frac, 0.0)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``value × fraction`` over each village's valid pixels.

        NaN (nodata) pixels are left out; NaN for a village without any valid pixel.
        """
        v, w = self._valid_weights(values)
        total = self._bincount(v * w)
        area = self._bincount(w)
        return np.where(area > 0, total, np.nan)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Fraction-weighted mean over each village's valid pixels (NaN without any)."""
        v, w = self._valid_weights(values)
        area = self._bincount(w)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(area > 0, self._bincount(v * w) / area, np.nan)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Largest valid value among the pixels each village touches (NaN without any)."""
        v = self._gather(values).astype(np.float64, copy=False)
        ok = np.isfinite(v) & (self.frac > 0)
        out = np.full(self.n_villages, -np.inf)
        np.maximum.at(out, self.village[ok], v[ok])
        out[np.isneginf(out)] = np.nan
        return out

    def valid_fraction(self, values: np.ndarray) -> np.ndarray:
        """Share of each village's indexed area whose pixels hold data (NaN without pixels)."""
        v = self._gather(values)
        ok = np.isfinite(v.astype(np.float64, copy=False))
        area = self._bincount(self.frac)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(area > 0, self._bincount(np.where(ok, self.frac, 0.0)) / area, np.nan)

    def share(
        self,
        mask: np.ndarray,
        *,
        weights: np.ndarray | None = None,
        valid: np.ndarray | None = None,
    ) -> np.ndarray:
        """Share of each village's (weighted) area where ``mask`` is true.

        Parameters
        ----------
        mask
            Boolean grid, or a float grid (non-zero = true, NaN = nodata).
        weights
            Optional grid of weights (e.g. people per pixel); NaN weights count as 0.
        valid
            Optional boolean grid of pixels holding data; invalid pixels are left out of
            numerator and denominator.

        Returns
        -------
        numpy.ndarray
            ``float64`` in [0, 1]; NaN when the village has no valid (or no weighted) area.
        """
        m = self._gather(mask, "mask")
        if m.dtype.kind == "f":
            ok = np.isfinite(m)
            m = ok & (m != 0)
        else:
            ok = np.ones(len(m), dtype=bool)
            m = m.astype(bool, copy=False)
        if valid is not None:
            ok &= self._gather(valid, "valid").astype(bool, copy=False)
        w = np.where(ok, self.frac, 0.0)
        if weights is not None:
            pw = self._gather(weights, "weights").astype(np.float64, copy=False)
            w = w * np.where(np.isfinite(pw), pw, 0.0)
        den = self._bincount(w)
        num = self._bincount(np.where(m, w, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, np.clip(num / den, 0.0, 1.0), np.nan)


# --- reading and resampling ----------------------------------------------------------


def _masked_to_nan(arr: np.ma.MaskedArray) -> np.ndarray:
    data = np.asarray(arr.data, dtype=np.float64)
    mask = np.ma.getmaskarray(arr)
    if mask.any():
        data[mask] = np.nan
    return data


def _float_dtype(dtype: Any) -> np.dtype:
    """float32 for bands that fit it exactly (float32, 8/16-bit integers), else float64."""
    return np.result_type(np.dtype(dtype), np.float32)


def band_window(
    ds: rasterio.io.DatasetReader, bounds: tuple[float, float, float, float]
) -> rasterio.windows.Window:
    """The whole-pixel window of ``ds`` covering ``bounds`` (raster CRS), one pixel of
    margin, clipped to the raster; at least one pixel even when nothing overlaps."""
    from rasterio.windows import Window, from_bounds

    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not all(np.isfinite([minx, miny, maxx, maxy])) or minx > maxx or miny > maxy:
        return Window(0, 0, ds.width, ds.height)
    win = from_bounds(minx, miny, maxx, maxy, transform=ds.transform)
    c0 = int(np.floor(win.col_off)) - 1
    r0 = int(np.floor(win.row_off)) - 1
    c1 = int(np.ceil(win.col_off + win.width)) + 1
    r1 = int(np.ceil(win.row_off + win.height)) + 1
    c0, c1 = min(max(c0, 0), ds.width - 1), min(max(c1, 1), ds.width)
    r0, r1 = min(max(r0, 0), ds.height - 1), min(max(r1, 1), ds.height)
    return Window(c0, r0, max(c1 - c0, 1), max(r1 - r0, 1))


def bounds_in(
    villages: gpd.GeoDataFrame | gpd.GeoSeries, crs: Any
) -> tuple[float, float, float, float] | None:
    """Bounds of the villages' geometries in ``crs`` (for :func:`read_band` ``bounds=``);
    None when there is no geometry or a CRS is missing (then read the whole band)."""
    geoms = villages.geometry if isinstance(villages, gpd.GeoDataFrame) else villages
    arr = np.asarray(geoms.array, dtype=object)
    ok = ~(pd.isna(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, bool)
    if not ok.any() or geoms.crs is None or crs is None:
        return None
    b = shapely.total_bounds(arr[ok])
    src, dst = CRS.from_user_input(geoms.crs), CRS.from_user_input(crs)
    if src.equals(dst):
        return tuple(float(x) for x in b)
    from rasterio.warp import transform_bounds
    try:
        return tuple(float(x) for x in transform_bounds(src, dst, *b, densify_pts=21))
    except Exception:  # noqa: BLE001 - an odd CRS pair: read the whole band instead
        return None


def _read_window(ds: rasterio.io.DatasetReader, band: int, win: Any) -> np.ndarray:
    """One band (or a window of it) as floats with NaN for nodata (see :func:`read_band`)."""
    dtype = _float_dtype(ds.dtypes[band - 1])
    values = ds.read(band, window=win, out_dtype=dtype)
    flags = ds.mask_flag_enums[band - 1]
    nodata = ds.nodatavals[band - 1]
    if rasterio.enums.MaskFlags.nodata in flags and nodata is not None:
        if not np.isnan(nodata):
            # compare in the band's own type so a nodata of -3.4e38 matches exactly
            values[values == np.asarray(nodata).astype(ds.dtypes[band - 1])] = np.nan
    elif rasterio.enums.MaskFlags.all_valid not in flags:
        values[ds.read_masks(band, window=win) == 0] = np.nan
    return values


def read_band(
    path: PathOrDataset,
    *,
    band: int = 1,
    grid: Grid | None = None,
    resampling: Resampling = Resampling.average,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, Affine, CRS | None]:
    """Read one band as floats with NaN for nodata.

    The band keeps ``float32`` when it is ``float32`` or an 8/16-bit integer (exact);
    ``float64`` otherwise. A national 1e8-pixel band is 384 MB instead of 768 MB, and no
    masked array or whole-grid upcast is made (statistics cast only the indexed pixels).

    Parameters
    ----------
    path
        Raster file or open rasterio dataset.
    band
        1-based band number.
    grid
        If given and the raster's grid differs, the band is resampled onto it with
        ``resampling`` (use ``Resampling.sum`` for counts such as people, ``average`` for
        dBm or radiance); the result is then ``float64`` on ``grid``.
    bounds
        Optional (minx, miny, maxx, maxy) in the raster's CRS: read only the whole-pixel
        window covering them (e.g. the villages' bounds) plus one pixel, and return that
        window's transform. Ignored when resampling onto ``grid``.

    Returns
    -------
    (values, transform, crs)
    """
    ds, owned = _open(path)
    try:
        own = Grid.of(ds)
        if grid is not None and not own.same_as(grid):
            return (resample_to(ds, transform=grid.transform, shape=grid.shape, crs=grid.crs,
                                resampling=resampling, band=band), grid.transform, grid.crs)
        win = None if bounds is None else band_window(ds, bounds)
        transform = own.transform if win is None else ds.window_transform(win)
        return _read_window(ds, band, win), transform, own.crs
    finally:
        if owned:
            ds.close()


def resample_to(
    path: PathOrDataset,
    *,
    transform: Affine,
    shape: tuple[int, int],
    crs: Any,
    resampling: Resampling | str = Resampling.average,
    band: int = 1,
) -> np.ndarray:
    """Warp a raster band onto another grid (``float64``, NaN where there is no data).

    ``Resampling.sum`` (GDAL ≥ 3.1) conserves totals such as people: each target pixel
    gets the area-weighted sum of the source pixels it overlaps. ``average`` suits
    intensive quantities (dBm, radiance).
    """
    if isinstance(resampling, str):
        resampling = Resampling[resampling]
    ds, owned = _open(path)
    try:
        src = _masked_to_nan(ds.read(band, masked=True))
        dst = np.full((int(shape[0]), int(shape[1])), np.nan, dtype=np.float64)
        reproject(
            source=src, destination=dst,
            src_transform=ds.transform, src_crs=ds.crs, src_nodata=np.nan,
            dst_transform=transform, dst_crs=CRS.from_user_input(crs) if crs else ds.crs,
            dst_nodata=np.nan, resampling=resampling,
        )
        return dst
    finally:
        if owned:
            ds.close()


#: (village, pixel) pairs handled at once by :func:`people_on_cells` (bounds the temporaries)
_PEOPLE_CHUNK = 1 << 21
def _overlaps(start: np.ndarray, step: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For intervals [start, start + step) in source-pixel units: the first source pixel
    each one touches and its overlap (in source pixels, 0 … 1) with that pixel and the next
    ``k − 1``."""
    first = np.floor(start)
    lo = first[:, None] + np.arange(k)
    over = np.minimum(start[:, None] + step, lo + 1) - np.maximum(start[:, None], lo)
    return first.astype(np.int64), np.clip(over, 0.0, 1.0)


def people_on_cells(
    population: PathOrDataset,
    grid: Grid,
    cells: np.ndarray,
    *,
    band: int = 1,
) -> np.ndarray:
    """People on some pixels of another grid, from a people-per-pixel raster.

    Used to weight a signal raster's pixels by people without warping the population
    onto the whole signal grid: only the given pixels are computed, and only the window
    of the population raster under them is read. A pixel's result depends on nothing but
    its own position, so any subset (a Dask partition's pixels) gives the same values.

    * Same CRS (north-up grids): exact area-weighted sum resampling, i.e. each population
      pixel's people are spread evenly over it and the pixel gets the people of the part
      it overlaps — what GDAL's ``sum`` warp computes, in float64, separably per axis.
    * Different CRS (e.g. WorldPop in lon/lat under a UTM signal grid): each pixel's
      corners are reprojected and the exact share of every population pixel inside that
      quadrilateral is taken (the fractions of :class:`ZonalIndex`), i.e. the same
      area-weighted sum, measured in the population raster's CRS.

    Parameters
    ----------
    population
        People-per-pixel raster (file or open dataset).
    grid
        The grid the cells belong to (e.g. a signal raster's).
    cells
        Flat (row-major) pixel indices on ``grid``; repeats allowed.

    Returns
    -------
    numpy.ndarray
        ``float64`` people per given cell; NaN where no valid population pixel contributes
        (nodata or outside the population raster).
    """
    cells = np.asarray(cells, dtype=np.int64)
    out = np.full(len(cells), np.nan)
    if not len(cells):
        return out
    _check_grid(grid.transform, grid.shape)
    if grid.crs is not None and not isinstance(grid.crs, CRS):
        grid = Grid(grid.transform, grid.shape, CRS.from_user_input(grid.crs))
    ds, owned = _open(population)
    try:
        pop = Grid.of(ds)
        _check_grid(pop.transform, pop.shape, path=population if owned else None)
        same = (grid.crs is None or pop.crs is None) or grid.crs.equals(pop.crs)
        rows, cols = np.divmod(cells, grid.shape[1])
        if same:
            _people_same_crs(ds, band, pop, grid, rows, cols, out)
        else:
            _people_other_crs(ds, band, pop, grid, cells, out)
        return out
    finally:
        if owned:
            ds.close()


def _window_values(ds: Any, band: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Rows r0 … r1-1, columns c0 … c1-1 of a band (any part off the raster is NaN)."""
    from rasterio.windows import Window

    out = np.full((max(r1 - r0, 0), max(c1 - c0, 0)), np.nan, dtype=np.float64)
    rr0, rr1 = max(r0, 0), min(r1, ds.height)
    cc0, cc1 = max(c0, 0), min(c1, ds.width)
    if rr0 < rr1 and cc0 < cc1:
        win = Window(cc0, rr0, cc1 - cc0, rr1 - rr0)
        out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = _read_window(ds, band, win)
    return out


def _people_same_crs(ds: Any, band: int, pop: Grid, grid: Grid, rows: np.ndarray,
                     cols: np.ndarray, out: np.ndarray) -> None:
    t, p = grid.transform, pop.transform
    sx, sy = t.a / p.a, t.e / p.e                # target pixel size in source pixels
    kx, ky = int(np.ceil(sx)) + 1, int(np.ceil(sy)) + 1
    # per target column / row (not per pair): first source pixel and the overlaps
    cmin, cmax = int(cols.min()), int(cols.max())
    rmin, rmax = int(rows.min()), int(rows.max())
    ucol = np.arange(cmin, cmax + 1)
    urow = np.arange(rmin, rmax + 1)
    jx, ox = _overlaps((t.c + ucol * t.a - p.c) / p.a, sx, kx)
    iy, oy = _overlaps((t.f + urow * t.e - p.f) / p.e, sy, ky)
    j0, j1 = int(jx.min()), int(jx.max()) + kx
    i0, i1 = int(iy.min()), int(iy.max()) + ky
    values = _window_values(ds, band, i0, i1, j0, j1)

    def chunk(a: int) -> None:
        rc, cc = rows[a:a + _PEOPLE_CHUNK] - rmin, cols[a:a + _PEOPLE_CHUNK] - cmin
        total = np.zeros(len(rc))
        seen = np.zeros(len(rc), dtype=bool)
        for di in range(ky):
            wy = oy[rc, di]
            vi = iy[rc] + di - i0
            for dj in range(kx):
                w = wy * ox[cc, dj]
                v = values[vi, jx[cc] + dj - j0]
                ok = (w > 0) & np.isfinite(v)
                total += np.where(ok, v * w, 0.0)
                seen |= ok
        out[a:a + len(rc)] = np.where(seen, total, np.nan)

    for _ in parallel_map(chunk, range(0, len(rows), _PEOPLE_CHUNK)):
        pass


def _people_other_crs(ds: Any, band: int, pop: Grid, grid: Grid, cells: np.ndarray,
                      out: np.ndarray) -> None:
    from pyproj import Transformer

    ucell, inv = np.unique(cells, return_inverse=True)
    r, c = np.divmod(ucell, grid.shape[1])
    t = grid.transform
    # each pixel as the quadrilateral of its corners in the population raster's CRS (over
    # one pixel the projection is affine to far below the raster's own precision)
    cx = np.stack([c, c + 1, c + 1, c], axis=1).astype(np.float64)
    cy = np.stack([r, r, r + 1, r + 1], axis=1).astype(np.float64)
    x, y = t.c + cx * t.a, t.f + cy * t.e
    px, py = Transformer.from_crs(grid.crs, pop.crs, always_xy=True).transform(x.ravel(), y.ravel())
    px, py = np.asarray(px).reshape(-1, 4), np.asarray(py).reshape(-1, 4)
    ok = np.isfinite(px).all(axis=1) & np.isfinite(py).all(axis=1)
    coords = np.stack([np.concatenate([px, px[:, :1]], axis=1),
                       np.concatenate([py, py[:, :1]], axis=1)], axis=2)
    quads = np.full(len(ucell), None, dtype=object)
    quads[ok] = shapely.polygons(coords[ok])
    pos = np.flatnonzero(ok)
    people = np.full(len(ucell), np.nan)
    if len(pos):
        # the exact share of every population pixel inside each quadrilateral, on the
        # population raster's own grid (so a pixel's value does not depend on the others)
        v, cell, frac = _polygon_cells(quads[pos], pos, pop)
        if len(cell):
            pr, pc = np.divmod(cell, pop.shape[1])
            r0, c0 = int(pr.min()), int(pc.min())
            values = _window_values(ds, band, r0, int(pr.max()) + 1, c0, int(pc.max()) + 1)
            val = values[pr - r0, pc - c0]
            good = np.isfinite(val) & (frac > 0)
            total = np.bincount(v, weights=np.where(good, val * frac, 0.0), minlength=len(ucell))
            seen = np.bincount(v, weights=good.astype(np.float64), minlength=len(ucell)) > 0
            people = np.where(seen, total, np.nan)
    out[:] = people[inv]


def population_from_raster(
    villages: gpd.GeoDataFrame,
    path: PathOrDataset,
    *,
    band: int = 1,
    progress: Progress | None = None,
) -> pd.Series:
    """People per village: the exact-fraction sum of a people-per-pixel raster.

    Returns
    -------
    pandas.Series
        ``float64`` named ``pop`` (people), aligned to ``villages.index``; NaN for a
        village with no valid pixel (null geometry, outside the raster, all nodata).
    """
    index = ZonalIndex.from_raster(villages, path, progress=progress)
    values, _, _ = read_band(path, band=band)
    return pd.Series(index.sum(values), index=villages.index, name=POP, dtype="float64")
