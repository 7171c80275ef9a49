"""``gisapp report``: the weekly progress report (DOCX and an XLSX annex) from a store."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="write the progress report for a period (DOCX + XLSX annex)",
        description="Write the province's progress report for a period from a snapshot store: "
                    "headline figures, targets, map, burn-down, communes, carriers and EVN, "
                    "villages closed/new/reopened, data sources.")
    p.add_argument("--store", required=True, help=".gpkg file or postgresql:// URL")
    p.add_argument("--from", dest="date_from", required=True, help="first day YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, help="last day YYYY-MM-DD")
    p.add_argument("--out", required=True, help="folder for the report files")
    p.add_argument("--lang", choices=("vi", "en"), default="vi",
                   help="language of the report (default vi)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from gisapp.cli.snapshot_cmd import _existing_store
    from gisapp.tracking.report import write_report

    store = _existing_store(args.store)
    try:
        paths = write_report(store, args.date_from, args.date_to, args.out, lang=args.lang)
    finally:
        store.close()
    for path in paths.values():
        print(path)
    return 0
