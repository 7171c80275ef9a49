"""Values as a person reads them in the exports for people (Excel's words columns, KML).

Codes stay the data; this module gives their words and formats numbers through
:mod:`gisapp.i18n.numbers` by the column's kind (:func:`gisapp.i18n.columns.column_kind`).
Words come from :func:`gisapp.i18n.values.value_label` and the ``why`` sentence from
:func:`gisapp.i18n.why.why_text`, as in the app.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from gisapp import schema
from gisapp.i18n import numbers as N
from gisapp.i18n.columns import column_kind
from gisapp.i18n.labels import t
from gisapp.i18n.values import value_label as _value_label
from gisapp.i18n.values import value_labels
from gisapp.i18n.why import why_text as _why_text
from gisapp.io.export.common import _plain


__all__ = ["display", "value_words", "words_series", "why_in"]

_GAPS = {str(g) for g in schema.GapClass}


def value_words(column: str, value: Any, lang: str) -> Any:
    """A coded value in words (``gap_class "no_signal"`` → "Chưa có sóng"); missing → None."""
    v = _plain(value)
    if v is None:
        return None
    return _value_label(column, v, lang)


def words_series(column: str, values: pd.Series, lang: str) -> pd.Series:
    """A whole column in words (:func:`gisapp.i18n.values.value_labels`); missing → None,
    an empty cell."""
    return value_labels(column, values, lang).where(values.notna(), None)


def why_in(frame: pd.DataFrame, lang: str) -> pd.Series | None:
    """The ``why`` of each row in ``lang`` (None when the frame has no ``why``: the caller
    keeps the column as it is)."""
    if schema.WHY not in frame.columns:
        return None
    return pd.Series(list(_why_text(frame, lang)), index=frame.index, dtype=object)


_WORDS_CODED = (schema.GAP_CLASS, schema.PRIORITY_TIER, schema.SIGNAL_CLASS,
                schema.POWER_STATUS, schema.POP_SOURCE)


def display(column: str, value: Any, lang: str) -> str:
    """One value as text for a person: numbers by the column's kind through Babel
    (people whole, metres as km, shares as %), booleans as yes/no, codes in words."""
    v = _plain(value)
    if v is None or N.is_missing(v):
        return N.MISSING
    if isinstance(v, bool):
        return t("kml_yes" if v else "kml_no", lang)
    if column in _WORDS_CODED:
        return str(value_words(column, v, lang))
    if not isinstance(v, (int, float)):
        return str(v)
    try:
        return _number_text(column_kind(column), v, lang)
    except ArithmeticError:     # beyond what Babel rounds (1e300 people): as Python writes it
        return repr(v)


def _number_text(kind: str, v: float, lang: str) -> str:
    if kind == "people":
        return N.people(v, lang)
    if kind == "m":
        return N.km(v, lang)
    if kind == "share":
        return N.share(v, lang)
    if kind == "usd":
        return N.usd(v, lang)
    digits = {"dbm": 1, "score100": 1, "score1": 3, "km2": 2, "deg": 6, "radiance": 2,
              "ratio": 2, "rank": 0, "count": 0, "id": 0}.get(kind, 0 if isinstance(v, int) else 2)
    unit = {"dbm": " dBm", "km2": " km²"}.get(kind, "")
    return N.number(v, lang, digits=digits) + unit
