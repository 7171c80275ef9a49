"""Coverage from towers over terrain at province size (issue 16), on demand (not in CI).

    PYTHONPATH=. python3 benchmarks/bench_towers.py [--towers 300] [--reach 20000]
        [--dem-res 30] [--radials 72] [--step 6] [--spacing 90] [--workers 2] [--append]

A synthetic province: ``--towers`` sites (3 carriers × 2G/4G) spread over a 150 km square,
each modelled to ``--reach`` metres, on a ``--dem-res`` metre DEM of rolling hills and
ridges (UTM 48N). Two models on the same inputs in the same process, output grid 100 m:

* the baseline, Hata + DEM line of sight (``gisapp.analysis.propagation.model_signal``,
  what ``gisapp plan`` used before issue 16);
* ITM over ``--radials`` radial profiles sampled every ``--spacing`` m, a receiver every
  ``--step`` samples, filled between radials (``gisapp.analysis.towers_coverage``) on
  ``--workers`` processes.

Prints a table and, with ``--append``, adds it to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from affine import Affine

from gisapp.analysis.propagation import model_signal
from gisapp.analysis.towers_coverage import TowerModelOptions, model_towers
from gisapp.config.planning import PropagationSettings

CRS = "EPSG:32648"
SIDE_M = 150_000.0


def province(n_towers: int, reach: float, dem_res: float, seed: int = 16):
    """Towers, DEM (heights, transform) and the 100 m output grid of a synthetic province."""
    rng = np.random.default_rng(seed)
    x0, y1 = 300_000.0, 2_500_000.0
    pad = reach * 1.1
    n = int((SIDE_M + 2 * pad) / dem_res)
    gtr = Affine(dem_res, 0, x0 - pad, 0, -dem_res, y1 + pad)
    gx = (np.arange(n, dtype=np.float32) + 0.5) * dem_res
    ground = np.empty((n, n), np.float32)
    for r0 in range(0, n, 1024):         # in bands: a 6,000² float64 temporary is 300 MB
        gy = (np.arange(r0, min(r0 + 1024, n), dtype=np.float32) + 0.5)[:, None] * dem_res
        ground[r0:r0 + gy.shape[0]] = (
            800 + 400 * np.sin(gx / 7_000.0) * np.cos(gy / 9_000.0)
            + 250 * np.sin((gx + gy) / 2_300.0) + 120 * np.cos(gx / 900.0 - gy / 1_300.0))
    tx = x0 + rng.uniform(0, SIDE_M, n_towers)
    ty = y1 - rng.uniform(0, SIDE_M, n_towers)
    carriers = np.array(["Viettel", "VNPT", "MobiFone"])[rng.integers(0, 3, n_towers)]
    techs = np.array(["2G", "4G"])[rng.integers(0, 2, n_towers)]
    sites = gpd.GeoDataFrame({"carrier": carriers, "technology": techs,
                              "height_m": rng.uniform(30, 45, n_towers)},
                             geometry=gpd.points_from_xy(tx, ty), crs=CRS)
    res = 100.0
    shape = (int(SIDE_M / res), int(SIDE_M / res))
    grid = (Affine(res, 0, x0, 0, -res, y1), shape, CRS)
    return sites, (ground, gtr), grid


def fill_error(sites, ground, grid, itm, opts, reach: float, n: int = 300, seed: int = 3):
    """Filled raster − direct ITM (``itm_p2p_loss_db`` on the straight profile at the DEM
    resolution to the pixel centre) at ``n`` random pixels within 1–``reach`` m of the
    first 10 towers, each pixel compared with its own tower alone: median and 90th
    percentile of the absolute difference (dB)."""
    from scipy.ndimage import map_coordinates

    from gisapp.analysis.itm import itm_p2p_loss_db, make_pfl
    from gisapp.schema import layer_key

    rng = np.random.default_rng(seed)
    arr, gtr = ground
    tr = grid[0]
    diffs = []
    for i in range(min(10, len(sites))):
        one = sites.iloc[[i]]
        lay = model_towers(one, grid=grid, ground=ground, settings=PropagationSettings(
            max_range_m={"2G": reach, "4G": reach}), options=opts).layers
        key = layer_key(one["carrier"].iloc[0], one["technology"].iloc[0])
        x, y = one.geometry.x.iloc[0], one.geometry.y.iloc[0]
        h = float(one["height_m"].iloc[0])
        f = 900.0 if one["technology"].iloc[0] == "2G" else 1800.0
        eirp = 55.0 if f == 900.0 else 27.0
        for _ in range(n // 10):
            d, az = rng.uniform(1_000, reach * 0.98), rng.uniform(0, 2 * np.pi)
            c, r = ~tr @ (x + d * np.sin(az), y + d * np.cos(az))
            if not (0 <= r < grid[1][0] and 0 <= c < grid[1][1]):
                continue
            cx, cy = tr @ (int(c) + 0.5, int(r) + 0.5)
            dist = float(np.hypot(cx - x, cy - y))
            k = max(int(dist / abs(gtr.a)), 2)
            t = np.linspace(0, 1, k + 1)
            gc, gr = ~gtr @ (x + t * (cx - x), y + t * (cy - y))
            z = map_coordinates(arr, [gr - 0.5, gc - 0.5], order=1)
            direct = itm_p2p_loss_db(h, 1.5, make_pfl(z, dist / k), 5, 301.0, f, 1, 15.0,
                                     0.005, 12, 50.0, 50.0, 50.0)
            diffs.append(abs((eirp - lay[key].dbm[int(r), int(c)]) - direct))
    diffs = np.asarray(diffs)
    return float(np.nanmedian(diffs)), float(np.nanpercentile(diffs, 90)), int(diffs.size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--towers", type=int, default=300)
    ap.add_argument("--reach", type=float, default=20_000.0)
    ap.add_argument("--dem-res", type=float, default=30.0)
    ap.add_argument("--radials", type=int, default=72)
    ap.add_argument("--step", type=int, default=6)
    ap.add_argument("--spacing", type=float, default=90.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--append", action="store_true")
    ap.add_argument("--check", action="store_true",
                    help="also compare the filled raster with direct ITM at 300 pixels")
    a = ap.parse_args()
    load0 = os.getloadavg()
    t = time.perf_counter()
    sites, ground, grid = province(a.towers, a.reach, a.dem_res)
    t_make = time.perf_counter() - t
    settings = PropagationSettings(max_range_m={"2G": a.reach, "4G": a.reach})
    rows = []
    if not a.skip_baseline:
        t = time.perf_counter()
        base = model_signal(sites, dem=(ground[0], ground[1], CRS), grid=grid, settings=settings)
        t_base = time.perf_counter() - t
        rows.append(("Hata + line of sight (baseline)", t_base, len(base)))
    opts = TowerModelOptions(model="itm", radials=a.radials, receiver_step=a.step,
                             profile_spacing_m=a.spacing, workers=a.workers)
    t = time.perf_counter()
    itm = model_towers(sites, grid=grid, ground=ground, settings=settings, options=opts)
    t_itm = time.perf_counter() - t
    rows.append((f"ITM, {a.radials} radials, {a.spacing:.0f} m profile, receiver every "
                 f"{a.step} samples, {a.workers} processes", t_itm, len(itm.layers)))
    paths = a.towers * a.radials * (int(np.ceil(a.reach / a.spacing)) // a.step)
    load1 = os.getloadavg()
    lines = [
        f"## Towers over terrain (issue 16) — {dt.datetime.now().isoformat(timespec='seconds')}",
        "",
        f"`PYTHONPATH=. python3 benchmarks/bench_towers.py --towers {a.towers} --reach "
        f"{a.reach:.0f} --dem-res {a.dem_res:.0f} --radials {a.radials} --step {a.step} "
        f"--spacing {a.spacing:.0f} --workers {a.workers}`",
        "",
        f"Machine: {platform.machine()}, nproc {os.cpu_count()}, Python "
        f"{platform.python_version()}; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.2f}' for x in load0)} before, "
        f"{'/'.join(f'{x:.2f}' for x in load1)} after (other helpers share the 2 cores). "
        f"{a.towers} towers, reach {a.reach / 1000:.0f} km, DEM {a.dem_res:.0f} m "
        f"({ground[0].shape[1]} × {ground[0].shape[0]} pixels, made in {t_make:.1f} s), "
        f"output 100 m ({grid[1][1]} × {grid[1][0]}); ITM paths: {paths:,}.",
        "",
        "| model | s | layers | s per tower |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {name} | {s:.1f} | {n} | {s / a.towers:.3f} |" for name, s, n in rows]
    if len(rows) == 2:
        lines += ["", f"ITM / baseline: {rows[1][1] / rows[0][1]:.2f} × the time."]
    if a.check:
        med, p90, n = fill_error(sites, ground, grid, itm, TowerModelOptions(
            model="itm", radials=a.radials, receiver_step=a.step, profile_spacing_m=a.spacing),
            a.reach)
        lines += ["", f"Filled raster against direct ITM to the pixel centre (profile at the "
                  f"DEM's {a.dem_res:.0f} m) at {n} random pixels of 10 towers: |difference| "
                  f"median {med:.1f} dB, 90th percentile {p90:.1f} dB."]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.append:
        res = Path(__file__).with_name("RESULTS.md")
        res.write_text(res.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text,
                       encoding="utf-8")


if __name__ == "__main__":
    main()
