"""open_raster / raster_bounds_4326 / check_overlap on tiny hand-made rasters."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from gisapp.errors import MissingCRSError, NoOverlapError, UnreadableFileError
from gisapp.io.raster import check_overlap, open_raster, raster_bounds_4326


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
