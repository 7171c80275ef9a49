"""Summaries per commune and per province: the indicators provinces report.

Per area: villages and people per gap class, the share of people with 4G, the share
of villages with signal (centre covered), the share of villages reached by fibre, and
the number of villages without power.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.schema import GapClass, PowerStatus, SignalClass

__all__ = ["summarise", "headline"]


def _indicators(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    d = pd.DataFrame({
        **{k: df[k].fillna("(none)").astype(str) for k in keys},
        "villages": 1,
        S.POP: pd.to_numeric(df[S.POP], errors="coerce").fillna(0.0),
    })
    gap = df[S.GAP_CLASS].astype(str)
    for g in GapClass:
        is_g = gap.eq(g.value)
        d[f"villages_{g.value}"] = is_g.astype("int64")
        d[f"pop_{g.value}"] = d[S.POP].where(is_g, 0.0)
    share4g = pd.to_numeric(df.get(S.POP_SHARE_4G), errors="coerce") if S.POP_SHARE_4G in df else None
    d["_pop4g"] = (d[S.POP] * share4g).fillna(0.0) if share4g is not None else 0.0
    d["_pop4g_known"] = d[S.POP].where(share4g.notna(), 0.0) if share4g is not None else 0.0
    sig = df[S.SIGNAL_CLASS].astype(str)
    d["_sig_known"] = (~sig.eq(SignalClass.UNKNOWN.value)).astype("int64")
    d["_with_signal"] = sig.isin([SignalClass.COVERED.value, SignalClass.POCKET.value]).astype("int64")
    fibre = df[S.FIBRE_REACHED] if S.FIBRE_REACHED in df else pd.Series(pd.NA, index=df.index)
    fibre = fibre.astype("boolean")
    d["_fibre_known"] = fibre.notna().astype("int64")
    d["_fibre"] = fibre.eq(True).fillna(False).astype("int64")
    d["villages_without_power"] = df[S.POWER_STATUS].astype(str).eq(PowerStatus.NO.value).astype("int64")
    g = d.groupby(keys, sort=True, dropna=False).sum(numeric_only=True)

    def ratio(num: str, den: str) -> pd.Series:
        den_v = g[den].astype("float64")
        return (g[num] / den_v).where(den_v > 0, np.nan)

    g["share_pop_4g"] = ratio("_pop4g", "_pop4g_known")
    g["share_villages_with_signal"] = ratio("_with_signal", "_sig_known")
    g["share_villages_fibre"] = ratio("_fibre", "_fibre_known")
    return g.drop(columns=[c for c in g.columns if c.startswith("_")]).reset_index()


def summarise(villages: pd.DataFrame) -> pd.DataFrame:
    """Per-commune and per-province indicators.

    Parameters
    ----------
    villages
        The village table (``gap_class``, ``signal_class``, ``power_status``, ``pop``,
        ``commune``, ``province``; ``pop_share_4g`` and ``fibre_reached`` when known).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`gisapp.schema.SUMMARY_COLUMNS`; one row per commune
        (``level = "commune"``) then one per province (``level = "province"``, commune
        empty). Shares are fractions (NaN when nothing could be judged); ``share_pop_4g``
        is over the people of villages where 4G could be judged.
    """
    if len(villages) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in S.SUMMARY_COLUMNS})
    communes = _indicators(villages, [S.PROVINCE, S.COMMUNE])
    communes.insert(0, "level", "commune")
    provinces = _indicators(villages, [S.PROVINCE])
    provinces.insert(0, "level", "province")
    provinces[S.COMMUNE] = ""
    out = pd.concat([communes, provinces], ignore_index=True)
    return out[list(S.SUMMARY_COLUMNS)]


def headline(villages: pd.DataFrame) -> dict[str, object]:
    """The province indicators of :func:`summarise` over all rows given, as one dict.

    The same computation as a province row of :func:`summarise` (so the app's headline
    figures for a filter equal the summary of those villages), without grouping: for
    the app's headline figures and any report of a selection of villages.

    Parameters
    ----------
    villages
        The village table (``gap_class``, ``pop``; ``signal_class``,
        ``power_status``, ``pop_share_4g`` and ``fibre_reached`` when known). A missing
        gap class counts as ``unknown``.

    Returns
    -------
    dict
        ``villages`` and ``pop``: dicts gap class value → villages / people (every
        class present, zeros included); ``n_villages`` (int), ``n_pop`` (people);
        ``share_pop_4g`` (people of villages where 4G could be judged),
        ``share_villages_with_signal`` (covered or pocket, among villages whose
        signal class is known), ``share_villages_fibre`` — fractions in [0, 1], NaN
        when nothing could be judged; ``villages_without_power`` (int).
    """
    nan = float("nan")
    empty = {
        "villages": {g.value: 0 for g in GapClass}, "pop": {g.value: 0.0 for g in GapClass},
        "n_villages": 0, "n_pop": 0.0, "share_pop_4g": nan, "share_villages_with_signal": nan,
        "share_villages_fibre": nan, "villages_without_power": 0,
    }
    if len(villages) == 0:
        return empty
    frame = pd.DataFrame({
        S.GAP_CLASS: villages[S.GAP_CLASS].astype("string").fillna(GapClass.UNKNOWN.value),
        S.POP: villages[S.POP],
        S.SIGNAL_CLASS: (villages[S.SIGNAL_CLASS].astype("string").fillna(SignalClass.UNKNOWN.value)
                         if S.SIGNAL_CLASS in villages else SignalClass.UNKNOWN.value),
        S.POWER_STATUS: villages[S.POWER_STATUS] if S.POWER_STATUS in villages else pd.NA,
        "_all": "all",
    }, index=villages.index)
    for col in (S.POP_SHARE_4G, S.FIBRE_REACHED):
        if col in villages:
            frame[col] = villages[col]
    row = _indicators(frame, ["_all"]).iloc[0]

    def share(name: str) -> float:
        value = row[name]
        return float(value) if pd.notna(value) else nan

    return {
        "villages": {g.value: int(row[f"villages_{g.value}"]) for g in GapClass},
        "pop": {g.value: float(row[f"pop_{g.value}"]) for g in GapClass},
        "n_villages": int(row["villages"]),
        "n_pop": float(row[S.POP]),
        "share_pop_4g": share("share_pop_4g") if S.POP_SHARE_4G in frame else nan,
        "share_villages_with_signal": share("share_villages_with_signal"),
        "share_villages_fibre": share("share_villages_fibre"),
        "villages_without_power": int(row["villages_without_power"]),
    }
