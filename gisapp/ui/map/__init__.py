"""The Folium map of a result: villages by gap class, towers, grid, fibre, coverage.

This is the only package that imports Folium. It draws; it does not compute: classes and
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

The package is split by concern: :mod:`.style` (colours), :mod:`.geojson` (display data
and the fast layer), :mod:`.popups` (tooltips, site popups), :mod:`.legend`,
:mod:`.basemap` (the empty map, local assets, tiles) and :mod:`.layers` (the layers and
the two maps).
"""

from __future__ import annotations

from gisapp.ui.map.basemap import OSM_TILES, cdn_urls
from gisapp.ui.map.geojson import (
    WHY_CHARS, FastGeoJson, display_frame, display_tolerance_m, features_json,
)
from gisapp.ui.map.layers import build_change_map, build_map, selection_group
from gisapp.ui.map.popups import add_sites
from gisapp.ui.map.style import CARRIER_COLOURS, CHANGE_COLOURS, GAP_COLOURS, KIND_STYLES

__all__ = [
    "GAP_COLOURS", "CARRIER_COLOURS", "CHANGE_COLOURS", "KIND_STYLES", "WHY_CHARS",
    "display_tolerance_m", "display_frame", "FastGeoJson", "features_json", "build_map",
    "selection_group",
    "add_sites", "build_change_map", "cdn_urls", "OSM_TILES",
]

