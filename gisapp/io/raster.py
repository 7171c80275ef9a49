"""All raster file reading and writing: open with clear errors, read bands as floats with NaN
for nodata (whole, a window, or warped onto another grid), bounds in WGS84, overlap checks,
and the GeoTIFF writer.

The analysis never opens a file: it gets arrays with their transform and CRS from
:func:`read_band`, or a band object (:class:`RasterBand`) that reads the windows it asks for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from pyproj import CRS
from rasterio.enums import MaskFlags, Resampling
from rasterio.warp import reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from gisapp.crs import Grid, window_on
from gisapp.errors import MissingCRSError, NoOverlapError, UnreadableFileError
from gisapp.io.tables import check_file

__all__ = [
    "open_raster", "raster_bounds_4326", "check_overlap", "read_band", "read_window",
    "band_window", "bounds_in", "resample_to", "RasterBand", "write_geotiff",
    "write_signal_rasters",
]

PathOrDataset = str | os.PathLike | rasterio.io.DatasetReader


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
            key="raster_unreadable",
        ) from exc
    with ds:
        if ds.crs is None:
            raise MissingCRSError(
                "the raster has no coordinate reference system; write one into the file "
                "(e.g. gdal_edit.py -a_srs EPSG:4326) or use a GeoTIFF with its CRS",
                path=p, layer=role,
                key="raster_no_crs",
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
            key="raster_no_overlap",
        )


# --- reading bands ---------------------------------------------------------------------


@contextmanager
def _dataset(path_or_dataset: PathOrDataset, role: str | None = None,
             max_mb: float | None = None) -> Iterator[rasterio.io.DatasetReader]:
    """An open dataset as given, or the file opened with :func:`open_raster`'s checks."""
    if isinstance(path_or_dataset, (str, os.PathLike)):
        with open_raster(path_or_dataset, role=role, max_mb=max_mb) as ds:
            yield ds
    else:
        yield path_or_dataset


def _masked_to_nan(arr: np.ma.MaskedArray) -> np.ndarray:
    data = np.asarray(arr.data, dtype=np.float64)
    mask = np.ma.getmaskarray(arr)
    if mask.any():
        data[mask] = np.nan
    return data


def _float_dtype(dtype: Any) -> np.dtype:
    """float32 for bands that fit it exactly (float32, 8/16-bit integers), else float64."""
    return np.result_type(np.dtype(dtype), np.float32)


def band_window(ds: rasterio.io.DatasetReader, bounds: tuple[float, float, float, float]) -> Window:
    """The whole-pixel window of ``ds`` covering ``bounds`` (raster CRS), one pixel of
    margin, clipped to the raster; at least one pixel even when nothing overlaps."""
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
    try:
        return tuple(float(x) for x in transform_bounds(src, dst, *b, densify_pts=21))
    except Exception:  # noqa: BLE001 - an odd CRS pair: read the whole band instead
        return None


def read_window(ds: rasterio.io.DatasetReader, band: int, win: Any) -> np.ndarray:
    """One band (or a window of it) of an open dataset as floats with NaN for nodata
    (see :func:`read_band`)."""
    dtype = _float_dtype(ds.dtypes[band - 1])
    values = ds.read(band, window=win, out_dtype=dtype)
    flags = ds.mask_flag_enums[band - 1]
    nodata = ds.nodatavals[band - 1]
    if MaskFlags.nodata in flags and nodata is not None:
        if not np.isnan(nodata):
            # compare in the band's own type so a nodata of -3.4e38 matches exactly
            values[values == np.asarray(nodata).astype(ds.dtypes[band - 1])] = np.nan
    elif MaskFlags.all_valid not in flags:
        values[ds.read_masks(band, window=win) == 0] = np.nan
    return values


def read_band(
    path: PathOrDataset,
    *,
    band: int = 1,
    grid: Grid | None = None,
    resampling: Resampling = Resampling.average,
    bounds: tuple[float, float, float, float] | None = None,
    role: str | None = None,
    max_mb: float | None = None,
) -> tuple[np.ndarray, Affine, CRS | None]:
    """Read one band as floats with NaN for nodata (the one raster reader).

    A path is opened with :func:`open_raster` (missing, empty, too large, unreadable or
    CRS-less files raise, naming the file and ``role``). The band keeps ``float32`` when
    it is ``float32`` or an 8/16-bit integer (exact); ``float64`` otherwise. A national
    1e8-pixel band is 384 MB instead of 768 MB, and no masked array or whole-grid upcast is
    made (statistics cast only the indexed pixels).

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
    role, max_mb
        The layer's name for error messages, and the size limit (see :func:`open_raster`).

    Returns
    -------
    (values, transform, crs)
    """
    with _dataset(path, role, max_mb) as ds:
        own = Grid.of(ds)
        if grid is not None and not own.same_as(grid):
            return (resample_to(ds, transform=grid.transform, shape=grid.shape, crs=grid.crs,
                                resampling=resampling, band=band), grid.transform, grid.crs)
        win = None if bounds is None else band_window(ds, bounds)
        transform = own.transform if win is None else ds.window_transform(win)
        return read_window(ds, band, win), transform, own.crs


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
    with _dataset(path) as ds:
        src = _masked_to_nan(ds.read(band, masked=True))
        dst = np.full((int(shape[0]), int(shape[1])), np.nan, dtype=np.float64)
        reproject(
            source=src, destination=dst,
            src_transform=ds.transform, src_crs=ds.crs, src_nodata=np.nan,
            dst_transform=transform, dst_crs=CRS.from_user_input(crs) if crs else ds.crs,
            dst_nodata=np.nan, resampling=resampling,
        )
        return dst


class RasterBand:
    """One band of a raster file, read a window at a time (for
    :func:`gisapp.analysis.people.people_on_cells`, which reads only the pixels it needs).

    ``grid`` is the file's grid; ``window(r0, r1, c0, c1)`` returns rows r0 … r1-1 and
    columns c0 … c1-1 as ``float64`` (NaN for nodata and for any part off the raster).
    The file is opened with :func:`open_raster`'s checks, once, when first used.
    """

    def __init__(self, path: str | os.PathLike, *, band: int = 1, role: str | None = None,
                 max_mb: float | None = None) -> None:
        self.path, self.band, self.role, self.max_mb = Path(path), band, role, max_mb
        self._grid: Grid | None = None

    @property
    def grid(self) -> Grid:
        if self._grid is None:
            with open_raster(self.path, role=self.role, max_mb=self.max_mb) as ds:
                self._grid = Grid.of(ds)
        return self._grid

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        out, on = window_on(r0, r1, c0, c1, self.grid.shape)
        if on is not None:
            rr0, rr1, cc0, cc1 = on
            with open_raster(self.path, role=self.role, max_mb=self.max_mb) as ds:
                win = Window(cc0, rr0, cc1 - cc0, rr1 - rr0)
                out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = read_window(ds, self.band, win)
        return out


# --- writing ---------------------------------------------------------------------------


def write_geotiff(path: str | os.PathLike, values: np.ndarray, transform: Affine, crs: Any, *,
                  tags: Mapping[str, str] | None = None) -> Path:
    """Write one float32 band as a deflate-compressed GeoTIFF with NaN nodata (and ``tags``)."""
    path = Path(path)
    h, w = values.shape
    with rasterio.open(
        path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float32",
        crs=crs, transform=transform, nodata=np.nan, compress="deflate",
    ) as dst:
        dst.write(values.astype(np.float32), 1)
        if tags:
            dst.update_tags(**tags)
    return path


def write_signal_rasters(result: Mapping[str, Any], out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write each modelled layer (:class:`gisapp.analysis.propagation.ModelledRaster`) as a
    float32 GeoTIFF ``modelled_<key>.tif`` (NaN nodata).

    The file's tags carry ``kind=modelled``, ``method``, ``carrier`` and ``technology`` so
    the pipeline can read it back as a ``SignalRaster`` with ``kind="modelled"``.

    Returns
    -------
    dict
        layer key → path written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, layer in result.items():
        paths[key] = write_geotiff(
            out_dir / f"modelled_{key}.tif", layer.dbm, layer.transform, layer.crs,
            tags={"kind": layer.kind, "method": layer.method, "carrier": layer.carrier,
                  "technology": layer.technology, "units": "dBm"})
    return paths
