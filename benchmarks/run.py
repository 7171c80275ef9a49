"""Time every stage of a run against the read-time floor and the usual GIS baselines.

``python -m benchmarks run --size small|national`` does, in one process and one run
(so ratios are measured under the same load):

1. **stages, one at a time**, with the engine's own functions: read the villages,
   reproject them, index them on the signal grid (:class:`~gisapp.analysis.zonal.ZonalIndex`,
   once), raster statistics for each carrier × technology layer, population, polygon
   shares per coverage layer, distance to grid lines, classification and scoring
   (:func:`gisapp.pipeline.assess`), and writing every export;
2. **the floor**: reading each raster band alone (``rasterio`` ``read(1)``, nothing else);
3. **the baselines** a GIS analyst would reach for: ``geopandas.overlay`` (dissolve +
   overlay + group-by) for polygon shares, ``rasterstats.zonal_stats`` and
   ``exactextract.exact_extract`` for a raster mean. At national size they run on a
   random subsample of villages and are extrapolated linearly (said so in the table);
4. **end to end**: :func:`gisapp.pipeline.run` plus exports, in a child process so its
   peak memory is its own (the processes of the run together, sampled from /proc, and
   never below the run's own ``VmHWM``).

Peak memory per stage is the process high-water mark (``ru_maxrss``) after the stage:
it only rises, so a jump shows which stage set the peak. The table and the machine
(nproc, memory, load average before and after) are printed and appended to
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

#: villages in the baseline subsamples (extrapolated linearly); rasterstats is so slow
#: that it is subsampled at every size, the others only at national size
SUBSAMPLE = {"rasterstats": 2_000, "exactextract": 10_000, "overlay": 10_000}
SUBSAMPLE_SMALL = {"rasterstats": 400}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class Row:
    stage: str
    seconds: float
    rss_mb: float
    floor: float | None = None           # seconds of the floor this stage compares with
    baseline: float | None = None        # seconds of the baseline
    baseline_name: str = ""
    note: str = ""


class Timer:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def time(self, stage: str, fn, **kw):  # noqa: ANN001, ANN003, ANN201
        t0 = time.perf_counter()
        out = fn()
        row = Row(stage, time.perf_counter() - t0, _rss_mb(), **kw)
        self.rows.append(row)
        print(f"  {stage:<48} {row.seconds:8.2f} s", flush=True)
        return out, row


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, nproc {os.cpu_count()}, {mem:.0f} GB RAM, "
            f"Python {platform.python_version()}")


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _floor_read(path: Path) -> float:
    import rasterio

    t0 = time.perf_counter()
    with rasterio.open(path) as ds:
        ds.read(1)
    return time.perf_counter() - t0


def _sub(n: int, k: int, seed: int = 1) -> np.ndarray:
    if k >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))


def stages(cfg_path: Path, size: str) -> tuple[list[Row], dict]:
    """Time each stage, the floor and the baselines; returns the rows and agreement figures."""
    import geopandas as gpd
    import pandas as pd

    from gisapp import pipeline
    from gisapp.analysis import coverage as cov
    from gisapp.analysis import infrastructure, scoring, zonal
    from gisapp.io import raster as raster_io
    from gisapp.config import load_config
    from gisapp.crs import metric_crs, to_metric
    from gisapp.io import export
    from gisapp.io.vector import read_vector

    cfg = load_config(cfg_path)
    T = Timer()
    extra: dict = {}
    national = size == "national"

    raw, _ = T.time("read villages", lambda: read_vector(cfg.villages.path, layer=cfg.villages.layer))
    crs = metric_crs(raw, override=cfg.options.crs)
    vil, _ = T.time("reproject villages to UTM", lambda: to_metric(raw, crs))
    n = len(vil)
    centres = cov.centres(vil)

    # floor: every signal band read alone
    floors = {}
    for lay in cfg.signal_rasters:
        floors[lay.path] = _floor_read(lay.path)
    floor_total = sum(floors.values())
    T.rows.append(Row(f"floor: read {len(floors)} signal band(s) alone", floor_total, _rss_mb(),
                      floor=floor_total))

    first = cfg.signal_rasters[0]
    dbm, transform, rcrs = raster_io.read_band(first.path)
    index, _ = T.time("zonal: index villages on the grid (once)",
                      lambda: zonal.ZonalIndex.build(vil, transform=transform, shape=dbm.shape, crs=rcrs),
                      floor=floors[first.path])
    extra["index_pairs"] = int(len(index.cell))
    del dbm
    per_layer = []
    for lay in cfg.signal_rasters:
        # read + stats against the read alone, measured back to back and best of 2 each
        # (both then read from the same warm page cache; one timing of a 384 MB band
        # swings by 2x when the machine's memory is busy)
        best, floor = float("inf"), floors[lay.path]
        for _ in range(2):
            floor = min(floor, _floor_read(lay.path))
            t0 = time.perf_counter()
            d, _, _ = raster_io.read_band(lay.path)
            cov.raster_coverage(index, d, threshold_dbm=-100.0, centres=centres)
            best = min(best, time.perf_counter() - t0)
            del d
        row = Row(f"zonal: read + stats {lay.carrier} {lay.technology}", best, _rss_mb(),
                  floor=floor, note="best of 2; floor = this band read alone, best of 2")
        T.rows.append(row)
        print(f"  {row.stage:<48} {row.seconds:8.2f} s", flush=True)
        per_layer.append(row)
    extra["zonal_layer_ratio_max"] = max(r.seconds / r.floor for r in per_layer)

    # baselines for raster statistics: a mean of one layer
    import exactextract

    ours_mean = index.mean(raster_io.read_band(first.path)[0])
    k = SUBSAMPLE["exactextract"] if national else n
    sub = _sub(n, k)
    t0 = time.perf_counter()
    ee = exactextract.exact_extract(str(first.path), vil.iloc[sub], ["mean"], output="pandas")
    t_ee = (time.perf_counter() - t0) * n / len(sub)
    ee_mean = ee["mean"].to_numpy(dtype=float)
    big = np.isfinite(ee_mean)
    extra["mean_vs_exactextract_db"] = float(np.nanmax(np.abs(ours_mean[sub][big] - ee_mean[big])))
    k = SUBSAMPLE["rasterstats"] if national else SUBSAMPLE_SMALL["rasterstats"]
    sub_rs = _sub(n, k)
    try:
        from rasterstats import zonal_stats
        t0 = time.perf_counter()
        zonal_stats(vil.iloc[sub_rs], str(first.path), stats=["mean"], nodata=np.nan)
        t_rs = (time.perf_counter() - t0) * n / len(sub_rs)
    except ImportError:
        t_rs = float("nan")
    ours_first = T.rows[-len(per_layer) - 1].seconds + per_layer[0].seconds
    note = " (baselines on a subsample, extrapolated)" if national else ""
    T.rows.append(Row("zonal: index + first layer (ours)", ours_first, _rss_mb(),
                      floor=floors[first.path], baseline=t_ee, baseline_name="exactextract",
                      note="exactextract mean of one layer" + note))
    T.rows.append(Row("zonal: index + first layer (ours)", ours_first, _rss_mb(),
                      floor=floors[first.path], baseline=t_rs, baseline_name="rasterstats",
                      note=f"rasterstats.zonal_stats mean on {len(sub_rs):,} villages, extrapolated"))

    # population
    pr = cfg.population_raster

    def pop():  # noqa: ANN202
        pv, pt, pc = raster_io.read_band(pr.path)
        pidx = zonal.ZonalIndex.build(vil, transform=pt, shape=pv.shape, crs=pc)
        return pidx, pv, pidx.sum(pv)
    (pidx, pv, _), _ = T.time("population: index + sum", pop)

    # people on the signal pixels villages touch (weights of pop_share), against warping
    # the population onto the whole signal grid with GDAL's "sum" (gdalwarp -r sum)
    import rasterio

    with rasterio.open(first.path) as ds:
        sgrid = zonal.Grid.of(ds)
    t0 = time.perf_counter()
    warped = raster_io.resample_to(pr.path, transform=sgrid.transform, shape=sgrid.shape,
                                   crs=sgrid.crs, resampling="sum").reshape(-1)[index.cell]
    t_warp = time.perf_counter() - t0
    people, _ = T.time("population weights on the signal pixels",
                       lambda: zonal.people_on_cells(raster_io.RasterBand(pr.path), sgrid, index.cell),
                       baseline=t_warp, baseline_name="GDAL sum warp onto the whole grid",
                       note="then gathered at the same pixels")
    both = np.isfinite(warped) & np.isfinite(people) & (warped > 1.0)
    extra["weights_vs_gdal"] = float(np.max(np.abs(people[both] - warped[both]) / warped[both])) \
        if both.any() else float("nan")
    del warped, people

    # polygon shares, with geopandas.overlay on the first layer as the baseline
    cov_gdfs = []
    for c in cfg.coverage:
        g = to_metric(read_vector(c.path, layer=c.layer), crs)[["geometry"]]
        cov_gdfs.append(g)
        _, row = T.time(f"polygon shares {c.carrier} {c.technology}",
                        lambda g=g: cov.polygon_coverage(vil, g, centres=centres))
    first_poly = [r for r in T.rows if r.stage.startswith("polygon shares")][0]
    k = SUBSAMPLE["overlay"] if national else n
    sub = _sub(n, k)
    vs = vil.iloc[sub][["geometry"]].assign(vid=np.arange(len(sub)))
    t0 = time.perf_counter()
    dissolved = cov_gdfs[0].dissolve()
    t_diss = time.perf_counter() - t0
    t0 = time.perf_counter()
    pieces = gpd.overlay(vs, dissolved, how="intersection", keep_geom_type=True)
    covered = pieces.area.groupby(pieces["vid"]).sum()
    theirs = covered.reindex(np.arange(len(sub))).fillna(0.0).to_numpy() / vs.area.to_numpy()
    t_ov = t_diss + (time.perf_counter() - t0) * n / len(sub)
    ours_share = cov.polygon_coverage(vil, cov_gdfs[0], centres=centres)["area_share"].to_numpy()[sub]
    extra["polygon_share_vs_overlay"] = float(np.nanmax(np.abs(ours_share - theirs)))
    T.rows.append(Row(first_poly.stage + " vs overlay", first_poly.seconds, _rss_mb(),
                      baseline=t_ov, baseline_name="geopandas.overlay",
                      note="dissolve + overlay + groupby" + (
                          f"; overlay on {len(sub):,} villages, extrapolated" if national else "")))

    grid = to_metric(read_vector(cfg.electricity.grid.path), crs)
    T.time("distance to grid lines", lambda: infrastructure.distance_to(vil.geometry, grid))

    # measurements (issue 14): read + check + judge, against reading the points alone
    if cfg.measurements:
        from benchmarks.bench_measurements import measurement_stage

        m_floor, m_stage, counts = measurement_stage(cfg, crs, vil)
        T.rows.append(Row(f"measurements: read + check + judge ({counts['points']:,} points)",
                          m_stage, _rss_mb(), floor=m_floor,
                          note="floor = the points read alone (target ≤ 2×)"))
        extra["measurement_stage_ratio"] = m_stage / m_floor

    # classification and scoring: the pipeline's cheap stage on its own measurements
    measured = pipeline.measure(cfg)
    result, row = T.time("classification + scoring (assess)", lambda: pipeline.assess(measured))
    frame = pd.DataFrame(result.villages.drop(columns="geometry"))
    _, srow = T.time("  of which scoring", lambda: scoring.score(frame, cfg.weights))
    with tempfile.TemporaryDirectory() as tmp:
        T.time("export (gpkg, geojson, csv, xlsx, kml, manifest)",
               lambda: export.write_all(result.villages, result.summary, result.manifest, Path(tmp)))
    extra["measure_seconds_in_process"] = measured.seconds
    return T.rows, extra


def end_to_end(cfg_path: Path, *, engine: str = "local", keep: Path | None = None) -> dict:
    """Run the whole pipeline (and exports) in a child process; its time and peak RSS.

    ``engine="dask"`` runs it on a two-worker ``LocalCluster`` of processes (one thread
    each) started in the child, and also reports each worker's peak RSS and the largest
    raster window a worker read. ``keep`` pickles the villages (without geometry) there,
    for comparing engines.
    """
    code = (
        "import dataclasses, json, resource, sys, tempfile, time\n"
        "from gisapp.config import load_config\n"
        "from gisapp.pipeline import run_to_dir\n"
        "cfg = load_config(sys.argv[1])\n"
        "engine, keep = sys.argv[2], sys.argv[3]\n"
        "cfg = cfg.replace(options=dataclasses.replace(cfg.options, engine=engine))\n"
        "extra = {}\n"
        # VmHWM, not ru_maxrss: after fork + exec Linux keeps the parent's high-water mark
        # in ru_maxrss (a child of a 3.5 GB benchmark reported 3.5 GB)
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1]) / 1024\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "client = cluster = None\n"
        "if engine == 'dask':\n"
        "    from distributed import Client, LocalCluster\n"
        "    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,\n"
        "                           dashboard_address=None, memory_limit=0)\n"
        "    client = Client(cluster)\n"
        "t0 = time.perf_counter()\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    res = run_to_dir(cfg, d)\n"
        "    t = time.perf_counter() - t0\n"
        "if client is not None:\n"
        "    peaks = client.run(hwm)\n"
        "    extra['worker_rss_mb'] = sorted(peaks.values())\n"
        "    sig = [x for x in res[0].report.layers if 'max_window_px' in x]\n"
        "    extra['max_window_px'] = max(x['max_window_px'] for x in sig)\n"
        "    extra['raster_px'] = max(x['raster_px'] for x in sig)\n"
        "    client.close(); cluster.close()\n"
        "if keep:\n"
        "    res[0].villages.drop(columns='geometry').to_pickle(keep)\n"
        "print(json.dumps({'seconds': t, 'rss_mb': hwm(), **extra}))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(cfg_path), engine, str(keep or "")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = _TreeRss(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop()
    if proc.returncode:
        raise RuntimeError(f"end-to-end child failed:\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    # sampling can miss a short spike that the process's own high-water mark caught
    res["tree_rss_mb"] = max(sampler.peak_mb, res["rss_mb"])
    return res


class _TreeRss:
    """Peak of the summed resident memory of a process and all its descendants (the
    Excel writer's second process, Dask workers), sampled from /proc every 50 ms;
    ``ru_maxrss`` alone counts one process."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak_mb = pid, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    todo += [int(c) for c in (task / "children").read_text().split()]
                except OSError:
                    pass
        return out

    def _run(self) -> None:
        while not self._done.wait(0.05):
            total = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
            self.peak_mb = max(self.peak_mb, total / 1024.0)


def compare_villages(a_path: Path, b_path: Path) -> dict:
    """Largest difference between two engines' village tables (same rows, same columns)."""
    import pandas as pd

    a, b = pd.read_pickle(a_path), pd.read_pickle(b_path)
    same_rows = list(a.columns) == list(b.columns) and a["village_id"].tolist() == b["village_id"].tolist()
    worst, worst_share, unequal = 0.0, 0.0, []
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]):
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            if not np.array_equal(np.isnan(x), np.isnan(y)):
                unequal.append(c)
                continue
            if np.isfinite(x).any():
                d = float(np.nanmax(np.abs(x - y)))
                worst = max(worst, d)
                if "share" in c:
                    worst_share = max(worst_share, d)
        elif not a[c].equals(b[c]):
            unequal.append(c)
    return {"same_rows": same_rows, "max_share_diff": worst_share, "max_float_diff": worst,
            "unequal_columns": unequal}


def table(rows: list[Row]) -> str:
    head = "| stage | s | peak RSS MB | × floor (band read) | baseline | × faster than baseline | note |"
    lines = [head, "|---|---:|---:|---:|---|---:|---|"]
    for r in rows:
        xf = f"{r.seconds / r.floor:.2f}" if r.floor else ""
        if r.baseline:
            bl, xb = f"{r.baseline_name} {r.baseline:.2f} s", f"{r.baseline / r.seconds:.1f}"
        else:
            bl = xb = ""
        lines.append(f"| {r.stage} | {r.seconds:.2f} | {r.rss_mb:.0f} | {xf} | {bl} | {xb} | {r.note} |")
    return "\n".join(lines)


def main(size: str, *, e2e: bool = True, write: bool = True, dask: bool = False) -> int:
    from benchmarks.generate import SIZES, generate

    t_all = time.perf_counter()
    load0 = load()
    t0 = time.perf_counter()
    cfg_path = generate(size)
    t_gen = time.perf_counter() - t0
    s = SIZES[size]
    print(f"{size}: {s.n_villages:,} villages, {len(s.layers)} signal layer(s) of "
          f"{s.cols:,} × {s.rows:,} px, {len(s.coverage_carriers)} coverage layer(s) of "
          f"{s.n_towers:,} discs; inputs ready in {t_gen:.1f} s (cached in benchmarks/out/)")
    rows, extra = stages(cfg_path, size)
    e2e_res = None
    if e2e:
        print("  end to end (child process) …", flush=True)
        keep = Path(tempfile.mkdtemp(prefix="gisapp-bench-"))
        e2e_res = end_to_end(cfg_path, keep=keep / "local.pkl" if dask else None)
        floor = next(r.seconds for r in rows if r.stage.startswith("floor"))
        rows.append(Row("END TO END: gisapp run (measure + assess + exports)", e2e_res["seconds"],
                        e2e_res["tree_rss_mb"], floor=floor,
                        note="child process; RSS = its processes together (incl. the Excel "
                             f"writer's), sampled every 50 ms; its own VmHWM {e2e_res['rss_mb']:.0f} MB"))
        if dask:
            print("  end to end, Dask engine (child process, LocalCluster 2 × 1 thread) …",
                  flush=True)
            dres = end_to_end(cfg_path, engine="dask", keep=keep / "dask.pkl")
            cmp = compare_villages(keep / "local.pkl", keep / "dask.pkl")
            rows.append(Row("END TO END: engine = \"dask\" (LocalCluster, 2 worker processes)",
                            dres["seconds"], dres["tree_rss_mb"], floor=floor,
                            note="RSS = client + workers together, sampled; client's own "
                                 f"{dres['rss_mb']:.0f} MB, workers' peaks "
                                 + ", ".join(f"{x:.0f}" for x in dres["worker_rss_mb"]) + " MB"))
            extra["dask"] = {**dres, **cmp}
    load1 = load()
    tab = table(rows)
    checks = [
        f"raster statistics, worst further layer (read + stats) / band read alone: "
        f"{extra['zonal_layer_ratio_max']:.2f} (target ≤ 2)",
        f"(village, pixel) pairs in the index: {extra['index_pairs']:,}",
        f"village mean dBm vs exactextract: max |diff| {extra['mean_vs_exactextract_db']:.2e} dB",
        f"polygon area share vs geopandas.overlay: max |diff| {extra['polygon_share_vs_overlay']:.2e}",
        f"people on the signal pixels vs GDAL's sum warp: max relative diff "
        f"{extra['weights_vs_gdal']:.2e} (pixels with > 1 person)",
    ]
    if "dask" in extra:
        d = extra["dask"]
        checks.append(
            f"Dask engine vs local engine: same rows {d['same_rows']}, max |diff| in shares "
            f"{d['max_share_diff']:.1e}, in any float column {d['max_float_diff']:.1e}, unequal "
            f"columns {d['unequal_columns'] or 'none'}; largest raster window a worker read "
            f"{d['max_window_px']:,} px of {d['raster_px']:,} ({d['max_window_px'] / d['raster_px']:.1%}); "
            f"worker peak RSS {', '.join(f'{x:.0f}' for x in d['worker_rss_mb'])} MB")
    if e2e_res:
        checks.append(f"end to end {e2e_res['seconds']:.1f} s, peak {e2e_res['tree_rss_mb']:.0f} MB "
                      + ("(target < 60 s, < 4 GB)" if size == "national" else "(target < 2 s)"))
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    text = (f"\n## {size} — {stamp}\n\nMachine: {machine()}; load average (1/5/15 min) "
            f"{load0} before, {load1} after; other users were running tests. Ratios are from "
            "this one run.\n\n" + tab + "\n\n" + "\n".join(f"* {c}" for c in checks)
            + f"\n\nWhole benchmark: {time.perf_counter() - t_all:.1f} s.\n")
    print(text)
    if write:
        if not RESULTS.exists():
            RESULTS.write_text("# Benchmark results\n\nAppended by `python -m benchmarks run "
                               "--size small|national`; see benchmarks/run.py for what each "
                               "row measures.\n", encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(text)
    return 0
