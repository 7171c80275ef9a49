"""``gisapp demo``: write the synthetic demo province and say how to run it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ["register", "main"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="write the synthetic demo province (fictional data) to a folder",
        description=(
            "Write a fictional mountainous province (villages, terrain, towers, coverage, "
            "power grid, the utility's village list ...) generated in code, with a "
            "config.toml to run. All data are synthetic."
        ),
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder to write into")
    p.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    p.add_argument("--villages", type=int, default=1500, metavar="N",
                   help="number of villages, 50-4000 (default 1500)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from gisapp.demo import generate_demo
    from gisapp.errors import ConfigError

    if not 50 <= args.villages <= 4000:
        raise ConfigError(f"--villages must be between 50 and 4000, not {args.villages}")
    t0 = time.perf_counter()
    config = generate_demo(args.out, seed=args.seed, n_villages=args.villages)
    took = time.perf_counter() - t0
    out = Path(args.out)
    print(f"Synthetic demo province written to {out} in {took:.1f} s (seed {args.seed}).")
    print(f"Config: {config}")
    print("Run it with:")
    print(f"  gisapp run {config} --out {out / 'results'}")
    return 0
