"""Write the village table and its summary: GeoPackage, GeoJSON, CSV, Excel, KML, manifest.

Every write is atomic: the file is written beside the target under a temporary name and
moved into place with :func:`os.replace`, so a crash never leaves a half-written file.
Text written for spreadsheets is neutralised against formula injection (OWASP "CSV
injection"): strings starting with ``= + - @`` (or tab / carriage return) get a leading
apostrophe in CSV and are stored as plain text with Excel's quote prefix in XLSX.
CSV, GeoJSON and KML are byte-identical for identical input.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
import os
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema

__all__ = [
    "write_gpkg", "write_geojson", "write_csv", "write_xlsx", "write_kml", "write_manifest",
    "file_sha256", "write_all", "atomic_path", "neutralise", "GAP_COLOURS",
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
    frame = villages.copy()
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].map(_json_safe_text)
    with atomic_path(target) as tmp:
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG")
    return target


def _json_safe_text(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple, set)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


# --- GeoJSON -------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    v = _plain(value)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return v


def write_geojson(villages: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write RFC 7946 GeoJSON: EPSG:4326, lon/lat order, no ``crs`` member, coordinates
    rounded to 7 decimals (about 1 cm), exterior rings counter-clockwise."""
    target = Path(path)
    gdf = _to_4326(villages)
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    rounded = np.full(len(geoms), None, dtype=object)
    if present.any():
        g = shapely.transform(geoms[present], lambda c: np.round(c, COORD_DECIMALS))
        g = shapely.orient_polygons(g, exterior_cw=False)
        rounded[present] = shapely.to_geojson(g)
    attrs = _attributes(gdf)
    cols = list(attrs.columns)
    id_col = schema.ID if schema.ID in cols else None
    records = attrs.astype(object).to_numpy()
    parts = []
    for i in range(len(attrs)):
        props = {str(c): _json_value(v) for c, v in zip(cols, records[i])}
        feature: dict[str, Any] = {"type": "Feature"}
        if id_col is not None and props[id_col] is not None:
            feature["id"] = props[id_col]
        feature["properties"] = props
        feature["geometry"] = None
        text = json.dumps(feature, ensure_ascii=False, allow_nan=False, default=str)
        geom = rounded[i]
        if geom is not None:
            text = text[:-len("null}")] + geom + "}"
        parts.append(text)
    body = '{"type":"FeatureCollection","features":[\n' + ",\n".join(parts) + "\n]}\n"
    with atomic_path(target) as tmp:
        tmp.write_text(body, encoding="utf-8", newline="\n")
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


def _write_sheet(wb: Any, name: str, frame: pd.DataFrame, *, title: str | None = None) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    header_row = 1
    rows: list[list[Any]] = []
    if title:
        rows.append([title])
        rows.append([])
        header_row = 3
    cols = [str(c) for c in frame.columns]
    widths = [min(max(len(c), 6) + 2, 60) for c in cols]
    values = frame.astype(object).to_numpy()
    for j in range(len(cols)):
        sample = [len(str(v)) for v in values[:200, j] if _plain(v) is not None]
        if sample:
            widths[j] = min(max(widths[j], max(sample) + 2), 60)
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = w
    ws.freeze_panes = f"A{header_row + 1}"

    def cell(v: Any) -> Any:
        v = _plain(v)
        if isinstance(v, str):
            c = WriteOnlyCell(ws, value=_XML_ILLEGAL.sub("", v))
            c.data_type = "s"            # text, never a formula
            if v.startswith(_FORMULA_START):
                c.quotePrefix = True     # Excel's own "leading apostrophe"
            return c
        return v

    for r in rows:
        ws.append([cell(v) for v in r])
    ws.append([cell(c) for c in cols])
    for r in values:
        ws.append([cell(v) for v in r])


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
        ranked = attrs.sort_values(rank_col, na_position="last", kind="stable")
    else:
        ranked = attrs
    wb = openpyxl.Workbook(write_only=True)
    used = {"summary", "ranked"}
    _write_sheet(wb, "Summary", _attributes(summary), title=title)
    _write_sheet(wb, "Ranked", ranked)
    if commune_col in ranked.columns:
        keys = ranked[commune_col].astype(object).where(ranked[commune_col].notna(), None)
        for value in sorted(set(keys), key=lambda v: (v is None, str(v))):
            part = ranked[keys.map(lambda k, v=value: k == v).to_numpy()]
            _write_sheet(wb, _sheet_name(value, used), part)
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


def _coords(ring: Any) -> str:
    xy = np.round(shapely.get_coordinates(ring), COORD_DECIMALS)
    return " ".join(f"{x:.7f},{y:.7f}" for x, y in xy)


def _kml_geometry(parent: ET.Element, geom: Any) -> None:
    kind = geom.geom_type
    if kind == "Point":
        _sub(_sub(parent, "Point"), "coordinates", _coords(geom))
    elif kind == "LineString":
        _sub(_sub(parent, "LineString"), "coordinates", _coords(geom))
    elif kind == "Polygon":
        poly = _sub(parent, "Polygon")
        _sub(_sub(_sub(poly, "outerBoundaryIs"), "LinearRing"), "coordinates",
             _coords(geom.exterior))
        for ring in geom.interiors:
            _sub(_sub(_sub(poly, "innerBoundaryIs"), "LinearRing"), "coordinates", _coords(ring))
    else:  # Multi* and collections
        multi = _sub(parent, "MultiGeometry")
        for part in shapely.get_parts(geom):
            _kml_geometry(multi, part)


def write_kml(villages: gpd.GeoDataFrame, path: str | Path, *,
              folder_col: str = schema.GAP_CLASS, name_col: str = schema.NAME,
              description_cols: Sequence[str] = (
                  schema.ID, schema.COMMUNE, schema.POP, schema.GAP_CLASS, schema.WHY,
                  schema.PRIORITY_RANK, schema.PRIORITY_TIER),
              document_name: str = "gisapp villages") -> Path:
    """Write KML 2.2 for Google Earth: a Folder per ``folder_col`` value, a Placemark per
    village (name, ExtendedData of ``description_cols``, polygon or point), lon/lat in
    EPSG:4326, one style per gap class. Text is escaped by the XML writer."""
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
    attrs = _attributes(gdf)
    desc = [c for c in description_cols if c in attrs.columns]
    if folder_col in attrs.columns:
        keys = attrs[folder_col].astype(object).map(lambda v: "unknown" if _plain(v) is None
                                                    else str(v))
    else:
        keys = pd.Series("villages", index=attrs.index, dtype=object)
    order = {str(g): i for i, g in enumerate(schema.GAP_ORDER)}
    folders = sorted(set(keys), key=lambda v: (order.get(v, len(order)), v))
    geoms = gdf.geometry.to_numpy()
    names = attrs[name_col].astype(object).to_numpy() if name_col in attrs.columns else None
    gap_values = set(map(str, GAP_COLOURS))
    gaps = attrs[schema.GAP_CLASS].astype(object).to_numpy() \
        if schema.GAP_CLASS in attrs.columns else None
    desc_values = {c: attrs[c].astype(object).to_numpy() for c in desc}
    for folder_value in folders:
        folder = _sub(doc, "Folder")
        _sub(folder, "name", folder_value)
        for i in np.flatnonzero((keys == folder_value).to_numpy()):
            pm = _sub(folder, "Placemark")
            label = _plain(names[i]) if names is not None else None
            _sub(pm, "name", "" if label is None else label)
            gap = str(_plain(gaps[i])) if gaps is not None else None
            if gap in gap_values:
                _sub(pm, "styleUrl", f"#gap_{gap}")
            if desc:
                ext = _sub(pm, "ExtendedData")
                for c in desc:
                    v = _json_value(desc_values[c][i])
                    _sub(_sub(ext, "Data", name=str(c)), "value", "" if v is None else v)
            g = geoms[i]
            if g is not None and not g.is_empty:
                _kml_geometry(pm, g)
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    with atomic_path(target) as tmp:
        tree.write(tmp, encoding="UTF-8", xml_declaration=True)
    return target


# --- manifest and all ---------------------------------------------------------------


def write_manifest(manifest: Mapping[str, Any], path: str | Path) -> Path:
    """Write the run manifest as sorted, indented UTF-8 JSON."""
    target = Path(path)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    with atomic_path(target) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8", newline="\n")
    return target


def write_all(villages: gpd.GeoDataFrame, summary: pd.DataFrame, manifest: Mapping[str, Any],
              out_dir: str | Path, *, stem: str = "villages",
              formats: Sequence[str] = ("gpkg", "geojson", "csv", "xlsx", "kml"),
              title: str | None = None) -> dict[str, Path]:
    """Write every export of a run into ``out_dir``.

    Returns
    -------
    dict
        ``format → path`` for each of ``formats``, plus ``"summary"`` (summary.csv) and
        ``"manifest"`` (manifest.json, the given manifest plus an ``outputs`` entry with
        the SHA-256 of every file written; the caller's dict is not changed).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers = {
        "gpkg": lambda p: write_gpkg(villages, p, layer="villages"),
        "geojson": lambda p: write_geojson(villages, p),
        "csv": lambda p: write_csv(villages, p),
        "xlsx": lambda p: write_xlsx(villages, summary, p, title=title),
        "kml": lambda p: write_kml(villages, p),
    }
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise ValueError(f"unknown export format(s) {unknown}; choose from {sorted(writers)}")
    written: dict[str, Path] = {}
    for fmt in formats:
        written[fmt] = writers[fmt](out / f"{stem}.{fmt}")
        log.info("wrote %s", written[fmt])
    written["summary"] = write_csv(summary, out / "summary.csv")
    full = dict(manifest)
    full["outputs"] = {p.name: file_sha256(p) for p in written.values()}
    written["manifest"] = write_manifest(full, out / "manifest.json")
    return written
