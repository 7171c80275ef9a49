"""Distances and counts to infrastructure on hand-built geometry (EPSG:32648, metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from gisapp import schema
from gisapp.analysis.infrastructure import count_within, distance_to, fibre_reached, nearest_by_group
from gisapp.errors import InputError, MissingCRSError

CRS = "EPSG:32648"


def gs(geoms, index=None):
    return gpd.GeoSeries(geoms, crs=CRS, index=index)


@pytest.fixture()
def villages():
    return gs(
        [Point(0, 300), box(-10, -10, 10, 10), None, Point(50, 50), Point()],
        index=["p300", "inside", "null", "p50", "empty"],
    )


def test_distance_to_line_point_and_polygon(villages):
    line = gs([LineString([(-100, 0), (100, 0)])])
    d = distance_to(villages, line)
    assert d.index.equals(villages.index)
    assert d["p300"] == 300.0
    assert d["inside"] == 0.0            # the line crosses the polygon
    assert d["p50"] == 50.0
    assert np.isnan(d["null"]) and np.isnan(d["empty"])


def test_distance_from_polygon_edge_not_centre():
    village = gs([box(0, 0, 100, 100)])
    d = distance_to(village, gs([Point(400, 50)]))
    assert d.iloc[0] == 300.0          # from the edge x=100, not the centre x=50


def test_distance_to_max_distance(villages):
    line = gs([LineString([(-100, 0), (100, 0)])])
    d = distance_to(villages, line, max_distance=100.0)
    assert np.isnan(d["p300"]) and d["p50"] == 50.0


def test_ties_give_one_value_per_village():
    village = gs([Point(0, 0), Point(5, 0)], index=[7, 7])   # even a repeated index label
    towers = gs([Point(100, 0), Point(-100, 0), Point(0, 100), Point(0, -100)])
    d = distance_to(village, towers)
    assert len(d) == 2
    assert d.tolist() == [100.0, 95.0]


def test_empty_feature_layer_gives_nan(villages):
    d = distance_to(villages, gs([]))
    assert len(d) == len(villages) and d.isna().all()
    d = distance_to(villages, gs([None]))
    assert d.isna().all()


def test_empty_villages():
    d = distance_to(gs([]), gs([Point(0, 0)]))
    assert d.empty and d.dtype == float


def test_crs_checks(villages):
    line = gs([LineString([(0, 0), (1, 0)])])
    with pytest.raises(InputError, match=r"are in different CRSs; reproject both"):
        distance_to(villages, line.to_crs("EPSG:32649"), what="grid")
    with pytest.raises(InputError, match=r"^layer 'grid': the grid are in a geographic CRS"):
        distance_to(villages.to_crs(4326), line.to_crs(4326), what="grid")
    with pytest.raises(MissingCRSError, match=r"have no CRS"):
        distance_to(villages.set_crs(None, allow_override=True), line)
    with pytest.raises(InputError, match=r"units of 'US survey foot'"):
        distance_to(villages.to_crs(2263), line.to_crs(2263))


def test_input_not_mutated(villages):
    frame = gpd.GeoDataFrame({"a": range(5)}, geometry=villages)
    before = frame.copy()
    distance_to(frame, gs([Point(0, 0)]))
    pd.testing.assert_frame_equal(frame, before)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000)), min_size=1, max_size=12),
    st.lists(
        st.tuples(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(-300, 300),
                  st.integers(-300, 300)),
        min_size=1, max_size=8,
    ),
    st.lists(st.integers(0, 200), min_size=1, max_size=12),
)
def test_distance_equals_distance_to_union(pts, lines, sizes):
    # villages: boxes or points; features: segments (possibly degenerate → points)
    geoms = []
    for i, (x, y) in enumerate(pts):
        s = sizes[i % len(sizes)]
        geoms.append(box(x, y, x + s, y + s) if s else Point(x, y))
    feats = [
        LineString([(x, y), (x + dx, y + dy)]) if (dx or dy) else Point(x, y)
        for x, y, dx, dy in lines
    ]
    v = gs(geoms, index=np.arange(len(geoms)) * 3)
    d = distance_to(v, gs(feats))
    assert d.index.equals(v.index)
    expected = shapely.distance(np.asarray(v.array), shapely.union_all(feats))
    np.testing.assert_allclose(d.to_numpy(), expected, rtol=0, atol=1e-9)


# --- count_within --------------------------------------------------------------------


@pytest.fixture()
def facilities():
    return gpd.GeoDataFrame(
        {"type": ["school", "Trạm y tế", "school", None, "school"]},
        geometry=[Point(0, 0), Point(5, 5), Point(50, 53), Point(1, 1), Point(10, 0)],
        crs=CRS,
    )


def test_count_within_polygons_and_buffered_points(villages, facilities):
    out = count_within(villages, facilities, by="type", buffer_m=5.0)
    assert list(out.columns) == [schema.N_FACILITIES, "n_school", "n_tram_y_te"]
    assert out.index.equals(villages.index)
    # the box holds (0,0), (5,5), (1,1) and (10,0) on its edge; p50 has (50,53) within 5 m
    assert out.loc["inside"].tolist() == [4, 2, 1]
    assert out.loc["p50"].tolist() == [1, 1, 0]
    assert out.loc[["p300", "null", "empty"], schema.N_FACILITIES].tolist() == [0, 0, 0]
    assert (out.dtypes == np.int64).all()


def test_count_within_without_buffer_or_types(villages, facilities):
    out = count_within(villages, facilities)
    assert list(out.columns) == [schema.N_FACILITIES]
    assert out[schema.N_FACILITIES].tolist() == [0, 4, 0, 0, 0]


def test_count_within_empty_points(villages, facilities):
    out = count_within(villages, facilities.iloc[:0], by="type")
    assert out[schema.N_FACILITIES].tolist() == [0] * 5


def test_count_within_missing_type_column(villages, facilities):
    with pytest.raises(InputError, match=r"the facilities have no column 'kind'"):
        count_within(villages, facilities, by="kind")


# --- nearest_by_group / fibre ----------------------------------------------------------


def test_nearest_by_group():
    towers = gpd.GeoDataFrame(
        {"carrier": ["Viettel", "MobiFone", "Viettel", None]},
        geometry=[Point(0, 1000), Point(0, -2000), Point(0, 400), Point(0, 0)],
        crs=CRS,
    )
    v = gs([Point(0, 0), box(-10, 390, 10, 410)], index=["a", "b"])
    out = nearest_by_group(v, towers, group_col="carrier")
    assert list(out.columns) == ["dist_m__mobifone", "dist_m__viettel"]
    assert out.loc["a"].tolist() == [2000.0, 400.0]
    assert out.loc["b"].tolist() == [2390.0, 0.0]
    empty = nearest_by_group(v, towers.iloc[:0], group_col="carrier")
    assert empty.index.equals(v.index) and empty.columns.empty


def test_fibre_reached():
    out = fibre_reached(pd.Series([0.0, 2000.0, 2000.5, np.nan], index=list("abcd")), reach_m=2000)
    assert out.name == schema.FIBRE_REACHED and str(out.dtype) == "boolean"
    assert out.tolist()[:3] == [True, True, False] and pd.isna(out["d"])


def test_segment_search_matches_whole_feature_nearest(monkeypatch):
    """Lines are split into segments for the search (issue 7: 29 s → ~2 s nationally);
    the distances must equal the plain nearest search over whole features."""
    from gisapp.analysis import infrastructure
    monkeypatch.setattr(infrastructure, "_SEGMENT_SEARCH_MIN", 0)
    rng = np.random.default_rng(3)
    n = 400
    cx, cy = rng.uniform(0, 50_000, n), rng.uniform(0, 50_000, n)
    vil = shapely.buffer(shapely.points(cx, cy), rng.uniform(5, 800, n), quad_segs=4)
    vil[::7] = shapely.points(cx[::7], cy[::7])          # some point villages
    vil[5] = None
    start = rng.uniform(0, 50_000, (60, 1, 2))
    lines = shapely.linestrings(start + np.cumsum(rng.normal(0, 3000, (60, 8, 2)), axis=1))
    feats = list(lines[:50]) + [shapely.multilinestrings(lines[50:55]),
                                LineString([(7000, 7000), (7000, 7000)]),   # one repeated vertex
                                Point(25_000, 25_000), None]
    ref_tree = shapely.STRtree(np.array([f for f in feats if f is not None], dtype=object))
    for md in (None, 1500.0):
        got = distance_to(gs(vil), gs(feats), max_distance=md).to_numpy()
        (gi, _), ref = ref_tree.query_nearest(vil, max_distance=md, return_distance=True,
                                              all_matches=False)
        want = np.full(n, np.nan)
        want[gi] = ref
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=0, atol=1e-9)
