"""The map's data: display copies of the villages (simplified, rounded, escaped), compact
GeoJSON text, and :class:`FastGeoJson`, a Leaflet layer styled by JavaScript functions."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping

import folium
from branca.element import Element
from folium.elements import ElementAddToElement
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from gisapp import schema as S

__all__ = ["FastGeoJson", "WHY_CHARS", "display_frame", "display_tolerance_m", "features_json"]

PRECISION = 5
#: coverage outlines: rounded to 4 decimals (≈ 11 m) and simplified by this many pixels
COVERAGE_PRECISION = 4
COVERAGE_PIXELS = 4.0
#: characters of ``why`` in a village's tooltip (the table shows all of it)
WHY_CHARS = 90
_M_PER_DEG = 111_320.0


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

    def render(self, **kwargs) -> None:
        """As folium's ``Layer.render`` and ``MacroElement.render``, but the script (with
        the data, about 1 MB for the demo) goes to the figure as plain text: folium wraps
        it in ``Element(script)``, which compiles it as a Jinja template on every render
        (about 0.1 s of a rerun per render, and streamlit-folium renders three times)."""
        if self.show:
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"](self, kwargs)
        # a Jinja template drops one trailing newline: keep the text as it was
        self.get_root().script.add_child(_Text(script[:-1] if script.endswith("\n") else script),
                                         name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Text(Element):
    """Text put into the page as it is (not compiled as a template)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _style_js(style: Mapping[str, object]) -> str:
    return f"function (f) {{ return {_dumps({k: v for k, v in style.items() if v is not None})}; }}"


def _circle_js(radius: float, style: Mapping[str, object] | None = None) -> str:
    opts = {"radius": radius, **(style or {})}
    return f"function (f, ll) {{ return L.circleMarker(ll, {_dumps(opts)}); }}"



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
