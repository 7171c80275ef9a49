"""KML 2.2 for Google Earth: a Folder per gap class, a Placemark per village, one style
per gap class in the colours of :data:`gisapp.schema.GAP_COLOURS`. Placemarks are
streamed in chunks with ElementTree's own escaping and layout.

For people, in the chosen language: folders are named in words (the gap class's label,
or the commune), placemarks by the village's name, and each has a description table
(headers from :func:`gisapp.i18n.columns.column_label`, numbers through
:mod:`gisapp.i18n.numbers`). The ExtendedData keeps the stable names and raw values for
machines."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

import geopandas as gpd
import numpy as np
import shapely

from gisapp import schema
from gisapp.i18n.columns import column_label
from gisapp.i18n.labels import t
from gisapp.io.export.common import (
    COORD_DECIMALS, _XML_ILLEGAL, _attributes, _json_value, _plain, _to_4326, atomic_path,
)
from gisapp.io.export.words import display, value_words, why_in

__all__ = ["GAP_COLOURS", "KML_NS", "kml_colour", "write_kml"]

KML_NS = "http://www.opengis.net/kml/2.2"


def kml_colour(rgb: str, alpha: str = "ff") -> str:
    """``"#rrggbb"`` as KML writes colours, ``aabbggrr`` (hex, lower case)."""
    rr, gg, bb = rgb[1:3], rgb[3:5], rgb[5:7]
    return (alpha + bb + gg + rr).lower()


#: KML colours (aabbggrr) per gap class, from the one table :data:`gisapp.schema.GAP_COLOURS`
GAP_COLOURS = {gap: kml_colour(rgb) for gap, rgb in schema.GAP_COLOURS.items()}


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


def description_html(rows: Sequence[tuple[str, str]]) -> str:
    """The description table of a placemark: one ``<tr>`` per (header, value), HTML-escaped."""
    cells = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows)
    return f"<table>{cells}</table>"


def folder_name(folder_col: str, value: Any, lang: str) -> str:
    """A folder's name in words: the gap class's label, or the value (e.g. the commune)."""
    if value is None:
        return t("kml_no_value", lang) if folder_col != schema.GAP_CLASS else \
            str(value_words(schema.GAP_CLASS, schema.GapClass.UNKNOWN.value, lang))
    if folder_col == schema.GAP_CLASS:
        return str(value_words(folder_col, value, lang))
    return str(value)


def write_kml(villages: gpd.GeoDataFrame, path: str | Path, *,
              folder_col: str = schema.GAP_CLASS, name_col: str = schema.NAME,
              description_cols: Sequence[str] = (
                  schema.ID, schema.COMMUNE, schema.POP, schema.GAP_CLASS, schema.WHY,
                  schema.PRIORITY_RANK, schema.PRIORITY_TIER),
              document_name: str | None = None, lang: str = "vi") -> Path:
    """Write KML 2.2 for Google Earth: a Folder per ``folder_col`` value (named in words
    in ``lang``), a Placemark per village (its name; a description table of
    ``description_cols`` with headers and numbers in ``lang``; ExtendedData of the same
    columns under their stable names; polygon or point), lon/lat in EPSG:4326, one style
    per gap class. ``document_name`` defaults to "gisapp: Các thôn" / "gisapp: Villages".

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
    _sub(doc, "name", document_name or f"gisapp: {t('kml_villages', lang)}")
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
        keys = [(None if _plain(v) is None else str(v))
                for v in attrs[folder_col].astype(object).to_numpy()]
        if folder_col == schema.GAP_CLASS:
            keys = [schema.GapClass.UNKNOWN.value if k is None else k for k in keys]
    else:
        keys = [t("kml_villages", lang)] * len(attrs)
    order = {str(g): i for i, g in enumerate(schema.GAP_ORDER)}
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    folders = sorted(members, key=lambda v: (v is None, order.get(v, len(order)), str(v)))
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    names = attrs[name_col].astype(object).to_numpy() if name_col in attrs.columns else None
    gap_values = set(map(str, GAP_COLOURS))
    gaps = attrs[schema.GAP_CLASS].astype(object).to_numpy() \
        if schema.GAP_CLASS in attrs.columns else None
    desc_values = {c: attrs[c].astype(object).to_numpy() for c in desc}
    data_open = {c: f'{_indent(5)}<Data name="{_attr(str(c))}">' for c in desc}
    shown = dict(desc_values)
    why = why_in(attrs, lang) if schema.WHY in desc else None
    if why is not None:
        shown[schema.WHY] = why.to_numpy()
    heads = {c: column_label(c, lang) for c in desc}

    def description(i: int) -> str:
        return description_html([(heads[c], display(c, shown[c][i], lang)) for c in desc])

    def placemark(i: int) -> str:
        label = _plain(names[i]) if names is not None else None
        out = [_indent(3), "<Placemark>", _leaf("name", _text("" if label is None else label), 4)]
        if desc:
            out.append(_leaf("description", _text(description(i)), 4))
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
                fh.write(f"{_indent(2)}<Folder>"
                         f"{_leaf('name', _text(folder_name(folder_col, folder_value, lang)), 3)}")
                rows = members[folder_value]
                fh.writelines("".join(placemark(i) for i in rows[start:start + _KML_CHUNK])
                              for start in range(0, len(rows), _KML_CHUNK))
                fh.write(f"{_indent(2)}</Folder>")
            fh.write(tail)
    return target
