"""Digital elevation models as users have them: one GeoTIFF in any CRS, or a folder of tiles.

* :func:`read_dem` — a GeoTIFF (any CRS, any nodata), or a folder of SRTM / Copernicus DEM
  tiles (``*.tif``, ``*.hgt``, ``*.dt2`` …) mosaicked on the fly with
  :func:`rasterio.merge.merge`, optionally only over ``bounds_4326``. Returns a
  :class:`Dem`: heights in metres (float32, NaN nodata), transform, CRS and the resolution
  in metres (reported in the run's log and report).
* :func:`dem_on_grid` — the DEM resampled (bilinear) onto a metric grid, for radial profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.merge import merge
from rasterio.warp import Resampling, reproject, transform_bounds

from gisapp.errors import InputError, UnreadableFileError

__all__ = ["Dem", "read_dem", "dem_on_grid", "dem_footprint", "metric_ground", "TILE_SUFFIXES"]

#: file endings of DEM tiles in a folder (SRTM .hgt, DTED .dt1/.dt2, GeoTIFF)
TILE_SUFFIXES = (".tif", ".tiff", ".hgt", ".dt1", ".dt2", ".img")


@dataclass(frozen=True)
class Dem:
    """Ground heights (m): float32 array (NaN = nodata), its grid and resolution."""

    values: np.ndarray
    transform: Affine
    crs: Any
    resolution_m: float
    source: str
    tiles: int = 1


def _resolution_m(transform: Affine, crs: Any, shape: tuple[int, int]) -> float:
    """Pixel size in metres (degrees converted at the raster's middle latitude)."""
    if crs is not None and rasterio.crs.CRS.from_user_input(crs).is_geographic:
        lat = transform.f + transform.e * shape[0] / 2.0
        east = abs(transform.a) * 111_195.0 * math.cos(math.radians(lat))
        return float((east + abs(transform.e) * 111_195.0) / 2.0)
    return float(min(abs(transform.a), abs(transform.e)))


def _tiles(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in TILE_SUFFIXES)


def read_dem(path: str | Path, *, bounds_4326: tuple[float, float, float, float] | None = None
             ) -> Dem:
    """Read a DEM GeoTIFF, or mosaic a folder of tiles (only over ``bounds_4326`` if given).

    Raises
    ------
    UnreadableFileError
        The file or folder does not exist, holds no tile, or cannot be read as a raster.
    InputError
        The DEM has no CRS.
    """
    path = Path(path)
    if not path.exists():
        raise UnreadableFileError("the DEM does not exist; check the path of dem in [towers] "
                                  "or [dem]", path=path, layer="dem")
    files = _tiles(path) if path.is_dir() else [path]
    if not files:
        raise UnreadableFileError("the DEM folder holds no tile (" + ", ".join(TILE_SUFFIXES)
                                  + "); put the SRTM or Copernicus tiles there", path=path,
                                  layer="dem")
    try:
        sources = [rasterio.open(f) for f in files]
    except rasterio.errors.RasterioIOError as e:
        raise UnreadableFileError(f"cannot read it as a raster ({e})", path=path,
                                  layer="dem") from e
    try:
        crs = sources[0].crs
        if crs is None:
            raise InputError("the DEM has no coordinate reference system; save it as a "
                             "GeoTIFF with its CRS", path=files[0], layer="dem")
        if bounds_4326 is not None and len(sources) > 1:
            b = transform_bounds("EPSG:4326", crs, *bounds_4326)
            keep = [s for s in sources if not (s.bounds.right < b[0] or s.bounds.left > b[2]
                                               or s.bounds.top < b[1] or s.bounds.bottom > b[3])]
            sources = keep or sources
        if len(sources) == 1 and not path.is_dir():
            src = sources[0]
            arr = src.read(1, masked=True).astype(np.float32).filled(np.nan)
            transform = src.transform
        else:
            mosaic, transform = merge(sources, nodata=np.nan, dtype="float32")
            arr = mosaic[0].astype(np.float32)
        nd = sources[0].nodata
        if nd is not None and np.isfinite(nd):
            arr[arr == nd] = np.nan
        arr[arr < -1000] = np.nan        # SRTM voids (−32768) without a declared nodata
        return Dem(arr, transform, crs, _resolution_m(transform, crs, arr.shape), str(path),
                   len(sources))
    finally:
        for s in sources:
            s.close()


def dem_on_grid(dem: Dem, transform: Affine, shape: tuple[int, int], crs: Any) -> np.ndarray:
    """The DEM on a metric grid (bilinear), NaN where it has no data."""
    if tuple(dem.values.shape) == tuple(shape) and dem.transform.almost_equals(transform) \
            and rasterio.crs.CRS.from_user_input(dem.crs) == rasterio.crs.CRS.from_user_input(crs):
        return dem.values
    out = np.full(shape, np.nan, dtype=np.float32)
    reproject(dem.values, out, src_transform=dem.transform, src_crs=dem.crs,
              dst_transform=transform, dst_crs=crs, resampling=Resampling.bilinear,
              src_nodata=np.nan, dst_nodata=np.nan)
    return out


def dem_footprint(dem: Dem, crs: Any) -> Any:
    """The DEM's extent as a shapely polygon in ``crs`` (edges densified)."""
    import shapely
    from pyproj import Transformer

    h, w = dem.values.shape
    left, top = dem.transform @ (0, 0)
    right, bottom = dem.transform @ (w, h)
    ring = shapely.segmentize(shapely.box(min(left, right), min(top, bottom),
                                          max(left, right), max(top, bottom)),
                              max(abs(right - left), abs(top - bottom)) / 64.0)
    tr = Transformer.from_crs(dem.crs, crs, always_xy=True)
    xy = np.asarray(ring.exterior.coords)
    x, y = tr.transform(xy[:, 0], xy[:, 1])
    return shapely.Polygon(np.column_stack([x, y]))


def metric_ground(dem: Dem, crs: Any, bounds: tuple[float, float, float, float]
                  ) -> tuple[np.ndarray, Affine]:
    """The DEM over ``bounds`` (in the metric ``crs``) at its own resolution: as it is when
    it is already in that CRS, else resampled bilinearly."""
    res = dem.resolution_m
    if rasterio.crs.CRS.from_user_input(dem.crs) == rasterio.crs.CRS.from_user_input(crs):
        return dem.values, dem.transform
    x0 = math.floor(bounds[0] / res) * res
    y1 = math.ceil(bounds[3] / res) * res
    w = int(math.ceil((bounds[2] - x0) / res))
    h = int(math.ceil((y1 - bounds[1]) / res))
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)
    return dem_on_grid(dem, transform, (h, w), crs), transform
