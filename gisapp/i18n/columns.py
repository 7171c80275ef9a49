"""The column dictionary: what each stable column name means, in the reader's language.

Files for machines (CSV, GeoPackage, GeoJSON) keep the stable schema names of
:mod:`gisapp.schema`; people read :func:`column_label`. :func:`column_doc` gives the
meaning, unit and source of a column for the dictionary shipped beside every export.
"""

from __future__ import annotations

from gisapp import schema as S
from gisapp.i18n.labels import t

__all__ = ["column_label"]

#: stable column → catalogue key of its label
_LABEL_KEYS: dict[str, str] = {
    S.NAME: "t_name", S.COMMUNE: "t_commune", S.POP: "t_people", S.GAP_CLASS: "t_gap",
    S.WHY: "t_why", S.PRIORITY_RANK: "t_rank", S.PRIORITY_SCORE: "t_score",
    S.PRIORITY_TIER: "t_tier",
}


def column_label(column: str, lang: str) -> str:
    """The header a person reads for ``column`` (the stable name when it has no label yet)."""
    key = _LABEL_KEYS.get(column)
    return t(key, lang) if key else column
