"""Every format of one table at once, the manifest, and a run's whole export folder.

From :data:`PARALLEL_MIN_ROWS` villages on, :func:`write_formats` (and so
:func:`write_all`) writes the Excel workbook in a second Python process while this one
writes the other formats: the same files, about half the wall time on two cores.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gisapp import jsonsafe
from gisapp.io.export.common import _attributes, atomic_path, file_sha256
from gisapp.io.export.csv import write_csv
from gisapp.io.export.dictionary import DICTIONARY_FILE, write_dictionary
from gisapp.io.export.geojson import write_geojson
from gisapp.io.export.gpkg import write_gpkg
from gisapp.io.export.kml import write_kml
from gisapp.io.export.process import _CannotStart, _Process
from gisapp.io.export.xlsx import write_xlsx
from gisapp.parallel import n_threads

__all__ = ["FORMATS", "PARALLEL_MIN_ROWS", "write_all", "write_formats", "write_manifest"]

log = logging.getLogger(__name__)

#: :func:`write_formats` hands the Excel workbook to a second process from this many rows
#: on. The process costs about 1 s of start-up and imports and 250-600 MB. Measured on 2
#: cores, write_all on the first N villages of the national table (best of 2): 10,000:
#: 9.9 s here, 11.0 s with the process; 20,000: 11.6 s / 8.6 s; 100,000: 33.7 s / 19.8 s.
PARALLEL_MIN_ROWS = 20_000
#: the formats the second process writes (the largest; the caller writes the rest meanwhile)
_PROCESS_FORMATS = ("xlsx",)

def write_manifest(manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write the run manifest as sorted, indented UTF-8 strict JSON (NaN, ±inf → null)."""
    target = Path(path)
    text = jsonsafe.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    with atomic_path(target) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8", newline="\n")
    return target


FORMATS = ("gpkg", "geojson", "csv", "xlsx", "kml")


def write_formats(villages: gpd.GeoDataFrame, summary: pd.DataFrame, out_dir: str | Path, *,
                  stem: str, formats: Sequence[str] = FORMATS,
                  layer: str | None = None, title: str | None = None,
                  kml_options: Mapping[str, Any] | None = None,
                  lang: str = "vi") -> dict[str, Path]:
    """Write one village-like table as ``<stem>.<fmt>`` for each format (GeoPackage layer
    ``layer`` or ``stem``; the Excel workbook gets ``summary`` as its Summary sheet;
    ``kml_options`` go to :func:`write_kml`; Excel and KML, the files for people, in
    ``lang``). Returns ``format → path``.

    From :data:`PARALLEL_MIN_ROWS` rows on, with two cores or more (as
    :func:`gisapp.parallel.n_threads` counts them: ``GISAPP_THREADS=1`` keeps everything
    in this process), the Excel workbook is written by a second Python process while this
    one writes the other formats. The files are the same either way, each appears whole or
    not at all, and an error in the second process is raised here as it was raised there.

    Raises
    ------
    ValueError
        An unknown format.
    ExportProcessError
        The second process ended without an answer (killed, out of memory).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}; choose from {sorted(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    options = {"stem": stem, "layer": layer, "title": title, "kml_options": kml_options,
               "lang": lang}
    away = [f for f in formats if f in _PROCESS_FORMATS]
    if (not away or len(away) == len(formats) or len(villages) < PARALLEL_MIN_ROWS
            or n_threads() < 2):
        return _write_here(villages, summary, out, formats=formats, **options)
    frame = villages                          # the process gets no geometry it does not need
    if not set(away) & {"gpkg", "geojson", "kml"} and isinstance(villages, gpd.GeoDataFrame):
        attrs = _attributes(villages)
        if not any(isinstance(t, gpd.array.GeometryDtype) for t in attrs.dtypes):
            frame = attrs
    with tempfile.TemporaryDirectory(prefix=f".{stem}.tmp-", dir=out) as scratch:
        try:
            worker = _Process(" and ".join(f"{stem}.{f}" for f in away), _write_here, frame,
                              summary, Path(scratch), formats=away, **options)
        except _CannotStart as exc:
            log.warning("writing %s in this process: %s", ", ".join(away), exc)
            return _write_here(villages, summary, out, formats=formats, **options)
        with worker:
            written: dict[str, Path] = {}
            for fmt in formats:
                if fmt not in away:
                    written |= _write_here(villages, summary, out, formats=[fmt], **options)
                    worker.raise_if_failed()           # stop early when the other one failed
            for fmt, path in worker.result().items():
                written[fmt] = Path(path).replace(out / Path(path).name)
                log.info("wrote %s", written[fmt])
    return {fmt: written[fmt] for fmt in formats}


def _write_here(villages: gpd.GeoDataFrame, summary: pd.DataFrame, out: Path, *,
                formats: Sequence[str], stem: str, layer: str | None, title: str | None,
                kml_options: Mapping[str, Any] | None, lang: str) -> dict[str, Path]:
    """:func:`write_formats` one format after another in this process."""
    writers = {
        "gpkg": lambda p: write_gpkg(villages, p, layer=layer or stem),
        "geojson": lambda p: write_geojson(villages, p),
        "csv": lambda p: write_csv(villages, p),
        "xlsx": lambda p: write_xlsx(villages, summary, p, title=title, lang=lang),
        "kml": lambda p: write_kml(villages, p, **{"lang": lang, **dict(kml_options or {})}),
    }
    written: dict[str, Path] = {}
    for fmt in formats:
        written[fmt] = writers[fmt](out / f"{stem}.{fmt}")
        log.info("wrote %s", written[fmt])
    return written


def write_all(villages: gpd.GeoDataFrame, summary: pd.DataFrame, manifest: Mapping[str, Any],
              out_dir: str | Path, *, stem: str = "villages", formats: Sequence[str] = FORMATS,
              title: str | None = None, lang: str = "vi") -> dict[str, Path]:
    """Write every export of a run into ``out_dir``: the formats (as :func:`write_formats`
    writes them, the Excel workbook in a second process for large tables; Excel and KML
    in ``lang``), summary.csv, the column dictionary columns.csv (both languages), and
    last manifest.json, so a folder with a manifest holds every file whole.

    Returns
    -------
    dict
        ``format → path`` for each of ``formats``, plus ``"summary"`` (summary.csv),
        ``"columns"`` (columns.csv) and ``"manifest"`` (manifest.json, the given manifest
        plus an ``outputs`` entry with the SHA-256 of every file written and
        ``column_dictionary``, the dictionary's file name; the caller's dict is not changed).
    """
    out = Path(out_dir)
    written = write_formats(villages, summary, out, stem=stem, formats=formats, title=title,
                            lang=lang)
    written["summary"] = write_csv(summary, out / "summary.csv")
    written["columns"] = write_dictionary({stem: villages.columns, "summary": summary.columns},
                                          out / DICTIONARY_FILE)
    full = dict(manifest)
    full["column_dictionary"] = DICTIONARY_FILE
    full["outputs"] = {p.name: file_sha256(p) for p in written.values()}
    written["manifest"] = write_manifest(full, out / "manifest.json")
    return written
