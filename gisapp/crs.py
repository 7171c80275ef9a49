"""Coordinate reference systems: choose a metric CRS, reproject on purpose, refuse nonsense.

Areas and distances are never computed in degrees. The run picks one metric CRS
(:func:`metric_crs`) — the UTM zone of the villages' centre, on WGS84 — unless the
config names one (e.g. VN-2000 / UTM 48N, ``EPSG:3405``), and logs its choice.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import CRS

from gisapp.errors import CRSMismatchError, MissingCRSError

__all__ = ["metric_crs", "to_metric", "check_crs", "pixel_index", "Grid", "window_on", "VN2000_CRS", "utm_epsg",
           "scale_error"]

log = logging.getLogger(__name__)

#: VN-2000 as EPSG codes: geographic, and UTM zones 48N and 49N.
VN2000_CRS = {"geographic": "EPSG:4756", "utm48n": "EPSG:3405", "utm49n": "EPSG:3406"}


def check_crs(gdf: gpd.GeoDataFrame, *, path: object = None, layer: str | None = None) -> CRS:
    """Return the layer's CRS, or raise if it is missing or contradicted by the coordinates.

    Raises
    ------
    MissingCRSError
        The layer has no CRS: say which one it is in the config (``crs = "EPSG:..."``).
    CRSMismatchError
        Geographic CRS but coordinates outside ±180/±90 (projected metres labelled as
        degrees).
    """
    if gdf.crs is None:
        raise MissingCRSError(
            "the layer has no coordinate reference system; add a .prj file or set "
            "crs = \"EPSG:...\" for this layer in the config (e.g. EPSG:4326 for lon/lat, "
            "EPSG:3405 for VN-2000 / UTM 48N)",
            path=path, layer=layer,
        )
    crs = CRS.from_user_input(gdf.crs)
    geoms = gdf.geometry
    nonempty = geoms[~(geoms.isna() | geoms.is_empty)]
    if crs.is_geographic and len(nonempty):
        minx, miny, maxx, maxy = nonempty.total_bounds
        if min(minx, miny) < -180.5 or maxx > 360.5 or maxy > 90.5 or miny < -90.5:
            raise CRSMismatchError(
                f"the layer says its CRS is geographic ({crs.to_string()}) but its coordinates "
                f"reach {minx:.0f}, {miny:.0f} … {maxx:.0f}, {maxy:.0f}, which are not degrees; "
                "set the layer's real projected CRS in the config (crs = \"EPSG:...\")",
                path=path, layer=layer,
            )
    return crs


def metric_crs(gdf: gpd.GeoDataFrame, *, override: str | None = None) -> CRS:
    """A metric CRS for the layer: ``override`` if given, else the UTM zone of its centre.

    The layer's own CRS is kept when it is already projected in metres.
    """
    if override and override != "auto":
        crs = CRS.from_user_input(override)
        if crs.is_geographic:
            raise CRSMismatchError(
                f"the analysis CRS {override} is geographic; choose a projected CRS in metres "
                "(or 'auto' for the UTM zone of the villages)"
            )
        return crs
    own = CRS.from_user_input(gdf.crs)
    if own.is_projected and own.axis_info and own.axis_info[0].unit_name in ("metre", "meter"):
        log.info("analysis CRS: the villages' own %s", own.name)
        return own
    geo = gdf.geometry
    geo = geo[~(geo.isna() | geo.is_empty)]
    minx, miny, maxx, maxy = geo.to_crs(4326).total_bounds
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if not (math.isfinite(lon) and math.isfinite(lat)):
        lon, lat = 0.0, 0.0
    crs = CRS.from_epsg(int(utm_epsg(np.array([lon]), np.array([lat]))[0]))
    log.info("analysis CRS: %s (UTM zone of the villages' centre %.3f, %.3f)", crs.name, lon, lat)
    return crs


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Reproject to the analysis CRS (a copy; the input is never changed)."""
    if gdf.crs is not None and CRS.from_user_input(gdf.crs).equals(crs):
        return gdf.copy()
    return gdf.to_crs(crs)


def pixel_index(
    transform: Affine, x: np.ndarray, y: np.ndarray, *, shape: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row and column of the pixel holding each point, vectorised (the one inverse-affine lookup).

    Parameters
    ----------
    transform
        The grid's affine transform (pixel → CRS coordinates), in the points' CRS.
    x, y
        Point coordinates, same length.
    shape
        ``(rows, cols)`` of the grid; when given, ``ok`` is also False outside it.

    Returns
    -------
    row, col, ok
        ``int64`` floors of the pixel coordinates (``-1`` where a coordinate is not
        finite) and a boolean mask of the points that fall on a pixel.
    """
    inv = ~transform
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    col_f = np.floor(inv.a * x + inv.b * y + inv.c)
    row_f = np.floor(inv.d * x + inv.e * y + inv.f)
    ok = np.isfinite(col_f) & np.isfinite(row_f)
    row = np.where(ok, row_f, -1).astype(np.int64)
    col = np.where(ok, col_f, -1).astype(np.int64)
    if shape is not None:
        rows, cols = shape
        ok &= (row >= 0) & (row < rows) & (col >= 0) & (col < cols)
    return row, col, ok


@dataclass(frozen=True)
class Grid:
    """A raster grid: affine ``transform``, ``shape`` (rows, cols) and ``crs``."""

    transform: Affine
    shape: tuple[int, int]
    crs: CRS | None

    @classmethod
    def of(cls, dataset: Any) -> Grid:
        """The grid of an open raster dataset (anything with ``transform``, ``height``,
        ``width`` and ``crs``)."""
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


# --- distance helpers ---------------------------------------------------------------


def utm_epsg(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """EPSG code of the WGS 84 / UTM zone of each lon/lat (326zz north, 327zz south)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    zone = np.clip(np.floor((np.nan_to_num(lon) + 180.0) / 6.0) + 1, 1, 60).astype(np.int64)
    return np.where(np.nan_to_num(lat) >= 0, 32600, 32700) + zone


def scale_error(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """How far the projected CRS's scale departs from 1 at each lon/lat (0.004 = 0.4 %):
    the relative error of a short distance measured in that CRS (the larger of the
    meridional and parallel scale errors; NaN where PROJ cannot say)."""
    from pyproj import Proj

    f = Proj(crs).get_factors(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float),
                              errcheck=False)
    m = np.abs(np.asarray(f.meridional_scale, dtype=float) - 1.0)
    p = np.abs(np.asarray(f.parallel_scale, dtype=float) - 1.0)
    return np.fmax(m, p)


def window_on(r0: int, r1: int, c0: int, c1: int, shape: tuple[int, int]
              ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """A NaN ``float64`` array for rows r0 … r1-1, columns c0 … c1-1, and the part of that
    window that lies on a band of ``shape`` (``rr0, rr1, cc0, cc1``; None when off it):
    the caller fills ``out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0]`` from the band."""
    out = np.full((max(r1 - r0, 0), max(c1 - c0, 0)), np.nan, dtype=np.float64)
    rr0, rr1 = max(r0, 0), min(r1, shape[0])
    cc0, cc1 = max(c0, 0), min(c1, shape[1])
    return out, ((rr0, rr1, cc0, cc1) if rr0 < rr1 and cc0 < cc1 else None)
