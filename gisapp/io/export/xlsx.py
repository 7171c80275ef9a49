"""The Excel workbook: Summary, Ranked and one sheet per commune.

Rows are built in bulk (each column converted once, each row's XML once for the two
sheets it is on) into openpyxl's sheet files, never one object per cell; text cells are
stored as text (Excel's quote prefix for formula-like text), never formulas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisapp import schema
from gisapp.io.export.common import (
    _FORMULA_START, _XML_ILLEGAL, _attributes, _is_text, _plain, atomic_path,
)

__all__ = ["write_xlsx"]

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


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
