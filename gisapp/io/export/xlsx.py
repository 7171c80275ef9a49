"""The Excel workbook: Summary, Ranked, one sheet per commune, and the column dictionary.

Every table sheet has two header rows: the header a person reads in the chosen language
(:func:`gisapp.i18n.columns.column_label`), then the stable column name, which stays the
key for machines; the data below are the values of the CSV. Number cells carry a number
format by the column's kind (people ``#,##0``, metres one decimal, shares ``0.0%`` …),
the header rows are frozen and carry an autofilter. Coded columns a person reads
(gap class, priority tier) get a column of the same values in words beside them.

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
from gisapp.i18n.columns import WORDS_SUFFIX, column_kind, column_label, dictionary_frame
from gisapp.i18n.labels import t
from gisapp.io.export.common import (
    _FORMULA_START, _XML_ILLEGAL, _attributes, _is_text, _plain, atomic_path,
)
from gisapp.io.export.words import why_in, words_series

__all__ = ["NUMBER_FORMATS", "WORDS_COLUMNS", "write_xlsx"]

#: Excel number format per column kind (:func:`gisapp.i18n.columns.column_kind`)
NUMBER_FORMATS = {
    "people": "#,##0", "count": "#,##0", "rank": "0", "id": "0", "usd": "#,##0",
    "m": "#,##0.0", "km2": "#,##0.00", "share": "0.0%", "dbm": "0.0", "deg": "0.0000000",
    "score100": "0.0", "score1": "0.000", "radiance": "0.00", "ratio": "0.00",
}
_FLOAT_FORMAT = "#,##0.00"          # a number column the dictionary does not know
_INT_FORMAT = "#,##0"
#: coded columns shown beside a copy in words (``gap_class`` → ``gap_class_words``)
WORDS_COLUMNS = (schema.GAP_CLASS, schema.PRIORITY_TIER)

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

    def __init__(self, values: pd.Series, quote_style: str, num_style: str = "") -> None:
        dtype = values.dtype
        self.num_style = num_style          # ' s="N"' of the column's number format, or ""
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
        fmt = head + self.num_style + _NUM_CELL
        if self.kind == "int":
            return [fmt % x for x in self.values[rows].tolist()]
        if self.kind == "float":
            vals = self.values[rows]
            out = ["" if math.isnan(x) else fmt % x for x in vals.tolist()]
            for k in np.flatnonzero(np.isinf(vals)):
                out[k] = head + self.num_style + _NAN_CELL
            return out
        tails = [_scalar_tail(x, self.quote_style) for x in self.values[rows]]
        num = head + self.num_style
        return ["" if t is None else (num if t.startswith(' t="n"') else head) + t
                for t in tails]


def _column_widths(frame: pd.DataFrame, labels: Sequence[str],
                   sample_lens: Sequence[np.ndarray] | None = None) -> list[float]:
    """Column widths from the header rows and the text length of the first 200 rows
    (``sample_lens``: those lengths per column, -1 for missing, when already known)."""
    cols = [str(c) for c in frame.columns]
    widths = [min(max(len(c), len(lab), 6) + 2, 60) for c, lab in zip(cols, labels)]
    if sample_lens is None:
        values = frame.iloc[:200].astype(object).to_numpy()
        sample_lens = [np.array([len(str(v)) if _plain(v) is not None else -1
                                 for v in values[:, j]]) for j in range(len(cols))]
    for j, lens in enumerate(sample_lens):
        if len(lens) and lens.max() >= 0:
            widths[j] = min(max(widths[j], int(lens.max()) + 2), 60)
    return widths


def _sheet_setup(wb: Any, name: str, frame: pd.DataFrame, header_row: int, labels: Sequence[str],
                 n_rows: int, sample_lens: Sequence[np.ndarray] | None = None) -> Any:
    """A write-only sheet with column widths (from ``frame``), the rows down to
    ``header_row`` frozen and an autofilter on ``header_row`` over ``n_rows`` data rows."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    for j, w in enumerate(_column_widths(frame, labels, sample_lens)):
        ws.column_dimensions[get_column_letter(j + 1)].width = w
    ws.freeze_panes = f"A{header_row + 1}"
    if frame.shape[1]:
        ws.auto_filter.ref = (f"A{header_row}:{get_column_letter(frame.shape[1])}"
                              f"{header_row + max(n_rows, 1)}")
    return ws


def _number_format(column: str, values: pd.Series, table: str | None) -> str | None:
    """The number format of a column's number cells (None: the column holds no numbers)."""
    kind = column_kind(column, table)
    if kind in NUMBER_FORMATS:
        return NUMBER_FORMATS[kind]
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return _FLOAT_FORMAT if dtype == object else None     # numbers among objects
    return _INT_FORMAT if pd.api.types.is_integer_dtype(dtype) else _FLOAT_FORMAT


def _style_attr(wb: Any, number_format: str | None) -> str:
    """`` s="N"`` of a number format in the workbook's cell styles ("" for none)."""
    from openpyxl.cell import WriteOnlyCell

    if number_format is None:
        return ""
    probe = WriteOnlyCell(wb.worksheets[0], value=0)
    probe.number_format = number_format
    return f' s="{probe.style_id}"'


def _write_sheet(wb: Any, name: str, frame: pd.DataFrame, headers: Sequence[Sequence[str]], *,
                 title: str | None = None, table: str | None = None) -> None:
    """A sheet through openpyxl cell by cell (the summary, the dictionary, and frames with
    dates): ``title`` and a blank row when given, the ``headers`` rows, then the rows."""
    from openpyxl.cell import WriteOnlyCell

    header_row = (2 if title else 0) + len(headers)
    ws = _sheet_setup(wb, name, frame, header_row, headers[0], len(frame))
    formats = [_number_format(str(c), frame[c], table) for c in frame.columns]

    def cell(v: Any, fmt: str | None = None) -> Any:
        v = _plain(v)
        if isinstance(v, str):
            c = WriteOnlyCell(ws, value=_XML_ILLEGAL.sub("", v))
            c.data_type = "s"            # text, never a formula
            if v.startswith(_FORMULA_START):
                c.quotePrefix = True     # Excel's own "leading apostrophe"
            return c
        if fmt and isinstance(v, (int, float)) and not isinstance(v, bool):
            c = WriteOnlyCell(ws, value=v)
            c.number_format = fmt
            return c
        return v

    if title:
        ws.append([cell(title)])
        ws.append([])
    for row in headers:
        ws.append([cell(str(h)) for h in row])
    for r in frame.astype(object).to_numpy():
        ws.append([cell(v, f) for v, f in zip(r, formats)])


def _write_fast_sheets(wb: Any, frame: pd.DataFrame, sheets: Sequence[tuple[str, np.ndarray]],
                       labels: Sequence[str], table: str | None) -> None:
    """Sheets of rows of ``frame`` (header rows 1: ``labels``, 2: the column names) with
    their XML built in bulk.

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
    heads = [[_string_tail(str(c), quote_style) for c in labels],
             [_string_tail(str(c), quote_style) for c in frame.columns]]
    columns = [_Column(frame.iloc[:, j], quote_style,
                       _style_attr(wb, _number_format(str(c), frame.iloc[:, j], table)))
               for j, c in enumerate(frame.columns)]
    letters = [get_column_letter(j + 1) for j in range(frame.shape[1])]
    rows = _row_templates(columns, letters, len(frame))
    for name, idx in sheets:
        ws = _sheet_setup(wb, name, frame.iloc[:0], 2, labels, len(idx),
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
            fh.write((_row_xml(1, letters, heads[0]) + _row_xml(2, letters, heads[1]))
                     .encode("utf-8"))
            fh.writelines(
                b"".join([rows[i].replace(b"\0", b"%d" % r)
                          for r, i in enumerate(idx[start:start + _XLSX_CHUNK].tolist(), start + 3)])
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


def _with_words(attrs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``attrs`` with ``<col>_words`` right after each of :data:`WORDS_COLUMNS` present,
    and ``why_words`` (the why in ``lang``) once :mod:`gisapp.i18n.why` gives it."""
    present = [c for c in WORDS_COLUMNS if c in attrs.columns
               and c + WORDS_SUFFIX not in attrs.columns]
    why = why_in(attrs, lang) if schema.WHY + WORDS_SUFFIX not in attrs.columns else None
    if not present and why is None:
        return attrs
    out = attrs.copy()
    for c in present:
        out.insert(out.columns.get_loc(c) + 1, c + WORDS_SUFFIX, words_series(c, attrs[c], lang))
    if why is not None:
        out.insert(out.columns.get_loc(schema.WHY) + 1, schema.WHY + WORDS_SUFFIX, why)
    return out


def _dictionary_sheet(wb: Any, frames: Sequence[pd.DataFrame], lang: str, table: str | None,
                      used: set[str]) -> None:
    """The sheet explaining every column of ``frames``: column, header, meaning, unit, source."""
    cols = [str(c) for f in frames for c in f.columns]
    d = dictionary_frame(cols, lang, table)
    header = [t(k, lang) for k in ("dict_column", "dict_label", "dict_meaning", "dict_unit",
                                   "dict_source")]
    _write_sheet(wb, _sheet_name(t("xlsx_dictionary", lang), used), d, [header])


def write_xlsx(villages: pd.DataFrame, summary: pd.DataFrame, path: str | Path, *,
               commune_col: str = schema.COMMUNE, rank_col: str = schema.PRIORITY_RANK,
               title: str | None = None, lang: str = "vi", table: str | None = None) -> Path:
    """Write an Excel workbook for people: Summary, Ranked, one sheet per commune, and
    the column dictionary.

    Sheets: ``Summary`` (``summary``, below ``title`` when given, e.g. "synthetic data");
    ``Ranked`` (every village by ``rank_col``, unranked last, no geometry); one sheet per
    value of ``commune_col`` (names made valid for Excel: no ``[]:*?/\\``, at most 31
    characters, unique); last the dictionary ("Giải thích cột" / "Columns": column,
    header, meaning, unit, source of every column). Each table has the headers in
    ``lang`` (``"vi"`` / ``"en"``) over the stable column names, frozen, with an
    autofilter; number cells have number formats; the values are those of the CSV, plus
    :data:`WORDS_COLUMNS` in words. ``table`` picks the dictionary's sense of names that
    differ by table (see :func:`gisapp.i18n.columns.column_doc`). Text cells are stored
    as text, never formulas.
    """
    import openpyxl

    target = Path(path)
    attrs = _with_words(_attributes(villages), lang)
    if rank_col in attrs.columns:
        order = (attrs[rank_col].reset_index(drop=True)
                 .sort_values(na_position="last", kind="stable").index.to_numpy())
    else:
        order = np.arange(len(attrs))
    wb = openpyxl.Workbook(write_only=True)
    used = {"summary", "ranked"}
    summ = _attributes(summary)
    _write_sheet(wb, "Summary", summ, [[column_label(c, lang) for c in summ.columns],
                                       [str(c) for c in summ.columns]], title=title)
    sheets: list[tuple[str, np.ndarray]] = [("Ranked", order)]
    if commune_col in attrs.columns:
        keys = attrs[commune_col].astype(object).where(attrs[commune_col].notna(), None)
        keys = keys.to_numpy()[order]
        groups: dict[Any, list[int]] = {}
        for pos, k in enumerate(keys.tolist()):
            groups.setdefault(k, []).append(pos)
        for value in sorted(groups, key=lambda v: (v is None, str(v))):
            sheets.append((_sheet_name(value, used), order[np.asarray(groups[value])]))
    labels = [column_label(c, lang, table) for c in attrs.columns]
    try:
        _write_fast_sheets(wb, attrs, sheets, labels, table)
    except _NeedsOpenpyxl:                            # a column of dates or other objects
        for name, idx in sheets:
            _write_sheet(wb, name, attrs.iloc[idx], [labels, [str(c) for c in attrs.columns]],
                         table=table)
    _dictionary_sheet(wb, [summ, attrs], lang, table, used)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
