"""The slow stage: read every layer of a config and measure it on the villages.

:func:`measure` is the local engine. A config with another ``engine`` (``"dask"``) is
handed to that engine's module, found by name in :data:`ENGINES`: the engines sit above
the pipeline and build on its public layer API (:mod:`gisapp.pipeline.layers`), so the
pipeline never imports them.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd

from gisapp import schema as S
from gisapp.analysis import coverage as cov
from gisapp.analysis import distances
from gisapp.config import RunConfig
from gisapp.parallel import n_threads
from gisapp.pipeline import jobs
from gisapp.pipeline.assessing import union_shares
from gisapp.pipeline.layers import input_hashes, layer_entry, layer_keys, lonlat
from gisapp.pipeline.model import Measured, Progress, RunReport
from gisapp.pipeline.normalise import read_villages
from gisapp.progress import no_progress

__all__ = ["ENGINES", "measure"]

#: engine name → the module whose ``measure(config, *, progress)`` measures a run on it
ENGINES: dict[str, str] = {"dask": "gisapp.engines.dask"}


def measure(config: RunConfig, *, progress: Progress | None = None) -> Measured:
    """Read every layer of the config and measure it on the villages (the slow stage).

    Parameters
    ----------
    config
        The run config.
    progress
        Called as ``progress(fraction, message)`` as the work advances.

    Returns
    -------
    Measured
        Per-layer measurements in the run's metric CRS, ready for :func:`assess`.

    Raises
    ------
    gisapp.errors.InputError
        A layer cannot be used; the message names the file and what to do.
    """
    if config.options.engine in ENGINES:
        engine = importlib.import_module(ENGINES[config.options.engine])
        return engine.measure(config, progress=progress)
    t0 = time.perf_counter()
    progress = progress or no_progress
    cfg = config
    report = RunReport()
    steps = 2 + len(cfg.coverage) + len(cfg.signal_rasters) + len(cfg.measurements) + 5
    done = [0]

    def step(message: str) -> None:
        done[0] += 1
        progress(min(done[0] / steps, 0.99), message)

    progress(0.0, "reading villages")
    base, notes, crs = read_villages(cfg, report)
    report.layers.append(layer_entry("villages", cfg.villages.path, "", None, len(base)))
    centres = cov.centres(base)
    base[S.LON], base[S.LAT] = lonlat(centres, crs)
    step("villages read")
    dist_plan = distances.plan_for(base.geometry, crs)
    report.details["distances"] = dist_plan.describe()
    ctx = jobs.Context(cfg, crs, base, centres, notes, base.geometry, dist_plan=dist_plan)
    fields = _measure_layers(ctx, report, step)
    progress(1.0, "measured")
    el = cfg.electricity
    measured = Measured(
        config=cfg, crs=crs, base=base, centres=centres, report=report, notes=notes,
        declared_date=el.list_date, pop_index=ctx.pop_index, pop_values=ctx.pop_values,
        input_hashes=input_hashes(cfg), seconds=time.perf_counter() - t0, **fields,
    )
    # the union of layers ("any carrier") is a join too: do it here for the configured
    # technologies so the first assess is as cheap as the next ones
    techs = tuple(cfg.thresholds.technologies)
    union_shares(measured, techs)
    union_shares(measured, tuple(t for t in techs if t in ("4G", "5G")))
    measured.seconds = time.perf_counter() - t0
    return measured


def _measure_layers(ctx: jobs.Context, report: RunReport,
                    step: Callable[[str], None]) -> dict[str, Any]:
    """Every layer after the villages, each a job on threads: GDAL, shapely and numpy
    release the GIL, so coverage polygons, signal rasters and distances overlap on the
    cores. Results, warnings and report entries are taken in the config's order, so a run
    reads the same whatever the timing, and the first failing layer in that order is the
    error raised (as when run one by one). Returns :class:`Measured`'s layer fields."""
    cfg, el = ctx.cfg, ctx.cfg.electricity
    cov_keys, sig_keys = layer_keys(cfg)
    # the signal rasters start before the population (they do not need it) and read
    # their own copy of the geometries, as population() changes ``base`` meanwhile
    sig_villages = gpd.GeoDataFrame(geometry=ctx.base.geometry.array.copy(), crs=ctx.base.crs)
    out: dict[str, Any] = {
        "polygon_layers": [], "coverage_geoms": {}, "display": {}, "raster_layers": [],
        "measurement_layers": [], "dist_site_m": None, "site_dist_by_carrier": None,
        "declared": None, "declared_source": "electricity list", "dist_grid_m": None,
        "lights": None, "dist_fibre_m": None, "facilities": None, "complaints": None,
    }
    display = out["display"]
    pool = ThreadPoolExecutor(max_workers=n_threads(), thread_name_prefix="gisapp-measure")

    def submit(job: Callable, wanted: Any, *args: Any) -> Future | None:
        return pool.submit(job, ctx, *args) if wanted is not None else None

    def take(future: Future) -> Any:
        rep, value = future.result()
        report.merge(rep)
        return value

    try:
        # the long jobs first, so they start at once
        sig = pool.submit(jobs.signal_job, ctx, sig_keys, sig_villages) if cfg.signal_rasters else None
        jobs.population(ctx, report)
        step("population measured")
        covs = [pool.submit(jobs.coverage_job, ctx, layer, key)
                for layer, key in zip(cfg.coverage, cov_keys)]
        meas = [pool.submit(jobs.measurement_job, ctx, layer) for layer in cfg.measurements]
        cpl = submit(jobs.complaints_job, cfg.complaints)
        tow = submit(jobs.towers_job, cfg.towers)
        lst = submit(jobs.electricity_list_job, el.list_path)
        grd = submit(jobs.grid_job, el.grid)
        lit = submit(jobs.lights_job, el.lights)
        fib = submit(jobs.fibre_job, cfg.fibre)
        fac = submit(jobs.facilities_job, cfg.facilities)

        for key, job in zip(cov_keys, covs, strict=True):
            measured_layer, out["coverage_geoms"][key] = take(job)
            out["polygon_layers"].append(measured_layer)
            step(f"coverage {key} measured")
        if sig is not None:
            out["raster_layers"] = take(sig)
        for key in sig_keys:
            step(f"signal raster {key} indexed")
        skipped = {}
        for layer, job in zip(cfg.measurements, meas):
            points, counts = take(job)
            out["measurement_layers"].append((layer, points))
            skipped = {r: skipped.get(r, 0) + n for r, n in counts.items()}
            step("measurements read")
        if cfg.measurements:
            report.details["measurements"] = {
                "used": sum(len(p) for _, p in out["measurement_layers"]), "skipped": skipped}
        if cpl is not None:
            out["complaints"], report.details["complaints"] = take(cpl)
        if tow is not None:
            out["dist_site_m"], out["site_dist_by_carrier"], display["towers"] = take(tow)
        step("towers measured")
        if lst is not None:
            out["declared"] = take(lst)
            out["declared_source"] = f"electricity list {Path(el.list_path).name}"
        if grd is not None:
            out["dist_grid_m"], display["grid"] = take(grd)
        if lit is not None:
            out["lights"] = take(lit)
        step("electricity measured")
        if fib is not None:
            out["dist_fibre_m"], display["fibre"] = take(fib)
        if fac is not None:
            out["facilities"], display["facilities"] = take(fac)
        step("infrastructure measured")
    except BaseException:
        # queued jobs are dropped; one already running finishes in the background
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return out
