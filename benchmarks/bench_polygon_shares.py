"""Benchmark: polygon_coverage against geopandas.overlay on the same synthetic inputs.

Run on demand (not part of the tests)::

    python benchmarks/bench_polygon_shares.py [n_villages] [n_discs] [vertices]

Villages are irregular polygons (buffered random points, 300–1,500 m) and coverage is
discs of 2–8 km radius (smooth 64-vertex discs, or ragged ones with
``vertices`` vertices like vectorised coverage predictions), both in UTM 48N over a 150 × 150 km area. The overlay path is
what a GIS user would write: dissolve the coverage, overlay, sum the areas per village.
Both paths must give the same shares (checked to 1e-6).
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp.analysis.coverage import centres, polygon_coverage

UTM = "EPSG:32648"


def synthetic(n_villages: int, n_discs: int, *, vertices: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 150_000, (n_villages, 2)) + [400_000, 2_300_000]
    r = rng.uniform(300, 1500, n_villages)
    # irregular outlines: a buffered point stretched and rotated
    villages = shapely.buffer(shapely.points(xy), r, quad_segs=8)
    villages = [shapely.affinity.rotate(shapely.affinity.scale(g, rng.uniform(0.5, 1.5), 1), a)
                for g, a in zip(villages, rng.uniform(0, 180, n_villages))]
    cxy = rng.uniform(0, 150_000, (n_discs, 2)) + [400_000, 2_300_000]
    if vertices <= 64:
        discs = shapely.buffer(shapely.points(cxy), rng.uniform(2000, 8000, n_discs), quad_segs=16)
    else:
        # ragged discs like vectorised coverage predictions: radius varies along the edge
        angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
        radius = rng.uniform(2000, 8000, (n_discs, 1)) * (1 + 0.15 * rng.standard_normal((n_discs, vertices)))
        ring = np.stack([cxy[:, :1] + radius * np.cos(angle), cxy[:, 1:] + radius * np.sin(angle)], axis=-1)
        discs = shapely.make_valid(shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1)))
    return (gpd.GeoDataFrame({"vid": np.arange(n_villages)}, geometry=villages, crs=UTM),
            gpd.GeoDataFrame(geometry=discs, crs=UTM))


def main() -> None:
    n_villages = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_discs = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    vertices = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    villages, coverage = synthetic(n_villages, n_discs, vertices=vertices)
    c = centres(villages)

    t0 = time.perf_counter()
    ours = polygon_coverage(villages, coverage, centres=c)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    dissolved = coverage.dissolve()
    pieces = gpd.overlay(villages, dissolved, how="intersection", keep_geom_type=True)
    covered = pieces.area.groupby(pieces["vid"]).sum()
    theirs = (covered.reindex(villages["vid"]).fillna(0.0).to_numpy() / villages.area.to_numpy())
    t_overlay = time.perf_counter() - t0

    diff = np.abs(ours["area_share"].to_numpy() - theirs).max()
    print(f"{n_villages} villages × {n_discs} coverage discs of {vertices} vertices (UTM 48N)")
    print(f"polygon_coverage   {t_ours:8.3f} s")
    print(f"geopandas.overlay  {t_overlay:8.3f} s  (dissolve + overlay + groupby)")
    print(f"speed-up           {t_overlay / t_ours:8.1f} ×")
    print(f"max |share difference| {diff:.2e}")
    if diff > 1e-6:
        raise SystemExit("the two methods disagree")


if __name__ == "__main__":
    main()
