"""The measurement stage (issue 14) against the time to read the measurement points.

Run on demand (not in the tests)::

    python -m benchmarks.bench_measurements [--size national]

Writes (or reuses, under ``benchmarks/out/measurements-<size>/``) the benchmark's
villages and its drive-test points (:func:`benchmarks.generate.write_measurements`;
national: 100,000 villages, 1,000,000 points), without the rasters, and times:

* the floor: reading the points alone (:func:`gisapp.io.vector.read_vector`, the reader
  every run uses);
* the stage: reading them through the pipeline (:func:`gisapp.pipeline.evidence.read_measurements`:
  read, reproject, check every row), pairing them with the villages and judging every
  carrier × technology (:func:`gisapp.analysis.coverage.evidence.measurement_evidence`).

The target is the stage within 2× the floor. :func:`measurement_stage` is also one row of
``python -m benchmarks run``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["measurement_stage", "main"]


def measurement_stage(cfg, crs, villages) -> tuple[float, float, dict]:  # noqa: ANN001
    """``(floor seconds, stage seconds, counts)`` for the config's first measurement
    table on ``villages`` (metric CRS)."""
    from gisapp.analysis.coverage import evidence as ev
    from gisapp.io.vector import read_vector
    from gisapp.pipeline.evidence import read_measurements

    layer = cfg.measurements[0]
    t0 = time.perf_counter()
    read_vector(layer.path, layer=layer.layer, lon=layer.lon, lat=layer.lat, crs=layer.crs)
    floor = time.perf_counter() - t0
    base = villages.assign(_has_geom=True)
    rules = cfg.measurement_rules
    t0 = time.perf_counter()
    _, (pts, skipped) = read_measurements(cfg, crs, base, layer)
    pts = pts.reset_index(drop=True)
    vi, pk = ev.village_pairs(base, pts.geometry, radius_m=layer.radius_m)
    judged = 0
    for (_, tech), rows in pts.groupby(["carrier", "technology"]).indices.items():
        member = np.zeros(len(pts), bool)
        member[rows] = True
        pos = np.full(len(pts), -1, np.intp)
        pos[rows] = np.arange(len(rows))
        keep = member[pk]
        out = ev.measurement_evidence(
            base, pts.iloc[rows], pairs=(vi[keep], pos[pk[keep]]),
            threshold_dbm=float(cfg.thresholds.dbm[tech]), min_samples=rules.min_samples,
            max_age_days=rules.max_age_days, covered_share=rules.covered_share,
            as_of=pd.Timestamp(rules.as_of) if rules.as_of else None)
        judged += int((out["meas_verdict"] != "insufficient").sum())
    stage = time.perf_counter() - t0
    return floor, stage, {"points": int(len(pts)), "pairs": int(len(vi)),
                          "judged_village_layers": judged, "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import OUT, SIZES, _config, _villages, write_measurements
    from gisapp.config import load_config
    from gisapp.crs import metric_crs, to_metric
    from gisapp.io.vector import read_vector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=tuple(SIZES), default="small")
    args = ap.parse_args(argv)
    size = SIZES[args.size]
    folder = OUT / f"measurements-{args.size}"
    cfg_path = folder / "config.toml"
    if not cfg_path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        villages = _villages(size, np.random.default_rng(size.seed))
        villages.to_file(folder / "villages.gpkg", layer="villages", engine="pyogrio")
        write_measurements(size, folder / "measurements.csv", villages)
        text = _config(size)
        text = text[:text.index("[population_raster]")] + text[text.index("[[measurements]]"):]
        cfg_path.write_text(text, encoding="utf-8")
        print(f"generated in {time.perf_counter() - t0:.1f} s: {folder}")
    cfg = load_config(cfg_path)
    raw = read_vector(cfg.villages.path, layer=cfg.villages.layer)
    crs = metric_crs(raw, override=cfg.options.crs)
    villages = to_metric(raw, crs)
    floor, stage, counts = measurement_stage(cfg, crs, villages)
    print(f"{len(villages):,} villages, {counts['points']:,} points, {counts['pairs']:,} "
          f"point-village pairs, {counts['judged_village_layers']:,} village × layer verdicts")
    print(f"floor: read the points alone   {floor:8.2f} s")
    print(f"stage: read + check + judge    {stage:8.2f} s   ({stage / floor:.2f} × floor; "
          f"target ≤ 2: {'met' if stage <= 2 * floor else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
