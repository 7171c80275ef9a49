"""``gisapp check FILE``: check a filled-in template row by row before any run."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def _check(args: argparse.Namespace) -> int:
    from gisapp.checks import check_template, read_communes

    communes = read_communes(args.communes) if args.communes else None
    bad = 0
    for path in args.files:
        report = check_template(path, communes=communes, sheet=args.sheet)
        for line in report.lines(args.lang):
            print(line)
        bad += not report.ok
    return 1 if bad else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check filled-in templates (data/templates) before a run",
                       description="Read each FILE (a template from data/templates, as XLSX or "
                       "CSV) and list, row by row, what to fix: missing ids, coordinates outside "
                       "Vietnam or swapped, unknown communes, numbers that are not numbers, "
                       "names repeated in a commune. Exit status 0 when every file is clean, 1 "
                       "when a problem was found, 2 when a file cannot be read.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="filled-in template(s)")
    p.add_argument("--communes", type=Path, default=None, metavar="FILE",
                   help="commune list or layer (column commune, xa, ten_xa, fullName or name); "
                   "without it communes are not checked")
    p.add_argument("--sheet", default=None, help="sheet to read (default: the data sheet)")
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the report")
    p.set_defaults(func=_check)
