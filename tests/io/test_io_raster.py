"""open_raster / read_band / RasterBand / write_geotiff / raster_bounds_4326 / check_overlap on
tiny hand-made rasters."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from gisapp.errors import FileTooLargeError, MissingCRSError, NoOverlapError, UnreadableFileError
from gisapp.io.raster import (
    RasterBand, check_overlap, open_raster, raster_bounds_4326, read_band, write_geotiff,
)


def make(path, crs="EPSG:4326"):
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs=crs, transform=from_origin(105.0, 22.0, 0.1, 0.1)) as ds:
        ds.write(np.ones((1, 10, 10), dtype="float32"))
    return path


def test_open_and_bounds(tmp_path):
    with open_raster(make(tmp_path / "r.tif")) as ds:
        assert raster_bounds_4326(ds) == pytest.approx((105.0, 21.0, 106.0, 22.0))
        check_overlap(ds, (105.5, 21.5, 107, 23), role="population")
        with pytest.raises(NoOverlapError, match=r"layer 'population' / file .*r\.tif.*check the"):
            check_overlap(ds, (100, 10, 101, 11), role="population")
    assert ds.closed


def test_no_crs(tmp_path):
    with pytest.raises(MissingCRSError, match=r"nocrs\.tif': the raster has no coordinate"):
        with open_raster(make(tmp_path / "nocrs.tif", crs=None)):
            pass


def test_missing_and_not_a_raster(tmp_path):
    with pytest.raises(UnreadableFileError, match="does not exist"):
        with open_raster(tmp_path / "x.tif"):
            pass
    (tmp_path / "t.tif").write_text("hello")
    with pytest.raises(UnreadableFileError, match=r"t\.tif': not a raster GDAL can read"):
        with open_raster(tmp_path / "t.tif", role="dem"):
            pass


def test_read_band_checks_the_file_like_open_raster(tmp_path):
    # the one reader: a path gets open_raster's checks (CRS, size), with the layer's name
    vals, transform, crs = read_band(make(tmp_path / "r.tif"))
    assert vals.dtype == np.float32 and vals.shape == (10, 10) and crs.to_epsg() == 4326
    with pytest.raises(MissingCRSError, match=r"layer 'dem'.*no coordinate"):
        read_band(make(tmp_path / "nocrs.tif", crs=None), role="dem")
    with pytest.raises(FileTooLargeError, match=r"layer 'dem'.*over the limit"):
        read_band(tmp_path / "r.tif", role="dem", max_mb=1e-6)


def test_raster_band_windows_off_the_raster_are_nan(tmp_path):
    band = RasterBand(make(tmp_path / "r.tif"))
    assert band.grid.shape == (10, 10) and band.grid.crs.to_epsg() == 4326
    win = band.window(-1, 2, 8, 12)
    assert win.shape == (3, 4) and win.dtype == np.float64
    assert np.isnan(win[0]).all() and np.isnan(win[:, 2:]).all()
    assert (win[1:, :2] == 1.0).all()
    assert np.isnan(band.window(20, 22, 0, 3)).all()


def test_write_geotiff_round_trip(tmp_path):
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    values[0, 0] = np.nan
    t = from_origin(500_000.0, 2_000_000.0, 100.0, 100.0)
    path = write_geotiff(tmp_path / "m.tif", values, t, "EPSG:32648", tags={"kind": "modelled"})
    back, bt, bcrs = read_band(path)
    assert back.dtype == np.float32 and bt == t and bcrs.to_epsg() == 32648
    np.testing.assert_array_equal(back, values.astype(np.float32))
    with rasterio.open(path) as ds:
        assert ds.tags()["kind"] == "modelled"
