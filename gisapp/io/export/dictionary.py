"""The column dictionary beside the machine formats: ``columns.csv``.

CSV, GeoPackage and GeoJSON keep the stable column names of :mod:`gisapp.schema`; the
dictionary beside them says, for each table and column, the header a person reads, what
it means, its unit and its source, in Vietnamese and English in one file (so the file is
the same whatever language a run was written in, and one file serves both readers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from gisapp.i18n.columns import dictionary_frame_both
from gisapp.io.export.csv import write_csv

__all__ = ["DICTIONARY_FILE", "dictionary_table", "write_dictionary"]

#: file name of the dictionary beside a folder's CSV, GeoPackage and GeoJSON files
DICTIONARY_FILE = "columns.csv"


def dictionary_table(tables: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """``table → its columns`` as one dictionary: ``table``, ``column``, then label,
    meaning, unit and source with ``_vi`` / ``_en`` (geometry left out). The table name
    picks the sense of names that differ by table (``"sites"``)."""
    parts = []
    for table, cols in tables.items():
        names = [str(c) for c in cols if str(c) != "geometry"]
        part = dictionary_frame_both(names, table)
        part.insert(0, "table", table)
        parts.append(part)
    if not parts:
        return dictionary_frame_both([]).assign(table=pd.Series(dtype=object))
    return pd.concat(parts, ignore_index=True)


def write_dictionary(tables: Mapping[str, Iterable[str]], path: str | Path) -> Path:
    """Write :func:`dictionary_table` of ``tables`` as UTF-8 CSV (as :func:`write_csv`)."""
    return write_csv(dictionary_table(tables), path)
