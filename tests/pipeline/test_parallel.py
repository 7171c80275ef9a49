"""Threads for chunked numpy work: order, errors, settings, and results that do not depend
on the number of threads."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine

from gisapp import parallel
from gisapp.analysis import fractions, zonal


def test_results_come_back_in_input_order():
    def slow_first(i: int) -> int:
        if i == 0:
            threading.Event().wait(0.05)       # the first item finishes last
        return i * i

    assert list(parallel.parallel_map(slow_first, range(20), threads=3)) == [i * i for i in range(20)]


def test_an_error_is_raised_for_the_item_that_failed():
    def boom(i: int) -> int:
        if i == 5:
            raise ValueError("item 5")
        return i

    with pytest.raises(ValueError, match="item 5"):
        list(parallel.parallel_map(boom, range(10), threads=2))


def test_one_thread_runs_in_the_calling_thread(monkeypatch):
    monkeypatch.setenv("GISAPP_THREADS", "1")
    assert parallel.n_threads() == 1
    me = threading.get_ident()
    assert set(parallel.parallel_map(lambda _: threading.get_ident(), range(4))) == {me}
    monkeypatch.setenv("GISAPP_THREADS", "many")
    with pytest.raises(ValueError, match="GISAPP_THREADS must be a whole number"):
        parallel.n_threads()
    monkeypatch.delenv("GISAPP_THREADS")
    assert 1 <= parallel.n_threads() <= parallel.MAX_THREADS


def test_index_is_the_same_on_one_or_several_threads(monkeypatch):
    # small chunks so that 300 villages make many chunks
    monkeypatch.setattr(fractions, "_CHUNK_CELLS", 500)
    rng = np.random.default_rng(11)
    x, y = rng.uniform(0, 2000, 300), rng.uniform(0, 2000, 300)
    geoms = shapely.buffer(shapely.points(x, y), rng.uniform(5, 80, 300), quad_segs=6)
    villages = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32648")
    kw = dict(transform=Affine(10, 0, -100, 0, -10, 2100), shape=(220, 220), crs="EPSG:32648")
    monkeypatch.setenv("GISAPP_THREADS", "1")
    one = zonal.ZonalIndex.build(villages, **kw)
    monkeypatch.setenv("GISAPP_THREADS", "3")
    three = zonal.ZonalIndex.build(villages, **kw)
    for a, b in [(one.village, three.village), (one.cell, three.cell), (one.frac, three.frac)]:
        np.testing.assert_array_equal(a, b)
    # and the fractions are right: each village's area in pixels
    area = np.bincount(one.village, weights=one.frac, minlength=300) * 100.0
    np.testing.assert_allclose(area, shapely.area(geoms), rtol=1e-9)


def test_a_whole_run_is_the_same_on_one_or_two_threads(demo_config_path, monkeypatch):
    # measure runs its layers as jobs on threads; the result must not depend on that
    from gisapp import pipeline
    from gisapp.analysis import coverage
    from gisapp.config import load_config

    cfg = load_config(demo_config_path)
    results = []
    for threads in ("1", "2"):
        monkeypatch.setenv("GISAPP_THREADS", threads)
        coverage._CUTS.clear()              # no clipped pieces reused from the other run
        m = pipeline.measure(cfg)
        results.append((pipeline.assess(m), m.report))
    (a, ra), (b, rb) = results
    assert a.villages.drop(columns="geometry").equals(b.villages.drop(columns="geometry"))
    assert a.villages.geometry.geom_equals_exact(b.villages.geometry, 0).all()
    assert a.summary.equals(b.summary)
    assert ra.warnings == rb.warnings and ra.layers == rb.layers
