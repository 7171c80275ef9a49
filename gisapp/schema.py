"""Column names, classes and vocabularies of gisapp's outputs — defined once, here.

Units are in the names: ``pop`` (people), ``area_km2``, ``dist_grid_m`` (metres),
``best_signal_dbm``. Shares are fractions in [0, 1].

Per carrier × technology the columns are built from a *layer key*
(:func:`layer_key`, e.g. ``"viettel_4g"``):

``area_share__<key>``   share of the village area covered
``pop_share__<key>``    share of the village population covered
``centre__<key>``       whether the village centre is covered (bool, NA when unknown)
``signal_dbm__<key>``   best signal at the centre (only for signal rasters / modelled)

Measurements held against declared coverage (issue 14), per carrier × technology key
(:func:`evidence_col`): ``meas_samples__<key>``, ``meas_age_days__<key>``,
``meas_share_below__<key>``, ``meas_verdict__<key>`` (:class:`Verdict`),
``meas_download_mbps__<key>`` and ``dispute__<key>`` (:class:`Dispute`, empty when the
sources agree or the evidence is insufficient); complaints per village
(:data:`COMPLAINTS`) and per carrier (``complaints__<carrier>``).
"""

from __future__ import annotations

from enum import StrEnum

from gisapp.text import slug

__all__ = [
    "ID", "NAME", "COMMUNE", "PROVINCE", "POP", "POP_SOURCE", "AREA_KM2", "LON", "LAT",
    "TECHNOLOGIES", "KINDS", "SignalClass", "PowerStatus", "GapClass", "GAP_COLOURS", "Tier",
    "layer_key", "area_share_col", "pop_share_col", "centre_col", "signal_col",
    "split_layer_col", "VILLAGE_COLUMNS", "SCORE_PARTS", "SUMMARY_COLUMNS",
    "Verdict", "Dispute", "EVIDENCE_STEMS", "evidence_col", "dispute_col", "COMPLAINTS",
    "complaints_col",
]

# --- identity -----------------------------------------------------------------
ID = "village_id"
NAME = "name"
COMMUNE = "commune"
PROVINCE = "province"
POP = "pop"                      # people living in the village
POP_SOURCE = "pop_source"        # "declared" (attribute) | "raster" | "none"
AREA_KM2 = "area_km2"            # in the metric CRS of the run
LON = "lon"                      # centre point, WGS84 degrees
LAT = "lat"
GEOMETRY_TYPE = "geometry_type"  # "polygon" | "point"

# --- coverage -----------------------------------------------------------------
TECHNOLOGIES = ("2G", "3G", "4G", "5G")
#: kinds of evidence, strongest first
KINDS = ("measured", "declared", "modelled")

N_LAYERS = "n_coverage_layers"          # how many coverage layers judged the village
POP_SHARE_ANY = "pop_share_any"         # share of people covered by any carrier/technology
AREA_SHARE_ANY = "area_share_any"
POP_SHARE_4G = "pop_share_4g"           # share of people with 4G (or better) from any carrier
CENTRE_ANY = "centre_covered"           # centre covered by any carrier (bool / NA)
BEST_SIGNAL_DBM = "best_signal_dbm"     # best signal at the centre over all raster layers
BEST_LAYER = "best_layer"               # layer key giving the best centre coverage
CARRIERS_AT_CENTRE = "carriers_at_centre"  # e.g. "MobiFone, Viettel"
SIGNAL_CLASS = "signal_class"
SIGNAL_EVIDENCE = "signal_evidence"     # e.g. "coverage viettel_4g (declared, 2025-06-01)"
SIGNAL_KIND = "signal_evidence_kind"    # strongest kind used: measured/declared/modelled

# --- electricity ----------------------------------------------------------------
POWER_STATUS = "power_status"
DIST_GRID_M = "dist_grid_m"
LIGHTS = "lights_radiance"              # night-time lights, nW/cm²/sr (mean over the village)
POWER_EVIDENCE = "power_evidence"
POWER_KIND = "power_evidence_kind"      # declared / distance / lights

# --- other infrastructure -------------------------------------------------------
DIST_FIBRE_M = "dist_fibre_m"
FIBRE_REACHED = "fibre_reached"
DIST_SITE_M = "dist_site_m"             # to the nearest existing tower of any carrier
N_FACILITIES = "n_facilities"           # schools, health stations ... within the village

# --- classification and priority -----------------------------------------------
GAP_CLASS = "gap_class"
WHY = "why"
PRIORITY_SCORE = "priority_score"
PRIORITY_RANK = "priority_rank"
PRIORITY_TIER = "priority_tier"
SCORE_PARTS = ("score_pop", "score_grid", "score_site", "score_facilities")


class SignalClass(StrEnum):
    NO_SIGNAL = "no_signal"   # trắng sóng: no usable signal at the village centre
    POCKET = "pocket"         # lõm sóng: centre served, part of the people not
    COVERED = "covered"
    UNKNOWN = "unknown"


class PowerStatus(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class GapClass(StrEnum):
    NO_POWER_NO_SIGNAL = "no_power_no_signal"
    NO_SIGNAL = "no_signal"
    NO_POWER = "no_power"
    SERVED = "served"
    UNKNOWN = "unknown"


GAP_ORDER = tuple(GapClass)

#: The one colour of each gap class (``#rrggbb``), for every output that colours villages:
#: the KML styles (written as ``aabbggrr``, see :func:`gisapp.io.export.kml.kml_colour`),
#: the map, its legend and the app's charts.
GAP_COLOURS = {
    GapClass.NO_POWER_NO_SIGNAL: "#e31c1c",   # red
    GapClass.NO_SIGNAL: "#f58c0c",            # orange
    GapClass.NO_POWER: "#9c45a8",             # purple
    GapClass.SERVED: "#2ca03c",               # green
    GapClass.UNKNOWN: "#999999",              # grey
}


class Tier(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"   # served villages are not ranked


def layer_key(carrier: str, technology: str) -> str:
    """Key of one carrier × technology layer: ``layer_key("Viettel", "4G") == "viettel_4g"``."""
    return f"{slug(carrier)}_{slug(technology)}"


def area_share_col(key: str) -> str:
    return f"area_share__{key}"


def pop_share_col(key: str) -> str:
    return f"pop_share__{key}"


def centre_col(key: str) -> str:
    return f"centre__{key}"


def signal_col(key: str) -> str:
    return f"signal_dbm__{key}"


class Verdict(StrEnum):
    """What the measurements of a village × carrier × technology say (a stated rule)."""

    COVERED = "covered"
    NOT_COVERED = "not_covered"
    INSUFFICIENT = "insufficient"   # too few recent samples: declared coverage stands


class Dispute(StrEnum):
    """Declared coverage against sufficient measurements; no value when they agree."""

    DECLARED_NOT_MEASURED = "declared_not_measured"
    MEASURED_NOT_DECLARED = "measured_not_declared"


#: per carrier × technology evidence columns, in output order (stem → its column)
EVIDENCE_STEMS = ("meas_samples", "meas_age_days", "meas_share_below", "meas_verdict",
                  "meas_download_mbps", "dispute")
COMPLAINTS = "complaints"       # complaint points in the village (all carriers)


def evidence_col(stem: str, key: str) -> str:
    """``evidence_col("meas_samples", "viettel_4g") == "meas_samples__viettel_4g"``."""
    return f"{stem}__{key}"


def dispute_col(key: str) -> str:
    return f"dispute__{key}"


def complaints_col(carrier: str) -> str:
    """``complaints_col("Viettel") == "complaints__viettel"``."""
    return f"{COMPLAINTS}__{slug(carrier)}"


def split_layer_col(col: str) -> tuple[str, str] | None:
    """``"pop_share__viettel_4g"`` → ``("pop_share", "viettel_4g")``; None for other columns."""
    if "__" not in col:
        return None
    stem, key = col.split("__", 1)
    return stem, key


#: Fixed columns of the village table, in output order (per-layer columns go after
#: ``area_km2``; geometry last).
VILLAGE_COLUMNS = (
    ID, NAME, COMMUNE, PROVINCE, POP, POP_SOURCE, AREA_KM2, LON, LAT,
    GAP_CLASS, WHY, PRIORITY_RANK, PRIORITY_TIER, PRIORITY_SCORE, *SCORE_PARTS,
    SIGNAL_CLASS, CENTRE_ANY, CARRIERS_AT_CENTRE, POP_SHARE_ANY, AREA_SHARE_ANY, POP_SHARE_4G,
    BEST_SIGNAL_DBM, BEST_LAYER, N_LAYERS, SIGNAL_EVIDENCE, SIGNAL_KIND,
    POWER_STATUS, DIST_GRID_M, LIGHTS, POWER_EVIDENCE, POWER_KIND,
    DIST_FIBRE_M, FIBRE_REACHED, DIST_SITE_M, N_FACILITIES,
)

#: Columns of ``summary.csv`` (one row per commune plus one per province, ``level``
#: says which).
SUMMARY_COLUMNS = (
    "level", PROVINCE, COMMUNE, "villages", POP,
    *(f"villages_{g}" for g in GapClass), *(f"pop_{g}" for g in GapClass),
    "share_pop_4g", "share_villages_with_signal", "share_villages_fibre",
    "villages_without_power",
)
