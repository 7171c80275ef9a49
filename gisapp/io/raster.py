"""Open rasters with clear errors; bounds in WGS84; overlap checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import rasterio
from rasterio.warp import transform_bounds

from gisapp.errors import MissingCRSError, NoOverlapError, UnreadableFileError
from gisapp.io.tables import check_file

__all__ = ["open_raster", "raster_bounds_4326", "check_overlap"]


@contextmanager
def open_raster(path: str | Path, *, role: str | None = None,
                max_mb: float | None = None) -> Iterator[rasterio.DatasetReader]:
    """Open a raster for reading (closed on exit).

    Raises
    ------
    UnreadableFileError
        Missing, empty, or not a raster GDAL can read.
    MissingCRSError
        The raster has no CRS.
    """
    p = check_file(path, role=role, max_mb=max_mb)
    try:
        ds = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise UnreadableFileError(
            f"not a raster GDAL can read ({str(exc).strip()}); give a GeoTIFF or another "
            "GDAL raster", path=p, layer=role,
        ) from exc
    with ds:
        if ds.crs is None:
            raise MissingCRSError(
                "the raster has no coordinate reference system; write one into the file "
                "(e.g. gdal_edit.py -a_srs EPSG:4326) or use a GeoTIFF with its CRS",
                path=p, layer=role,
            )
        yield ds


def raster_bounds_4326(ds: rasterio.DatasetReader) -> tuple[float, float, float, float]:
    """The raster's bounds as (west, south, east, north) in EPSG:4326 degrees."""
    return tuple(transform_bounds(ds.crs, "EPSG:4326", *ds.bounds, densify_pts=21))


def check_overlap(ds: rasterio.DatasetReader, bounds_in_ds_crs: Sequence[float], *,
                  role: str | None = None) -> None:
    """Raise if ``bounds_in_ds_crs`` (minx, miny, maxx, maxy in the raster's CRS) misses it.

    Raises
    ------
    NoOverlapError
        The raster and the bounds do not intersect.
    """
    minx, miny, maxx, maxy = bounds_in_ds_crs
    b = ds.bounds
    if minx > b.right or maxx < b.left or miny > b.top or maxy < b.bottom:
        raise NoOverlapError(
            f"the raster covers {b.left:.4f}, {b.bottom:.4f} … {b.right:.4f}, {b.top:.4f} but "
            f"the villages lie in {minx:.4f}, {miny:.4f} … {maxx:.4f}, {maxy:.4f} (in "
            f"{ds.crs.to_string()}); check the raster's area and CRS",
            path=ds.name, layer=role,
        )
