"""People on the pixels of one grid from a people-per-pixel band on another.

:func:`people_on_cells` weights a signal raster's pixels by people without warping the
population onto the whole signal grid. The band comes in as an object with a ``grid`` and a
``window(r0, r1, c0, c1)`` method: :class:`ArrayBand` holds it in memory,
:class:`gisapp.io.raster.RasterBand` reads only the window asked for from the file (this
module opens no file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
from pyproj import CRS

from gisapp.analysis.fractions import check_grid, polygon_cells
from gisapp.crs import Grid, window_on
from gisapp.parallel import parallel_map

__all__ = ["BandSource", "ArrayBand", "people_on_cells"]


class BandSource(Protocol):
    """A band on a grid that gives the values of a window (NaN off the band and for nodata)."""

    @property
    def grid(self) -> Grid: ...

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class ArrayBand:
    """A band held in memory: ``values`` (2-D, NaN for nodata) on ``grid``."""

    values: np.ndarray
    grid: Grid

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Rows r0 … r1-1, columns c0 … c1-1 as ``float64`` (any part off the band is NaN)."""
        out, on = window_on(r0, r1, c0, c1, self.values.shape)
        if on is not None:
            rr0, rr1, cc0, cc1 = on
            out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = self.values[rr0:rr1, cc0:cc1]
        return out


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
    population: BandSource,
    grid: Grid,
    cells: np.ndarray,
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
        People-per-pixel band: an :class:`ArrayBand` in memory, or a
        :class:`gisapp.io.raster.RasterBand` that reads only the window asked for.
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
    check_grid(grid.transform, grid.shape)
    if grid.crs is not None and not isinstance(grid.crs, CRS):
        grid = Grid(grid.transform, grid.shape, CRS.from_user_input(grid.crs))
    pop = population.grid
    check_grid(pop.transform, pop.shape, path=getattr(population, "path", None))
    same = (grid.crs is None or pop.crs is None) or grid.crs.equals(pop.crs)
    rows, cols = np.divmod(cells, grid.shape[1])
    if same:
        _people_same_crs(population, pop, grid, rows, cols, out)
    else:
        _people_other_crs(population, pop, grid, cells, out)
    return out


def _people_same_crs(population: BandSource, pop: Grid, grid: Grid, rows: np.ndarray,
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
    values = population.window(i0, i1, j0, j1)

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


def _people_other_crs(population: BandSource, pop: Grid, grid: Grid, cells: np.ndarray,
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
        v, cell, frac = polygon_cells(quads[pos], pos, pop)
        if len(cell):
            pr, pc = np.divmod(cell, pop.shape[1])
            r0, c0 = int(pr.min()), int(pc.min())
            values = population.window(r0, int(pr.max()) + 1, c0, int(pc.max()) + 1)
            val = values[pr - r0, pc - c0]
            good = np.isfinite(val) & (frac > 0)
            total = np.bincount(v, weights=np.where(good, val * frac, 0.0), minlength=len(ucell))
            seen = np.bincount(v, weights=good.astype(np.float64), minlength=len(ucell)) > 0
            people = np.where(seen, total, np.nan)
    out[:] = people[inv]
