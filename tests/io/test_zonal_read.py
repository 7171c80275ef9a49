"""read_band keeps float32, turns nodata into NaN, and reads windows (issue 7)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from gisapp.analysis.coverage import centre_signal, centres, raster_coverage
from gisapp.analysis.zonal import ZonalIndex
from gisapp.io.raster import band_window, bounds_in, read_band

UTM = "EPSG:32648"
T = Affine(10, 0, 1000, 0, -10, 5000)          # 10 m pixels, x 1000…, y …5000
ROWS, COLS = 40, 50


def _write(path: Path, arr: np.ndarray, nodata=None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0],
                       count=1, dtype=arr.dtype, crs=UTM, transform=T, nodata=nodata) as ds:
        ds.write(arr, 1)
    return path


@pytest.mark.parametrize("dtype, nodata, want", [
    ("float32", -9999.0, np.float32),
    ("float32", None, np.float32),
    ("int16", -32768, np.float32),
    ("uint8", 255, np.float32),
    ("int32", -1, np.float64),
    ("float64", -9999.0, np.float64),
])
def test_dtype_and_nodata(tmp_path, dtype, nodata, want):
    arr = (np.arange(ROWS * COLS) % 200).reshape(ROWS, COLS).astype(dtype)
    if nodata is not None:
        arr[3, 4] = nodata
    vals, t, crs = read_band(_write(tmp_path / "a.tif", arr, nodata))
    assert vals.dtype == want and t == T and crs.to_epsg() == 32648
    if nodata is not None:
        assert np.isnan(vals[3, 4]) and np.isfinite(vals).sum() == ROWS * COLS - 1
    assert vals[0, 7] == 7.0


def test_float32_nan_nodata(tmp_path):
    arr = np.ones((ROWS, COLS), np.float32)
    arr[0, 0] = np.nan
    vals, _, _ = read_band(_write(tmp_path / "n.tif", arr, np.nan))
    assert vals.dtype == np.float32 and np.isnan(vals[0, 0]) and np.nansum(vals) == ROWS * COLS - 1


def test_window_read_matches_whole_band(tmp_path):
    rng = np.random.default_rng(2)
    arr = rng.uniform(-120, -60, (ROWS, COLS)).astype(np.float32)
    path = _write(tmp_path / "s.tif", arr)
    geoms = [shapely.box(1123, 4712, 1187.5, 4790), shapely.Point(1301, 4650).buffer(22)]
    v = gpd.GeoDataFrame(geometry=geoms, crs=UTM)
    b = bounds_in(v, UTM)
    win_vals, wt, _ = read_band(path, bounds=b)
    full, _, _ = read_band(path)
    with rasterio.open(path) as ds:
        win = band_window(ds, b)
    # the window's pixels are the whole band's, with one pixel of margin
    assert win.col_off == 11 and win.row_off == 20 and win_vals.shape == (win.height, win.width)
    np.testing.assert_array_equal(win_vals, full[win.row_off:win.row_off + win.height,
                                                 win.col_off:win.col_off + win.width])
    assert wt == T @ Affine.translation(win.col_off, win.row_off)
    # statistics on the window equal those on the whole grid
    iw = ZonalIndex.build(v, transform=wt, shape=win_vals.shape, crs=UTM)
    ifull = ZonalIndex.build(v, transform=T, shape=full.shape, crs=UTM)
    np.testing.assert_allclose(iw.mean(win_vals), ifull.mean(full), rtol=0, atol=1e-9)
    c = centres(v)
    a = raster_coverage(iw, win_vals, threshold_dbm=-90.0, centres=c)
    f = raster_coverage(ifull, full, threshold_dbm=-90.0, centres=c)
    np.testing.assert_allclose(a["area_share"], f["area_share"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a["signal_dbm"], f["signal_dbm"], rtol=0, atol=0)
    assert a["signal_dbm"].dtype == "float64"
    np.testing.assert_array_equal(centre_signal(c, full, T), f["signal_dbm"].to_numpy())


def test_window_outside_or_empty(tmp_path):
    path = _write(tmp_path / "o.tif", np.zeros((ROWS, COLS), np.float32))
    vals, _, _ = read_band(path, bounds=(0, 0, 10, 10))         # nowhere near: one pixel
    assert vals.shape == (1, 1)
    empty = gpd.GeoDataFrame(geometry=[None], crs=UTM)
    assert bounds_in(empty, UTM) is None
    vals, t, _ = read_band(path, bounds=None)
    assert vals.shape == (ROWS, COLS) and t == T
