"""ZonalIndex agrees with exact per-pixel coverage fractions (issue 7).

Villages of many sizes — slivers thinner than a pixel, polygons smaller than a pixel, and
polygons of hundreds of pixels — on a generated grid. The reference is exactextract's own
public API on a GeoTIFF (not the index's glue), and, for the per-pixel fractions, shapely's
area of each pixel box ∩ polygon. Required (issue 7): within 0.01 in every share for
villages larger than 100 pixels, exact (1e-9) for smaller ones. exactextract itself
returns coverage fractions as float32 (about 3e-8 off), so "exact" is checked against the
pixel-box intersections, and exactextract agreement to its own precision.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from gisapp.analysis.zonal import ZonalIndex

exactextract = pytest.importorskip(
    "exactextract", reason="exactextract (the test extra) is the reference")

UTM = "EPSG:32648"
PX = 10.0                                  # 10 m pixels
ROWS, COLS = 220, 260
T = Affine(PX, 0, 500_000.0, 0, -PX, 2_000_000.0)


def _villages(seed: int = 5) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n = 120
    x0, y0 = T.c, T.f
    w, h = COLS * PX, ROWS * PX
    cx = x0 + rng.uniform(0.1, 0.9, n) * w
    cy = y0 - rng.uniform(0.1, 0.9, n) * h
    # radius 0.2 px … 20 px: areas from ~0.1 px to ~1,200 px
    r = np.exp(rng.uniform(np.log(0.2 * PX), np.log(20 * PX), n))
    k = 12
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    rad = r[:, None] * rng.uniform(0.5, 1.3, (n, k))
    ring = np.stack([cx[:, None] + rad * np.cos(ang), cy[:, None] + rad * np.sin(ang)], axis=-1)
    geoms = list(shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1)))
    # slivers: long thin triangles and boxes narrower than a pixel, off the pixel lines
    for i in range(10):
        bx, by = x0 + 300 + 170 * i + 0.37, y0 - 400 - 90 * i - 0.61
        geoms.append(shapely.Polygon([(bx, by), (bx + 40 + 20 * i, by + 0.3), (bx, by + 0.9)]))
        geoms.append(shapely.box(bx, by - 30, bx + 0.05 * (i + 1), by - 30 + 55))
    # a polygon with a hole, a multipolygon, one pixel exactly, one inside a single pixel
    geoms.append(shapely.Point(x0 + 1800, y0 - 1500).buffer(120).difference(
        shapely.Point(x0 + 1800, y0 - 1500).buffer(50)))
    geoms.append(shapely.MultiPolygon([shapely.box(x0 + 2300, y0 - 2000, x0 + 2333, y0 - 1977),
                                       shapely.box(x0 + 2400.5, y0 - 2000, x0 + 2403, y0 - 1998)]))
    geoms.append(shapely.box(x0 + 100, y0 - 110, x0 + 110, y0 - 100))
    geoms.append(shapely.box(x0 + 201, y0 - 208, x0 + 204, y0 - 202))
    return gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=geoms, crs=UTM)


def _raster(tmp_path: Path, values: np.ndarray) -> Path:
    path = tmp_path / "v.tif"
    with rasterio.open(path, "w", driver="GTiff", width=COLS, height=ROWS, count=1,
                       dtype="float64", crs=UTM, transform=T) as ds:
        ds.write(values, 1)
    return path


@pytest.fixture(scope="module")
def setup():
    v = _villages()
    index = ZonalIndex.build(v, transform=T, shape=(ROWS, COLS), crs=UTM)
    return v, index


def test_fractions_equal_pixel_box_intersections(setup):
    v, index = setup
    # every (village, pixel) pair: fraction = area(pixel ∩ polygon) / pixel area (shapely)
    r, c = np.divmod(index.cell, COLS)
    x0 = T.c + c * PX
    y1 = T.f - r * PX
    boxes = shapely.box(x0, y1 - PX, x0 + PX, y1)
    geoms = np.asarray(v.geometry.array)[index.village]
    want = shapely.area(shapely.intersection(boxes, geoms)) / PX**2
    np.testing.assert_allclose(index.frac, want, rtol=0, atol=1e-9)
    # and no pixel is missing: the fractions add up to each village's area in pixels
    area_px = np.bincount(index.village, weights=index.frac, minlength=len(v))
    np.testing.assert_allclose(area_px, v.area.to_numpy() / PX**2, rtol=1e-9, atol=1e-9)
    # slivers under a pixel are in the index, with fractions < 1
    assert (v.area.to_numpy() < PX**2).sum() > 15
    assert (area_px > 0).all()


def test_shares_and_means_agree_with_exactextract(setup, tmp_path):
    v, index = setup
    rng = np.random.default_rng(11)
    dbm = np.round(rng.uniform(-130, -60, (ROWS, COLS)), 2)
    path = _raster(tmp_path, dbm)
    ee = exactextract.exact_extract(str(path), v, ["mean", "sum"], output="pandas")
    mean = index.mean(dbm)
    total = index.sum(dbm)
    mask = dbm >= -100.0
    share = index.mean(mask.astype(float))
    path2 = tmp_path / "m.tif"
    with rasterio.open(path2, "w", driver="GTiff", width=COLS, height=ROWS, count=1,
                       dtype="float64", crs=UTM, transform=T) as ds:
        ds.write(mask.astype("float64"), 1)
    ee_share = exactextract.exact_extract(str(path2), v, ["mean"], output="pandas")["mean"].to_numpy()
    size_px = v.area.to_numpy() / PX**2
    small = size_px <= 100
    assert small.sum() > 30 and (~small).sum() > 20
    # small villages: equal up to exactextract's float32 coverage fractions (the index's
    # own fractions are exact to 1e-9, see the test above)
    np.testing.assert_allclose(mean[small], ee["mean"].to_numpy()[small], rtol=1e-8, atol=0)
    np.testing.assert_allclose(total[small], ee["sum"].to_numpy()[small], rtol=1e-6, atol=0)
    np.testing.assert_allclose(share[small], ee_share[small], rtol=0, atol=1e-6)
    # within 0.01 in every share for larger ones (the index is in fact exact there too)
    assert np.max(np.abs(share[~small] - ee_share[~small])) <= 0.01
    np.testing.assert_allclose(mean[~small], ee["mean"].to_numpy()[~small], rtol=1e-8, atol=0)


def test_polygons_over_the_grid_edges():
    x0, y0 = T.c, T.f
    w, h = COLS * PX, ROWS * PX
    geoms = [
        shapely.Point(x0 + 3.3, y0 - 500).buffer(47),            # over the left edge
        shapely.Point(x0 + w - 2.1, y0 - 700).buffer(63),        # over the right edge
        shapely.Point(x0 + 900, y0 + 4.4).buffer(38),            # over the top
        shapely.Point(x0 + 1200, y0 - h + 1.7).buffer(52),       # over the bottom
        shapely.box(x0 - 100, y0 - 300, x0 - 10, y0 - 200),      # entirely outside
        shapely.box(x0 - 55.5, y0 - h - 33.3, x0 + w + 71, y0 + 12),   # the whole grid
    ]
    v = gpd.GeoDataFrame(geometry=geoms, crs=UTM)
    index = ZonalIndex.build(v, transform=T, shape=(ROWS, COLS), crs=UTM)
    r, c = np.divmod(index.cell, COLS)
    boxes = shapely.box(x0 + c * PX, y0 - (r + 1) * PX, x0 + (c + 1) * PX, y0 - r * PX)
    want = shapely.area(shapely.intersection(boxes, np.asarray(geoms, dtype=object)[index.village]))
    np.testing.assert_allclose(index.frac, want / PX**2, rtol=0, atol=1e-9)
    grid_box = shapely.box(x0, y0 - h, x0 + w, y0)
    inside = shapely.area(shapely.intersection(np.asarray(geoms, dtype=object), grid_box)) / PX**2
    got = np.bincount(index.village, weights=index.frac, minlength=len(geoms))
    np.testing.assert_allclose(got, inside, rtol=1e-9, atol=1e-9)
    assert (index.village == 4).sum() == 0
    assert (index.village == 5).sum() == ROWS * COLS
