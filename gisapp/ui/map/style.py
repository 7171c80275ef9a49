"""Colours and line styles of the map: gap classes (the one table in
:data:`gisapp.schema.GAP_COLOURS`, shared with the KML export), changes, carriers and
kinds of coverage evidence."""

from __future__ import annotations

from gisapp import schema as S
from gisapp.text import slug

__all__ = ["CARRIER_COLOURS", "CHANGE_COLOURS", "GAP_COLOURS", "KIND_STYLES"]

#: the colour of each gap class: the same table the KML export writes (``#rrggbb``)
GAP_COLOURS = S.GAP_COLOURS
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
_GAPS = [g.value for g in S.GapClass]


def _carrier_colour(carrier: str, i: int) -> str:
    return CARRIER_COLOURS.get(slug(carrier), _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)])
