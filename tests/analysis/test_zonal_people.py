"""People on the pixels of another grid (``zonal.people_on_cells``): the population weights
of signal rasters, computed for the pixels villages touch without a whole warped grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling

from gisapp.analysis.people import ArrayBand
from gisapp.analysis.zonal import Grid, people_on_cells
from gisapp.io.raster import RasterBand, read_band, resample_to

UTM = rasterio.crs.CRS.from_epsg(32648)


def _write(path: Path, arr: np.ndarray, transform: Affine, crs=UTM, nodata=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0],
                       count=1, dtype=arr.dtype, crs=crs, transform=transform,
                       nodata=nodata) as ds:
        ds.write(arr, 1)
    return path


def _brute_force(people: np.ndarray, src: Affine, dst: Affine, cells: np.ndarray,
                 cols: int) -> np.ndarray:
    """Σ people(q) · area(p ∩ q) / area(q) with shapely boxes: the definition."""
    out = []
    area_q = abs(src.a * src.e)
    for cell in cells:
        r, c = divmod(int(cell), cols)
        x0, y1 = dst @ (c, r)
        x1, y0 = dst @ (c + 1, r + 1)
        p = shapely.box(x0, y0, x1, y1)
        total, seen = 0.0, False
        for i in range(people.shape[0]):
            for j in range(people.shape[1]):
                qx0, qy1 = src @ (j, i)
                qx1, qy0 = src @ (j + 1, i + 1)
                a = p.intersection(shapely.box(qx0, qy0, qx1, qy1)).area
                if a > 0 and np.isfinite(people[i, j]):
                    total += people[i, j] * a / area_q
                    seen = True
        out.append(total if seen else np.nan)
    return np.array(out)


@pytest.mark.parametrize("dst", [
    Affine(7.0, 0, 500_003.0, 0, -7.0, 2_000_096.5),     # finer, not aligned
    Affine(23.0, 0, 499_990.0, 0, -17.0, 2_000_011.0),   # coarser, not square, over the edge
    Affine(2.5, 0, 500_020.0, 0, -2.5, 2_000_000.0),     # aligned, 4 × 4 per source pixel
])
def test_same_crs_is_the_exact_area_weighted_sum(tmp_path, dst):
    rng = np.random.default_rng(3)
    people = rng.uniform(0, 50, (8, 9))
    people[2, 3] = np.nan                                 # nodata inside
    src = Affine(10.0, 0, 500_000.0, 0, -10.0, 2_000_080.0)
    path = _write(tmp_path / "pop.tif", people.astype("float32"), src, nodata=np.nan)
    grid = Grid(dst, (14, 15), UTM)
    cells = np.arange(14 * 15)
    got = people_on_cells(RasterBand(path), grid, cells)
    want = _brute_force(people.astype("float32").astype(float), src, dst, cells, 15)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_aligned_grid_agrees_with_gdal_sum_warp(tmp_path):
    # a 500 m population raster under a 100 m signal grid (the national benchmark's layout)
    rng = np.random.default_rng(5)
    people = rng.uniform(0, 900, (12, 16)).astype("float32")
    src = Affine(500.0, 0, 400_000.0, 0, -500.0, 2_300_000.0)
    path = _write(tmp_path / "pop.tif", people, src)
    dst = Affine(100.0, 0, 400_000.0, 0, -100.0, 2_300_000.0)
    grid = Grid(dst, (60, 80), UTM)
    warped = resample_to(path, transform=dst, shape=grid.shape, crs=UTM,
                         resampling=Resampling.sum)
    got = people_on_cells(RasterBand(path), grid, np.arange(60 * 80)).reshape(60, 80)
    np.testing.assert_allclose(got, warped, rtol=1e-5)
    np.testing.assert_allclose(got, np.kron(people.astype(float), np.ones((5, 5))) / 25,
                               rtol=1e-12)
    assert got.sum() == pytest.approx(float(people.astype(float).sum()), rel=1e-12)


def test_any_subset_of_cells_gives_the_same_values(tmp_path):
    # what lets a Dask worker compute its partition's pixels alone
    rng = np.random.default_rng(7)
    people = rng.uniform(0, 50, (30, 40)).astype("float32")
    src = Affine(30.0, 0, 600_000.0, 0, -30.0, 1_500_000.0)
    path = _write(tmp_path / "pop.tif", people, src)
    grid = Grid(Affine(11.0, 0, 600_004.0, 0, -11.0, 1_499_990.0), (100, 100), UTM)
    everything = people_on_cells(RasterBand(path), grid, np.arange(10_000))
    some = rng.choice(10_000, 300)
    np.testing.assert_array_equal(people_on_cells(RasterBand(path), grid, some), everything[some])
    # a band held in memory gives the same values as the file read by windows
    values, transform, crs = read_band(path)
    in_memory = ArrayBand(values, Grid(transform, values.shape, crs))
    np.testing.assert_array_equal(people_on_cells(in_memory, grid, np.arange(10_000)), everything)


def test_off_the_raster_and_all_nodata_are_nan(tmp_path):
    people = np.full((4, 4), -1.0, dtype="float32")
    people[0, 0] = 10.0
    src = Affine(10.0, 0, 0.0, 0, -10.0, 40.0)
    path = _write(tmp_path / "pop.tif", people, src, nodata=-1.0)
    grid = Grid(Affine(10.0, 0, -20.0, 0, -10.0, 40.0), (4, 8), UTM)
    got = people_on_cells(RasterBand(path), grid, np.array([0, 2, 3, 5]))
    # cell 0: x −20…−10 (off the raster); 2: x 0…10, row 0 → the one valid pixel;
    # 3: x 10…20 (nodata); 5: x 30…40 (nodata)
    assert np.isnan(got[0]) and got[1] == 10.0 and np.isnan(got[2]) and np.isnan(got[3])
    assert people_on_cells(RasterBand(path), grid, np.array([], dtype=np.int64)).shape == (0,)


def test_other_crs_is_the_area_weighted_sum_on_the_ellipsoid(tmp_path):
    # a uniform 100 people/km² on a lon/lat grid (people per pixel follow each pixel's
    # ground area on the WGS 84 ellipsoid); under a UTM grid every 100 m pixel must get
    # 100/km² × its own ground area (UTM is not equal-area: ≈ 1.0006 × 1 ha here)
    from pyproj import Geod, Transformer

    geod = Geod(ellps="WGS84")
    step = 3 / 3600
    lat_top = 21.0 - np.arange(200) * step
    area_km2 = np.array([abs(geod.polygon_area_perimeter(
        [104.0, 104.0 + step, 104.0 + step, 104.0], [la, la, la - step, la - step])[0]) / 1e6
        for la in lat_top])
    people = np.repeat((100.0 * area_km2)[:, None], 200, axis=1)
    src = Affine(step, 0, 104.0, 0, -step, 21.0)
    path = _write(tmp_path / "pop.tif", people, src, crs=rasterio.crs.CRS.from_epsg(4326))
    # a UTM grid inside that raster (104.05°E, 20.95°N is x 401,231, y 2,316,907)
    t = Affine(100.0, 0, 401_000.0, 0, -100.0, 2_317_000.0)
    grid = Grid(t, (20, 20), UTM)
    got = people_on_cells(RasterBand(path), grid, np.arange(400))
    to_ll = Transformer.from_crs(32648, 4326, always_xy=True)
    want = []
    for cell in range(400):
        r, c = divmod(cell, 20)
        xs = t.c + np.array([c, c + 1, c + 1, c]) * 100.0
        ys = t.f - np.array([r, r, r + 1, r + 1]) * 100.0
        lon, lat = to_ll.transform(xs, ys)
        want.append(100.0 * abs(geod.polygon_area_perimeter(lon, lat)[0]) / 1e6)
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert np.mean(want) == pytest.approx(1.0006, abs=2e-4)
    # any subset gives the same values (to rounding: the fractions are computed per pixel)
    some = np.array([399, 5, 17, 5])
    np.testing.assert_allclose(people_on_cells(RasterBand(path), grid, some), got[some], rtol=1e-12)
