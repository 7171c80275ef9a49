"""The Folium map of a result: villages by gap class, towers, grid, fibre, coverage.

This is the only module that imports Folium. It draws; it does not compute: classes and
``why`` come from the result. What it does to the data is for display only:

* geometries are simplified with a tolerance in metres (by default half a screen pixel
  at the zoom that fits the villages; coverage outlines two pixels) and their coordinates
  rounded (5 decimals ≈ 1 m; coverage 4), so 10,000 villages stay under 5 MB of HTML;
* the data is embedded as compact JSON (no spaces, UTF-8 rather than ``\\uXXXX``
  escapes) with short property names, and coloured, styled and tooltipped by small
  JavaScript functions (``folium.GeoJson`` with a ``style_function`` writes a
  ``switch`` with one ``case`` per feature, and its tooltip reads the full ``why``):
  see :class:`FastGeoJson`; the tooltip shows ``why`` cut to :data:`WHY_CHARS`
  characters, the table has it in full;
* every text value that reaches a tooltip, popup or layer name is HTML-escaped here
  (Leaflet puts tooltip strings into ``innerHTML``), so a village named
  ``<img src=x onerror=alert(1)>`` shows as text;
* Leaflet and MarkerCluster load from local URLs (:class:`gisapp.ui.assets.MapAssets`),
  never from CDNs; without tiles the map is a plain background.

Coverage evidence is styled by kind: *measured* solid outline and strongest fill,
*declared* dashed outline, *modelled* dotted outline and faint fill.
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Mapping

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from gisapp import schema as S
from gisapp.text import slug
from gisapp.ui.assets import MapAssets
from gisapp.ui.i18n import gap_label, t

__all__ = [
    "GAP_COLOURS", "CARRIER_COLOURS", "CHANGE_COLOURS", "KIND_STYLES", "WHY_CHARS",
    "display_tolerance_m", "display_frame", "FastGeoJson", "features_json", "build_map",
    "selection_group",
    "add_sites", "build_change_map", "cdn_urls", "OSM_TILES",
]

log = logging.getLogger(__name__)

GAP_COLOURS = {
    "no_power_no_signal": "#b2182b",
    "no_signal": "#ef8a62",
    "no_power": "#7b3294",
    "served": "#4dac26",
    "unknown": "#9e9e9e",
}
#: colours of :class:`gisapp.tracking.Change` values on the map of changes
CHANGE_COLOURS = {
    "newly_found_gap": "#d7191c",
    "still_open": "#fdae61",
    "newly_covered": "#2c7bb6",
    "newly_powered": "#8e6cc4",
    "resolved": "#1a9641",
    "judged_served": "#a6d96a",
    "unchanged_served": "#d9ead3",
    "unknown": "#9e9e9e",
    "appeared": "#01665e",
    "disappeared": "#252525",
}
CARRIER_COLOURS = {
    "viettel": "#e4002b", "vinaphone": "#0072bc", "vnpt": "#0072bc", "mobifone": "#005baa",
    "vietnamobile": "#f7941d",
}
_FALLBACK_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
KIND_STYLES = {
    "measured": {"dashArray": None, "fillOpacity": 0.35, "weight": 2},
    "declared": {"dashArray": "8 5", "fillOpacity": 0.2, "weight": 2},
    "modelled": {"dashArray": "2 5", "fillOpacity": 0.08, "weight": 2},
}
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: towers above this number per carrier are clustered
CLUSTER_MIN = 200
PRECISION = 5
#: coverage outlines: rounded to 4 decimals (≈ 11 m) and simplified by this many pixels
COVERAGE_PRECISION = 4
COVERAGE_PIXELS = 4.0
#: characters of ``why`` in a village's tooltip (the table shows all of it)
WHY_CHARS = 90
_M_PER_DEG = 111_320.0
_GAPS = [g.value for g in S.GapClass]


def display_tolerance_m(bounds: tuple[float, float, float, float], *, width_px: int = 900) -> float:
    """Half the ground size of a screen pixel at the zoom that fits ``bounds`` (lon/lat).

    Simplifying by this much changes nothing visible at that zoom.
    """
    minx, miny, maxx, maxy = bounds
    if not all(map(math.isfinite, bounds)):
        return 0.0
    lat = math.radians((miny + maxy) / 2)
    span_m = max((maxx - minx) * _M_PER_DEG * math.cos(lat), (maxy - miny) * _M_PER_DEG, 1.0)
    return 0.5 * span_m / width_px


def _simplify(geoms: np.ndarray, tolerance_m: float, precision: int) -> np.ndarray:
    """Simplify (tolerance in metres, converted near the data's latitude) and round."""
    out = geoms
    if tolerance_m > 0 and len(geoms):
        simplified = shapely.simplify(geoms, tolerance_m / _M_PER_DEG, preserve_topology=True)
        empty = shapely.is_empty(simplified) & ~shapely.is_empty(geoms)
        out = np.where(empty, geoms, simplified)
    return shapely.transform(out, lambda xy: np.round(xy, precision))


def _js_safe(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element (as folium's own ``tojson``)."""
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _dumps(obj: object) -> str:
    return _js_safe(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def features_json(geoms: np.ndarray, props: list[dict] | None = None) -> str:
    """A compact GeoJSON FeatureCollection text, safe to embed in a ``<script>``.

    Geometries are written by GEOS in one vectorised call (``__geo_interface__`` walks
    every coordinate in Python); properties with ``json.dumps`` without spaces and
    without ``\\uXXXX`` escapes of Vietnamese letters (a third of the size); ``<``,
    ``>``, ``&`` and ``'`` are escaped as in folium's ``tojson``.
    """
    gj = shapely.to_geojson(np.asarray(geoms, dtype=object)) if len(geoms) else []
    props = props if props is not None else [{}] * len(gj)
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    parts = [f'{{"type":"Feature","properties":{dump(p)},"geometry":{g if g is not None else "null"}}}'
             for p, g in zip(props, gj)]
    return _js_safe('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")


class FastGeoJson(folium.map.Layer):
    """A Leaflet ``L.geoJson`` layer with compact data and styling in JavaScript.

    ``folium.GeoJson`` with a ``style_function`` calls it per feature in Python and
    writes a JavaScript ``switch`` with one ``case`` per feature id, and embeds the
    data as indented, ASCII-escaped JSON; here the data is :func:`features_json` text
    and ``style``, ``point_to_layer``, ``tooltip`` and ``popup`` are JavaScript
    functions written once: ``style(feature)``, ``pointToLayer(feature, latlng)``,
    ``tooltip(layer)`` (bound on the whole layer) and ``popup(feature)`` (bound on each
    feature: a popup bound on the group does not open inside streamlit-folium).
    Shown in the layer control like any folium layer; can be put in a MarkerCluster.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.geoJson({{ this.data_js }}, { "
        "{% if this.style_js %}style: {{ this.style_js }},{% endif %}"
        "{% if this.point_js %}pointToLayer: {{ this.point_js }},{% endif %}"
        "{% if this.popup_js %}onEachFeature: function (f, l) { l.bindPopup({{ this.popup_js }}(f), "
        "{minWidth: 320, maxWidth: 460, maxHeight: 320}); },{% endif %}"
        "});\n"
        "{% if this.tooltip_js %}{{ this.get_name() }}.bindTooltip({{ this.tooltip_js }}, "
        "{sticky: true});\n{% endif %}"
        "{% endmacro %}"
    )

    def __init__(self, data_js: str, *, name: str, style_js: str | None = None,
                 point_js: str | None = None, tooltip_js: str | None = None,
                 popup_js: str | None = None, show: bool = True, control: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "FastGeoJson"
        self.data_js = data_js
        self.style_js = style_js
        self.point_js = point_js
        self.tooltip_js = tooltip_js
        self.popup_js = popup_js


def _style_js(style: Mapping[str, object]) -> str:
    return f"function (f) {{ return {_dumps({k: v for k, v in style.items() if v is not None})}; }}"


def _circle_js(radius: float, style: Mapping[str, object] | None = None) -> str:
    opts = {"radius": radius, **(style or {})}
    return f"function (f, ll) {{ return L.circleMarker(ll, {_dumps(opts)}); }}"


def _fields_tooltip_js(fields: list[tuple[str, str]]) -> str:
    """A tooltip of ``(property, escaped label)`` rows; the values are escaped in Python."""
    rows = "+".join(
        f"'<tr><th style=\"text-align:left;padding-right:6px\">' + {_dumps(label)} + '</th><td>' + "
        f"(p[{_dumps(key)}] == null ? '' : p[{_dumps(key)}]) + '</td></tr>'"
        for key, label in fields)
    return f"function (l) {{ var p = l.feature.properties; return '<table>' + {rows or repr('')} + '</table>'; }}"


def _esc(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").map(html.escape).astype(object)


def _cut(values: pd.Series, n: int) -> pd.Series:
    text = values.astype("string").fillna("")
    return text.where(text.str.len() <= n, text.str.slice(0, n - 1).str.rstrip() + "…")


def display_frame(
    villages: gpd.GeoDataFrame, *, lang: str = "vi", tolerance_m: float | None = None,
    precision: int = PRECISION, why_chars: int = WHY_CHARS,
) -> gpd.GeoDataFrame:
    """The few columns the map shows, escaped, with simplified rounded geometries.

    Returns
    -------
    GeoDataFrame
        EPSG:4326; columns ``village_id``, ``gap_class`` (raw value, for the colour),
        ``name``, ``commune``, ``people`` (float, NaN when unknown), ``why`` (cut to
        ``why_chars`` characters, with "…") — all text escaped — and ``geometry``.
        Rows without geometry are left out of the map (not of the table).
    """
    v = villages[~villages.geometry.isna() & ~villages.geometry.is_empty]
    if v.crs is not None and not v.crs.equals("EPSG:4326"):
        v = v.to_crs("EPSG:4326")
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(tuple(v.total_bounds)) if len(v) else 0.0
    geoms = _simplify(v.geometry.to_numpy(), tolerance_m, precision)
    gap = v[S.GAP_CLASS].astype("string").fillna("unknown")
    data = {
        "village_id": _esc(v[S.ID]),
        "gap_class": gap.astype(object),
        "name": _esc(v[S.NAME]) if S.NAME in v else "",
        "commune": _esc(v[S.COMMUNE]) if S.COMMUNE in v else "",
        "people": pd.to_numeric(v[S.POP], errors="coerce").astype("float64"),
        "why": _esc(_cut(v[S.WHY], why_chars)) if S.WHY in v else "",
    }
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326", index=v.index)


def _village_props(frame: gpd.GeoDataFrame, *, extra: str | None = None) -> tuple[list[dict], list[str]]:
    """Short per-feature properties: ``village_id``, ``gap`` (index into the gap
    classes), ``n`` name, ``c`` (index into the returned commune list), ``p`` people
    (int or null), ``w`` why (cut); with ``extra``, ``x`` = that column's index into
    :data:`CHANGE_COLOURS` order."""
    communes = sorted(set(frame["commune"].astype(str)))
    cidx = {c: i for i, c in enumerate(communes)}
    gidx = {g: i for i, g in enumerate(_GAPS)}
    pop = frame["people"].to_numpy(dtype="float64")
    cols = {
        "village_id": frame["village_id"].astype(str).tolist(),
        "gap": [gidx.get(g, len(_GAPS) - 1) for g in frame["gap_class"].astype(str)],
        "n": frame["name"].astype(str).tolist(),
        "c": [cidx[c] for c in frame["commune"].astype(str)],
        "p": [None if not np.isfinite(x) else int(round(x)) for x in pop],
        "w": frame["why"].astype(str).tolist(),
    }
    if extra is not None:
        order = list(CHANGE_COLOURS)
        cols["x"] = [order.index(x) if x in order else order.index("unknown")
                     for x in frame[extra].astype(str)]
    keys = list(cols)
    props = [dict(zip(keys, vals)) for vals in zip(*(cols[k] for k in keys))]
    return props, communes


def _village_tooltip_js(lang: str, communes: list[str], *, extra_labels: list[str] | None = None) -> str:
    labels = [html.escape(t(k, lang)) for k in ("t_name", "t_commune", "t_people", "t_gap", "t_why")]
    gaps = [html.escape(gap_label(g, lang)) for g in _GAPS]
    locale = "vi-VN" if lang == "vi" else "en-US"
    row = ("'<tr><th style=\"text-align:left;padding-right:6px;vertical-align:top\">' + L[{i}] + "
           "'</th><td>' + ({v}) + '</td></tr>'")
    rows = [row.format(i=0, v="p.n"), row.format(i=1, v="C[p.c]"),
            row.format(i=2, v=f"p.p == null ? '' : p.p.toLocaleString({_dumps(locale)})"),
            row.format(i=3, v="G[p.gap]")]
    extra = ""
    if extra_labels is not None:
        labels.append(html.escape(t("t_change", lang)))
        rows.append(row.format(i=5, v="X[p.x]"))
        extra = f"var X = {_dumps(extra_labels)};"
    rows.append(row.format(i=4, v="p.w"))
    return (
        f"(function () {{ var L = {_dumps(labels)}, G = {_dumps(gaps)}, C = {_dumps(communes)}; {extra}"
        " return function (l) { var p = l.feature.properties;"
        " return '<table style=\"width:320px;white-space:normal\">' + "
        + " + ".join(rows) + " + '</table>'; }; })()"
    )


def _village_layer(frame: gpd.GeoDataFrame, *, lang: str, name: str, tooltips: bool,
                   colour_by: str = "gap") -> FastGeoJson:
    """Villages coloured by gap class (``colour_by="gap"``) or by change (``"change"``,
    the frame then has a ``change`` column)."""
    extra = "change" if colour_by == "change" else None
    props, communes = _village_props(frame, extra=extra)
    if extra:
        colours = list(CHANGE_COLOURS.values())
        key = "x"
        extra_labels = [html.escape(t(f"change_{c}", lang)) for c in CHANGE_COLOURS]
    else:
        colours = [GAP_COLOURS[g] for g in _GAPS]
        key = "gap"
        extra_labels = None
    style = (f"(function () {{ var K = {_dumps(colours)}; return function (f) {{ return "
             f"{{color: '#333333', weight: 0.6, fillColor: K[f.properties.{key}], fillOpacity: 0.75, "
             f"fillRule: 'nonzero'}}; }}; }})()")
    return FastGeoJson(
        features_json(frame.geometry.to_numpy(), props), name=html.escape(name), style_js=style,
        point_js=_circle_js(5, {"fillOpacity": 0.85}),
        tooltip_js=_village_tooltip_js(lang, communes, extra_labels=extra_labels)
        if tooltips and len(frame) else None,
    )


class _Legend(MacroElement):
    """A Leaflet control with static (already escaped) HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = L.control({position: 'bottomright'});"
        "{{ this.get_name() }}.onAdd = function () {"
        " var d = L.DomUtil.create('div', 'gisapp-legend');"
        " d.style.cssText = 'background:#fff;padding:6px 8px;border-radius:4px;"
        "font:12px sans-serif;line-height:18px;box-shadow:0 0 4px rgba(0,0,0,.3)';"
        " d.innerHTML = {{ this.html_json }}; return d; };"
        "{{ this.get_name() }}.addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = _dumps(html_text)


def _legend_rows(title: str, items: list[tuple[str, str]], *, dot: bool = False) -> str:
    rows = [f"<b>{html.escape(title)}</b>"]
    radius = "50%" if dot else "0"
    for colour, label in items:
        rows.append(
            f'<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
            f'border-radius:{radius};background:{colour}"></span>{html.escape(label)}')
    return "<br>".join(rows)


def _legend_html(lang: str) -> str:
    return _legend_rows(t("legend", lang), [(GAP_COLOURS[g], gap_label(g, lang)) for g in _GAPS])


def _carrier_colour(carrier: str, i: int) -> str:
    return CARRIER_COLOURS.get(slug(carrier), _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)])


def _lines_layer(gdf: gpd.GeoDataFrame, name: str, style: dict, tolerance_m: float, *,
                 precision: int = PRECISION) -> FastGeoJson:
    geoms = _simplify(gdf.to_crs("EPSG:4326").geometry.to_numpy(), tolerance_m, precision)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    return FastGeoJson(features_json(geoms), name=html.escape(name), style_js=_style_js(style))


def _points_layer(
    gdf: gpd.GeoDataFrame, name: str, colour: str, tooltip_cols: list[str], *, radius: float = 5,
    labels: Mapping[str, str] | None = None,
) -> FastGeoJson:
    pts = gdf.to_crs("EPSG:4326")
    geoms = shapely.transform(shapely.centroid(pts.geometry.to_numpy()), lambda xy: np.round(xy, PRECISION))
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    fields = [c for c in tooltip_cols if c in pts]
    data = {c: _esc(pts[c]).tolist() for c in fields}
    props = [{c: data[c][i] for c in fields} for i in np.flatnonzero(keep)]
    labels = labels or {}
    return FastGeoJson(
        features_json(geoms[keep], props), name=html.escape(name),
        point_js=_circle_js(radius, {"color": "#222222", "weight": 1, "fill": True,
                                     "fillColor": colour, "fillOpacity": 0.9}),
        tooltip_js=_fields_tooltip_js([(c, html.escape(labels.get(c, c))) for c in fields])
        if fields else None,
    )


class _FocusWithoutScroll(MacroElement):
    """Leaflet focuses the map on mousedown (for its keyboard handler) and restores
    only its own window's scroll. Inside streamlit-folium's iframe the *parent* page
    scrolls the iframe into view between mousedown and mouseup, so a click on a map
    partly below the fold lands that many pixels away from where it was pressed and
    misses the village or site (randyzwitch/streamlit-folium#177: "the page moves when
    I click the map"). Focusing with ``preventScroll`` keeps keyboard navigation and
    the page still."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (c) { var f = c.focus; c.focus = function (o) {"
        " return f.call(c, Object.assign({preventScroll: true}, o || {})); };"
        " })({{ this._parent.get_name() }}.getContainer());"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FocusWithoutScroll"


def _new_map(bounds: tuple[float, float, float, float] | None, *, assets: MapAssets,
             tiles: str | None) -> folium.Map:
    if bounds is None or not all(map(math.isfinite, bounds)):
        bounds = (102.0, 8.0, 110.0, 23.5)          # Viet Nam
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
        prefer_canvas=True, control_scale=True,
    )
    # without a tile layer Leaflet has no maxZoom and fitBounds throws
    m.options["max_zoom"] = 19
    m.options["min_zoom"] = 3
    m.default_js = assets.map_js()
    m.default_css = assets.map_css()
    _FocusWithoutScroll().add_to(m)
    if tiles:
        folium.TileLayer(tiles=tiles, attr="&copy; OpenStreetMap contributors", name="basemap",
                         control=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def build_map(
    villages: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    assets: MapAssets,
    lang: str = "vi",
    tiles: str | None = None,
    selected_id: str | None = None,
    layer_keys: Mapping[str, tuple[str, str]] | None = None,
    carriers: tuple[str, ...] = (),
    technologies: tuple[str, ...] = (),
    tolerance_m: float | None = None,
    tooltips: bool = True,
    sites: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """A Folium map of the result for Streamlit or a stand-alone HTML file.

    Parameters
    ----------
    villages
        Result villages (EPSG:4326 or any CRS) with the schema columns; usually filtered.
    layers
        ``Result.layers``: ``towers`` (carrier, technology), ``grid``, ``fibre``,
        ``facilities``, ``coverage:<key>`` (with ``kind``).
    assets
        Where Leaflet and MarkerCluster are served from.
    tiles
        A tile URL template, or None for a plain background (the default: works offline).
    selected_id
        A village id to outline.
    layer_keys, carriers, technologies
        Key → (carrier, technology) and the chosen carriers/technologies: towers and
        coverage layers of other carriers/technologies are left out.
    tolerance_m
        Simplification tolerance in metres; None → half a pixel at the fitting zoom
        (coverage outlines: :data:`COVERAGE_PIXELS` times that).
    tooltips
        False drops the village tooltips (for very large maps).
    sites
        Chosen new sites of a plan (:attr:`gisapp.planning.Plan.sites`): drawn as a
        layer of markers with a popup (see :func:`add_sites`).

    Returns
    -------
    folium.Map
        With ``prefer_canvas=True``, a layer control and a gap-class legend. Village
        features carry ``village_id``, ``gap`` (index of the gap class in
        :class:`gisapp.schema.GapClass` order), ``n`` (name), ``c`` (commune index),
        ``p`` (people) and ``w`` (``why`` cut to :data:`WHY_CHARS` characters).
    """
    layers = dict(layers or {})
    layer_keys = dict(layer_keys or {})
    frame = display_frame(villages, lang=lang, tolerance_m=tolerance_m)
    bounds = tuple(frame.total_bounds) if len(frame) else None
    m = _new_map(bounds, assets=assets, tiles=tiles)
    tol = (display_tolerance_m(bounds) if bounds else 0.0) if tolerance_m is None else tolerance_m

    def chosen(key: str) -> bool:
        carrier, tech = layer_keys.get(key, (None, None))
        if carriers and carrier is not None and carrier not in carriers:
            return False
        if technologies and tech is not None and tech not in technologies:
            return False
        return True

    # coverage below everything else, hidden until toggled
    for name, gdf in sorted(layers.items()):
        if not name.startswith("coverage:") or gdf is None or not len(gdf):
            continue
        key = name.split(":", 1)[1]
        if not chosen(key):
            continue
        kinds = gdf["kind"].astype("string").fillna("declared") if "kind" in gdf else pd.Series("declared", index=gdf.index)
        carrier = layer_keys.get(key, (key, ""))[0]
        colour = _carrier_colour(carrier, len(key))
        for kind in sorted(kinds.unique()):
            part = gdf[(kinds == kind).to_numpy()]
            style = {"color": colour, "fillColor": colour, **KIND_STYLES.get(kind, KIND_STYLES["declared"])}
            label = t("coverage_layer", lang, key=key, kind=t(f"kind_{kind}", lang))
            layer = _lines_layer(part, label, style, COVERAGE_PIXELS * tol, precision=COVERAGE_PRECISION)
            layer.show = False
            layer.add_to(m)

    for role, style in (("grid", {"color": "#444444", "weight": 2}),
                        ("fibre", {"color": "#1f78b4", "weight": 2, "dashArray": "6 4"})):
        gdf = layers.get(role)
        if gdf is not None and len(gdf):
            _lines_layer(gdf, t(f"{role}_layer", lang), style, tol).add_to(m)

    _village_layer(frame, lang=lang, name=t("villages_layer", lang), tooltips=tooltips).add_to(m)

    fac = layers.get("facilities")
    if fac is not None and len(fac):
        cols = [c for c in ("type", "name") if c in fac]
        _points_layer(fac, t("facilities_layer", lang), "#ffffff", cols, radius=3).add_to(m)

    towers = layers.get("towers")
    if towers is not None and len(towers) and "carrier" in towers:
        tw = towers
        if "technology" in tw and technologies:
            tw = tw[tw["technology"].astype("string").isin(technologies).fillna(False).to_numpy()]
        carrier_values = tw["carrier"].astype("string").fillna("?")
        for i, carrier in enumerate(sorted(carrier_values.unique())):
            if carriers and carrier not in carriers:
                continue
            part = tw[(carrier_values == carrier).to_numpy()]
            group = folium.FeatureGroup(name=html.escape(t("towers_layer", lang, carrier=carrier)))
            pts = _points_layer(part, carrier, _carrier_colour(carrier, i), ["carrier", "technology"],
                                labels={"carrier": t("carrier", lang), "technology": t("technology", lang)})
            pts.control = False
            if len(part) > CLUSTER_MIN:
                cluster = folium.plugins.MarkerCluster(control=False)
                cluster.default_js = assets.cluster_js()
                cluster.default_css = assets.cluster_css()
                pts.add_to(cluster)
                cluster.add_to(group)
            else:
                pts.add_to(group)
            group.add_to(m)

    if sites is not None:
        add_sites(m, sites, lang=lang)

    if selected_id is not None:
        outline = _selection_layer(frame, selected_id, lang=lang)
        if outline is not None:
            outline.add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    _Legend(_legend_html(lang)).add_to(m)
    return m


def _selection_layer(frame: gpd.GeoDataFrame, selected_id: str, *, lang: str) -> FastGeoJson | None:
    sel = frame[frame["village_id"] == html.escape(str(selected_id))]
    if not len(sel):
        return None
    return FastGeoJson(
        features_json(sel.geometry.to_numpy(), [{"village_id": x} for x in sel["village_id"]]),
        name=html.escape(t("selected_layer", lang)),
        style_js=_style_js({"color": "#00e5ff", "weight": 4, "fillOpacity": 0}),
        point_js=_circle_js(9, {"color": "#00e5ff", "weight": 4, "fill": False}),
    )


def selection_group(villages: gpd.GeoDataFrame, selected_id: str | None, *, lang: str = "vi",
                    tolerance_m: float | None = None) -> folium.FeatureGroup | None:
    """The outline of the selected village as a feature group, for streamlit-folium's
    ``feature_group_to_add``: it is drawn onto the map already shown, so selecting a
    village keeps the planner's zoom (a change of the map's own script remounts the
    component and fits the whole province again). None when nothing is selected or the
    village is not on the map (filtered out, or without geometry)."""
    if selected_id is None:
        return None
    v = villages[villages[S.ID].astype("string") == str(selected_id)]
    if not len(v):
        return None
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(tuple(villages.to_crs("EPSG:4326").total_bounds)
                                          if villages.crs is not None else tuple(villages.total_bounds))
    frame = display_frame(v, lang=lang, tolerance_m=tolerance_m)
    layer = _selection_layer(frame, selected_id, lang=lang)
    if layer is None:
        return None
    group = folium.FeatureGroup(name=html.escape(t("selected_layer", lang)), control=False)
    layer.add_to(group)
    return group


def _money(x: object, lang: str) -> str:
    text = _fmt_num(x, lang)
    return text if text == "–" else text + " USD"


def add_sites(m: folium.Map, sites: gpd.GeoDataFrame, *, lang: str = "vi",
              max_listed: int = 40) -> FastGeoJson | None:
    """Add the chosen new sites of a plan as numbered markers with a popup.

    The popup lists the site's rank, carrier, candidate village, the villages it would
    serve (ids, at most ``max_listed`` then "+ n more"), people served, cost and cost
    per person, and the cost breakdown — every value HTML-escaped.

    Returns
    -------
    FastGeoJson or None
        The layer added (None for no sites).
    """
    if sites is None or not len(sites):
        return None
    pts = sites.to_crs("EPSG:4326")
    geoms = shapely.transform(pts.geometry.to_numpy(), lambda xy: np.round(xy, PRECISION))
    props = []
    for row in pts.drop(columns=pts.geometry.name).to_dict("records"):
        served = [s.strip() for s in str(row.get("villages_served") or "").split(",") if s.strip()]
        listed = ", ".join(served[:max_listed]) + (
            f" {t('and_more', lang, n=len(served) - max_listed)}" if len(served) > max_listed else "")
        items = [
            (t("s_rank", lang), str(row.get("site_rank", ""))),
            (t("carrier", lang), str(row.get("carrier") or "–")),
            (t("s_candidate", lang), str(row.get(S.ID) or row.get("source") or "–")),
            (t("s_n_villages", lang), str(row.get("n_villages", len(served)))),
            (t("s_villages", lang), listed or "–"),
            (t("s_people", lang), _fmt_num(row.get("pop_served"), lang)),
            (t("s_cost", lang), _money(row.get("cost_usd"), lang)),
            (t("s_cost_person", lang), _money(row.get("cost_per_person_usd"), lang)),
            (t("s_breakdown", lang), str(row.get("cost_breakdown") or "–")),
        ]
        body = "".join(
            f'<tr><th style="text-align:left;padding-right:8px;vertical-align:top;white-space:nowrap">'
            f"{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items)
        props.append({"r": int(row.get("site_rank") or 0),
                      "h": f'<table style="white-space:normal;width:300px">{body}</table>'})
    layer = FastGeoJson(
        features_json(geoms, props), name=html.escape(t("sites_layer", lang)),
        # a canvas circle like every other feature (one renderer, cheap with many sites)
        point_js=_circle_js(9, {"color": "#ffd400", "weight": 3, "fill": True,
                                "fillColor": "#111111", "fillOpacity": 0.95, "className": "gisapp-site"}),
        # the same table on hover and, on click, in a popup (see _FocusWithoutScroll)
        tooltip_js="function (l) { return l.feature.properties.h; }",
        popup_js="function (f) { return f.properties.h; }",
    )
    layer.add_to(m)
    return layer


def _fmt_num(x: object, lang: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    text = f"{v:,.0f}"
    return text.replace(",", ".") if lang == "vi" else text


def build_change_map(changes: gpd.GeoDataFrame, *, assets: MapAssets, lang: str = "vi",
                     tiles: str | None = None, tolerance_m: float | None = None) -> folium.Map:
    """A map of :attr:`gisapp.tracking.Changes.villages`, each village coloured by its
    ``change`` (:data:`CHANGE_COLOURS`), with a legend of the changes present and a
    tooltip (name, commune, people, new gap class, change, why)."""
    keep = changes[~changes.geometry.isna() & ~changes.geometry.is_empty]
    frame = display_frame(keep, lang=lang, tolerance_m=tolerance_m)
    frame["change"] = keep.loc[frame.index, "change"].astype("string").fillna("unknown").astype(object)
    bounds = tuple(frame.total_bounds) if len(frame) else None
    m = _new_map(bounds, assets=assets, tiles=tiles)
    _village_layer(frame, lang=lang, name=t("changes_layer", lang), tooltips=True,
                   colour_by="change").add_to(m)
    present_ = set(frame["change"].astype(str))
    items = [(colour, t(f"change_{c}", lang)) for c, colour in CHANGE_COLOURS.items() if c in present_]
    _Legend(_legend_rows(t("change_legend", lang), items)).add_to(m)
    return m


def cdn_urls(m: folium.Map) -> list[str]:
    """Every JS/CSS URL of the map's elements that is not local (should be empty)."""
    out: list[str] = []

    def walk(el):
        for _, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]:
            if url.startswith(("http://", "https://", "//")):
                out.append(url)
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return out
