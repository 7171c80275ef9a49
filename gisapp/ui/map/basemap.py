"""The empty map: Leaflet from local assets, an optional tile layer, the view fitted to
the data; and a check that nothing loads from a CDN."""

from __future__ import annotations

import math

import folium
from branca.element import MacroElement
from jinja2 import Template

from gisapp.ui.assets import MapAssets

__all__ = ["OSM_TILES", "cdn_urls"]

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


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
