"""``gisapp plan CONFIG --out DIR``: costs, new sites and one pack per carrier."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gisapp.cli.run_cmd import terminal_progress
from gisapp.config import load_config

__all__ = ["register"]


def _scaled(progress, lo: float, hi: float):  # noqa: ANN001, ANN202 - tiny adapter
    if progress is None:
        return None
    return lambda f, msg: progress(lo + (hi - lo) * f, msg)


def _plan(args: argparse.Namespace) -> int:
    from gisapp.pipeline import run
    from gisapp.planning import plan, with_modelled_coverage, write_plan

    cfg = load_config(args.config)
    t0 = time.perf_counter()
    progress = None if args.quiet else terminal_progress()
    modelled = cfg.propagation.enabled or args.modelled
    result = run(cfg, progress=_scaled(progress, 0.0, 0.4 if modelled else 0.7))
    if modelled:
        cfg = with_modelled_coverage(result, Path(args.out) / "modelled", config=cfg,
                                     progress=_scaled(progress, 0.4, 0.55))
        result = run(cfg, progress=_scaled(progress, 0.55, 0.7))
    p = plan(result, config=cfg, progress=_scaled(progress, 0.7, 0.9))
    if progress:
        progress(0.9, "writing costs, sites and carrier packs")
    paths = write_plan(p, result, args.out, lang=args.lang)
    if progress:
        progress(1.0, "done")
    t = p.totals
    label = " (synthetic data)" if cfg.options.synthetic else ""
    print(f"{t['signal_gap_villages']} villages without signal, {t['pop_unserved']:,.0f} people "
          f"unserved{label}; closing every gap costs {t['cost_total_usd']:,.0f} USD")
    print(f"{t['sites_selected']} new sites ({t['siting_method']}, {t['coverage']}) serve "
          f"{t['pop_served_by_sites']:,.0f} people for {t['sites_cost_usd']:,.0f} USD "
          f"(upper bound {t['siting_bound']:,.0f}, gap {100 * t['siting_gap']:.1f} %)")
    for carrier, n in t["villages_per_carrier"].items():
        print(f"  {carrier:<20} {n:>6} villages")
    for w in result.report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"planned in {time.perf_counter() - t0:.1f} s; wrote: "
          + ", ".join(Path(p_).name for p_ in paths.values()) + f" in {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="cost each gap, choose new sites, write one pack per carrier",
                       description="Run CONFIG, price the cheapest way to close each village's "
                       "gaps, choose new sites ([siting]), assign each village without signal to "
                       "a carrier, and write costs.csv/.xlsx, sites.gpkg/.geojson/.csv, one "
                       "<carrier>.zip per carrier and manifest.json into DIR.")
    p.add_argument("config", type=Path, help="run config (TOML)")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("--modelled", action="store_true",
                   help="add coverage modelled from the towers (and DEM) before planning "
                   "(as [propagation] enabled = true)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--lang", choices=("vi", "en"), default="vi",
                   help="language of the files for people (Excel headers, KML); default vi")
    p.set_defaults(func=_plan)
