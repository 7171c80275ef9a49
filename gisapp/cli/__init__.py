"""Command line: ``gisapp run | demo | plan | compare | snapshot | check``.

Each command lives in its own module here (as ``rasterio/rio/`` does) with a
``register(subparsers)`` function that adds its parser and sets ``func``; the
module is only argument parsing around a library call. Errors a user can cause
(:class:`gisapp.errors.GisappError`) are printed as one plain message with exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from gisapp import __version__
from gisapp.errors import GisappError

__all__ = ["main", "build_parser"]

#: command modules, in the order shown by --help
COMMAND_MODULES = ("run", "demo", "plan", "compare", "snapshot", "check")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gisapp",
        description="Villages with no electricity and no mobile signal: find, rank, plan, export.",
    )
    parser.add_argument("--version", action="version", version=f"gisapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the run decides")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"gisapp.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name != f"gisapp.cli.{name}_cmd":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except GisappError as exc:
        print(f"gisapp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gisapp: interrupted; no partial output was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
