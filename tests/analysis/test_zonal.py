"""Tests for gisapp.analysis.zonal — answers worked out by hand on tiny grids."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling

from gisapp.analysis.zonal import Grid, ZonalIndex
from gisapp.errors import InputError
from gisapp.io.raster import read_band, resample_to

UTM = "EPSG:32648"
# 10 × 10 grid of 1 m pixels, x 0…10, y 0…10 (row 0 at the top, y 9…10)
T = Affine(1, 0, 0, 0, -1, 10)
SHAPE = (10, 10)
COLS = np.tile(np.arange(10.0), (10, 1))      # value = column index


def _villages(*geoms) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=list(geoms), crs=UTM)


def _index(v: gpd.GeoDataFrame) -> ZonalIndex:
    return ZonalIndex.build(v, transform=T, shape=SHAPE, crs=UTM)


def test_partial_pixels_sum_mean_share():
    # box(0.5, 0.5, 3, 2): rows y 1–2 (row 8) and y 0.5–1 (half of row 9).
    #   row 8, cols 0,1,2: fractions 0.5, 1, 1      (x 0.5–1 is half of column 0)
    #   row 9, cols 0,1,2: fractions 0.25, 0.5, 0.5
    # area = 3.75 = 2.5 × 1.5
    # sum of column index: row 8: 0·0.5 + 1·1 + 2·1 = 3; row 9: 0 + 0.5 + 1 = 1.5 → 4.5
    # mean = 4.5 / 3.75 = 1.2
    # share with value ≥ 2 (the mean of a 0/1 grid): column 2 holds 1 + 0.5 = 1.5 of 3.75 → 0.4
    ix = _index(_villages(shapely.box(0.5, 0.5, 3.0, 2.0)))
    assert ix.frac.sum() == pytest.approx(3.75)
    assert ix.sum(COLS)[0] == pytest.approx(4.5)
    assert ix.mean(COLS)[0] == pytest.approx(1.2)
    assert ix.mean((COLS >= 2).astype(float))[0] == pytest.approx(0.4)
    assert ix.valid_fraction(COLS)[0] == 1.0
    # flat values work the same
    assert ix.sum(COLS.ravel())[0] == pytest.approx(4.5)


def test_sliver_smaller_than_a_pixel_gets_its_exact_fraction():
    # 0.1 × 0.1 inside pixel (row 7, col 2): fraction 0.01, value 2 → sum 0.02, mean 2
    ix = _index(_villages(shapely.box(2.2, 2.2, 2.3, 2.3)))
    assert ix.cell.tolist() == [72]
    assert ix.frac[0] == pytest.approx(0.01)
    assert ix.sum(COLS)[0] == pytest.approx(0.02)
    assert ix.mean(COLS)[0] == pytest.approx(2.0)


def test_points_null_empty_and_outside():
    v = _villages(shapely.Point(3.5, 9.5), None, shapely.Polygon(), shapely.box(20, 20, 21, 21),
                  shapely.Point(50, 50))
    ix = _index(v)
    s = ix.sum(COLS)
    assert s[0] == 3.0                    # the point lies in column 3, fraction 1
    assert np.isnan(s[1:]).all()          # null, empty, outside polygon, outside point: NaN
    assert np.isnan(ix.mean((COLS >= 0).astype(float))[1:]).all()
    assert ix.n_villages == 5


def test_nodata_pixels_are_excluded():
    # box(0, 0, 2, 1) covers pixels (row 9, col 0) and (row 9, col 1) fully; column 1 is nodata
    vals = COLS.copy()
    vals[:, 1] = np.nan
    ix = _index(_villages(shapely.box(0, 0, 2, 1), shapely.box(1, 0, 2, 1)))
    assert ix.sum(vals)[0] == 0.0         # only column 0 (value 0) counts
    assert ix.mean(vals)[0] == 0.0
    assert ix.valid_fraction(vals)[0] == pytest.approx(0.5)
    # NaN in a 0/1 mask counts as nodata
    m = np.where(np.isfinite(vals), (vals >= 0).astype(float), np.nan)
    assert ix.mean(m)[0] == 1.0
    m = np.where(np.isfinite(vals), (vals >= 1).astype(float), np.nan)
    assert ix.mean(m)[0] == 0.0
    assert np.isnan(ix.sum(vals)[1]) and np.isnan(ix.mean(m)[1])   # only nodata pixels


def test_villages_reprojected_to_the_grid_crs():
    v = _villages(shapely.box(0.5, 0.5, 3.0, 2.0)).to_crs(4326)
    ix = _index(v)
    assert ix.sum(COLS)[0] == pytest.approx(4.5, rel=1e-6)
    assert v.crs.to_epsg() == 4326        # the caller's frame is not changed


def test_wrong_shape_and_rotated_grid_raise():
    ix = _index(_villages(shapely.box(0, 0, 1, 1)))
    with pytest.raises(InputError, match=r"shape \(5, 5\) but the villages were indexed"):
        ix.sum(np.zeros((5, 5)))
    with pytest.raises(InputError, match="rotated rasters are not supported"):
        ZonalIndex.build(_villages(shapely.box(0, 0, 1, 1)), transform=Affine(1, 0.1, 0, 0, -1, 10),
                         shape=SHAPE, crs=UTM)


def test_empty_villages():
    ix = _index(_villages())
    assert ix.n_villages == 0 and ix.sum(COLS).shape == (0,)


def _write(path: Path, arr: np.ndarray, transform: Affine, nodata=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0],
                       count=1, dtype=arr.dtype, crs=UTM, transform=transform, nodata=nodata) as ds:
        ds.write(arr, 1)
    return path


def test_read_band_population_and_reuse(tmp_path):
    arr = COLS.astype("float32")
    arr[0, 0] = -9999
    path = _write(tmp_path / "v.tif", arr, T, nodata=-9999)
    vals, transform, crs = read_band(path)
    assert np.isnan(vals[0, 0]) and vals[0, 1] == 1.0 and transform == T and crs.to_epsg() == 32648
    v = _villages(shapely.box(0.5, 0.5, 3.0, 2.0), None)
    v.index = ["a", "b"]
    ix = ZonalIndex.build(v, transform=transform, shape=vals.shape, crs=crs)
    pop = ix.sum(vals)
    assert pop[0] == pytest.approx(4.5) and np.isnan(pop[1])
    # one index, a second layer: same answer as a fresh index
    second = COLS ** 2
    fresh = ZonalIndex.build(v, transform=transform, shape=vals.shape, crs=crs)
    np.testing.assert_array_equal(ix.sum(second), fresh.sum(second))
    # row 8: 0 + 1 + 4 = 5; row 9: 0 + 0.5 + 2 = 2.5 → 7.5
    assert ix.sum(second)[0] == pytest.approx(7.5)


def test_resample_sum_conserves_people(tmp_path):
    rng = np.random.default_rng(1)
    people = rng.uniform(0, 100, (100, 100))
    src_t = Affine(10, 0, 500_000, 0, -10, 2_000_000)
    path = _write(tmp_path / "pop.tif", people, src_t)
    # coarser aligned grid: 25 m pixels over the same 1 km extent
    dst_t = Affine(25, 0, 500_000, 0, -25, 2_000_000)
    out = resample_to(path, transform=dst_t, shape=(40, 40), crs=UTM, resampling=Resampling.sum)
    assert np.nansum(out) == pytest.approx(people.sum(), rel=1e-6)
    # read_band onto a grid resamples; onto its own grid it does not
    same, t, _ = read_band(path, grid=Grid(src_t, (100, 100), rasterio.crs.CRS.from_string(UTM)))
    np.testing.assert_array_equal(same, people)
    coarse, t, _ = read_band(path, grid=Grid(dst_t, (40, 40), None), resampling=Resampling.sum)
    assert t == dst_t and np.nansum(coarse) == pytest.approx(people.sum(), rel=1e-6)


REAL = os.environ.get("GISAPP_REAL_DATA")


@pytest.mark.skipif(not REAL, reason="set GISAPP_REAL_DATA to the real test data folder")
def test_son_la_population_from_worldpop():
    exact_extract = pytest.importorskip(
        "exactextract", reason="exactextract (the test extra) is the reference").exact_extract

    communes = gpd.read_file(Path(REAL) / "vietnam/communes_2025_14_son_la.gpkg")
    raster = Path(REAL) / "vietnam/worldpop_2020_1km.tif"
    values, transform, crs = read_band(raster)
    index = ZonalIndex.build(communes, transform=transform, shape=values.shape, crs=crs)
    pop = pd.Series(index.sum(values), index=communes.index)
    assert len(pop) == 75 and pop.notna().all() and (pop > 0).all()
    outline = gpd.GeoDataFrame(geometry=[communes.union_all()], crs=communes.crs)
    province = exact_extract(str(raster), outline, ["sum"], output="pandas")["sum"].iloc[0]
    # the province outline's own sum (exactextract on the union): same people within 1 %
    assert pop.sum() == pytest.approx(province, rel=0.01)
