"""``gisapp snapshot save | list | diff``: keep dated snapshots of runs and compare them.

STORE is a ``.gpkg`` file (created on first save) or a ``postgresql://`` URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "snapshot", help="save runs as dated snapshots; list them; diff two of them",
        description="Keep dated snapshots of runs in a store (a .gpkg file or a postgresql:// "
                    "URL) and list what changed between two surveys.")
    sub = p.add_subparsers(dest="snapshot_command", metavar="ACTION")

    s = sub.add_parser("save", help="run CONFIG and save its villages as a snapshot")
    s.add_argument("config", metavar="CONFIG", help="run config (TOML)")
    s.add_argument("--store", required=True, help=".gpkg file or postgresql:// URL")
    s.add_argument("--label", required=True, help="unique name of the snapshot")
    s.add_argument("--date", default=None, help="survey date YYYY-MM-DD (default today)")
    s.set_defaults(func=_save)

    ls = sub.add_parser("list", help="list the snapshots in a store")
    ls.add_argument("--store", required=True, help=".gpkg file or postgresql:// URL")
    ls.set_defaults(func=_list)

    d = sub.add_parser("diff", help="write what changed from snapshot A to B")
    d.add_argument("a", metavar="A", help="earlier snapshot (label or id)")
    d.add_argument("b", metavar="B", help="later snapshot (label or id)")
    d.add_argument("--store", required=True, help=".gpkg file or postgresql:// URL")
    d.add_argument("--out", required=True, help="folder for the change list")
    d.add_argument("--iou-min", type=float, default=0.5,
                   help="least shape overlap (intersection over union) to match villages "
                        "whose id and name changed (default 0.5)")
    d.set_defaults(func=_diff)

    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def _existing_store(text: str):
    from gisapp.tracking.store import StoreUnavailableError, open_store

    if "://" not in text and not Path(text).expanduser().exists():
        raise StoreUnavailableError(f"store '{text}' does not exist; save a snapshot into it "
                                    "first (gisapp snapshot save CONFIG --store ... --label ...)")
    return open_store(text)


def _save(args: argparse.Namespace) -> int:
    from gisapp.config import load_config
    from gisapp.pipeline import run
    from gisapp.tracking.store import open_store

    cfg_path = Path(args.config)
    cfg = load_config(cfg_path)
    store = open_store(args.store)
    try:
        store.check_new(label=args.label, date=args.date)   # fail fast, before the slow run
        result = run(cfg)
        info = store.save(result.villages, label=args.label, date=args.date,
                          config_toml=cfg_path.read_text(encoding="utf-8"),
                          manifest=result.manifest)
    finally:
        store.close()
    print(f"saved snapshot {info.id} '{info.label}' ({info.date}, {info.n_villages} villages) "
          f"in {store.url}")
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _existing_store(args.store)
    try:
        frame = store.list()
    finally:
        store.close()
    if frame.empty:
        print(f"no snapshots in {store.url}")
        return 0
    frame.to_string(sys.stdout, index=False)
    print()
    return 0


def _diff(args: argparse.Namespace) -> int:
    from gisapp.tracking.changes import Change, diff, write_changes

    store = _existing_store(args.store)
    try:
        changes = diff(store, args.a, args.b, iou_min=args.iou_min)
    finally:
        store.close()
    paths = write_changes(changes, args.out)
    counts = ", ".join(f"{c}: {changes.count(c)}" for c in Change if changes.count(c))
    print(f"{changes.a.label} → {changes.b.label}: {counts}")
    print(f"matched by id {changes.matching['id']}, by name {changes.matching['name']}, by shape "
          f"{changes.matching['geometry']}; unmatched {changes.matching['unmatched_old']} old, "
          f"{changes.matching['unmatched_new']} new")
    print(f"wrote {len(paths)} files to {args.out}")
    return 0
