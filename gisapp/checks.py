"""Check a filled-in template before any run: ``gisapp check FILE``.

The file is read with the readers of a run (:func:`gisapp.io.tables.check_file`,
:func:`~gisapp.io.tables.read_excel_rows`, :func:`~gisapp.io.tables.read_text_rows`),
the template is recognised from its header row of column keys
(:data:`gisapp.templates.TEMPLATES`), and every row is checked: missing ids and
required values, coordinates outside Vietnam or with longitude and latitude swapped,
communes not in a given commune list, numbers that are not numbers, names repeated
within a commune, yes/no and technology cells the run would refuse.

Each :class:`Problem` carries the row number as the spreadsheet shows it, the column
key, and a message key of :data:`MESSAGES` (Vietnamese and English, the catalogue
style of :mod:`gisapp.i18n`) that says what to do.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gisapp.analysis.power import NO_WORDS, YES_WORDS
from gisapp.errors import InputError
from gisapp.i18n import t as _t
from gisapp.i18n.checks_labels import CHECK_MESSAGES
from gisapp.io.tables import (
    DELIMITED_SUFFIXES, EXCEL_SUFFIXES, check_file, find_column, read_excel_rows, read_table,
    read_text_rows,
)
from gisapp.names import name_key
from gisapp.schema import TECHNOLOGIES
from gisapp.templates import DATA_SHEET, TEMPLATES, Template
from gisapp.text import fold

__all__ = ["MESSAGES", "Problem", "CheckReport", "check_template", "read_communes", "message",
           "VIETNAM_BOXES"]

#: key -> (Vietnamese, English); {col} is the column key, {value} the cell, {other} a hint
MESSAGES = CHECK_MESSAGES   # the check's keys (the catalogue holds them as chk_<key>)

#: (lon_min, lon_max, lat_min, lat_max): the mainland and coastal islands, Hoàng Sa,
#: Trường Sa. A coarse test for coordinates typed in the wrong system, not a border.
VIETNAM_BOXES = ((102.0, 110.0, 8.0, 23.5), (111.0, 113.0, 15.5, 17.5), (111.0, 117.5, 6.0, 12.0))
_NUMERIC = ("population", "households", "households_without_power", "height_m", "download_mbps")
_IDS = ("village_id", "site_id", "complaint_id")
_NEEDS_COORDS = ("villages", "towers", "measurements")


def message(key: str, lang: str = "vi", /, **fmt: object) -> str:
    """The message ``key`` in ``lang`` ("vi" or "en"), formatted."""
    return _t(f"chk_{key}", lang, **fmt)


@dataclass(frozen=True)
class Problem:
    """One thing to fix: ``row`` as the spreadsheet numbers it, ``column`` key, message key."""

    row: int
    column: str
    code: str
    value: str = ""
    other: str = ""

    def text(self, lang: str = "vi") -> str:
        other = self.other
        if self.code == "unknown_commune" and other:
            other = message("did_you_mean", lang, value=other)
        return (message("row", lang, row=self.row) + f", {self.column}: "
                + message(self.code, lang, col=self.column, value=self.value, other=other))


@dataclass
class CheckReport:
    """The outcome of :func:`check_template`."""

    path: Path
    template: Template
    rows: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self, lang: str = "vi") -> list[str]:
        head = message("clean" if self.ok else "found", lang, file=self.path.name, rows=self.rows,
                       n=len(self.problems), template=self.template.name)
        return [head, *(p.text(lang) for p in self.problems)]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFC", str(v).strip())


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip().replace(",", "."))
    except ValueError:
        return None


def _in_vietnam(lon: float, lat: float) -> bool:
    return any(a <= lon <= b and c <= lat <= d for a, b, c, d in VIETNAM_BOXES)


def _find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, Template] | None:
    best: tuple[int, int, Template] | None = None
    for i, row in enumerate(rows[:30]):
        cells = {_text(v).lower() for v in row if not _blank(v)}
        for t in TEMPLATES.values():
            hits = len(cells & set(t.keys))
            if hits >= max(3, len(t.keys) - 2) and (best is None or hits > best[0]):
                best = (hits, i, t)
        if best is not None:
            return best[1], best[2]
    return None


def _read_rows(path: Path, sheet: str | None) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        if sheet is None and suffix != ".xls":
            import openpyxl

            try:
                wb = openpyxl.load_workbook(path, read_only=True)
            except Exception:  # noqa: BLE001 - read_excel_rows below says what is wrong
                wb = None
            if wb is not None:
                sheet = DATA_SHEET if DATA_SHEET in wb.sheetnames else None
                wb.close()
        return read_excel_rows(path, sheet=sheet, role="template")
    if suffix in DELIMITED_SUFFIXES:
        return read_text_rows(path, role="template")[0]
    raise InputError("a template is an .xlsx or .csv file", path=path, layer="template")


def read_communes(path: str | Path) -> set[str]:
    """Commune names from a table or layer (column commune, xa, name, ten_xa or fullName),
    as matching keys (:func:`gisapp.names.name_key`)."""
    from gisapp.io.vector import read_vector

    p = Path(path)
    if p.suffix.lower() in (*EXCEL_SUFFIXES, *DELIMITED_SUFFIXES):
        frame = read_table(p, role="commune list")
    else:
        frame = read_vector(p, role="commune list")
    col = find_column(frame.columns, ("commune", "xa", "ten_xa", "fullName", "name", "ten"))
    if col is None:
        raise InputError("no commune name column (commune, xa, ten_xa, fullName or name)",
                         path=p, layer="commune list")
    return {name_key(v) for v in frame[col] if not _blank(v)} - {""}


def check_template(path: str | Path, *, communes: Iterable[str] | None = None,
                   sheet: str | None = None, max_mb: float | None = None) -> CheckReport:
    """Check a filled-in template row by row.

    Parameters
    ----------
    path
        An XLSX (its data sheet) or CSV made from a template of :mod:`gisapp.templates`.
    communes
        Known commune names (any spelling: compared with :func:`gisapp.names.name_key`);
        without them communes are not checked.
    sheet
        The sheet to read; the template's data sheet (else the first) by default.

    Raises
    ------
    UnreadableFileError, InputError
        The file cannot be read, or its header is not one of a template.
    """
    p = check_file(path, role="template", max_mb=max_mb)
    rows = _read_rows(p, sheet)
    found = _find_header(rows)
    if found is None:
        raise InputError(message("not_template", "en", names=", ".join(TEMPLATES)),
                         path=p, layer="template")
    h, t = found
    header = [_text(v).lower() if not _blank(v) else "" for v in rows[h]]
    col = {k: header.index(k) for k in t.keys if k in header}
    known = {name_key(c): c for c in communes} if communes is not None else None
    body = [(h + 2 + i, r) for i, r in enumerate(rows[h + 1:]) if not all(_blank(v) for v in r)]
    report = CheckReport(p, t, len(body))
    seen_ids: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for rownum, r in body:
        def cell(key: str) -> Any:
            j = col.get(key)
            return r[j] if j is not None and j < len(r) else None

        report.problems.extend(_check_row(t, rownum, cell, known, seen_ids, seen_names))
    return report


def _check_row(t: Template, rownum: int, cell: Any, known: dict[str, str] | None,
               seen_ids: dict[str, int], seen_names: dict[tuple[str, str], int]) -> list[Problem]:
    out: list[Problem] = []
    add = lambda c, code, value="", other="": out.append(  # noqa: E731
        Problem(rownum, c, code, str(value), str(other)))
    for key in t.keys:
        c = t.column(key)
        v = cell(key)
        if key in _IDS and c.required:
            if _blank(v):
                add(key, "missing_id")
            else:
                # a tower list has one row per technology of a site
                k = "|".join(_text(x) for x in (v, cell("carrier"), cell("technology"))
                             if key == "site_id" and not _blank(x)) or _text(v)
                if k in seen_ids:
                    add(key, "duplicate_id", _text(v), seen_ids[k])
                else:
                    seen_ids[k] = rownum
        elif c.required and _blank(v) and key not in ("lon", "lat"):
            add(key, "missing_value")
        if _blank(v):
            continue
        if key in _NUMERIC:
            n = _number(v)
            if n is None:
                add(key, "not_a_number", _text(v))
            elif n < 0:
                add(key, "negative", _text(v))
        elif key == "signal_dbm" and _number(v) is None:
            add(key, "not_a_number", _text(v))
        elif key == "has_power" and " ".join(fold(_text(v)).split()) not in YES_WORDS | NO_WORDS:
            add(key, "bad_yes_no", _text(v))
        elif key == "technology" and _text(v).upper() not in TECHNOLOGIES:
            add(key, "bad_technology", _text(v), ", ".join(TECHNOLOGIES))
    if "lon" in t.keys:
        _check_coords(t, cell("lon"), cell("lat"), add)
    commune = cell("commune")
    if known is not None and not _blank(commune) and name_key(commune) not in known:
        close = difflib.get_close_matches(_text(commune), list(known.values()), n=1, cutoff=0.6)
        add("commune", "unknown_commune", _text(commune), close[0] if close else "")
    name = cell("name")
    if t.name == "villages" and not _blank(name):
        k = (name_key(commune), name_key(name))
        if k in seen_names:
            add("name", "duplicate_name", _text(name), seen_names[k])
        else:
            seen_names[k] = rownum
    return out


def _check_coords(t: Template, lon: Any, lat: Any, add: Any) -> None:
    if _blank(lon) and _blank(lat):
        if t.name in _NEEDS_COORDS:
            add("lon", "missing_coords")
        return
    x, y = _number(lon), _number(lat)
    for key, v, n in (("lon", lon, x), ("lat", lat, y)):
        if _blank(v):
            add(key, "missing_coords")
        elif n is None:
            add(key, "not_a_number", _text(v))
    if x is None or y is None:
        return
    if _in_vietnam(x, y):
        return
    if _in_vietnam(y, x):
        add("lon", "swapped", _text(lon))
    else:
        add("lon", "outside_vietnam", f"{_text(lon)}, {_text(lat)}")
