"""``python -m benchmarks run --size small|national`` (see benchmarks/run.py)."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description="gisapp benchmarks")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="time every stage against the floor and the baselines")
    r.add_argument("--size", choices=("small", "national"), default="small")
    r.add_argument("--no-e2e", action="store_true", help="skip the end-to-end child run")
    r.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    r.add_argument("--dask", action="store_true",
                   help="also run end to end with engine = \"dask\" on a two-worker LocalCluster "
                        "and compare its villages with the local engine's")
    g = sub.add_parser("generate", help="only generate (or reuse) the inputs")
    g.add_argument("--size", choices=("small", "national"), default="small")
    g.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.cmd == "generate":
        from benchmarks.generate import generate
        print(generate(args.size, force=args.force))
        return 0
    from benchmarks.run import main as run_main
    return run_main(args.size, e2e=not args.no_e2e, write=not args.no_write, dask=args.dask)


if __name__ == "__main__":
    sys.exit(main())
