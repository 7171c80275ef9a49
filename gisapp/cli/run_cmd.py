"""``gisapp run CONFIG --out DIR``: run the analysis and write every export."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gisapp.config import load_config

__all__ = ["register", "terminal_progress"]


def terminal_progress(stream=None):  # noqa: ANN001, ANN201 - a tiny closure factory
    """A ``progress(fraction, message)`` callback drawing one status line on a terminal."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    state = {"last": ""}

    def progress(fraction: float, message: str) -> None:
        bar = "#" * int(round(fraction * 20))
        line = f"[{bar:<20}] {fraction:4.0%} {message}"
        if tty:
            stream.write("\r" + line.ljust(len(state["last"])))
            if fraction >= 1.0:
                stream.write("\n")
        elif message != state["last"]:
            stream.write(line + "\n")
        stream.flush()
        state["last"] = line

    return progress


def _run(args: argparse.Namespace) -> int:
    from gisapp.pipeline import run_to_dir

    cfg = load_config(args.config)
    t0 = time.perf_counter()
    progress = None if args.quiet else terminal_progress()
    if getattr(args, "scheduler", None):
        import dataclasses

        from gisapp.engines.dask import require_dask

        require_dask()
        from distributed import Client  # the [scale] extra; the dask engine uses this client

        cfg = cfg.replace(options=dataclasses.replace(cfg.options, engine="dask"))
        with Client(args.scheduler):
            result, paths = run_to_dir(cfg, args.out, progress=progress, lang=args.lang)
    else:
        result, paths = run_to_dir(cfg, args.out, progress=progress, lang=args.lang)
    secs = time.perf_counter() - t0
    counts = result.villages["gap_class"].value_counts()
    print(f"{len(result.villages)} villages analysed in {secs:.1f} s"
          + (" (synthetic data)" if cfg.options.synthetic else ""))
    for cls, n in counts.items():
        print(f"  {cls:<20} {n:>6}")
    for w in result.report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print("wrote: " + ", ".join(str(Path(p).name) for p in paths.values()) + f" in {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="analyse the layers of a config and write every export",
                       description="Read the layers named in CONFIG, find the villages with no "
                       "power and no signal, rank them, and write villages.gpkg/.geojson/.csv/"
                       ".xlsx/.kml, summary.csv and manifest.json into DIR.")
    p.add_argument("config", type=Path, help="run config (TOML)")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--lang", choices=("vi", "en"), default="vi",
                   help="language of the files for people (Excel headers, KML); default vi")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the per-village steps on this dask.distributed scheduler "
                   "(implies engine = \"dask\"; needs pip install gisapp[scale])")
    p.set_defaults(func=_run)
