"""Exact zonal statistics with the villages indexed once per raster grid.

Indexing (finding which pixels each village covers, and by how much) is the slow,
geometric part of raster statistics; summing values is cheap. :class:`ZonalIndex`
does the geometric part once per grid and keeps the answer as three flat arrays
(village position, flat cell index, coverage fraction), so every further layer on the
same grid (another carrier × technology, another threshold) is a handful of
``numpy.bincount`` calls.

Coverage fractions are exact — the share of each pixel's area that lies inside the
polygon, computed in numpy from the rings (:func:`~gisapp.analysis.fractions.polygon_cells`,
float64; it agrees with exactextract to exactextract's float32 precision) — not "pixel
centre in polygon", so a village smaller than a pixel still gets its share. Points get the
pixel containing them with fraction 1. Null, empty and non-areal/non-point geometries get no
cells, so every statistic for them is NaN (never an exception).

Values are float arrays on the grid (2-D, or flat in row-major order) with NaN for
nodata; :func:`gisapp.io.raster.read_band` produces them from a file (``float32`` bands
stay ``float32``; statistics cast only the indexed pixels to ``float64``). This module
opens no file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from gisapp.analysis.fractions import check_grid, point_cells, polygon_cells
from gisapp.analysis.people import ArrayBand, people_on_cells
from gisapp.crs import Grid, check_crs
from gisapp.errors import InputError
from gisapp.progress import Progress

__all__ = ["Grid", "ZonalIndex", "ArrayBand", "people_on_cells"]

log = logging.getLogger(__name__)


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
        check_grid(transform, shape)
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
            pv, pc, pf = polygon_cells(arr[poly_pos], poly_pos, grid, progress)
            keep = pf > 0
            parts_v.append(pv[keep])
            parts_c.append(pc[keep])
            parts_f.append(pf[keep])
        pt_pos = np.flatnonzero(is_point)
        if len(pt_pos):
            pts, owner = shapely.get_parts(arr[pt_pos], return_index=True)
            cell, ok = point_cells(shapely.get_x(pts), shapely.get_y(pts), grid)
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
                f"shape {tuple(self.shape)}; resample the raster to that grid "
                "(gisapp.io.raster.resample_to)"
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

    def valid_fraction(self, values: np.ndarray) -> np.ndarray:
        """Share of each village's indexed area whose pixels hold data (NaN without pixels)."""
        v = self._gather(values)
        ok = np.isfinite(v.astype(np.float64, copy=False))
        area = self._bincount(self.frac)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(area > 0, self._bincount(np.where(ok, self.frac, 0.0)) / area, np.nan)

