"""Pure presentation helpers: choosing rows and columns to show, counting what is shown.

Nothing here classifies, scores or computes an indicator: the gap classes, scores and
ranks come from :func:`gisapp.pipeline.assess`, the headline figures from
:func:`gisapp.analysis.summary.headline`. Filtering rows by commune or gap class,
tabulating the shown rows per commune for a chart are what a spreadsheet filter does;
numbers are written by :mod:`gisapp.i18n.numbers` (Babel), the ``fmt_*`` names are its
short forms for the pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.config import RunConfig
from gisapp.i18n import numbers as N

__all__ = [
    "Filters", "filter_villages", "layer_carriers", "table_columns",
    "commune_counts", "fmt_int", "fmt_number", "fmt_score", "fmt_usd", "fmt_share", "fmt_km",
]


@dataclass(frozen=True)
class Filters:
    """The planner's current filter. Empty tuples mean "all"."""

    communes: tuple[str, ...] = ()
    gap_classes: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()


def filter_villages(villages: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Rows of ``villages`` in the chosen communes and gap classes (a new frame).

    Carrier and technology filters choose map layers and table columns
    (:func:`table_columns`), not rows: a village's gap is not one carrier's.
    """
    mask = np.ones(len(villages), dtype=bool)
    if filters.communes:
        mask &= villages[S.COMMUNE].astype("string").isin(filters.communes).fillna(False).to_numpy()
    if filters.gap_classes:
        mask &= villages[S.GAP_CLASS].astype("string").isin(filters.gap_classes).fillna(False).to_numpy()
    return villages.loc[mask].copy()


def layer_carriers(config: RunConfig | None, layers: dict | None = None) -> dict[str, tuple[str, str]]:
    """Layer key → (carrier, technology), from the config and the towers layer."""
    out: dict[str, tuple[str, str]] = {}
    if config is not None:
        for lyr in (*config.coverage, *config.signal_rasters):
            out[S.layer_key(lyr.carrier, lyr.technology)] = (lyr.carrier, lyr.technology)
    towers = (layers or {}).get("towers")
    if towers is not None and len(towers) and {"carrier", "technology"} <= set(towers.columns):
        pairs = towers[["carrier", "technology"]].dropna().astype(str).drop_duplicates()
        for carrier, tech in pairs.itertuples(index=False):
            out.setdefault(S.layer_key(carrier, tech), (carrier, tech))
    return out


def _key_selected(key: str, keys: dict[str, tuple[str, str]], filters: Filters) -> bool:
    carrier, tech = keys.get(key, (None, None))
    if filters.carriers and carrier not in filters.carriers:
        return False
    if filters.technologies and tech not in filters.technologies:
        return False
    return True


def table_columns(
    columns: Sequence[str], keys: dict[str, tuple[str, str]], filters: Filters
) -> list[str]:
    """Columns for the ranked table: identity, rank, score and its parts, classes, and the
    per-layer columns of the chosen carriers/technologies."""
    first = [S.PRIORITY_RANK, S.NAME, S.COMMUNE, S.POP, S.GAP_CLASS, S.PRIORITY_TIER,
             S.PRIORITY_SCORE, *S.SCORE_PARTS, S.WHY, S.SIGNAL_CLASS, S.POWER_STATUS,
             S.POP_SHARE_4G, S.DIST_GRID_M, S.DIST_SITE_M, S.N_FACILITIES, S.ID]
    out = [c for c in first if c in columns]
    for col in columns:
        parts = S.split_layer_col(col)
        if parts and parts[0] in ("pop_share", "centre") and _key_selected(parts[1], keys, filters):
            out.append(col)
    return out


def commune_counts(villages: pd.DataFrame, *, value: str = "villages") -> pd.DataFrame:
    """A commune × gap class table of village counts (``value="villages"``) or people
    (``value="pop"``), for a stacked bar chart. Columns in gap-class order."""
    gap = villages[S.GAP_CLASS].astype("string").fillna(S.GapClass.UNKNOWN.value)
    commune = villages[S.COMMUNE].astype("string").fillna("?")
    if value == "pop":
        vals = pd.to_numeric(villages[S.POP], errors="coerce").fillna(0.0)
    else:
        vals = pd.Series(1, index=villages.index)
    table = vals.groupby([commune, gap]).sum().unstack(fill_value=0)
    cols = [g.value for g in S.GapClass if g.value in table.columns]
    return table.reindex(columns=cols).sort_index()


def fmt_int(value: float, lang: str = "vi") -> str:
    """A whole number for people (counts, population): 12345 → "12.345" (vi) or "12,345"
    (en); 747 people stay "747"; missing → "–" (:func:`gisapp.i18n.numbers.people`)."""
    return N.people(value, lang)


def fmt_number(value: float, lang: str = "vi", digits: int = 0) -> str:
    """A number with ``digits`` decimals in the locale's separators (1234.5 → "1.234,5")."""
    return N.number(value, lang, digits=digits)


def fmt_score(value: float, lang: str = "vi") -> str:
    """A priority score (0–100) with one decimal and the locale's decimal separator
    (98.996 → "99,0" in Vietnamese, never "98.996")."""
    return N.number(value, lang, digits=1)


def fmt_usd(value: float, lang: str = "vi", vnd_per_usd: float | None = None) -> str:
    """A cost in USD, grouped ("75.700 USD"); with the config's rate, đồng beside it
    ("1,8 tỷ đồng (75.700 USD)"), see :func:`gisapp.i18n.numbers.money`."""
    return N.money(value, lang, vnd_per_usd=vnd_per_usd)


def fmt_share(value: float, lang: str = "vi") -> str:
    """0.123 → "12,3%" (vi) or "12.3%" (en); NaN → "–"."""
    return N.share(value, lang)


def fmt_km(metres: float, lang: str = "vi") -> str:
    """A distance in metres shown in km with one decimal (1234 → "1,2 km")."""
    return N.km(metres, lang)


def unique_sorted(values: Iterable[object]) -> list[str]:
    """Distinct non-empty values as sorted strings (for filter choices)."""
    return sorted({str(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v) != "<NA>"})
