"""``gisapp compare CONFIG [CONFIG ...] --out DIR``: scenarios side by side."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from gisapp.cli.run_cmd import terminal_progress

__all__ = ["register"]


def _compare(args: argparse.Namespace) -> int:
    from gisapp.io import export
    from gisapp.planning import compare

    t0 = time.perf_counter()
    progress = None if args.quiet else terminal_progress()
    comp = compare(list(args.configs), progress=progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = comp.table.reset_index()
    written = [
        export.write_csv(table, out / "comparison.csv"),
        export.write_xlsx(comp.changes, table, out / "comparison.xlsx", commune_col="scenario",
                          rank_col="scenario",
                          title="Scenarios side by side; one sheet per scenario lists the "
                          f"villages whose gap class differs from '{comp.changes.attrs.get('first')}'"),
        export.write_csv(comp.changes, out / "changes.csv"),
    ]
    cols = ["signal_gap_villages", "pop_unserved", "sites_selected", "pop_served_by_sites",
            "cost_total_usd"]
    print(comp.table[cols].to_string(float_format=lambda x: f"{x:,.0f}"))
    print(f"{len(comp.changes)} village(s) change gap class; compared in "
          f"{time.perf_counter() - t0:.1f} s; wrote: " + ", ".join(p.name for p in written)
          + f" in {out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare configs or the [[scenarios]] of one config",
                       description="Run and plan each CONFIG (or, for one CONFIG with "
                       "[[scenarios]], the base and each scenario) and write comparison.csv/"
                       ".xlsx (one row per scenario: villages and people per gap class, people "
                       "served by new sites, cost) and changes.csv (villages whose gap class "
                       "differs from the first). Configs that differ only in thresholds, "
                       "weights or planning settings are measured once.")
    p.add_argument("configs", type=Path, nargs="+", metavar="CONFIG", help="run config(s) (TOML)")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_compare)
