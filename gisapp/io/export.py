"""Write the village table and its summary: GeoPackage, GeoJSON, CSV, Excel, KML, manifest.

Every write is atomic: the file is written beside the target under a temporary name and
moved into place with :func:`os.replace`, so a crash never leaves a half-written file.
Text written for spreadsheets is neutralised against formula injection (OWASP "CSV
injection"): strings starting with ``= + - @`` (or tab / carriage return) get a leading
apostrophe in CSV and are stored as plain text with Excel's quote prefix in XLSX.
CSV, GeoJSON and KML are byte-identical for identical input. Large tables are streamed:
GeoJSON features and KML placemarks go to the file in chunks, Excel rows are built in bulk
(each column converted once, each row's XML once for the two sheets it is on) into
openpyxl's sheet files, never one object per cell. From :data:`PARALLEL_MIN_ROWS` villages
on, :func:`write_formats` (and so :func:`write_all`) writes the Excel workbook in a second
Python process while this one writes the other formats: the same files, about half the
wall time on two cores.
"""

from __future__ import annotations

import _thread
import datetime as _dt
import hashlib
import json
import logging
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Self
from xml.sax.saxutils import escape as _xml_escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import jsonsafe, schema
from gisapp.errors import GisappError
from gisapp.parallel import n_threads

__all__ = [
    "FORMATS", "GAP_COLOURS", "PARALLEL_MIN_ROWS", "ExportProcessError", "atomic_path",
    "file_sha256", "neutralise", "write_all", "write_csv", "write_formats", "write_geojson",
    "write_gpkg", "write_kml", "write_manifest", "write_xlsx",
]

log = logging.getLogger(__name__)

KML_NS = "http://www.opengis.net/kml/2.2"
#: KML colours (aabbggrr) per gap class
GAP_COLOURS = {
    schema.GapClass.NO_POWER_NO_SIGNAL: "ff1c1ce3",   # red
    schema.GapClass.NO_SIGNAL: "ff0c8cf5",            # orange
    schema.GapClass.NO_POWER: "ffa8459c",             # purple
    schema.GapClass.SERVED: "ff3ca02c",               # green
    schema.GapClass.UNKNOWN: "ff999999",              # grey
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
COORD_DECIMALS = 7


# --- helpers -------------------------------------------------------------------------


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


# --- GeoPackage ----------------------------------------------------------------------


def write_gpkg(villages: gpd.GeoDataFrame, path: str | Path, *, layer: str = "villages") -> Path:
    """Write one GeoPackage layer (the file is replaced as a whole), in the frame's CRS."""
    import pyogrio

    target = Path(path)
    frame = villages                      # copied (shallowly) only if a column needs JSON text
    for c in villages.columns:
        col = villages[c]
        if c != villages.geometry.name and col.dtype == object and any(
                isinstance(v, (list, dict, tuple, set)) for v in col.to_numpy()):
            if frame is villages:
                frame = villages.copy(deep=False)
            frame[c] = col.map(_json_safe_text)
    with atomic_path(target) as tmp:
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG")
    return target


def _json_safe_text(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple, set)):
        return jsonsafe.dumps(v, ensure_ascii=False, default=str)
    return v


# --- GeoJSON -------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    v = _plain(value)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return jsonsafe.strict(v)      # ±inf → null, as NaN (JSON has no non-finite numbers)


_GEOJSON_CHUNK = 10_000


def _is_text(col: pd.Series) -> bool:
    """Only strings and missing values (safe to encode once per distinct value)."""
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in (
        "string", "empty")


def _json_dumps(value: Any) -> str:
    return json.dumps(_json_value(value), ensure_ascii=False, allow_nan=False, default=str)


def _json_column(col: pd.Series) -> list[str]:
    """Each value's JSON text, as ``json.dumps`` writes it inside a feature."""
    dtype = col.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return [repr(x) if math.isfinite(x) else "null"
                for x in col.to_numpy(dtype=np.float64).tolist()]
    if _is_text(col):
        codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
        table = np.array([_json_dumps(u) for u in uniques.astype(object)] + ["null"],
                         dtype=object)
        return table[np.where(codes < 0, len(uniques), codes)].tolist()
    return [_json_dumps(v) for v in col.astype(object).to_numpy()]


def _feature_texts(attrs: pd.DataFrame, cols: list[str], id_col: str | None,
                   geometries: np.ndarray) -> list[str]:
    """One GeoJSON feature per row, the text ``json.dumps`` gives for the feature's dict
    (default separators), built column by column instead of row by row."""
    if len(set(cols)) != len(cols):               # duplicate names: the dict keeps one
        records = attrs.astype(object).to_numpy()
        texts = []
        for i in range(len(attrs)):
            props = {c: _json_value(v) for c, v in zip(cols, records[i])}
            feature: dict[str, Any] = {"type": "Feature"}
            if id_col is not None and props[id_col] is not None:
                feature["id"] = props[id_col]
            feature["properties"] = props
            feature["geometry"] = None
            text = json.dumps(feature, ensure_ascii=False, allow_nan=False, default=str)
            if geometries[i] is not None:
                text = text[:-len("null}")] + geometries[i] + "}"
            texts.append(text)
        return texts
    keys = [json.dumps(c, ensure_ascii=False) + ": " for c in cols]
    values = [_json_column(attrs.iloc[:, j]) for j in range(len(cols))]
    ids = values[cols.index(id_col)] if id_col is not None else None
    texts = []
    for i, row in enumerate(zip(*values) if values else ([()] * len(attrs))):
        head = '{"type": "Feature", '
        if ids is not None and ids[i] != "null":
            head += f'"id": {ids[i]}, '
        geom = geometries[i]
        texts.append(head + '"properties": {' + ", ".join([k + v for k, v in zip(keys, row)])
                     + '}, "geometry": ' + ("null" if geom is None else geom) + "}")
    return texts


def write_geojson(villages: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write RFC 7946 GeoJSON: EPSG:4326, lon/lat order, no ``crs`` member, coordinates
    rounded to 7 decimals (about 1 cm), exterior rings counter-clockwise.

    Features are streamed into the file in chunks (one feature a line), so neither the
    whole text nor all geometries' JSON is ever held in memory at once.
    """
    target = Path(path)
    gdf = _to_4326(villages)
    geoms = gdf.geometry.to_numpy()
    attrs = _attributes(gdf)
    cols = [str(c) for c in attrs.columns]
    id_col = schema.ID if schema.ID in cols else None
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        for start in range(0, len(attrs), _GEOJSON_CHUNK):
            stop = min(start + _GEOJSON_CHUNK, len(attrs))
            part = geoms[start:stop]
            present = ~(shapely.is_missing(part) | shapely.is_empty(part))
            rounded = np.full(len(part), None, dtype=object)
            if present.any():
                g = shapely.transform(part[present], lambda c: np.round(c, COORD_DECIMALS))
                g = shapely.orient_polygons(g, exterior_cw=False)
                rounded[present] = shapely.to_geojson(g)
            texts = _feature_texts(attrs.iloc[start:stop], cols, id_col, rounded)
            fh.write(("" if start == 0 else ",\n") + ",\n".join(texts))
        fh.write("\n]}\n")
    return target


# --- CSV -----------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write UTF-8 CSV with BOM (Excel reads Vietnamese right), no geometry, formula-safe."""
    target = Path(path)
    frame = _attributes(df)
    frame.columns = [neutralise(str(c)) for c in frame.columns]
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
            frame[c] = col.astype(object).map(neutralise)
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return target


# --- Excel ---------------------------------------------------------------------------


def _sheet_name(raw: Any, used: set[str]) -> str:
    name = _SHEET_BAD.sub("_", "" if raw is None else str(raw)).strip().strip("'") or "(none)"
    name = _XML_ILLEGAL.sub("", name)[:31]
    base, k = name, 2
    while name.lower() in used:
        suffix = f" ({k})"
        name, k = base[:31 - len(suffix)] + suffix, k + 1
    used.add(name.lower())
    return name


_XLSX_CHUNK = 20_000


class _NeedsOpenpyxl(TypeError):
    """A cell value the bulk sheet writer does not format (dates, other objects)."""


_NUM_CELL = ' t="n"><v>%.16g</v></c>'
_NAN_CELL = ' t="n"><v></v></c>'


def _xml_text(s: str) -> str:
    """Escape text for an XML element the way lxml does (``&``, ``<``, ``>``, CR)."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _string_tail(v: str, quote_style: str) -> str:
    """The XML of a text cell after its ``<c r="..."``, exactly as openpyxl writes it."""
    text = _XML_ILLEGAL.sub("", v)
    style = quote_style if v.startswith(_FORMULA_START) else ""
    if text == "":
        return f'{style} t="inlineStr"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'{style} t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>'


def _scalar_tail(v: Any, quote_style: str) -> str | None:
    """One cell's XML after ``<c r="..."`` (None: no cell), as openpyxl writes ``cell(v)``."""
    v = _plain(v)
    if v is None:
        return None
    if isinstance(v, str):
        return _string_tail(v, quote_style)
    if isinstance(v, bool):
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return _NAN_CELL if math.isinf(v) else _NUM_CELL % v
    raise _NeedsOpenpyxl(type(v))                   # dates etc.: the openpyxl path


class _Column:
    """One column's cells, prepared once for every sheet it appears on."""

    def __init__(self, values: pd.Series, quote_style: str) -> None:
        dtype = values.dtype
        self.kind = "object"
        if pd.api.types.is_bool_dtype(dtype):
            arr = values.astype(object).to_numpy()
            self.kind = "table"
            self.table = np.array([None, ' t="b"><v>0</v></c>', ' t="b"><v>1</v></c>'],
                                  dtype=object)
            self.codes = np.array([0 if _plain(x) is None else (2 if x else 1) for x in arr],
                                  dtype=np.int64)
            self.lens = np.array([-1, 5, 4])[self.codes]         # len("False"), len("True")
        elif pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
            self.kind = "float"
            self.values = values.to_numpy(dtype=np.float64)
            self.lens = np.array([-1 if math.isnan(x) else len(str(x))
                                  for x in values.astype(object).to_numpy()])
        elif _is_text(values):
            self.kind = "table"
            codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
            tails = [_string_tail(u, quote_style) if isinstance(u, str)
                     else _scalar_tail(u, quote_style) for u in uniques.astype(object)]
            self.table = np.array(tails + [None], dtype=object)
            self.codes = np.where(codes < 0, len(tails), codes)
            self.lens = np.array([len(str(u)) for u in uniques.astype(object)] + [-1])[self.codes]
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            self.kind = "int"
            self.values = values.to_numpy()
            self.lens = np.array([len(str(x)) for x in self.values.tolist()])
        else:
            self.values = values.astype(object).to_numpy()
            self.quote_style = quote_style
            for x in self.values:                   # fail early on dates etc.
                _scalar_tail(x, quote_style)
            self.lens = np.array([-1 if _plain(x) is None else len(str(x)) for x in self.values])

    def cells(self, ref: str, rows: slice) -> list[str]:
        """The XML of the cells of ``rows`` (frame order), each ``<c r="{ref}"...``; an
        empty string where a row has no cell."""
        head = f'<c r="{ref}"'
        if self.kind == "table":
            table = np.array(["" if t is None else head + t for t in self.table], dtype=object)
            return table[self.codes[rows]].tolist()
        fmt = head + _NUM_CELL
        if self.kind == "int":
            return [fmt % x for x in self.values[rows].tolist()]
        if self.kind == "float":
            vals = self.values[rows]
            out = ["" if math.isnan(x) else fmt % x for x in vals.tolist()]
            for k in np.flatnonzero(np.isinf(vals)):
                out[k] = head + _NAN_CELL
            return out
        tails = [_scalar_tail(x, self.quote_style) for x in self.values[rows]]
        return ["" if t is None else head + t for t in tails]


def _column_widths(frame: pd.DataFrame,
                   sample_lens: Sequence[np.ndarray] | None = None) -> list[float]:
    """Column widths from the header and the text length of the first 200 rows
    (``sample_lens``: those lengths per column, -1 for missing, when already known)."""
    cols = [str(c) for c in frame.columns]
    widths = [min(max(len(c), 6) + 2, 60) for c in cols]
    if sample_lens is None:
        values = frame.iloc[:200].astype(object).to_numpy()
        sample_lens = [np.array([len(str(v)) if _plain(v) is not None else -1
                                 for v in values[:, j]]) for j in range(len(cols))]
    for j, lens in enumerate(sample_lens):
        if len(lens) and lens.max() >= 0:
            widths[j] = min(max(widths[j], int(lens.max()) + 2), 60)
    return widths


def _sheet_setup(wb: Any, name: str, frame: pd.DataFrame, header_row: int,
                 sample_lens: Sequence[np.ndarray] | None = None) -> Any:
    """A write-only sheet with column widths (from ``frame``) and frozen header rows."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    for j, w in enumerate(_column_widths(frame, sample_lens)):
        ws.column_dimensions[get_column_letter(j + 1)].width = w
    ws.freeze_panes = f"A{header_row + 1}"
    return ws


def _write_sheet(wb: Any, name: str, frame: pd.DataFrame, *, title: str | None = None) -> None:
    """A sheet through openpyxl cell by cell (the summary, and frames with dates)."""
    from openpyxl.cell import WriteOnlyCell

    header_row = 3 if title else 1
    ws = _sheet_setup(wb, name, frame, header_row)

    def cell(v: Any) -> Any:
        v = _plain(v)
        if isinstance(v, str):
            c = WriteOnlyCell(ws, value=_XML_ILLEGAL.sub("", v))
            c.data_type = "s"            # text, never a formula
            if v.startswith(_FORMULA_START):
                c.quotePrefix = True     # Excel's own "leading apostrophe"
            return c
        return v

    if title:
        ws.append([cell(title)])
        ws.append([])
    ws.append([cell(str(c)) for c in frame.columns])
    for r in frame.astype(object).to_numpy():
        ws.append([cell(v) for v in r])


def _write_fast_sheets(wb: Any, frame: pd.DataFrame,
                       sheets: Sequence[tuple[str, np.ndarray]]) -> None:
    """Sheets of rows of ``frame`` (header row 1) with their XML built in bulk.

    Each column is converted once (text cells per distinct value); rows are written in
    chunks straight into openpyxl's temporary sheet file between ``<sheetData>`` tags,
    so the cells are exactly those :func:`_write_sheet` writes and no per-cell Python
    objects are made. The workbook parts (styles, relations) stay openpyxl's.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    probe = WriteOnlyCell(wb.worksheets[0], value="x")
    probe.quotePrefix = True
    quote_style = f' s="{probe.style_id}"'
    header = [_string_tail(str(c), quote_style) for c in frame.columns]
    columns = [_Column(frame.iloc[:, j], quote_style) for j in range(frame.shape[1])]
    letters = [get_column_letter(j + 1) for j in range(frame.shape[1])]
    rows = _row_templates(columns, letters, len(frame))
    for name, idx in sheets:
        ws = _sheet_setup(wb, name, frame.iloc[:0], 1,
                          [c.lens[idx[:200]] for c in columns])
        ws.close()
        path = ws._writer.out
        with open(path, "rb") as fh:
            head, marker, tail = fh.read().partition(b"<sheetData></sheetData>")
        if not marker:
            raise RuntimeError("unexpected openpyxl sheet layout; cannot write rows in bulk")
        with open(path, "wb") as fh:
            fh.write(head)
            fh.write(b"<sheetData>")
            fh.write(_row_xml(1, letters, header).encode("utf-8"))
            fh.writelines(
                b"".join([rows[i].replace(b"\0", b"%d" % r)
                          for r, i in enumerate(idx[start:start + _XLSX_CHUNK].tolist(), start + 2)])
                for start in range(0, len(idx) if rows else 0, _XLSX_CHUNK))
            fh.write(b"</sheetData>")
            fh.write(tail)


def _row_templates(columns: Sequence[_Column], letters: Sequence[str], n: int) -> list[bytes]:
    """Each frame row's ``<row>`` element as UTF-8, with NUL where its row number goes.

    A row is on two sheets (Ranked and its commune's), so its XML is built once and only
    the number is filled in per sheet. NUL cannot occur otherwise: text cells drop it
    with the other XML-illegal characters. No columns: no data rows (as before).
    """
    if not columns:
        return []
    refs = [f"{L}\0" for L in letters]
    out: list[bytes] = []
    for start in range(0, n, _XLSX_CHUNK):
        part = slice(start, min(start + _XLSX_CHUNK, n))
        cols = [c.cells(ref, part) for c, ref in zip(columns, refs)]
        out += [('<row r="\0">' + "".join(cells) + "</row>").encode("utf-8")
                for cells in zip(*cols)]
    return out


def _row_xml(r: int, letters: Sequence[str], cells: Sequence[str | None]) -> str:
    """One ``<row>`` element: cell references plus the cells' prepared XML."""
    return (f'<row r="{r}">'
            + "".join([f'<c r="{L}{r}"{t}' for L, t in zip(letters, cells) if t is not None])
            + "</row>")


def write_xlsx(villages: pd.DataFrame, summary: pd.DataFrame, path: str | Path, *,
               commune_col: str = schema.COMMUNE, rank_col: str = schema.PRIORITY_RANK,
               title: str | None = None) -> Path:
    """Write an Excel workbook for people: Summary, Ranked, and one sheet per commune.

    Sheets: ``Summary`` (``summary``, below ``title`` when given, e.g. "synthetic data");
    ``Ranked`` (every village by ``rank_col``, unranked last, no geometry); one sheet per
    value of ``commune_col`` (names made valid for Excel: no ``[]:*?/\\``, at most 31
    characters, unique). Text cells are stored as text, never formulas.
    """
    import openpyxl

    target = Path(path)
    attrs = _attributes(villages)
    if rank_col in attrs.columns:
        order = (attrs[rank_col].reset_index(drop=True)
                 .sort_values(na_position="last", kind="stable").index.to_numpy())
    else:
        order = np.arange(len(attrs))
    wb = openpyxl.Workbook(write_only=True)
    used = {"summary", "ranked"}
    _write_sheet(wb, "Summary", _attributes(summary), title=title)
    sheets: list[tuple[str, np.ndarray]] = [("Ranked", order)]
    if commune_col in attrs.columns:
        keys = attrs[commune_col].astype(object).where(attrs[commune_col].notna(), None)
        keys = keys.to_numpy()[order]
        groups: dict[Any, list[int]] = {}
        for pos, k in enumerate(keys.tolist()):
            groups.setdefault(k, []).append(pos)
        for value in sorted(groups, key=lambda v: (v is None, str(v))):
            sheets.append((_sheet_name(value, used), order[np.asarray(groups[value])]))
    try:
        _write_fast_sheets(wb, attrs, sheets)
    except _NeedsOpenpyxl:                            # a column of dates or other objects
        for name, idx in sheets:
            _write_sheet(wb, name, attrs.iloc[idx])
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


# --- KML -----------------------------------------------------------------------------


def _k(tag: str) -> str:
    return f"{{{KML_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, _k(tag), attrib)
    if text is not None:
        el.text = _XML_ILLEGAL.sub("", str(text))
    return el


_KML_CHUNK = 5_000
_KML_MARK = "gisapp-placemarks"


def _coords(ring: Any) -> str:
    """``lon,lat lon,lat ...`` of a point, line or ring, 7 decimals, in one format call."""
    xy = np.round(shapely.get_coordinates(ring), COORD_DECIMALS)
    return ("%.7f,%.7f " * len(xy) % tuple(xy.ravel().tolist()))[:-1]


#: attribute escaping as ElementTree's serializer does it (quotes, CR, LF, tab as references)
_ATTR_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attr(value: str) -> str:
    return _xml_escape(value, _ATTR_ENTITIES)


def _leaf(tag: str, text: str, level: int, **attrib: str) -> str:
    """A leaf element as ElementTree writes it (escaped text, ``<tag />`` when empty)."""
    attrs = "".join(f' {k}="{_attr(v)}"' for k, v in attrib.items())
    if not text:
        return f"{_indent(level)}<{tag}{attrs} />"
    return f"{_indent(level)}<{tag}{attrs}>{text}</{tag}>"


def _indent(level: int) -> str:
    return "\n" + " " * level


def _text(value: Any) -> str:
    """Element text as :func:`_sub` stores it, escaped as ElementTree escapes it."""
    return _xml_escape(_XML_ILLEGAL.sub("", str(value)))        # & < > as ElementTree does


def _kml_geometry(geom: Any, level: int) -> str:
    """A geometry's KML at an indentation level, as ``ET.indent`` lays it out."""
    kind = geom.geom_type
    i0, i1 = _indent(level), _indent(level + 1)
    if kind in ("Point", "LineString"):
        return (f"{i0}<{kind}>{_leaf('coordinates', _text(_coords(geom)), level + 1)}"
                f"{i0}</{kind}>")
    if kind == "Polygon":
        i2 = _indent(level + 2)

        def boundary(tag: str, ring: Any) -> str:
            return (f"{i1}<{tag}>{i2}<LinearRing>{_leaf('coordinates', _coords(ring), level + 3)}"
                    f"{i2}</LinearRing>{i1}</{tag}>")

        inner = "".join(boundary("innerBoundaryIs", r) for r in geom.interiors)
        return (f"{i0}<Polygon>{boundary('outerBoundaryIs', geom.exterior)}{inner}"
                f"{i0}</Polygon>")
    parts = "".join(_kml_geometry(part, level + 1) for part in shapely.get_parts(geom))
    return f"{i0}<MultiGeometry>{parts}{i0}</MultiGeometry>"


def write_kml(villages: gpd.GeoDataFrame, path: str | Path, *,
              folder_col: str = schema.GAP_CLASS, name_col: str = schema.NAME,
              description_cols: Sequence[str] = (
                  schema.ID, schema.COMMUNE, schema.POP, schema.GAP_CLASS, schema.WHY,
                  schema.PRIORITY_RANK, schema.PRIORITY_TIER),
              document_name: str = "gisapp villages") -> Path:
    """Write KML 2.2 for Google Earth: a Folder per ``folder_col`` value, a Placemark per
    village (name, ExtendedData of ``description_cols``, polygon or point), lon/lat in
    EPSG:4326, one style per gap class.

    The document head (declaration, namespace, name, styles) is written by ElementTree;
    the Folders and Placemarks are streamed into the file in chunks with ElementTree's
    own escaping and ``ET.indent`` layout, so the bytes are those of one ElementTree of
    the whole document without holding it in memory.
    """
    target = Path(path)
    gdf = _to_4326(villages)
    ET.register_namespace("", KML_NS)
    root = ET.Element(_k("kml"))
    doc = _sub(root, "Document")
    _sub(doc, "name", document_name)
    for gap, colour in GAP_COLOURS.items():
        style = _sub(doc, "Style", id=f"gap_{gap}")
        _sub(_sub(style, "IconStyle"), "color", colour)
        line = _sub(style, "LineStyle")
        _sub(line, "color", colour)
        _sub(line, "width", "1.5")
        poly = _sub(style, "PolyStyle")
        _sub(poly, "color", "80" + colour[2:])
    doc.append(ET.Comment(_KML_MARK))
    attrs = _attributes(gdf)
    desc = [c for c in description_cols if c in attrs.columns]
    if folder_col in attrs.columns:
        keys = [("unknown" if _plain(v) is None else str(v))
                for v in attrs[folder_col].astype(object).to_numpy()]
    else:
        keys = ["villages"] * len(attrs)
    order = {str(g): i for i, g in enumerate(schema.GAP_ORDER)}
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    folders = sorted(members, key=lambda v: (order.get(v, len(order)), v))
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    names = attrs[name_col].astype(object).to_numpy() if name_col in attrs.columns else None
    gap_values = set(map(str, GAP_COLOURS))
    gaps = attrs[schema.GAP_CLASS].astype(object).to_numpy() \
        if schema.GAP_CLASS in attrs.columns else None
    desc_values = {c: attrs[c].astype(object).to_numpy() for c in desc}
    data_open = {c: f'{_indent(5)}<Data name="{_attr(str(c))}">' for c in desc}

    def placemark(i: int) -> str:
        label = _plain(names[i]) if names is not None else None
        out = [_indent(3), "<Placemark>", _leaf("name", _text("" if label is None else label), 4)]
        gap = str(_plain(gaps[i])) if gaps is not None else None
        if gap in gap_values:
            out.append(_leaf("styleUrl", _text(f"#gap_{gap}"), 4))
        if desc:
            out.append(f"{_indent(4)}<ExtendedData>")
            for c in desc:
                v = _json_value(desc_values[c][i])
                out += [data_open[c], _leaf("value", _text("" if v is None else v), 6),
                        f"{_indent(5)}</Data>"]
            out.append(f"{_indent(4)}</ExtendedData>")
        if present[i]:
            out.append(_kml_geometry(geoms[i], 4))
        out.append(f"{_indent(3)}</Placemark>")
        return "".join(out)

    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    with atomic_path(target) as tmp:
        tree.write(tmp, encoding="UTF-8", xml_declaration=True)
        head, mark, tail = tmp.read_text(encoding="utf-8").partition(f"<!--{_KML_MARK}-->")
        if not mark or not head.endswith(_indent(2)):
            raise RuntimeError("unexpected ElementTree layout; cannot stream the placemarks")
        with open(tmp, "w", encoding="utf-8", errors="xmlcharrefreplace", newline="") as fh:
            fh.write(head[:-len(_indent(2))])
            for folder_value in folders:
                fh.write(f"{_indent(2)}<Folder>{_leaf('name', _text(folder_value), 3)}")
                rows = members[folder_value]
                fh.writelines("".join(placemark(i) for i in rows[start:start + _KML_CHUNK])
                              for start in range(0, len(rows), _KML_CHUNK))
                fh.write(f"{_indent(2)}</Folder>")
            fh.write(tail)
    return target


# --- manifest and all ---------------------------------------------------------------


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
                  kml_options: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write one village-like table as ``<stem>.<fmt>`` for each format (GeoPackage layer
    ``layer`` or ``stem``; the Excel workbook gets ``summary`` as its Summary sheet;
    ``kml_options`` go to :func:`write_kml`). Returns ``format → path``.

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
    options = {"stem": stem, "layer": layer, "title": title, "kml_options": kml_options}
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
                kml_options: Mapping[str, Any] | None) -> dict[str, Path]:
    """:func:`write_formats` one format after another in this process."""
    writers = {
        "gpkg": lambda p: write_gpkg(villages, p, layer=layer or stem),
        "geojson": lambda p: write_geojson(villages, p),
        "csv": lambda p: write_csv(villages, p),
        "xlsx": lambda p: write_xlsx(villages, summary, p, title=title),
        "kml": lambda p: write_kml(villages, p, **dict(kml_options or {})),
    }
    written: dict[str, Path] = {}
    for fmt in formats:
        written[fmt] = writers[fmt](out / f"{stem}.{fmt}")
        log.info("wrote %s", written[fmt])
    return written


# --- a second process for the Excel workbook -----------------------------------------

#: :func:`write_formats` hands the Excel workbook to a second process from this many rows
#: on. The process costs about 1 s of start-up and imports and 250-600 MB. Measured on 2
#: cores, write_all on the first N villages of the national table (best of 2): 10,000:
#: 9.9 s here, 11.0 s with the process; 20,000: 11.6 s / 8.6 s; 100,000: 33.7 s / 19.8 s.
PARALLEL_MIN_ROWS = 20_000
#: the formats the second process writes (the largest; the caller writes the rest meanwhile)
_PROCESS_FORMATS = ("xlsx",)
#: seconds a stopped process gets to clean up after SIGTERM before it is killed
_STOP_GRACE = 5.0
#: the second process's ``python -c`` program: the caller's import path, then the job
_PROCESS_MAIN = ("import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
                 "from gisapp.io.export import _serve; _serve()")


class ExportProcessError(GisappError, RuntimeError):
    """The process writing an export ended without an answer (killed, out of memory)."""


class _CannotStart(Exception):
    """The job cannot go to another process (unpicklable values, no interpreter)."""


class _Process:
    """``func(*args, **kwargs)`` run in a fresh Python process (writing ``what``, for
    messages); use as a context manager.

    A fresh interpreter (``python -c``), not :mod:`multiprocessing`: its spawn and
    forkserver children re-run the caller's ``__main__``, which inside a Streamlit server
    is the app script, and fork copies a process whose other threads may hold locks. The
    job goes in pickled on stdin, the answer (the result, or the exception with its
    traceback as a note) comes back pickled on stdout. Leaving the ``with`` block before
    the answer (an error here, Ctrl-C) stops the process: SIGTERM, which it turns into
    KeyboardInterrupt so its own clean-ups run, then SIGKILL after :data:`_STOP_GRACE`.
    """

    def __init__(self, what: str, func: Any, /, *args: Any, **kwargs: Any) -> None:
        self.what = what
        try:
            job = (pickle.dumps(list(sys.path))
                   + pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:                  # a value pickle cannot send
            raise _CannotStart(f"cannot send the table to another process ({exc})") from exc
        if not sys.executable:
            raise _CannotStart("no Python interpreter to start")
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", _PROCESS_MAIN],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise _CannotStart(f"cannot start a process ({exc})") from exc
        self._answer = b""
        self._talk = threading.Thread(target=self._communicate, args=(job,), daemon=True,
                                      name="gisapp-export-process")
        self._talk.start()

    def _communicate(self, job: bytes) -> None:
        self._answer = self._proc.communicate(job)[0] or b""

    @property
    def pid(self) -> int:
        return self._proc.pid

    def raise_if_failed(self) -> None:
        """Raise the process's error now if it has already ended with one."""
        if not self._talk.is_alive():
            self.result()

    def result(self) -> Any:
        """Wait for the answer: the function's result, or its exception raised here."""
        self._talk.join()
        try:
            status, value, trace = pickle.loads(self._answer)
        except Exception:                               # noqa: BLE001 - no (whole) answer
            code = self._proc.returncode
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            raise ExportProcessError(
                f"the process writing {self.what} ended without an answer ({how}; out of "
                f"memory?); {self.what} was not written") from None
        if status != "ok":
            value.add_note(f"raised in the export process {self._proc.pid}:\n{trace}")
            raise value
        return value

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._talk.join()


def _serve() -> None:
    """Main of the export process: one job from stdin, its answer on stdout."""
    signal.signal(signal.SIGTERM, _raise_interrupt)     # stopped: clean up as for Ctrl-C
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()
    answer_to = sys.stdout.buffer
    sys.stdout = sys.stderr                             # a stray print cannot garble it
    trace = ""
    try:
        func, args, kwargs = pickle.load(sys.stdin.buffer)
        answer: tuple[str, Any] = ("ok", func(*args, **kwargs))
    except BaseException as exc:                        # noqa: BLE001 - sent to the caller
        answer, trace = ("error", exc), traceback.format_exc()
    try:
        data = pickle.dumps(answer + (trace,), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)                              # the caller must read it back
    except Exception:                                   # noqa: BLE001 - sent as text
        error = ExportProcessError(f"{type(answer[1]).__name__}: {answer[1]}")
        data = pickle.dumps(("error", error, trace))
    answer_to.write(data)
    answer_to.flush()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _end_with_parent(parent: int) -> None:
    """Interrupt the export process's work when the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    _thread.interrupt_main()


def write_all(villages: gpd.GeoDataFrame, summary: pd.DataFrame, manifest: Mapping[str, Any],
              out_dir: str | Path, *, stem: str = "villages", formats: Sequence[str] = FORMATS,
              title: str | None = None) -> dict[str, Path]:
    """Write every export of a run into ``out_dir``: the formats (as :func:`write_formats`
    writes them, the Excel workbook in a second process for large tables), summary.csv,
    and last manifest.json, so a folder with a manifest holds every file whole.

    Returns
    -------
    dict
        ``format → path`` for each of ``formats``, plus ``"summary"`` (summary.csv) and
        ``"manifest"`` (manifest.json, the given manifest plus an ``outputs`` entry with
        the SHA-256 of every file written; the caller's dict is not changed).
    """
    out = Path(out_dir)
    written = write_formats(villages, summary, out, stem=stem, formats=formats, title=title)
    written["summary"] = write_csv(summary, out / "summary.csv")
    full = dict(manifest)
    full["outputs"] = {p.name: file_sha256(p) for p in written.values()}
    written["manifest"] = write_manifest(full, out / "manifest.json")
    return written
