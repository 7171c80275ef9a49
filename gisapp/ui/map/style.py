"""Colours and line styles of the map: gap classes (the one table in
:data:`gisapp.schema.GAP_COLOURS`, shared with the KML export), changes, carriers and
kinds of coverage evidence."""

from __future__ import annotations

from gisapp import schema as S
from gisapp.text import slug

__all__ = ["CARRIER_COLOURS", "CHANGE_COLOURS", "CLUSTER_CORE", "CLUSTER_FILL", "FACILITY_COLOUR",
           "GAP_COLOURS", "KIND_STYLES", "LINE_STYLES", "SITE_STYLE", "DISPUTE_COLOURS"]

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
#: carriers in Okabe–Ito colours (Okabe & Ito 2008, "Color Universal Design"): told apart
#: by readers with any common colour-vision deficiency; VNPT (VinaPhone) and MobiFone are
#: a dark blue and a light sky blue, unlike their two near-identical brand blues
CARRIER_COLOURS = {
    "viettel": "#d55e00", "vinaphone": "#0072b2", "vnpt": "#0072b2", "mobifone": "#56b4e9",
    "vietnamobile": "#e69f00",
}
_FALLBACK_COLOURS = ["#000000", "#cc79a7", "#009e73", "#f0e442"]
#: marker-cluster bubbles: neutral greys, so they never read as gap classes
CLUSTER_FILL = "rgba(80, 80, 80, 0.35)"
CLUSTER_CORE = "rgba(50, 50, 50, 0.85)"
#: grid and fibre lines, facilities, proposed sites
LINE_STYLES = {"grid": {"color": "#444444", "weight": 2},
               "fibre": {"color": "#8c510a", "weight": 2, "dashArray": "6 4"}}
FACILITY_COLOUR = "#ffffff"
#: disputed villages (issue 14): black where a declaration is not borne out, Okabe–Ito
#: reddish purple where measurements find coverage nobody declared (neither is a gap colour)
DISPUTE_COLOURS = {S.Dispute.DECLARED_NOT_MEASURED.value: "#000000",
                   S.Dispute.MEASURED_NOT_DECLARED.value: "#cc79a7"}
SITE_STYLE = {"background": "#111111", "color": "#ffd400", "border": "2px solid #ffd400"}
KIND_STYLES = {
    "measured": {"dashArray": None, "fillOpacity": 0.35, "weight": 2},
    "declared": {"dashArray": "8 5", "fillOpacity": 0.2, "weight": 2},
    "modelled": {"dashArray": "2 5", "fillOpacity": 0.08, "weight": 2},
}
_GAPS = [g.value for g in S.GapClass]


def _carrier_colour(carrier: str, i: int) -> str:
    return CARRIER_COLOURS.get(slug(carrier), _FALLBACK_COLOURS[i % len(_FALLBACK_COLOURS)])
