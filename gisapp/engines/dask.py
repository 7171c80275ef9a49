"""The Dask engine: the per-village measurements of a run on a ``dask.distributed`` cluster.

Selected with ``engine = "dask"`` under ``[options]`` (and ``gisapp run --scheduler
ADDRESS``); :func:`gisapp.pipeline.measure` imports this module only then (by name,
from :data:`gisapp.pipeline.measuring.ENGINES`), so Dask stays an optional extra (``pip
install gisapp[scale]``: dask-geopandas, distributed). It builds on the pipeline's public
layer API (:mod:`gisapp.pipeline.layers`): the same reading, layer keys, messages and
input hashes as the local engine, and the map's coverage copies built on demand by
:class:`~gisapp.pipeline.layers.DisplayLayers` from the polygons kept here.

What runs where:

* villages are read and normalised on the client exactly as by the local engine, then
  spatially partitioned: sorted by the Hilbert distance of their envelopes (the key of
  dask-geopandas' ``spatial_shuffle(by="hilbert")``, without its task shuffle) and cut
  into a dask-geopandas frame of contiguous runs, so each partition covers a compact area;
* **signal rasters**: rasters on one grid are handled together; each worker reads only
  the window of each raster under its partition (plus one pixel), indexes its villages
  there once with exact fractions and returns the (village, pixel, fraction, value)
  pairs. The client keeps those pairs as a compact
  :class:`~gisapp.analysis.zonal.ZonalIndex` over the indexed pixels only, so no whole
  national raster is ever held in one place, and changing a threshold in ``assess`` stays
  cheap;
* **coverage polygons**: each worker gets its partition and the coverage polygons that
  touch it, and runs :func:`~gisapp.analysis.coverage.polygon_coverage`;
* everything else (population raster, distances, electricity, facilities, measurements)
  runs through the local engine on the client.

Population: the client reads the population raster under the villages (one band, for
the village totals and the unions across layers in ``assess``); each worker gets only
the window of it under its partition for the polygon layers, and computes the people on
its signal pixels itself from a window of the file
(:func:`~gisapp.analysis.zonal.people_on_cells`, which depends on the pixels alone). No
worker holds a whole raster.

Results equal the local engine's (same rows; shares within floating-point rounding,
checked to 1e-9 in ``tests/engines/test_dask_engine.py``). Workers must see the input files at
the same paths as the client (a shared file system on a real cluster).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from pyproj import CRS

from gisapp.analysis import coverage as cov
from gisapp.analysis import gaps, zonal
from gisapp.io.raster import RasterBand, band_window, read_window
from gisapp.config import RunConfig
from gisapp.errors import ConfigError
from gisapp.pipeline.layers import (
    input_hashes, layer_entry, layer_keys, read_coverage, signal_no_data_warning,
    signal_no_overlap,
)
from gisapp.pipeline import Measured, Progress, RasterState
from gisapp.pipeline import measure as measure_locally
from gisapp.progress import no_progress

__all__ = ["measure", "partition_villages"]

log = logging.getLogger(__name__)

#: villages per partition (at least two partitions, so the split is always exercised)
VILLAGES_PER_PARTITION = 5_000


# --------------------------------------------------------------------------- cluster


_MISSING = ('engine = "dask" needs dask-geopandas and distributed, which are not installed; '
            'install them with: python3 -m pip install "gisapp[scale]" (or set engine = "local")')


def require_dask() -> None:
    """Raise :class:`~gisapp.errors.ConfigError` (a one-line message) without the extra."""
    try:
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"{_MISSING} ({exc})") from None


def _client(scheduler: str | None) -> tuple[Any, Callable[[], None]]:
    """The Dask client to use and a function closing what this call opened.

    ``scheduler`` (an address) connects to that cluster; otherwise the current client
    (e.g. one the caller opened with ``distributed.Client``) is used; otherwise a
    two-worker in-process ``LocalCluster`` is started for the run.
    """
    from distributed import Client, LocalCluster, get_client

    if scheduler:
        client = Client(scheduler)
        return client, client.close
    try:
        return get_client(), lambda: None
    except ValueError:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()
        return client, close


def partition_villages(base: gpd.GeoDataFrame, *, npartitions: int | None = None) -> list[gpd.GeoDataFrame]:
    """Villages with a geometry, split into spatially compact partitions (Hilbert order).

    Returns
    -------
    list of geopandas.GeoDataFrame
        Each with ``_pos`` (the village's row position in ``base``) and ``geometry``, in
        ``base``'s CRS; villages without geometry are left out.
    """
    import dask
    import dask_geopandas

    has = base["_has_geom"].to_numpy(dtype=bool)
    gdf = gpd.GeoDataFrame({"_pos": np.flatnonzero(has)}, geometry=base.geometry[has].to_numpy(),
                           crs=base.crs)
    if len(gdf) == 0:
        return []
    k = npartitions or max(2, int(np.ceil(len(gdf) / VILLAGES_PER_PARTITION)))
    k = max(1, min(k, len(gdf)))
    # Hilbert order of the villages' envelope centres (what dask-geopandas'
    # spatial_shuffle(by="hilbert") sorts by), computed once here and split into k runs:
    # the shuffle itself took 104 s for 100,000 villages on the synchronous scheduler
    dist = gdf.geometry.hilbert_distance(total_bounds=gdf.total_bounds, level=16)
    order = np.argsort(dist.to_numpy(), kind="stable")
    ddf = dask_geopandas.from_geopandas(gdf.iloc[order], npartitions=k, sort=False)
    parts = dask.compute(*ddf.to_delayed(), scheduler="sync")
    return [p for p in parts if len(p)]


# --------------------------------------------------------------------------- workers


def _raster_part(part: gpd.GeoDataFrame, paths: list[str], pop_path: str | None) -> dict[str, Any]:
    """Index one partition once on a window of rasters that share one grid, and read each
    raster's window; runs on a worker.

    Returns the (village, pixel) pairs sorted by village position then pixel (the local
    engine's order within a village), with global pixel numbers, the people on each pair's
    pixel, and per raster the value of each pair's pixel and each village centre's signal.
    """
    n_lay = len(paths)
    empty = {"pos": np.empty(0, np.int64), "cell": np.empty(0, np.int64),
             "frac": np.empty(0), "weight": np.empty(0),
             "dbm": [np.empty(0, np.float32)] * n_lay,
             "centre_pos": part["_pos"].to_numpy(np.int64),
             "centre_dbm": [np.full(len(part), np.nan)] * n_lay,
             "window_px": 0}
    with rasterio.open(paths[0]) as ds:
        grid = zonal.Grid.of(ds)
        geoms = part.geometry
        centres = cov.centres(part.geometry)       # the same points as the client's
        if grid.crs is not None and not CRS.from_user_input(part.crs).equals(grid.crs):
            geoms = geoms.to_crs(grid.crs)
            centres = centres.to_crs(grid.crs)
        # the window under the partition, one pixel of margin (as the local engine reads)
        win = band_window(ds, tuple(geoms.total_bounds))
        wt = ds.window_transform(win)
        width = ds.width
    shape = (int(win.height), int(win.width))
    index = zonal.ZonalIndex.build(geoms, transform=wt, shape=shape, crs=grid.crs)
    if not len(index.cell):                         # the partition is off this raster
        return empty
    r, c = np.divmod(index.cell, shape[1])
    pos = part["_pos"].to_numpy(np.int64)[index.village]
    cell = (r + int(win.row_off)) * width + (c + int(win.col_off))
    order = np.lexsort((cell, pos))
    out = dict(empty)
    out["pos"], out["cell"], out["frac"] = pos[order], cell[order], index.frac[order]
    local_cell = index.cell[order]
    del index, r, c, pos, cell
    if pop_path is not None:
        # people on this partition's pixels only (a window of the population raster);
        # the values depend on the pixels alone, so they equal the local engine's
        out["weight"] = zonal.people_on_cells(RasterBand(pop_path), grid, out["cell"])
    out["dbm"], out["centre_dbm"] = [], []
    for path in paths:                              # one window per raster, then dropped
        with rasterio.open(path) as ds:
            dbm = read_window(ds, 1, win)
        out["dbm"].append(dbm.reshape(-1)[local_cell])
        out["centre_dbm"].append(cov.centre_signal(centres, dbm, wt, crs=grid.crs))
        del dbm
    out["window_px"] = shape[0] * shape[1]          # what this worker read, per raster
    return out


def _polygon_part(part: gpd.GeoDataFrame, cover: np.ndarray, crs: Any,
                  pop: tuple[np.ndarray, np.ndarray, np.ndarray, Any, Any, Any] | None,
                  pop_values: np.ndarray | None) -> pd.DataFrame:
    """polygon_coverage of one partition against the coverage polygons touching it."""
    villages = gpd.GeoDataFrame(geometry=part.geometry.to_numpy(), crs=crs)
    centres = cov.centres(villages)
    pop_index = None
    if pop is not None:
        village, cell, frac, shape, transform, pcrs = pop
        pop_index = zonal.ZonalIndex(village, cell, frac, shape, transform, pcrs, len(part))
    frame = cov.polygon_coverage(villages, gpd.GeoDataFrame(geometry=cover, crs=crs),
                                 centres=centres, pop_index=pop_index,
                                 pop_values=pop_values if pop is not None else None)
    frame.index = part["_pos"].to_numpy()
    return frame


# --------------------------------------------------------------------------- measure


def _take(res: list[dict], key: str, dtype: Any, *, per_layer: bool = False) -> np.ndarray:
    """One array of every partition's result, concatenated; the pieces are dropped from
    the results as they are taken (``per_layer``: the next raster's array of a list)."""
    pieces = [r[key].pop(0) if per_layer else r.pop(key) for r in res]
    if not pieces:
        return np.empty(0, dtype)
    return np.concatenate(pieces).astype(dtype, copy=False) if dtype else np.concatenate(pieces)


def _signal_layers(m: Measured, cfg: RunConfig, parts: list[gpd.GeoDataFrame], client: Any,
                   keys: list[str]) -> list[RasterState]:
    n = len(m.base)
    has = m.base["_has_geom"].to_numpy(dtype=bool)
    pop_path = str(cfg.population_raster.path) if cfg.population_raster is not None else None
    # rasters on one grid are indexed once per partition (as the local engine indexes a
    # grid once), in config order of each grid's first raster
    groups: dict[tuple, list[int]] = {}
    grids: dict[tuple, zonal.Grid] = {}
    for i, layer in enumerate(cfg.signal_rasters):
        with rasterio.open(layer.path) as ds:
            grid = zonal.Grid.of(ds)
        g = (grid.crs.to_wkt() if grid.crs is not None else None, tuple(grid.transform), grid.shape)
        groups.setdefault(g, []).append(i)
        grids[g] = grid
    states: dict[int, tuple] = {}
    for g, members in groups.items():
        grid = grids[g]
        paths = [str(cfg.signal_rasters[i].path) for i in members]
        futures = [client.submit(_raster_part, p, paths, pop_path, pure=False) for p in parts]
        res = client.gather(futures)
        del futures

        window_px = max((r["window_px"] for r in res), default=0)
        centre_pos = _take(res, "centre_pos", np.int64)
        pos = _take(res, "pos", np.int64)
        if len(pos) == 0:
            raise signal_no_overlap(cfg.signal_rasters[members[0]], keys[members[0]])
        # partitions hold disjoint villages, each sorted by (village, pixel): a stable sort
        # by village gives the local engine's pair order
        order = np.argsort(pos, kind="stable")
        pos = pos[order]
        cell = _take(res, "cell", np.int64)[order]
        frac = _take(res, "frac", np.float64)[order]
        weights = _take(res, "weight", np.float64)[order] if pop_path is not None else None
        ucell, first, inv = np.unique(cell, return_index=True, return_inverse=True)
        del cell
        # a compact grid of the indexed pixels only: one row, one column per pixel
        index = zonal.ZonalIndex(pos, inv.astype(np.int64), frac, (1, len(ucell)),
                                 grid.transform, grid.crs, n)
        for i in members:
            layer, key = cfg.signal_rasters[i], keys[i]
            dbm = _take(res, "dbm", None, per_layer=True)[order][first][None, :]
            centre = np.full(n, np.nan)
            centre[centre_pos] = _take(res, "centre_dbm", np.float64, per_layer=True)
            warning = signal_no_data_warning(key, index, dbm, has)
            entry = layer_entry(f"signal {key}", layer.path, layer.kind, layer.date,
                                int(np.isfinite(dbm).sum()))
            # the largest window one worker read, against the whole raster
            entry["max_window_px"] = int(window_px)
            entry["raster_px"] = int(grid.shape[0] * grid.shape[1])
            states[i] = (RasterState(layer, key, index, dbm, weights, centre), warning, entry)
        del res
    out = []
    for i in range(len(cfg.signal_rasters)):       # report in config order, as locally
        state, warning, entry = states[i]
        if warning:
            m.report.warn(warning)
        m.report.layers.append(entry)
        out.append(state)
    return out


def _pixel_reach_m(index: zonal.ZonalIndex | None) -> float:
    """Metres a village's pixels can reach beyond its bounds (two pixel diagonals)."""
    if index is None:
        return 0.0
    px = float(np.hypot(index.transform.a, index.transform.e))
    if index.crs is not None and index.crs.is_geographic:
        px *= 111_320.0
    return 2.0 * px


def _pop_window(index: zonal.ZonalIndex | None, values: np.ndarray | None,
                positions: np.ndarray):  # noqa: ANN202
    """The population pixels of some villages: their pairs re-indexed on the smallest
    window of the grid holding them, and that window's values (a copy), so a worker gets
    its partition's part of the population raster, never the whole band."""
    if index is None or values is None:
        return None, None
    local = np.full(index.n_villages, -1, np.int64)
    local[positions] = np.arange(len(positions))
    keep = local[index.village] >= 0
    if not keep.any():
        return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), (1, 1),
                index.transform, index.crs), np.full((1, 1), np.nan)
    r, c = np.divmod(index.cell[keep], index.shape[1])
    r0, r1, c0, c1 = int(r.min()), int(r.max()) + 1, int(c.min()), int(c.max()) + 1
    window = np.asarray(values).reshape(index.shape)[r0:r1, c0:c1].copy()
    cells = (r - r0) * (c1 - c0) + (c - c0)
    transform = index.transform @ Affine.translation(c0, r0)
    return (local[index.village[keep]], cells, index.frac[keep], (r1 - r0, c1 - c0),
            transform, index.crs), window


def _coverage_layers(m: Measured, cfg: RunConfig, parts: list[gpd.GeoDataFrame], client: Any,
                     keys: list[str]) -> None:
    base, crs = m.base, m.crs
    n = len(base)
    margin = _pixel_reach_m(m.pop_index)
    for layer, key in zip(cfg.coverage, keys):
        role = f"coverage {key}"
        gdf = read_coverage(layer, role=role, cfg=cfg, crs=crs, villages=base, report=m.report)
        cover = np.asarray(gdf.geometry.array, dtype=object)
        tree = shapely.STRtree(cover)
        futures = []
        for p in parts:
            # the polygons near the partition: a village's shares depend only on the
            # coverage within two population-pixel diagonals of it (polygon_coverage), so
            # the worker's answer equals the local engine's
            b = p.geometry.total_bounds + np.array([-margin, -margin, margin, margin])
            near = cover[tree.query(shapely.box(*b), predicate="intersects")]
            pop, pop_values = _pop_window(m.pop_index, m.pop_values, p["_pos"].to_numpy())
            futures.append(client.submit(_polygon_part, p, near, crs, pop, pop_values,
                                         pure=False))
        frames = client.gather(futures)
        empty = cov.polygon_coverage(base.iloc[:0], gdf.iloc[:0], centres=m.centres.iloc[:0])
        frame = pd.concat([empty, *frames]) if frames else empty
        frame = frame.reindex(np.arange(n))
        frame[cov.CENTRE] = frame[cov.CENTRE].astype("boolean")
        frame.index = base.index
        m.polygon_layers.append(gaps.LayerMeasure(key, layer.carrier, layer.technology,
                                                  layer.kind, "coverage", layer.date, frame))
        m.coverage_geoms[key] = gdf[["geometry"]]     # the map's copy is built from it on demand
        m.report.layers.append(layer_entry(role, layer.path, layer.kind, layer.date, len(gdf)))


def measure(config: RunConfig, *, progress: Progress | None = None,
            scheduler: str | None = None, npartitions: int | None = None) -> Measured:
    """:func:`gisapp.pipeline.measure` with the per-village layers measured on Dask.

    Parameters
    ----------
    config
        The run config (its ``options.engine`` is not looked at here).
    progress
        ``progress(fraction, message)``.
    scheduler
        Address of a ``dask.distributed`` scheduler; None uses the current client, or
        starts a two-worker in-process cluster for this call.
    npartitions
        Number of village partitions (default: one per 5,000 villages, at least two).

    Returns
    -------
    gisapp.pipeline.Measured
        The same as the local engine's, ready for :func:`gisapp.pipeline.assess`. Signal
        layers are held as compact indexes over the pixels villages touch.
    """
    require_dask()
    t0 = time.perf_counter()
    progress = progress or no_progress
    local_cfg = config.replace(
        coverage=(), signal_rasters=(),
        options=dataclasses.replace(config.options, engine="local"),
    )
    m = measure_locally(local_cfg, progress=lambda f, msg: progress(0.4 * f, msg))
    client, close = _client(scheduler)
    try:
        progress(0.45, "partitioning villages (Hilbert order)")
        parts = partition_villages(m.base, npartitions=npartitions)
        log.info("dask engine: %d villages in %d partitions on %s", len(m.base), len(parts),
                 client)
        progress(0.5, "coverage polygons on the cluster")
        cov_keys, sig_keys = layer_keys(config)
        _coverage_layers(m, config, parts, client, cov_keys)
        progress(0.75, "signal rasters on the cluster (windowed reads)")
        m.raster_layers.extend(_signal_layers(m, config, parts, client, sig_keys))
    finally:
        close()
    m.config = config
    m.input_hashes = input_hashes(config)
    m.seconds = time.perf_counter() - t0
    progress(1.0, "measured")
    return m
