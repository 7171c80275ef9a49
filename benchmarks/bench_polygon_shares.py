"""Benchmark: polygon_coverage against geopandas.overlay, and on the national inputs.

Run on demand (not part of the tests)::

    python benchmarks/bench_polygon_shares.py [n_villages] [n_discs] [vertices] [--repeat 3]
    python benchmarks/bench_polygon_shares.py --national benchmarks/out/national [--repeat 3]

Synthetic mode: villages are irregular polygons (buffered random points, 300–1,500 m) and
coverage is discs of 2–8 km radius (smooth 64-vertex discs, or ragged ones with
``vertices`` vertices like vectorised coverage predictions), both in UTM 48N over a
150 × 150 km area. The overlay path is what a GIS user would write: dissolve the
coverage, overlay, sum the areas per village (timed once). Both paths must give the same
shares (checked to 1e-6).

National mode: the villages, population raster and each coverage layer of a generated
national benchmark folder (``python -m benchmarks generate``; its ``config.toml`` names
the files), villages in the run's metric CRS and indexed on the population grid once, as
the pipeline does; prints the best of ``--repeat`` polygon_coverage calls per layer (area
and population-weighted shares) with the thread count (``GISAPP_THREADS``) and the load.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gisapp.analysis import coverage as cov
from gisapp.analysis.coverage import centres, polygon_coverage
from gisapp.parallel import n_threads

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


def against_overlay(n_villages: int, n_discs: int, vertices: int, repeat: int) -> None:
    villages, coverage = synthetic(n_villages, n_discs, vertices=vertices)
    c = centres(villages)

    times = []
    for _ in range(repeat):
        cov._CUTS.clear()              # measure the layer itself, not the kept pieces
        t0 = time.perf_counter()
        ours = polygon_coverage(villages, coverage, centres=c)
        times.append(time.perf_counter() - t0)
    t_ours = min(times)

    t0 = time.perf_counter()
    dissolved = coverage.dissolve()
    pieces = gpd.overlay(villages, dissolved, how="intersection", keep_geom_type=True)
    covered = pieces.area.groupby(pieces["vid"]).sum()
    theirs = (covered.reindex(villages["vid"]).fillna(0.0).to_numpy() / villages.area.to_numpy())
    t_overlay = time.perf_counter() - t0

    diff = np.abs(ours["area_share"].to_numpy() - theirs).max()
    print(f"{n_villages} villages × {n_discs} coverage discs of {vertices} vertices (UTM 48N)")
    print(f"polygon_coverage   {t_ours:8.3f} s  (best of {repeat}, {n_threads()} thread(s))")
    print(f"geopandas.overlay  {t_overlay:8.3f} s  (dissolve + overlay + groupby)")
    print(f"speed-up           {t_overlay / t_ours:8.1f} ×")
    print(f"max |share difference| {diff:.2e}")
    if diff > 1e-6:
        raise SystemExit("the two methods disagree")


def national(folder: Path, repeat: int) -> None:
    from gisapp.analysis.zonal import ZonalIndex
    from gisapp.io.raster import read_band
    from gisapp.config import load_config
    from gisapp.crs import metric_crs, to_metric
    from gisapp.io.vector import read_vector

    cfg = load_config(folder / "config.toml")
    v = cfg.villages
    villages = read_vector(v.path, layer=v.layer, lon=v.lon, lat=v.lat, crs=v.crs)
    crs = metric_crs(villages, override=cfg.options.crs)
    villages = to_metric(villages, crs)
    c = centres(villages)
    kw = {}
    if cfg.population_raster is not None:
        people, transform, pcrs = read_band(cfg.population_raster.path)
        t0 = time.perf_counter()
        index = ZonalIndex.build(villages, transform=transform, shape=people.shape, crs=pcrs)
        print(f"population grid {people.shape}, indexed in {time.perf_counter() - t0:.1f} s")
        kw = {"pop_index": index, "pop_values": people}
    print(f"{len(villages)} villages; threads {n_threads()}; load {os.getloadavg()[0]:.2f}")
    for layer in cfg.coverage:
        coverage = to_metric(read_vector(layer.path, layer=layer.layer, crs=layer.crs), crs)
        times = []
        for _ in range(repeat):
            cov._CUTS.clear()          # measure the layer itself, not the kept pieces
            t0 = time.perf_counter()
            out = polygon_coverage(villages, coverage, centres=c, **kw)
            times.append(time.perf_counter() - t0)
        print(f"{layer.carrier} {layer.technology}: {len(coverage)} polygons, best of {repeat} "
              f"{min(times):.2f} s (all: {', '.join(f'{t:.2f}' for t in times)}); "
              f"mean area share {out['area_share'].mean():.4f}, pop share {out['pop_share'].mean():.4f}")
    print(f"load after {os.getloadavg()[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, help="n_villages n_discs vertices")
    ap.add_argument("--national", type=Path, help="a generated national benchmark folder")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.national is not None:
        national(args.national, args.repeat)
        return
    sizes = list(args.sizes) + [2000, 300, 64][len(args.sizes):]
    against_overlay(*sizes[:3], args.repeat)


if __name__ == "__main__":
    main()
