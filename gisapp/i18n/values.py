"""Values as words: the codes of gisapp's columns (tiers, classes, power status, evidence
kinds, cost options, layer keys …) as a person reads them, in Vietnamese or English.

The data keep the stable codes of :mod:`gisapp.schema`; people read :func:`value_label`.
A code without a label is returned as it is (a test checks every enum of the schema has
one), a missing value is "–", never "None".
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from gisapp import schema as S
from gisapp.i18n.labels import LABELS, t
from gisapp.i18n.numbers import MISSING, is_missing

__all__ = ["value_label", "value_labels", "layer_label", "carrier_label", "cost_option_label",
           "kind_word",
           "labelled_columns", "VALUE_COLUMNS"]

#: column → prefix of the catalogue keys of its values (``<prefix><value>``)
VALUE_COLUMNS: dict[str, str] = {
    S.PRIORITY_TIER: "v_tier_",
    S.SIGNAL_CLASS: "v_signal_",
    S.POWER_STATUS: "v_power_",
    S.SIGNAL_KIND: "v_kind_",
    S.POWER_KIND: "v_kind_",
    "kind": "v_kind_",
    "gap": "v_gapkind_",          # an update event's gap: signal / power
    "closed_by": "u_",            # what closed it: site_on_air / grid_connection
    S.POP_SOURCE: "v_pop_source_",
    S.GEOMETRY_TYPE: "v_geometry_",
    "score_part": "v_part_",
    "signal_option": "v_signal_option_",
    "power_option": "v_power_option_",
    "level": "v_level_",
    "siting_method": "v_method_",
    "method": "v_method_",
    "change": "change_",
    "series": "series_",
}
#: columns whose values are gap classes
_GAP_COLUMNS = {S.GAP_CLASS, f"{S.GAP_CLASS}_old", "gap_class_from", "gap_class_to"}
#: columns holding a layer key (``mobifone_2g``)
_LAYER_COLUMNS = {S.BEST_LAYER, "layer", "layer_key", "key"}
#: yes/no columns (besides ``centre__<key>``)
_BOOL_COLUMNS = {S.CENTRE_ANY, S.FIBRE_REACHED, "on_track", "signal_gap_closed",
                 "power_gap_closed", "synthetic", "renamed", "id_changed"}

#: how the carriers write their own names
_CARRIERS = {"viettel": "Viettel", "vnpt": "VNPT", "vinaphone": "VinaPhone",
             "mobifone": "MobiFone", "vietnamobile": "Vietnamobile", "gmobile": "Gmobile",
             "itelecom": "iTel", "reddi": "Reddi"}
_LAYER_KEY = re.compile(r"^(?P<carrier>.+?)_(?P<tech>[2-5]g)(?:_(?P<rest>.+))?$", re.IGNORECASE)


def kind_word(kind: Any, lang: str = "vi") -> str:
    """An evidence kind as a word inside a sentence (``"declared"`` → "công bố")."""
    key = f"w_kind_{kind}"
    return t(key, lang) if key in LABELS else str(kind)


def carrier_label(carrier: Any) -> str:
    """A carrier as it writes its name (``"mobifone"`` → "MobiFone"); others unchanged."""
    if is_missing(carrier) or str(carrier) == "":
        return MISSING
    text = str(carrier)
    return _CARRIERS.get(text.lower().replace(" ", ""), text)


def layer_label(key: Any, lang: str = "vi", *, kind: str | None = None) -> str:
    """A layer key in words: ``"mobifone_2g"`` → "MobiFone 2G"; with ``kind`` (or a key
    ending in a kind, ``"viettel_4g_modelled"``) the kind word follows:
    "Viettel 4G (mô phỏng)"."""
    if is_missing(key) or str(key) == "":
        return MISSING
    m = _LAYER_KEY.match(str(key))
    if not m:
        return carrier_label(key)
    carrier, tech, rest = carrier_label(m["carrier"]), m["tech"].upper(), m["rest"]
    if kind is None and rest in S.KINDS:
        kind = rest
    if kind:
        return t("v_layer_kind", lang, carrier=carrier, tech=tech, kind=kind_word(kind, lang))
    return t("v_layer", lang, carrier=carrier, tech=tech)


_NEW_SITE = re.compile(r"^new_site\((?P<backhaul>\w+), (?P<power>\w+)\)$")


def cost_option_label(option: Any, lang: str = "vi") -> str:
    """A cost option in words: ``"new_site(microwave, solar) + solar_home_systems"`` →
    "trạm mới (truyền dẫn vi ba, điện mặt trời) + điện mặt trời hộ gia đình"; an empty
    option → "không cần đầu tư"."""
    if is_missing(option):
        return MISSING
    text = str(option).strip()
    if not text:
        return t("v_no_gap_option", lang)
    words = []
    for part in text.split(" + "):
        m = _NEW_SITE.match(part)
        if m:
            words.append(t("v_new_site_with", lang,
                           backhaul=_key_or("v_backhaul_", m["backhaul"], lang),
                           power=_key_or("v_site_power_", m["power"], lang)))
        elif f"v_signal_option_{part}" in LABELS:
            words.append(t(f"v_signal_option_{part}", lang))
        else:
            words.append(_key_or("v_power_option_", part, lang))
    return " + ".join(words)


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value)) or is_missing(value)
    except (TypeError, ValueError):
        return False


def _key_or(prefix: str, value: str, lang: str) -> str:
    key = prefix + value
    return t(key, lang) if key in LABELS else value


def _bool_label(value: Any, lang: str) -> str | None:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            value = True
        elif low in ("false", "0", "no"):
            value = False
        else:
            return None
    try:
        return t("v_bool_true" if bool(value) else "v_bool_false", lang)
    except (TypeError, ValueError):
        return None


def value_label(column: str, value: Any, lang: str = "vi") -> str:
    """The words for ``value`` of ``column`` in ``lang`` (``"vi"`` or ``"en"``).

    ``value_label("priority_tier", "high", "vi") == "Cao"``;
    ``value_label("best_layer", "mobifone_2g", "vi") == "MobiFone 2G"``;
    ``value_label("cost_option", "new_site(microwave, solar)", "en") == "new tower
    (microwave backhaul, solar power)"``. Missing values are "–"; a value with no label
    is returned as text (numbers and names pass through unchanged).
    """
    if _missing(value):
        return MISSING
    if column in _GAP_COLUMNS:
        key = f"gap_{value}"
    elif column in VALUE_COLUMNS:
        key = VALUE_COLUMNS[column] + str(value)
    elif column == "cost_option":
        return cost_option_label(value, lang)
    elif column in _LAYER_COLUMNS:
        return layer_label(value, lang)
    elif column == S.CARRIERS_AT_CENTRE or column == "carrier":
        names = [carrier_label(c.strip()) for c in str(value).split(",") if c.strip()]
        return ", ".join(names) if names else MISSING
    elif column.startswith("dispute__"):
        key = f"v_dispute_{value}"
    elif column.startswith("meas_verdict__"):
        key = f"v_verdict_{value}"
    elif column in _BOOL_COLUMNS or column.startswith("centre__"):
        return _bool_label(value, lang) or str(value)
    else:
        return str(value)
    return t(key, lang) if key in LABELS else str(value)


def value_labels(column: str, values: pd.Series, lang: str = "vi") -> pd.Series:
    """:func:`value_label` over a column (each distinct value is looked up once): a Series
    of str with the index of ``values``, for tables and exports."""
    codes = values.astype("object")
    words = {v: value_label(column, v, lang) for v in pd.unique(codes[codes.notna()])}
    return codes.map(words).where(codes.notna(), MISSING).astype("object")


def labelled_columns() -> tuple[str, ...]:
    """Every column :func:`value_label` turns into words (for the exports and the app)."""
    return (*sorted(_GAP_COLUMNS), *VALUE_COLUMNS, "cost_option", *sorted(_LAYER_COLUMNS),
            S.CARRIERS_AT_CENTRE, "carrier", *sorted(_BOOL_COLUMNS))
