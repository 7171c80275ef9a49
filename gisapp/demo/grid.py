"""The demo's fixed facts and grids: names and dates, CRSs, the DEM and coverage grids.

Every other module of :mod:`gisapp.demo` draws on these; none of them is random.
"""

from __future__ import annotations

import numpy as np
from affine import Affine
from rasterio.features import rasterize
from scipy import ndimage

from gisapp.crs import pixel_index

#: the label every written vector file carries in its ``source`` column
SOURCE = "synthetic demo"
PROVINCE_NAME = "Tỉnh Mây Ngàn (synthetic demo)"
#: carriers of the demo, with their MCC-MNC codes
CARRIERS = {"Viettel": "452-04", "VNPT": "452-02", "MobiFone": "452-01"}
#: declared coverage radius per technology, metres
RADIUS_M = {"2G": 6000.0, "4G": 3500.0}
COVERAGE_DATE = "2025-06-01"
LIST_DATE = "2025-05-15"

WORK_CRS = "EPSG:32648"     # WGS84 / UTM 48N: generation happens here
VN2000_UTM = "EPSG:3405"    # VN-2000 / UTM 48N
WGS84 = "EPSG:4326"

# DEM grid: 600 × 700 pixels of 100 m, top-left corner in WORK_CRS
_X0, _Y0, _RES, _W, _H = 358_000.0, 2_436_000.0, 100.0, 600, 700
_COARSE = 200.0   # coverage / signal grid, metres


def _dem_transform() -> Affine:
    return Affine(_RES, 0.0, _X0, 0.0, -_RES, _Y0)


def _coarse_transform() -> Affine:
    return Affine(_COARSE, 0.0, _X0, 0.0, -_COARSE, _Y0)


def _sample(arr: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Nearest-pixel values of ``arr`` at coordinates ``x``, ``y`` (clipped to the array)."""
    row, col, _ = pixel_index(transform, x, y)
    col = np.clip(col, 0, arr.shape[1] - 1)
    row = np.clip(row, 0, arr.shape[0] - 1)
    return arr[row, col]


def _pixel_centres(transform: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    return x, y


def _distance_m(geoms: list, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Distance in metres from each pixel centre to the nearest of ``geoms``."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.full(shape, 1e9, dtype=np.float64)
    burned = rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform,
                       fill=0, all_touched=True, dtype="uint8")
    return ndimage.distance_transform_edt(burned == 0) * abs(transform.a)
