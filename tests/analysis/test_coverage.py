"""Tests for gisapp.analysis.coverage — hand-checkable geometries first, real data last."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from gisapp.analysis.coverage import (
    centre_signal, centres, measurement_coverage, polygon_coverage, raster_coverage,
)
from gisapp.analysis.zonal import ZonalIndex
from gisapp.errors import InputError

UTM = "EPSG:32648"


def _gdf(*geoms, crs=UTM) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"k": range(len(geoms))}, geometry=list(geoms), crs=crs)


def _cov(villages, coverage, **kw):
    return polygon_coverage(villages, coverage, centres=centres(villages), **kw)


# --- centres -------------------------------------------------------------------------


def test_centres_points_polygons_null():
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 8, 8))   # centroid in the hole
    v = _gdf(shapely.Point(1, 2), ring, None, shapely.Polygon())
    c = centres(v)
    assert c.iloc[0].equals(shapely.Point(1, 2))
    assert ring.contains(c.iloc[1])
    assert c.iloc[2] is None and c.iloc[3] is None
    assert c.crs == v.crs and c.index.equals(v.index)


# --- polygon coverage ----------------------------------------------------------------


def test_quarter_overlap_inside_disjoint():
    cover = _gdf(shapely.box(0, 0, 100, 100))
    v = _gdf(
        shapely.box(50, 50, 150, 150),    # overlaps a quarter: 50 × 50 of 100 × 100
        shapely.box(10, 10, 20, 20),      # fully inside
        shapely.box(200, 200, 300, 300),  # disjoint
    )
    v.index = ["q", "in", "out"]
    out = _cov(v, cover)
    assert list(out.columns) == ["area_share", "pop_share", "centre"]
    assert out.index.equals(v.index)
    assert out["area_share"].tolist() == pytest.approx([0.25, 1.0, 0.0])
    assert out["pop_share"].tolist() == pytest.approx([0.25, 1.0, 0.0])
    # the representative point of box(50,50,150,150) is (100, 100): on the coverage edge
    assert out["centre"].tolist() == [True, True, False]
    assert out["area_share"].dtype == "float64" and out["centre"].dtype == "boolean"


def test_overlapping_coverage_polygons_are_not_counted_twice():
    cover = _gdf(shapely.box(0, 0, 100, 100), shapely.box(0, 0, 100, 100), shapely.box(50, 0, 150, 100))
    v = _gdf(shapely.box(0, 0, 200, 100))    # covered 150 of 200 → 0.75
    assert _cov(v, cover)["area_share"].iloc[0] == pytest.approx(0.75)


def test_tile_boundary_gives_the_same_share_as_one_big_tile():
    cover = _gdf(shapely.Point(0, 0).buffer(3000), shapely.box(2000, -500, 9000, 500))
    # village straddling the tile edges at x = 0 / y = 0 with tile_m = 1,000 (many cuts)
    v = _gdf(shapely.box(-1500, -1200, 2500, 800), shapely.Point(5, 5).buffer(2999.5))
    small = _cov(v, cover, tile_m=1000.0)
    big = _cov(v, cover, tile_m=1e6)
    exact = shapely.area(shapely.intersection(v.geometry.values, cover.union_all())) / v.area
    np.testing.assert_allclose(small["area_share"], big["area_share"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(small["area_share"], exact, rtol=0, atol=1e-9)


def test_points_null_and_no_coverage():
    cover = _gdf(shapely.box(0, 0, 100, 100))
    v = _gdf(shapely.Point(10, 10), shapely.Point(500, 500), None, shapely.Polygon())
    out = _cov(v, cover)
    assert out["area_share"].iloc[:2].tolist() == [1.0, 0.0]
    assert out["pop_share"].iloc[:2].tolist() == [1.0, 0.0]
    assert out["centre"].iloc[:2].tolist() == [True, False]
    assert out["area_share"].iloc[2:].isna().all() and out["centre"].iloc[2:].isna().all()
    # an empty coverage layer covers nothing
    none = _cov(v, cover.iloc[:0])
    assert none["area_share"].iloc[:2].tolist() == [0.0, 0.0]
    # empty villages in, empty frame with all columns out
    empty = _cov(v.iloc[:0], cover)
    assert list(empty.columns) == ["area_share", "pop_share", "centre"] and len(empty) == 0


def test_invalid_coverage_is_repaired():
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])   # two triangles
    v = _gdf(shapely.box(0, 0, 100, 100))
    assert _cov(v, _gdf(bowtie))["area_share"].iloc[0] == pytest.approx(0.5)


def test_crs_mismatch_raises():
    v = _gdf(shapely.box(0, 0, 1, 1))
    with pytest.raises(InputError, match="layer 'coverage': the layer is in WGS 84 / UTM zone 49N"):
        _cov(v, _gdf(shapely.box(0, 0, 1, 1), crs="EPSG:32649"))
    with pytest.raises(InputError, match="not a projected CRS in metres"):
        _cov(_gdf(shapely.box(0, 0, 1, 1), crs=4326), _gdf(shapely.box(0, 0, 1, 1), crs=4326))
    with pytest.raises(InputError, match="has no coordinate reference system"):
        _cov(v, _gdf(shapely.box(0, 0, 1, 1), crs=None))


def test_input_frames_are_not_changed():
    cover = _gdf(shapely.box(0, 0, 100, 100))
    v = _gdf(shapely.box(50, 50, 150, 150))
    before_v, before_c = v.copy(), cover.copy()
    _cov(v, cover)
    pd.testing.assert_frame_equal(v, before_v)
    pd.testing.assert_frame_equal(cover, before_c)


def test_population_weighted_share():
    # pop grid: 10 m pixels over x 0…40, y 0…10 (one row of 4 pixels), people 1, 1, 6, 2
    t = Affine(10, 0, 0, 0, -10, 10)
    people = np.array([[1.0, 1.0, 6.0, 2.0]])
    village = _gdf(shapely.box(0, 0, 40, 10))
    ix = ZonalIndex.build(village, transform=t, shape=(1, 4), crs=UTM)
    # coverage over x 15…30: half of pixel 1 (0.5 people), all of pixel 2 (6) → 6.5 / 10
    cover = _gdf(shapely.box(15, -5, 30, 15))
    out = _cov(village, cover, pop_index=ix, pop_values=people)
    assert out["area_share"].iloc[0] == pytest.approx(15 / 40)
    assert out["pop_share"].iloc[0] == pytest.approx(0.65)
    with pytest.raises(InputError, match="pass both pop_index and pop_values"):
        _cov(village, cover, pop_index=ix)


@settings(max_examples=40, deadline=None)
@given(
    boxes=st.lists(st.tuples(st.floats(-5000, 5000), st.floats(-5000, 5000),
                             st.floats(1, 4000), st.floats(1, 4000)), min_size=1, max_size=6),
    covers=st.lists(st.tuples(st.floats(-5000, 5000), st.floats(-5000, 5000),
                              st.floats(1, 4000), st.floats(1, 4000)), min_size=0, max_size=5),
    tile=st.sampled_from([700.0, 2500.0, 10_000.0]),
)
def test_property_shares_match_shapely(boxes, covers, tile):
    v = _gdf(*[shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes])
    c = _gdf(*[shapely.box(x, y, x + w, y + h) for x, y, w, h in covers])
    out = _cov(v, c, tile_m=tile)
    share = out["area_share"].to_numpy()
    assert len(out) == len(v) and ((share >= 0) & (share <= 1)).all()
    union = c.union_all() if len(c) else shapely.Polygon()
    exact = shapely.area(shapely.intersection(v.geometry.values, union)) / v.area.to_numpy()
    np.testing.assert_allclose(share, exact, rtol=0, atol=1e-9)


# --- raster coverage -----------------------------------------------------------------

T = Affine(1, 0, 0, 0, -1, 10)
COLS = np.tile(np.arange(10.0), (10, 1))
DBM = -120.0 + 5 * COLS          # column 0: −120 dBm … column 9: −75 dBm


def test_raster_coverage_threshold_share_and_centre():
    # village box(0.5, 0.5, 3, 2): columns 0,1,2 with area 0.75, 1.5, 1.5 (of 3.75)
    # −110 dBm threshold: columns ≥ 2 → share 1.5 / 3.75 = 0.4; −115: columns ≥ 1 → 0.8
    v = _gdf(shapely.box(0.5, 0.5, 3.0, 2.0), shapely.Point(8.5, 5.5), None, shapely.Point(50, 5))
    v.index = ["a", "b", "c", "d"]
    ix = ZonalIndex.build(v, transform=T, shape=(10, 10), crs=UTM)
    c = centres(v)
    out = raster_coverage(ix, DBM, threshold_dbm=-110, centres=c)
    assert out.index.equals(v.index)
    assert out["area_share"].iloc[:2].tolist() == pytest.approx([0.4, 1.0])
    assert np.isnan(out["area_share"].iloc[2:]).all()
    # centre of the box is (1.75, 1.25): column 1 → −115 dBm, not covered
    assert out["signal_dbm"].iloc[:2].tolist() == [-115.0, -80.0]
    assert out["centre"].tolist()[:2] == [False, True]
    assert out["centre"].iloc[2:].isna().all()    # null geometry; point outside the raster
    again = raster_coverage(ix, DBM, threshold_dbm=-115, centres=c,
                            signal_dbm=centre_signal(c, DBM, T))
    assert again["area_share"].iloc[0] == pytest.approx(0.8)
    assert again["centre"].iloc[0]


def test_raster_coverage_nodata_and_population():
    v = _gdf(shapely.box(0, 0, 4, 1))           # row 9, columns 0–3, full pixels
    ix = ZonalIndex.build(v, transform=T, shape=(10, 10), crs=UTM)
    dbm = DBM.copy()
    dbm[9, 0] = np.nan                           # nodata: left out of both sides
    people = np.zeros((10, 10))
    people[9, :4] = [5, 1, 1, 2]
    out = raster_coverage(ix, dbm, threshold_dbm=-110, centres=centres(v), pop_weights=people)
    # valid columns 1, 2, 3 (−115, −110, −105): covered 2 of 3
    assert out["area_share"].iloc[0] == pytest.approx(2 / 3)
    # people on valid pixels: 1 + 1 + 2 = 4, covered 1 + 2 = 3
    assert out["pop_share"].iloc[0] == pytest.approx(0.75)


def test_index_reused_for_a_second_layer_matches_a_fresh_one():
    rng = np.random.default_rng(3)
    v = _gdf(*[shapely.box(x, y, x + 2.3, y + 1.7) for x, y in rng.uniform(0, 7, (20, 2))])
    ix = ZonalIndex.build(v, transform=T, shape=(10, 10), crs=UTM)
    first = raster_coverage(ix, DBM, threshold_dbm=-100, centres=centres(v))
    layer2 = rng.uniform(-130, -70, (10, 10))
    reused = raster_coverage(ix, layer2, threshold_dbm=-100, centres=centres(v))
    fresh = raster_coverage(ZonalIndex.build(v, transform=T, shape=(10, 10), crs=UTM), layer2,
                            threshold_dbm=-100, centres=centres(v))
    pd.testing.assert_frame_equal(reused, fresh)
    assert not first.equals(reused)


# --- measurements --------------------------------------------------------------------


def test_measurement_coverage():
    v = _gdf(shapely.box(0, 0, 1000, 1000), shapely.Point(5000, 5000), shapely.box(9000, 9000, 9100, 9100))
    pts = gpd.GeoDataFrame(
        {"rsrp": [-100.0, -120.0, -90.0, np.nan, -105.0, -130.0]},
        geometry=shapely.points([(100, 100), (900, 900), (520, 480), (500, 500), (5100, 5000), (5300, 5000)]),
        crs=UTM,
    )
    out = measurement_coverage(v, pts, centres=centres(v), threshold_dbm=-110, radius_m=200,
                               signal_col="rsrp")
    # village 0: inside are −100, −120, −90 (NaN ignored) → 2 of 3 ≥ −110; centre (500, 500):
    # within 200 m only −90 (at 28 m) → covered
    assert out["area_share"].iloc[0] == pytest.approx(2 / 3)
    assert out["signal_dbm"].iloc[0] == -90.0 and out["centre"].iloc[0]
    # point village: within 200 m only −105 (100 m away; −130 is 300 m) → share 1, centre True
    assert out["area_share"].iloc[1] == 1.0 and out["signal_dbm"].iloc[1] == -105.0
    # village 2: no measurement → NaN / NA
    assert np.isnan(out["area_share"].iloc[2]) and pd.isna(out["centre"].iloc[2])
    assert out["pop_share"].equals(out["area_share"])
    with pytest.raises(InputError, match="no column 'dbm' with the signal in dBm"):
        measurement_coverage(v, pts, centres=centres(v), threshold_dbm=-110, radius_m=200,
                             signal_col="dbm")


# --- real data -----------------------------------------------------------------------

REAL = os.environ.get("GISAPP_REAL_DATA")


@pytest.mark.skipif(not REAL, reason="set GISAPP_REAL_DATA to the real test data folder")
def test_ibiza_school_centres_match_brute_force():
    folder = Path(REAL) / "ibiza"
    poi = pd.read_csv(folder / "points-of-interest.csv")
    schools = gpd.GeoDataFrame(poi[["poi_id"]], geometry=gpd.points_from_xy(poi["lon"], poi["lat"]),
                               crs=4326).to_crs(32631)
    coverage = gpd.read_file(folder / "mobile-coverage.gpkg").to_crs(32631)
    c = centres(schools)
    assert len(coverage["layer"].unique()) == 4
    for key, layer in coverage.groupby("layer"):
        out = polygon_coverage(schools, layer, centres=c)
        brute = [any(poly.intersects(pt) for poly in layer.geometry) for pt in schools.geometry]
        assert out["centre"].tolist() == brute, key
        assert out["area_share"].tolist() == [float(b) for b in brute]


@pytest.mark.skipif(not REAL, reason="set GISAPP_REAL_DATA to the real test data folder")
def test_ibiza_school_areas_match_shapely_exact_ratio():
    # 1.5 km discs around the schools as polygon villages, against the largest real layer
    folder = Path(REAL) / "ibiza"
    poi = pd.read_csv(folder / "points-of-interest.csv")
    schools = gpd.GeoDataFrame(geometry=gpd.points_from_xy(poi["lon"], poi["lat"]), crs=4326)
    areas = gpd.GeoDataFrame(geometry=schools.to_crs(32631).buffer(1500), crs=32631)
    coverage = gpd.read_file(folder / "mobile-coverage.gpkg").to_crs(32631)
    layer = coverage[coverage["layer"] == coverage["layer"].value_counts().index[0]]
    out = polygon_coverage(areas, layer, centres=centres(areas), tile_m=5000.0)
    union = shapely.union_all(shapely.make_valid(layer.geometry.values))
    exact = shapely.area(shapely.intersection(areas.geometry.values, union)) / areas.area.to_numpy()
    np.testing.assert_allclose(out["area_share"], exact, rtol=0, atol=1e-9)
    assert 0 < out["area_share"].mean() < 1
