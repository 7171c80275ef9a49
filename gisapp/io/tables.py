"""Tables as people send them: CSV/TSV/TXT, Excel sheets, DBF and GeoPackage attributes.

One implementation of the things every reader needs, used by :mod:`gisapp.io.vector`
and by :func:`read_table`:

* file checks before reading (missing, empty, over a size limit);
* text encodings: UTF-8 (with or without BOM), UTF-16, and the legacy Vietnamese
  code page cp1258, detected by counting Vietnamese letters; a Shapefile's DBF in
  cp1258 is read as Latin-1 bytes and re-decoded in Python, because GDAL (through
  pyogrio) drops the last character of every value and field name when it decodes
  cp1258 itself;
* the separator of a delimited file (``,`` ``;`` tab ``|``) and comma decimals
  (``"105,23"``) when the separator is not a comma;
* title rows above a table's header (common in Excel sheets from provincial offices);
* column look-ups that fail with the available columns and the closest name.

Every string value and column name leaves here NFC-normalised.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gisapp.errors import FileTooLargeError, InputError, MissingColumnError, UnreadableFileError

__all__ = [
    "check_file", "read_table", "read_text_rows", "read_excel_rows", "frame_from_rows",
    "find_column", "require_columns", "nfc_frame", "vietnamese_score", "redecode_latin1",
    "normalise_encoding_name", "read_ogr_frame", "DELIMITED_SUFFIXES", "EXCEL_SUFFIXES",
]

log = logging.getLogger(__name__)

DELIMITED_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SEPARATORS = (",", ";", "\t", "|")
#: how many rows at the top of a sheet may be titles above the header
MAX_HEADER_SEARCH = 30

# Letters only Vietnamese text produces (never Latin-1): ă â đ ê ô ơ ư with or without
# tones, and every precomposed letter of the Latin Extended Additional block U+1EA0–U+1EF9.
_VIET_EXTRA = set("ăĂđĐơƠưƯĩĨũŨ") | {chr(c) for c in range(0x1EA0, 0x1EFA)}
_NUMBER_DOT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_NUMBER_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")


# --- files -------------------------------------------------------------------------


def check_file(path: str | Path, *, role: str | None = None, max_mb: float | None = None) -> Path:
    """Refuse a path that is missing, a folder, empty, or larger than ``max_mb``.

    Raises
    ------
    UnreadableFileError
        The file does not exist, is a folder, or has 0 bytes.
    FileTooLargeError
        The file is over ``max_mb`` megabytes (checked before any reading).
    """
    p = Path(path)
    if not p.exists():
        raise UnreadableFileError(
            "the file does not exist; check the path (relative paths in a config are "
            "relative to the config file's folder)", path=p, layer=role,
            key="file_missing",
        )
    if p.is_dir():
        raise UnreadableFileError("this is a folder, not a file; give the file itself",
                                  path=p, layer=role, key="file_is_folder")
    size = p.stat().st_size
    if size == 0:
        raise UnreadableFileError("the file is empty (0 bytes); export it again",
                                  path=p, layer=role, key="file_empty")
    if max_mb is not None and size > max_mb * 1024**2:
        raise FileTooLargeError(
            f"the file is {size / 1024**2:.1f} MB, over the limit of {max_mb:g} MB; "
            "split it, simplify it, or raise the limit", path=p, layer=role,
            key="file_too_large", params=dict(mb=round(size / 1024**2, 1), limit=max_mb),
        )
    return p


# --- encodings ---------------------------------------------------------------------


def normalise_encoding_name(name: str | None) -> str | None:
    """``"1258"``, ``"windows-1258"``, ``"ANSI 1258"`` → ``"cp1258"``; Python's name otherwise."""
    if name is None:
        return None
    text = name.strip().lower()
    if not text:
        return None
    digits = re.sub(r"^(ansi|cp|windows|win|ms)[\s_-]*", "", text)
    if digits.isdigit():
        return f"cp{int(digits)}"
    import codecs

    try:
        return codecs.lookup(text).name
    except LookupError:
        return text


def vietnamese_score(text: str) -> int:
    """Number of letters in ``text`` (after NFC) that only Vietnamese text produces."""
    return sum(ch in _VIET_EXTRA for ch in unicodedata.normalize("NFC", text))


def _decode_candidates(raw: bytes) -> str:
    """Pick the decoding of legacy bytes: UTF-8 if valid, else cp1258 or cp1252/Latin-1."""
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        viet = vietnamese_score(raw.decode("cp1258"))
    except UnicodeDecodeError:
        viet = -1
    if viet > 0:
        return "cp1258"
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin1"


def redecode_latin1(value: Any, encoding: str) -> Any:
    """A string read as Latin-1, decoded again as ``encoding`` and NFC-normalised."""
    if not isinstance(value, str):
        return value
    raw = value.encode("latin1", errors="ignore")
    return unicodedata.normalize("NFC", raw.decode(encoding, errors="replace"))


def _decode_text(raw: bytes, *, encoding: str | None, path: Path, role: str | None) -> str:
    """Bytes of a text file → text, honouring ``encoding`` or detecting it (and saying so)."""
    enc = normalise_encoding_name(encoding)
    if enc:
        try:
            return raw.decode("utf-8-sig" if enc == "utf-8" else enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise UnreadableFileError(
                f"cannot decode the file as {encoding} ({exc}); check the encoding setting",
                path=path, layer=role,
                key="encoding", params=dict(encoding=encoding),
            ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:   # an odd byte count: a cut-off UTF-16 file
            raise UnreadableFileError(
                f"the file starts like UTF-16 text but cannot be decoded ({exc}); save it "
                "again as UTF-8 CSV", path=path, layer=role,
                key="utf16",
            ) from exc
    guess = _decode_candidates(raw)
    if guess != "utf-8":
        log.warning("%s: not UTF-8; assumed %s (%s); set the layer's encoding to override",
                    path, guess,
                    "Vietnamese letters found" if guess == "cp1258" else "no Vietnamese letters")
    return raw.decode(guess, errors="replace")


# --- rows → frame ------------------------------------------------------------------


def _sniff_separator(lines: Sequence[str]) -> str:
    """The separator that splits most lines into the same number (> 1) of fields."""
    sample = [ln for ln in lines if ln.strip()][:200]
    best, best_key = ",", (-1, -1)
    for sep in SEPARATORS:
        counts = []
        for row in csv.reader(sample, delimiter=sep):
            counts.append(len(row))
        if not counts:
            continue
        values, freq = np.unique(counts, return_counts=True)
        mode = int(values[np.argmax(freq)])
        if mode < 2:
            continue
        key = (int(freq.max()), mode)
        if key > best_key:
            best, best_key = sep, key
    return best


def read_text_rows(path: Path, *, encoding: str | None = None,
                   role: str | None = None) -> tuple[list[list[Any]], str]:
    """Rows of a delimited text file and the separator found."""
    raw = path.read_bytes()
    text = _decode_text(raw, encoding=encoding, path=path, role=role).lstrip("\ufeff")
    lines = text.splitlines()
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_separator(lines)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return rows, sep


def read_excel_rows(path: Path, *, sheet: str | int | None = None,
                    role: str | None = None) -> list[list[Any]]:
    """Cell values of one sheet (the first, or ``sheet`` by name or 0-based index)."""
    if path.suffix.lower() == ".xls":
        try:
            frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, header=None)
        except ImportError as exc:
            raise UnreadableFileError(
                "old .xls workbooks need the 'xlrd' package, which is not installed; "
                "save the sheet as .xlsx or CSV", path=path, layer=role,
                key="xls_needs_xlrd",
            ) from exc
        except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
            raise UnreadableFileError(f"cannot read the workbook ({exc})",
                                      path=path, layer=role, key="workbook_unreadable") from exc
        return frame.astype(object).where(frame.notna(), None).values.tolist()
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFileError(
            f"cannot open the workbook ({type(exc).__name__}: {exc}); save it again as .xlsx",
            path=path, layer=role,
            key="workbook_unreadable",
        ) from exc
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(f"no sheet '{sheet}'; the workbook has: {', '.join(wb.sheetnames)}",
                             path=path, layer=role,
                             key="no_sheet", params=dict(sheet=sheet, sheets=list(wb.sheetnames)))
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and _to_number(v.strip()) is None


def _to_number(s: str) -> float | None:
    if _NUMBER_DOT.match(s):
        return float(s)
    return None


def _header_row(rows: Sequence[Sequence[Any]], expected: Iterable[str]) -> int:
    """Index of the header row: the first that names an expected column, else the first
    row of mostly non-empty text cells followed by a row with data."""
    wanted = {e.strip().lower() for e in expected if e}
    top = rows[:MAX_HEADER_SEARCH]
    if wanted:
        for i, row in enumerate(top):
            cells = {str(v).strip().lower() for v in row if not _is_blank(v)}
            if cells & wanted:
                return i
    width = max((sum(not _is_blank(v) for v in r) for r in top), default=0)
    for i, row in enumerate(top):
        filled = [v for v in row if not _is_blank(v)]
        texts = sum(_is_text(v) for v in filled)
        if not filled or texts < max(1, 0.5 * width) or (width > 1 and texts < 2):
            continue
        following = rows[i + 1:i + 2]
        if not following or any(not _is_blank(v) for v in following[0]):
            return i
    return 0


def _coerce_column(values: pd.Series, *, comma_decimal: bool) -> pd.Series:
    """Text cells → numbers when every filled cell is a number (ids with leading zeros
    stay text); comma decimals are read when the file's separator is not a comma."""
    if values.map(lambda v: isinstance(v, (int, float, np.number)) or _is_blank(v)
                  or isinstance(v, bool)).all():
        filled = values[~values.map(_is_blank)]
        if len(filled) and not filled.map(lambda v: isinstance(v, bool)).any():
            return pd.to_numeric(values.map(lambda v: np.nan if _is_blank(v) else v),
                                 errors="coerce")
        return values
    texts = values.map(lambda v: None if _is_blank(v) else str(v).strip())
    filled = texts.dropna()
    if filled.empty:
        return values
    if filled.map(lambda s: len(s) > 1 and s[0] == "0" and s[1].isdigit()).any():
        return texts  # identifiers such as "001" stay text
    if filled.map(lambda s: bool(_NUMBER_DOT.match(s))).all():
        return pd.to_numeric(texts, errors="coerce")
    if comma_decimal and filled.map(
            lambda s: bool(_NUMBER_COMMA.match(s) or _NUMBER_COMMA_THOUSANDS.match(s)
                           or _NUMBER_DOT.match(s))).all():
        def conv(s: str | None) -> float:
            if not isinstance(s, str):   # blank cells (None, or NaN in a pandas str column)
                return np.nan
            if _NUMBER_COMMA_THOUSANDS.match(s):
                s = s.replace(".", "")
            return float(s.replace(",", "."))
        return texts.map(conv).astype(float)
    return texts


def frame_from_rows(rows: Sequence[Sequence[Any]], *, expected: Iterable[str] = (),
                    comma_decimal: bool = False, source: object = None) -> pd.DataFrame:
    """A DataFrame from raw rows: header row found, blank rows skipped, numbers typed.

    Parameters
    ----------
    rows
        Cell values, top to bottom (as read from a CSV or a sheet).
    expected
        Column names to look for when finding the header row (case-insensitive).
    comma_decimal
        Read ``"105,23"`` as 105.23 (when the separator is not a comma).
    source
        The file, for log messages.
    """
    rows = [list(r) for r in rows]
    if not rows:
        return pd.DataFrame()
    h = _header_row(rows, expected)
    if h:
        log.info("%s: %d title row(s) above the header skipped", source, h)
    header = rows[h]
    body = rows[h + 1:]
    ncol = max([len(header)] + [len(r) for r in body])
    names: list[str] = []
    for j in range(ncol):
        v = header[j] if j < len(header) else None
        name = f"column_{j + 1}" if _is_blank(v) else unicodedata.normalize("NFC", str(v).strip())
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    body = [r + [None] * (ncol - len(r)) for r in body]
    blank = [all(_is_blank(v) for v in r) for r in body]
    if any(blank):
        log.info("%s: %d empty row(s) skipped", source, sum(blank))
    body = [r for r, b in zip(body, blank) if not b]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    # drop trailing unnamed columns that hold nothing
    empty_cols = [c for c in names if c.startswith("column_") and frame[c].map(_is_blank).all()]
    frame = frame.drop(columns=empty_cols)
    out = {c: _coerce_column(frame[c], comma_decimal=comma_decimal) for c in frame.columns}
    return nfc_frame(pd.DataFrame(out, index=pd.RangeIndex(len(frame))))


# --- columns -----------------------------------------------------------------------


def find_column(columns: Iterable[str], candidates: Iterable[str]) -> str | None:
    """The first column equal (case-insensitively) to one of ``candidates``, in their order."""
    by_lower: dict[str, str] = {}
    for c in columns:
        by_lower.setdefault(str(c).strip().lower(), c)
    for cand in candidates:
        hit = by_lower.get(cand.strip().lower())
        if hit is not None:
            return hit
    return None


def require_columns(df: pd.DataFrame, names: Iterable[str | None], *, path: object = None,
                    role: str | None = None) -> dict[str, str]:
    """Map each requested name to the frame's column (exact, else case-insensitive).

    Raises
    ------
    MissingColumnError
        A name is absent: the message lists the available columns and the closest one.
    """
    cols = [str(c) for c in df.columns if c != "geometry"]
    found: dict[str, str] = {}
    for name in names:
        if not name:
            continue
        if name in df.columns:
            found[name] = name
            continue
        hit = find_column(cols, [name])
        if hit is not None:
            found[name] = hit
            continue
        close = difflib.get_close_matches(name, cols, n=1, cutoff=0.5) or \
            difflib.get_close_matches(name.lower(), [c.lower() for c in cols], n=1, cutoff=0.5)
        hint = ""
        if close:
            match = next((c for c in cols if c.lower() == close[0].lower()), close[0])
            hint = f" Did you mean '{match}'?"
        raise MissingColumnError(
            f"no column '{name}'. Available columns: {', '.join(cols) or '(none)'}.{hint}",
            path=path, layer=role,
            key="missing_column_hint" if close else "missing_column",
            params=dict(column=name, columns=list(cols), suggestion=(match if close else "")),
        )
    return found


def nfc_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with NFC-normalised column names and string values (other values kept)."""
    out = df.copy()
    out.columns = [unicodedata.normalize("NFC", c) if isinstance(c, str) else c
                   for c in out.columns]
    for c in out.columns:
        if c == "geometry" or getattr(out[c].dtype, "name", "") == "geometry":
            continue
        col = out[c]
        if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
            out[c] = col.map(lambda v: unicodedata.normalize("NFC", v)
                             if isinstance(v, str) else v)
    return out


# --- OGR attribute tables (DBF, Shapefile, GPKG) -----------------------------------


def _shapefile_declared_encoding(path: Path) -> str | None:
    for suffix in (".cpg", ".CPG"):
        cpg = path.with_suffix(suffix)
        if cpg.exists():
            return normalise_encoding_name(cpg.read_text(encoding="ascii", errors="ignore"))
    return None


def read_ogr_frame(path: Path, *, layer: str | None = None, encoding: str | None = None,
                   read_geometry: bool = True, role: str | None = None) -> pd.DataFrame:
    """Read a layer with pyogrio, fixing legacy Vietnamese encodings of Shapefiles/DBFs.

    For ``.shp``/``.dbf``: a cp1258 file (``.cpg`` or ``encoding``) is read as Latin-1 and
    re-decoded in Python; a file without ``.cpg`` is read as Latin-1 and re-decoded as
    UTF-8 or cp1258 when that gives Vietnamese letters (logged as a warning).
    """
    import pyogrio

    suffix = path.suffix.lower()
    legacy = suffix in (".shp", ".dbf")
    declared = normalise_encoding_name(encoding) or (
        _shapefile_declared_encoding(path) if legacy else None)
    redecode: str | None = None
    read_enc: str | None = encoding
    if legacy and (declared is None or declared == "cp1258"):
        read_enc = "latin1"
        redecode = "cp1258" if declared == "cp1258" else "detect"
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=read_enc,
                                       read_geometry=read_geometry, use_arrow=True)
    except Exception as exc:  # noqa: BLE001 - pyogrio/GDAL raise many types
        raise UnreadableFileError(
            f"GDAL cannot read it ({type(exc).__name__}: {str(exc).strip()}); check that the "
            "file is complete (a Shapefile needs its .shp, .shx and .dbf) and re-export it",
            path=path, layer=role,
            key="gdal_unreadable",
        ) from exc
    if redecode is None:
        return nfc_frame(frame)
    strings = [c for c in frame.columns if c != "geometry"
               and (pd.api.types.is_string_dtype(frame[c].dtype) or frame[c].dtype == object)]
    if redecode == "detect":
        raw = "\n".join([str(c) for c in frame.columns] + [
            v for c in strings for v in frame[c].dropna().astype(str).tolist()])
        target = _decode_candidates(raw.encode("latin1", errors="ignore"))
        if target in ("cp1252", "latin1"):
            if target == "cp1252":
                redecode = "cp1252"
            else:
                return nfc_frame(frame)
        else:
            redecode = target
            if any(ord(ch) > 127 for ch in raw):
                log.warning("%s has no .cpg file; its text was decoded as %s (%s); write a .cpg "
                            "or set the layer's encoding if names look wrong", path, redecode,
                            "Vietnamese letters found" if redecode == "cp1258" else "valid UTF-8")
    out = frame.copy()
    for c in strings:
        out[c] = frame[c].map(lambda v: redecode_latin1(v, redecode), na_action="ignore")
    out.columns = [c if c == "geometry" else redecode_latin1(c, redecode) for c in frame.columns]
    if "geometry" in out.columns and hasattr(frame, "crs"):
        import geopandas as gpd

        out = gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)
    return nfc_frame(out)


# --- the public table reader -------------------------------------------------------


def read_table(path: str | Path, *, sheet: str | int | None = None, required: Sequence[str] = (),
               role: str | None = None, max_mb: float | None = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read a non-spatial list (CSV/TSV/TXT, XLSX/XLS, DBF, or a GeoPackage table).

    Parameters
    ----------
    path
        The file.
    sheet
        Excel sheet (name or 0-based index) or GeoPackage layer; default the first.
    required
        Columns that must be present; also used to find the header row below titles.
    role
        The layer's role in the run, for messages (``"electricity list"`` ...).
    max_mb
        Refuse files larger than this, before reading.
    encoding
        Force a text encoding (e.g. ``"cp1258"``); detected otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty row of the table, a RangeIndex, NFC-normalised text,
        numbers typed (comma decimals read when the separator is ``;``/tab/``|``);
        a geometry column, if any, is dropped.

    Raises
    ------
    UnreadableFileError, FileTooLargeError, MissingColumnError
    """
    p = check_file(path, role=role, max_mb=max_mb)
    suffix = p.suffix.lower()
    if suffix in DELIMITED_SUFFIXES:
        rows, sep = read_text_rows(p, encoding=encoding, role=role)
        frame = frame_from_rows(rows, expected=required, comma_decimal=sep != ",", source=p)
    elif suffix in EXCEL_SUFFIXES:
        frame = frame_from_rows(read_excel_rows(p, sheet=sheet, role=role), expected=required,
                                source=p)
    elif suffix in (".dbf", ".gpkg", ".shp"):
        frame = read_ogr_frame(p, layer=sheet if isinstance(sheet, str) else None,
                               encoding=encoding, read_geometry=False, role=role)
        frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    else:
        raise UnreadableFileError(
            f"unknown table format '{p.suffix}'; use CSV, XLSX, DBF or GPKG",
            path=p, layer=role,
            key="table_format", params=dict(suffix=p.suffix),
        )
    if frame.empty and not len(frame.columns):
        raise UnreadableFileError("the table has no header and no rows", path=p, layer=role,
            key="table_empty")
    require_columns(frame, required, path=p, role=role)
    return frame
