"""Planning benchmark (on demand): modelled coverage for a synthetic 60 x 70 km province at
100 m with ~150 sites over a DEM, and site selection with 500 candidates, ~2,000 villages.

    python benchmarks/bench_planning.py
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from gisapp.analysis.propagation import model_signal
from gisapp.analysis.siting import coverage_matrix, select_sites


def synthetic_dem(shape, rng):
    from scipy.ndimage import gaussian_filter

    z = gaussian_filter(rng.normal(size=shape), 25) * 1.0
    z = (z - z.min()) / (z.max() - z.min()) * 1500 + 200       # 200-1700 m hills
    return z.astype(np.float32)


def main() -> None:
    rng = np.random.default_rng(0)
    res_m, (h, w) = 100.0, (700, 600)                        # 70 km x 60 km
    tr = Affine(res_m, 0, 400_000, 0, -res_m, 2_400_000)
    dem = synthetic_dem((h, w), rng)
    n = 150
    xs = rng.uniform(400_000, 460_000, n)
    ys = rng.uniform(2_330_000, 2_400_000, n)
    sites = gpd.GeoDataFrame(
        {"carrier": rng.choice(["Viettel", "VinaPhone", "MobiFone"], n),
         "technology": rng.choice(["2G", "4G"], n), "height_m": 30.0},
        geometry=gpd.points_from_xy(xs, ys), crs="EPSG:32648")
    t = time.perf_counter()
    out = model_signal(sites, dem=(dem, tr, "EPSG:32648"))
    t_dem = time.perf_counter() - t
    t = time.perf_counter()
    model_signal(sites, dem=None, grid=(tr, (h, w), "EPSG:32648"))
    t_fb = time.perf_counter() - t
    print(f"modelled coverage, {n} sites, {h}x{w} @ 100 m, DEM + line of sight: {t_dem:.1f} s "
          f"({len(out)} layers)")
    print(f"modelled coverage, fixed-radius fallback: {t_fb:.2f} s")

    nv, nc = 2_000, 500
    vxy = np.column_stack([rng.uniform(0, 60_000, nv), rng.uniform(0, 70_000, nv)])
    pop = rng.integers(50, 800, nv).astype(float)
    cxy = vxy[rng.choice(nv, nc, replace=False)]
    t = time.perf_counter()
    cov = coverage_matrix(cxy, vxy, radius_m=3_000.0)
    t_cov = time.perf_counter() - t
    print(f"coverage matrix {nc} x {nv}: {t_cov:.3f} s, {cov.nnz} links")
    costs = rng.integers(60, 120, nc) * 1_000.0
    for kw in ({"n_sites": 20}, {"n_sites": 50}, {"budget": 2_000_000.0, "site_costs": costs}):
        for method in ("exact", "greedy"):
            t = time.perf_counter()
            r = select_sites(cov, pop, method=method, time_limit_s=60, **kw)
            dt = time.perf_counter() - t
            label = ", ".join(f"{k}={v}" for k, v in kw.items() if k != "site_costs")
            print(f"select {label} {method:6s}: {dt:6.2f} s, served {r.served_weight:,.0f}, "
                  f"bound {r.bound:,.0f}, gap {100 * r.gap:.2f} % ({r.method})")


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()
