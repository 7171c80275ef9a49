"""A transparent priority score for the gap villages, with its parts, rank and tier.

Each part is scaled to [0, 1] so its weight reads as a share of the score:

``score_pop``         people, on a log scale: ``log1p(pop) / log1p(max pop of gap villages)``
``score_grid``        distance to the grid, ``min(dist_grid_m / grid_cap_m, 1)`` (remote
                      villages are the ones the market will not reach on its own)
``score_site``        distance to the nearest existing tower, ``min(dist_site_m / site_cap_m, 1)``
``score_facilities``  public facilities in the village, ``min(n / facilities_cap, 1)``

A part whose input layer was not given is NaN and its weight is left out (the other
weights are renormalised), so a missing layer never counts as "0 km from the grid".
``priority_score = 100 × class_factor[gap_class] × Σ wᵢ·partᵢ / Σ wᵢ``; villages that
are ``served`` or ``unknown`` get no score, rank or tier (tier ``none``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.config import Weights
from gisapp.schema import Tier

__all__ = ["score", "GRID_CAP_M", "SITE_CAP_M", "FACILITIES_CAP"]

GRID_CAP_M = 10_000.0
SITE_CAP_M = 10_000.0
FACILITIES_CAP = 3.0

_PARTS = {
    "score_pop": "population",
    "score_grid": "dist_grid",
    "score_site": "dist_site",
    "score_facilities": "facilities",
}


def score(villages: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Score, rank and tier the villages that have a gap.

    Parameters
    ----------
    villages
        Needs ``gap_class``, ``pop``; uses ``dist_grid_m``, ``dist_site_m`` and
        ``n_facilities`` when present (NaN where the layer was not given).
    weights
        The weights and class factors (:class:`gisapp.config.Weights`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``villages``: ``score_pop``, ``score_grid``, ``score_site``,
        ``score_facilities`` (each in [0, 1], NaN when not scored), ``priority_score``
        (0–100), ``priority_rank`` (1 = first, nullable Int64) and ``priority_tier``.
    """
    idx = villages.index
    gap = villages[S.GAP_CLASS].astype("object")
    factor = gap.map(dict(weights.class_factor)).astype("float64")
    ranked = factor.notna() & (factor > 0)

    def col(name: str) -> pd.Series:
        if name in villages:
            return pd.to_numeric(villages[name], errors="coerce").astype("float64")
        return pd.Series(np.nan, index=idx)

    pop = col(S.POP).clip(lower=0)
    max_pop = pop[ranked].max() if ranked.any() else np.nan
    parts = pd.DataFrame(index=idx)
    denom = np.log1p(max_pop) if pd.notna(max_pop) and max_pop > 0 else np.nan
    parts["score_pop"] = np.log1p(pop) / denom if pd.notna(denom) else pop * 0.0
    parts["score_grid"] = (col(S.DIST_GRID_M) / GRID_CAP_M).clip(0, 1)
    parts["score_site"] = (col(S.DIST_SITE_M) / SITE_CAP_M).clip(0, 1)
    parts["score_facilities"] = (col(S.N_FACILITIES) / FACILITIES_CAP).clip(0, 1)
    # a layer that was not given at all leaves its part out of every village's score;
    # a village-level NaN (e.g. no geometry) counts as 0 for that village
    available = {p: parts.loc[ranked, p].notna().any() for p in _PARTS}
    w = {p: float(getattr(weights, attr)) if available[p] else 0.0 for p, attr in _PARTS.items()}
    wsum = sum(w.values())
    total = pd.Series(0.0, index=idx)
    for p, wi in w.items():
        if wi > 0:
            total += wi * parts[p].fillna(0.0)
    total = total / wsum if wsum > 0 else total * 0.0
    prio = (100.0 * factor * total).where(ranked)
    parts = parts.where(ranked)
    for p in _PARTS:
        if not available[p]:
            parts[p] = np.nan

    # rank: score desc, then people desc, then id for a stable order
    order = pd.DataFrame({
        "s": prio.where(ranked, -np.inf).fillna(-np.inf),
        "p": pop.fillna(0.0),
        "i": villages[S.ID].astype(str) if S.ID in villages else pd.Series(idx.astype(str), index=idx),
    })
    order = order.sort_values(["s", "p", "i"], ascending=[False, False, True], kind="mergesort")
    n_ranked = int(ranked.sum())
    rank = pd.Series(pd.NA, index=idx, dtype="Int64")
    ranked_idx = order.index[: n_ranked]
    rank.loc[ranked_idx] = np.arange(1, n_ranked + 1)

    frac = rank.astype("float64") / max(n_ranked, 1)
    tier = np.select(
        [~ranked.to_numpy(), (frac <= weights.tier_high).fillna(False).to_numpy(),
         (frac <= weights.tier_medium).fillna(False).to_numpy()],
        [Tier.NONE.value, Tier.HIGH.value, Tier.MEDIUM.value],
        Tier.LOW.value,
    )
    out = parts
    out[S.PRIORITY_SCORE] = prio
    out[S.PRIORITY_RANK] = rank
    out[S.PRIORITY_TIER] = pd.Series(tier, index=idx, dtype="object")
    return out
