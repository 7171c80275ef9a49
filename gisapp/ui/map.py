"""The Folium map of a result: villages by gap class, towers, grid, fibre, coverage.

This is the only module that imports Folium. It draws; it does not compute: classes and
``why`` come from the result. What it does to the data is for display only:

* geometries are simplified with a tolerance in metres (by default half a screen pixel
  at the zoom that fits the villages) and their coordinates rounded (5 decimals ≈ 1 m),
  so 10,000 villages stay a few MB of HTML;
* every text value that reaches a tooltip or a layer name is HTML-escaped here
  (``GeoJsonTooltip`` puts values into ``innerHTML`` unescaped), so a village named
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
from gisapp.ui.assets import MapAssets
from gisapp.ui.i18n import gap_label, t

__all__ = [
    "GAP_COLOURS", "CARRIER_COLOURS", "KIND_STYLES", "display_tolerance_m", "display_frame",
    "build_map", "cdn_urls", "OSM_TILES",
]

log = logging.getLogger(__name__)

GAP_COLOURS = {
    "no_power_no_signal": "#b2182b",
    "no_signal": "#ef8a62",
    "no_power": "#7b3294",
    "served": "#4dac26",
    "unknown": "#9e9e9e",
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


def _geojson(frame: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection dict, geometries serialised by GEOS in one vectorised call
    (``__geo_interface__`` walks every coordinate in Python: 5× slower here)."""
    geoms = shapely.to_geojson(frame.geometry.to_numpy())
    props = frame.drop(columns=frame.geometry.name).to_dict("records")
    features = [
        {"type": "Feature", "properties": p, "geometry": json.loads(g) if g is not None else None}
        for p, g in zip(props, geoms)
    ]
    return {"type": "FeatureCollection", "features": features}


def _esc(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").map(html.escape).astype(object)


def display_frame(
    villages: gpd.GeoDataFrame, *, lang: str = "vi", tolerance_m: float | None = None,
    precision: int = PRECISION,
) -> gpd.GeoDataFrame:
    """The few columns the map shows, escaped, with simplified rounded geometries.

    Returns
    -------
    GeoDataFrame
        EPSG:4326; columns ``village_id``, ``gap_class`` (raw value, for the colour),
        ``name``, ``commune``, ``people``, ``gap`` (label), ``why`` — all text escaped —
        and ``geometry``. Rows without geometry are left out of the map (not of the table).
    """
    v = villages[~villages.geometry.isna() & ~villages.geometry.is_empty]
    if v.crs is not None and not v.crs.equals("EPSG:4326"):
        v = v.to_crs("EPSG:4326")
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(tuple(v.total_bounds)) if len(v) else 0.0
    geoms = _simplify(v.geometry.to_numpy(), tolerance_m, precision)
    gap = v[S.GAP_CLASS].astype("string").fillna("unknown")
    pop = pd.to_numeric(v[S.POP], errors="coerce")
    people = pop.map(lambda x: "" if pd.isna(x) else f"{x:,.0f}")
    data = {
        "village_id": _esc(v[S.ID]),
        "gap_class": gap.astype(object),
        "name": _esc(v[S.NAME]) if S.NAME in v else "",
        "commune": _esc(v[S.COMMUNE]) if S.COMMUNE in v else "",
        "people": people.astype(object),
        "gap": gap.map(lambda g: html.escape(gap_label(g, lang))).astype(object),
        "why": _esc(v[S.WHY]) if S.WHY in v else "",
    }
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326", index=v.index)


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
        self.html_json = json.dumps(html_text)


def _legend_html(lang: str) -> str:
    rows = [f"<b>{html.escape(t('legend', lang))}</b>"]
    for g in S.GapClass:
        rows.append(
            f'<span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
            f'background:{GAP_COLOURS[g.value]}"></span>{html.escape(gap_label(g.value, lang))}'
        )
    return "<br>".join(rows)


def _village_style(feature: dict) -> dict:
    colour = GAP_COLOURS.get(feature["properties"].get("gap_class"), GAP_COLOURS["unknown"])
    return {"color": "#333333", "weight": 0.6, "fillColor": colour, "fillOpacity": 0.75}


def _carrier_colour(carrier: str, i: int) -> str:
    return CARRIER_COLOURS.get(S._slug(carrier), _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)])


def _lines_layer(gdf: gpd.GeoDataFrame, name: str, style: dict, tolerance_m: float) -> folium.GeoJson:
    geoms = _simplify(gdf.to_crs("EPSG:4326").geometry.to_numpy(), tolerance_m, PRECISION)
    frame = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326")
    return folium.GeoJson(_geojson(frame), name=html.escape(name), style_function=lambda _f, s=style: s,
                          show=True, control=True)


def _points_layer(
    gdf: gpd.GeoDataFrame, name: str, colour: str, tooltip_cols: list[str], *, radius: float = 5,
) -> folium.GeoJson:
    pts = gdf.to_crs("EPSG:4326")
    geoms = shapely.transform(shapely.centroid(pts.geometry.to_numpy()), lambda xy: np.round(xy, PRECISION))
    data = {c: _esc(pts[c]) for c in tooltip_cols if c in pts}
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")
    fields = [c for c in tooltip_cols if c in frame]
    return folium.GeoJson(
        _geojson(frame), name=html.escape(name),
        marker=folium.CircleMarker(radius=radius, color="#222222", weight=1, fill=True,
                                   fill_color=colour, fill_opacity=0.9),
        tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
    )


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
        Simplification tolerance in metres; None → half a pixel at the fitting zoom.
    tooltips
        False drops the village tooltips (for very large maps).

    Returns
    -------
    folium.Map
        With ``prefer_canvas=True``, a layer control and a gap-class legend.
    """
    layers = dict(layers or {})
    layer_keys = dict(layer_keys or {})
    frame = display_frame(villages, lang=lang, tolerance_m=tolerance_m)
    if len(frame):
        minx, miny, maxx, maxy = frame.total_bounds
    else:
        minx, miny, maxx, maxy = 102.0, 8.0, 110.0, 23.5   # Viet Nam
    tol = display_tolerance_m((minx, miny, maxx, maxy)) if tolerance_m is None else tolerance_m
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
        prefer_canvas=True, control_scale=True,
    )
    # without a tile layer Leaflet has no maxZoom and fitBounds throws
    m.options["max_zoom"] = 19
    m.options["min_zoom"] = 3
    m.default_js = assets.map_js()
    m.default_css = assets.map_css()
    if tiles:
        folium.TileLayer(tiles=tiles, attr="&copy; OpenStreetMap contributors", name="basemap",
                         control=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])

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
            layer = _lines_layer(part, label, style, tol)
            layer.show = False
            layer.add_to(m)

    for role, style in (("grid", {"color": "#444444", "weight": 2}),
                        ("fibre", {"color": "#1f78b4", "weight": 2, "dashArray": "6 4"})):
        gdf = layers.get(role)
        if gdf is not None and len(gdf):
            _lines_layer(gdf, t(f"{role}_layer", lang), style, tol).add_to(m)

    villages_layer = folium.GeoJson(
        _geojson(frame),
        name=html.escape(t("villages_layer", lang)),
        style_function=_village_style,
        marker=folium.CircleMarker(radius=5, weight=0.6, color="#333333", fill=True, fill_opacity=0.85),
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "commune", "people", "gap", "why"],
            aliases=[html.escape(t(k, lang)) for k in ("t_name", "t_commune", "t_people", "t_gap", "t_why")],
            sticky=True,
        ) if tooltips and len(frame) else None,
    )
    villages_layer.add_to(m)

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
            pts = _points_layer(part, carrier, _carrier_colour(carrier, i), ["carrier", "technology"])
            if len(part) > CLUSTER_MIN:
                cluster = folium.plugins.MarkerCluster(control=False)
                cluster.default_js = assets.cluster_js()
                cluster.default_css = assets.cluster_css()
                pts.add_to(cluster)
                cluster.add_to(group)
            else:
                pts.add_to(group)
            group.add_to(m)

    if selected_id is not None:
        sel = frame[frame["village_id"] == html.escape(str(selected_id))]
        if len(sel):
            folium.GeoJson(
                _geojson(sel[["village_id", "geometry"]]), name=html.escape(t("selected_layer", lang)),
                style_function=lambda _f: {"color": "#00e5ff", "weight": 4, "fillOpacity": 0},
                marker=folium.CircleMarker(radius=9, color="#00e5ff", weight=4, fill=False),
            ).add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    _Legend(_legend_html(lang)).add_to(m)
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
