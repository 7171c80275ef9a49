"""Tables people read: headers in words, values in words, numbers as the reader writes
them, "–" for what is missing, no index column.

:func:`readable` turns a result frame into the strings a table shows. Headers come from
:func:`gisapp.i18n.columns.column_label`; values from ``gisapp.i18n.values.value_label``
and the ``why`` text from ``gisapp.i18n.why.why_text`` when those modules are present
(the "words" helper builds them; until then the raw value is shown — the guard goes when
they land on main). Numbers are grouped with the locale's own symbols, which Babel gives
(CLDR), applied to whole columns at once: a table of 10,000 villages is formatted in a
few milliseconds, where formatting each cell through Babel takes seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gisapp import schema as S
from gisapp.i18n.columns import column_label
from gisapp.i18n.numbers import MISSING, grouped, percent

from gisapp.i18n.values import labelled_columns, value_labels
from gisapp.i18n.why import why_text as _why_text

__all__ = ["MISSING", "readable", "value_words", "why_words", "grouped", "percent"]

#: columns shown as whole numbers, with decimals, as percentages or as kilometres
INTEGER = {S.POP, S.N_FACILITIES, S.PRIORITY_RANK, "site_rank", "n_villages", "pop_served",
           "pop_unserved", "cost_usd", "cost_per_person_usd", "signal_cost_usd", "power_cost_usd",
           "villages", "n_villages"}
DECIMAL2 = {S.PRIORITY_SCORE, *S.SCORE_PARTS}
PERCENT = {S.POP_SHARE_4G}
KM = {S.DIST_GRID_M, S.DIST_SITE_M}
#: longitude and latitude: 5 decimals (about a metre), never grouped
COORDS = {"lon", "lat"}
#: columns whose values are codes (shown as words): the ones the catalogue has words for
CODED = frozenset(labelled_columns())


def value_words(column: str, values: pd.Series, lang: str) -> pd.Series:
    """Codes of ``column`` as words; missing → "–" (:func:`gisapp.i18n.values.value_labels`)."""
    return value_labels(column, values, lang)


def why_words(frame: pd.DataFrame, lang: str) -> pd.Series:
    """The ``why`` text in the reader's language (:func:`gisapp.i18n.why.why_text`); missing → "–"."""
    out = pd.Series(_why_text(frame, lang), index=frame.index)
    return out.astype("string").fillna(MISSING).replace("", MISSING).astype(object)


def readable(frame: pd.DataFrame, lang: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame[columns]`` as text a person reads, headers in words, no "None" anywhere."""
    cols = [c for c in (columns or list(frame.columns)) if c in frame]
    out = {}
    for c in cols:
        v = frame[c]
        if c == S.WHY:
            out[c] = why_words(frame, lang)
        elif c in PERCENT or c.startswith("pop_share"):
            out[c] = percent(v, lang)
        elif c in INTEGER or c.startswith(("pop_", "villages_", "sites_")) or c.endswith("_usd") \
                or pd.api.types.is_integer_dtype(v):
            out[c] = grouped(v, lang)
        elif c in COORDS:
            out[c] = grouped(v, lang, digits=5)
        elif c in DECIMAL2:
            out[c] = grouped(v, lang, digits=2)
        elif c in KM:
            out[c] = grouped(pd.to_numeric(v, errors="coerce") / 1000.0, lang, digits=1, suffix=" km")
        elif c in CODED:
            out[c] = value_words(c, v, lang)
        elif pd.api.types.is_float_dtype(v):
            out[c] = grouped(v, lang, digits=2)
        else:
            out[c] = v.astype("string").fillna(MISSING).astype(object)
    table = pd.DataFrame(out, index=frame.index)
    return table.rename(columns=lambda c: column_label(str(c), lang))
