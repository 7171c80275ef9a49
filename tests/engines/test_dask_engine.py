"""The Dask engine gives the same villages as the local engine on the demo province."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask_geopandas", reason="dask-geopandas is not installed (pip install gisapp[scale])")
distributed = pytest.importorskip("distributed", reason="distributed is not installed (pip install gisapp[scale])")


@pytest.fixture(scope="module")
def dask_result(demo_config_path):
    from gisapp import pipeline
    from gisapp.config import load_config

    cfg = load_config(demo_config_path)
    cfg = cfg.replace(options=dataclasses.replace(cfg.options, engine="dask"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        measured = pipeline.measure(cfg)
        n_workers = len(client.scheduler_info()["workers"])
    return pipeline.assess(measured), n_workers, measured


def test_dask_engine_matches_local_engine(dask_result, demo_result):
    result, n_workers, _ = dask_result
    assert n_workers == 2
    a, b = demo_result.villages, result.villages
    assert list(a.columns) == list(b.columns)
    assert a["village_id"].tolist() == b["village_id"].tolist()        # same rows, same order
    share_cols = [c for c in a.columns if c.endswith("_share") or "share" in c]
    assert share_cols, "the demo should produce share columns"
    for c in a.columns:
        if c == "geometry":
            assert a.geometry.geom_equals(b.geometry).all()
        elif pd.api.types.is_float_dtype(a[c]):
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), c
            np.testing.assert_allclose(x, y, rtol=0, atol=1e-9, equal_nan=True, err_msg=c)
        else:
            pd.testing.assert_series_equal(a[c], b[c], check_names=False, obj=c)
    pd.testing.assert_frame_equal(demo_result.summary, result.summary, check_exact=False, atol=1e-9)


def test_dask_engine_keeps_only_indexed_pixels(dask_result, demo_measured):
    # the client holds the pixels villages touch, never a whole raster grid
    _, _, measured = dask_result
    local, remote = demo_measured.raster_layers[0], measured.raster_layers[0]
    assert remote.dbm.shape == (1, len(np.unique(local.index.cell)))
    assert remote.dbm.size < local.dbm.size
    np.testing.assert_array_equal(np.sort(remote.dbm.ravel()),
                                  np.sort(local.dbm.ravel()[np.unique(local.index.cell)]))


def test_partitions_are_spatially_compact(demo_measured):
    from gisapp.engines.dask import partition_villages

    parts = partition_villages(demo_measured.base, npartitions=4)
    assert sum(len(p) for p in parts) == int(demo_measured.base["_has_geom"].sum())
    pos = np.concatenate([p["_pos"].to_numpy() for p in parts])
    assert len(np.unique(pos)) == len(pos)                         # nobody twice
    # Hilbert partitions cover much less area than random quarters would
    area = sum(float(np.prod(np.diff(p.total_bounds.reshape(2, 2), axis=0))) for p in parts)
    whole = float(np.prod(np.diff(demo_measured.base.total_bounds.reshape(2, 2), axis=0)))
    assert area < 0.8 * len(parts) * whole / 2


def test_dask_workers_read_windows_not_whole_rasters(dask_result):
    # each worker reads the window of a signal raster under its partition (and computes
    # the people on those pixels from a window of the population raster): no worker
    # holds a whole raster
    _, _, measured = dask_result
    signal = [x for x in measured.report.layers if "max_window_px" in x]
    assert signal, "the Dask engine should report the windows its workers read"
    for layer in signal:
        assert 0 < layer["max_window_px"] < layer["raster_px"], layer


def test_dask_engine_gives_the_local_map_layers(dask_result, demo_result):
    # both engines hand the map the same layers, coverage copies built by the one
    # pipeline.layers.display_layer
    result = dask_result[0]
    assert list(result.layers) == list(demo_result.layers)
    assert any(name.startswith("coverage:") for name in result.layers)
    for name, local in demo_result.layers.items():
        remote = result.layers[name]
        assert list(remote.columns) == list(local.columns), name
        assert remote.crs == local.crs, name
        assert remote.geometry.geom_equals_exact(local.geometry, 0).all(), name
