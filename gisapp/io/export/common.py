"""What every export format shares: atomic writes, formula neutralising, SHA-256, and the
preparation of attribute values (plain Python values, JSON values, the attribute table).

Every write is atomic: the file is written beside the target under a temporary name and
moved into place with :func:`os.replace`, so a crash never leaves a half-written file.
Text written for spreadsheets is neutralised against formula injection (OWASP "CSV
injection"): strings starting with ``= + - @`` (or tab / carriage return) get a leading
apostrophe in CSV and are stored as plain text with Excel's quote prefix in XLSX.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp import jsonsafe

__all__ = ["COORD_DECIMALS", "atomic_path", "file_sha256", "neutralise"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
COORD_DECIMALS = 7


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    The temporary name keeps the suffix (GDAL picks drivers by it). On any exception the
    temporary file (and SQLite side files) are removed and ``path`` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.tmp-{uuid.uuid4().hex[:12]}{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in target.parent.glob(tmp.name + "*"):
            leftover.unlink(missing_ok=True)


def neutralise(value: Any) -> Any:
    """A string that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """A cell value as a plain Python object; missing values → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, (str, _dt.date, _dt.datetime)):
        return value
    return str(value)


def _attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its geometry column, as a plain DataFrame."""
    if isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return pd.DataFrame(frame).drop(columns=[c for c in frame.columns
                                             if isinstance(frame[c].dtype, gpd.array.GeometryDtype)])


def _to_4326(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if villages.crs is None:
        raise ValueError("the villages have no CRS; cannot write EPSG:4326 coordinates")
    return villages.to_crs(4326) if not villages.crs.equals("EPSG:4326") else villages


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()



def _json_value(value: Any) -> Any:
    v = _plain(value)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return jsonsafe.strict(v)      # ±inf → null, as NaN (JSON has no non-finite numbers)


def _is_text(col: pd.Series) -> bool:
    """Only strings and missing values (safe to encode once per distinct value)."""
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in (
        "string", "empty")
