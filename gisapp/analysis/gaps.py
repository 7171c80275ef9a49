"""Signal and gap classes per village, with the evidence and a plain-language ``why``.

Inputs are per-layer measurements already aligned to the villages (one frame per
carrier × technology with ``area_share``, ``pop_share``, ``centre`` and optionally
``signal_dbm``), produced by :mod:`gisapp.analysis.coverage`. Everything here is
vectorised pandas/numpy and cheap, so the app can call it on every threshold change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.i18n.why import measured_text
from gisapp.schema import GapClass, PowerStatus, SignalClass

__all__ = ["LayerMeasure", "combine_layers", "classify_signal", "classify_gaps", "explain"]

_KIND_RANK = {k: i for i, k in enumerate(S.KINDS)}  # measured < declared < modelled


@dataclass(frozen=True)
class LayerMeasure:
    """One carrier × technology layer measured on the villages.

    ``frame`` has the villages' index and columns ``area_share``, ``pop_share`` (floats,
    NaN = cannot judge), ``centre`` (nullable boolean) and optionally ``signal_dbm``.
    """

    key: str
    carrier: str
    technology: str
    kind: str
    source: str
    date: str | None
    frame: pd.DataFrame

    @property
    def label(self) -> str:
        date = f", {self.date}" if self.date else ""
        return f"{self.source} {self.key} ({self.kind}{date})"


def _any_true(frames: Sequence[pd.Series], index: pd.Index) -> pd.Series:
    """Element-wise OR over nullable booleans: True if any True, False if all known False."""
    if not frames:
        return pd.Series(pd.NA, index=index, dtype="boolean")
    stack = pd.concat([f.astype("boolean") for f in frames], axis=1)
    anytrue = stack.eq(True).any(axis=1)
    anyknown = stack.notna().any(axis=1)
    out = pd.Series(pd.NA, index=index, dtype="boolean")
    out[anyknown] = False
    out[anytrue] = True
    return out


def combine_layers(
    layers: Sequence[LayerMeasure],
    index: pd.Index,
    *,
    technologies: Sequence[str] = S.TECHNOLOGIES,
    union_pop_share: pd.Series | None = None,
    union_area_share: pd.Series | None = None,
    union_pop_share_4g: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-layer columns plus the combined signal facts of each village.

    Parameters
    ----------
    layers
        Measured layers; only those whose technology is in ``technologies`` count
        towards the combined columns (all are reported in the per-layer columns).
    index
        The villages' index.
    union_pop_share, union_area_share, union_pop_share_4g
        Shares covered by the *union* of the counted polygon layers, when the caller
        computed them; the combined shares are the maximum of these and of every single
        layer (a union covers at least what its best layer covers). Without them the
        combined share is the best single layer's — a lower bound.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``index``: per layer ``area_share__<key>``, ``pop_share__<key>``,
        ``centre__<key>`` and ``signal_dbm__<key>`` where measured; combined
        ``centre_covered`` (nullable boolean), ``pop_share_any``, ``area_share_any``,
        ``pop_share_4g`` (fractions), ``best_signal_dbm`` (dBm), ``best_layer``,
        ``carriers_at_centre``, ``n_coverage_layers``, ``signal_evidence``,
        ``signal_evidence_kind``.
    """
    out = pd.DataFrame(index=index)
    counted = [lm for lm in layers if lm.technology in technologies]
    for lm in layers:
        f = lm.frame.reindex(index)
        out[S.area_share_col(lm.key)] = f["area_share"].astype("float64")
        out[S.pop_share_col(lm.key)] = f["pop_share"].astype("float64")
        out[S.centre_col(lm.key)] = f["centre"].astype("boolean")
        if "signal_dbm" in f:
            out[S.signal_col(lm.key)] = f["signal_dbm"].astype("float64")

    def best(cols: list[str], extra: pd.Series | None) -> pd.Series:
        parts = [out[c] for c in cols]
        if extra is not None:
            parts.append(extra.reindex(index).astype("float64"))
        if not parts:
            return pd.Series(np.nan, index=index)
        return pd.concat(parts, axis=1).max(axis=1, skipna=True)

    out[S.CENTRE_ANY] = _any_true([out[S.centre_col(lm.key)] for lm in counted], index)
    out[S.POP_SHARE_ANY] = best([S.pop_share_col(lm.key) for lm in counted], union_pop_share)
    out[S.AREA_SHARE_ANY] = best([S.area_share_col(lm.key) for lm in counted], union_area_share)
    four_g = [lm for lm in counted if lm.technology in ("4G", "5G")]
    out[S.POP_SHARE_4G] = best([S.pop_share_col(lm.key) for lm in four_g], union_pop_share_4g)
    if not four_g and union_pop_share_4g is None:
        out[S.POP_SHARE_4G] = np.nan

    sig_cols = [S.signal_col(lm.key) for lm in counted if S.signal_col(lm.key) in out]
    out[S.BEST_SIGNAL_DBM] = out[sig_cols].max(axis=1, skipna=True) if sig_cols else np.nan

    # which layers judged each village (non-NA centre), which covered the centre
    known = pd.DataFrame({lm.key: out[S.centre_col(lm.key)].notna() for lm in counted}, index=index)
    covers = pd.DataFrame(
        {lm.key: out[S.centre_col(lm.key)].eq(True).fillna(False) for lm in counted}, index=index
    )
    out[S.N_LAYERS] = known.sum(axis=1).astype("int64") if counted else 0

    # best layer: covering the centre, strongest evidence kind first, then people covered;
    # shares are compared to 1e-9 so that rounding noise (e.g. another engine's order of
    # sums) cannot flip a tie: the first layer in the config wins a tie
    best_layer = pd.Series("", index=index, dtype="object")
    best_key_score = pd.Series(-np.inf, index=index)
    for lm in counted:
        score = (len(S.KINDS) - _KIND_RANK.get(lm.kind, 2)) * 10.0 + out[
            S.pop_share_col(lm.key)
        ].fillna(0.0).round(9)
        better = covers[lm.key] & (score > best_key_score)
        best_layer[better] = lm.key
        best_key_score = best_key_score.where(~better, score)
    out[S.BEST_LAYER] = best_layer

    carriers = sorted({lm.carrier for lm in counted})
    names = pd.Series("", index=index, dtype="object")
    for carrier in carriers:
        keys = [lm.key for lm in counted if lm.carrier == carrier]
        has = covers[keys].any(axis=1)
        names = names.where(~has, names.where(names == "", names + ", ") + carrier)
    out[S.CARRIERS_AT_CENTRE] = names

    # evidence: the best layer's label where covered, else what was checked
    labels = {lm.key: lm.label for lm in counted}
    kinds = {lm.key: lm.kind for lm in counted}
    ev = best_layer.map(lambda k: labels.get(k, ""))
    checked_kinds = pd.Series("", index=index, dtype="object")
    strongest = pd.Series("", index=index, dtype="object")
    for kind in reversed(S.KINDS):  # weakest first so the strongest ends up written
        keys = [k for k, v in kinds.items() if v == kind]
        if keys:
            has_kind = known[keys].any(axis=1)
            strongest = strongest.where(~has_kind, kind)
    for kind in S.KINDS:
        keys = [k for k, v in kinds.items() if v == kind]
        if keys:
            n = known[keys].sum(axis=1)
            part = n.astype(str) + f" {kind}"
            part = part.where(n > 0, "")
            checked_kinds = checked_kinds.where(part == "", checked_kinds.where(
                checked_kinds == "", checked_kinds + ", ") + part)
    not_cov = ("none of " + out[S.N_LAYERS].astype(str) + " layers covers the centre ("
               + checked_kinds + ")")
    nothing = (f"none of the {len(counted)} coverage layers could judge the centre (outside "
               "them, or no data there)") if counted else "no coverage layer"
    out[S.SIGNAL_EVIDENCE] = ev.where(ev != "", not_cov.where(out[S.N_LAYERS] > 0, nothing))
    best_kind = best_layer.map(lambda k: kinds.get(k, ""))
    out[S.SIGNAL_KIND] = best_kind.where(best_kind != "", strongest)
    return out


def classify_signal(
    combined: pd.DataFrame, *, pocket_share: float, has_geometry: pd.Series | None = None
) -> pd.Series:
    """The signal class of each village.

    ``no_signal`` (trắng sóng) when no counted layer covers the centre;
    ``pocket`` (lõm sóng) when the centre is covered but at least ``pocket_share`` of
    the people (or of the area, when people cannot be placed) are not; ``covered``
    otherwise; ``unknown`` when no layer could judge the centre, or no geometry.
    """
    centre = combined[S.CENTRE_ANY]
    uncovered = 1.0 - combined[S.POP_SHARE_ANY].fillna(combined[S.AREA_SHARE_ANY])
    cls = np.select(
        [centre.isna().to_numpy(), centre.eq(False).fillna(False).to_numpy(),
         (uncovered >= pocket_share - 1e-12).fillna(False).to_numpy()],
        [SignalClass.UNKNOWN.value, SignalClass.NO_SIGNAL.value, SignalClass.POCKET.value],
        SignalClass.COVERED.value,
    )
    out = pd.Series(cls, index=combined.index, dtype="object")
    if has_geometry is not None:
        out[~has_geometry.reindex(out.index).fillna(False).astype(bool)] = SignalClass.UNKNOWN.value
    return out


def classify_gaps(
    signal_class: pd.Series, power_status: pd.Series, *, pocket_is_gap: bool = False
) -> pd.Series:
    """The gap class from the signal class and the power status.

    ============  ===========  ==========================
    signal        power        gap class
    ============  ===========  ==========================
    no signal     no           ``no_power_no_signal``
    no signal     yes/unknown  ``no_signal``
    served        no           ``no_power``
    served        yes          ``served``
    unknown       no           ``no_power``
    otherwise                  ``unknown``
    ============  ===========  ==========================

    "no signal" is ``no_signal`` and also ``pocket`` when ``pocket_is_gap``; "served"
    is ``covered`` (and ``pocket`` otherwise).
    """
    sig = signal_class.astype("object")
    pwr = power_status.reindex(sig.index).fillna(PowerStatus.UNKNOWN.value).astype("object")
    gapsig = sig.eq(SignalClass.NO_SIGNAL.value)
    if pocket_is_gap:
        gapsig |= sig.eq(SignalClass.POCKET.value)
    served_sig = sig.isin([SignalClass.COVERED.value, SignalClass.POCKET.value]) & ~gapsig
    no_power = pwr.eq(PowerStatus.NO.value)
    yes_power = pwr.eq(PowerStatus.YES.value)
    cls = np.select(
        [(gapsig & no_power).to_numpy(), gapsig.to_numpy(),
         (served_sig & no_power).to_numpy(), (served_sig & yes_power).to_numpy(),
         (sig.eq(SignalClass.UNKNOWN.value) & no_power).to_numpy()],
        [GapClass.NO_POWER_NO_SIGNAL.value, GapClass.NO_SIGNAL.value, GapClass.NO_POWER.value,
         GapClass.SERVED.value, GapClass.NO_POWER.value],
        GapClass.UNKNOWN.value,
    )
    return pd.Series(cls, index=sig.index, dtype="object")


def _fmt_int(s: pd.Series) -> pd.Series:
    return s.map(lambda v: "?" if pd.isna(v) else f"{int(round(v)):,}")


def explain(
    villages: pd.DataFrame,
    *,
    pocket_share: float,
    notes: Mapping[object, str] | None = None,
) -> pd.Series:
    """A plain-language sentence per village saying why it got its gap class.

    This is the stable English ``why`` column of the data files; the app and the exports
    show :func:`gisapp.i18n.why.why_text`, which writes the same facts (the columns read
    here and the notes at the end of this sentence) in the reader's language. Keep the
    phrases of the evidence columns and of the notes in step with its grammar.

    ``villages`` needs the combined signal columns, ``signal_class``, ``power_status``,
    ``power_evidence``, ``gap_class`` and ``pop``. A village with a ``dispute__<key>``
    gains the sentence of :func:`gisapp.i18n.why.measured_text` (measurements outranked
    declared coverage), before the notes. ``notes`` adds a per-village remark
    (e.g. "geometry repaired", "no geometry") keyed by index.
    """
    idx = villages.index
    sig = villages[S.SIGNAL_CLASS]
    people = _fmt_int(villages[S.POP])
    uncovered_pct = ((1.0 - villages[S.POP_SHARE_ANY]) * 100).round().map(
        lambda v: "?" if pd.isna(v) else f"{int(v)}"
    )
    carriers = villages[S.CARRIERS_AT_CENTRE].fillna("")
    signal_text = pd.Series("", index=idx, dtype="object")
    signal_text[sig.eq(SignalClass.NO_SIGNAL.value)] = (
        "no usable signal at the village centre (" + villages[S.SIGNAL_EVIDENCE].astype(str) + ")"
    )
    signal_text[sig.eq(SignalClass.POCKET.value)] = (
        "signal at the centre (" + carriers + ") but " + uncovered_pct
        + f"% of the people are not covered (pocket threshold {pocket_share:.0%})"
    )
    signal_text[sig.eq(SignalClass.COVERED.value)] = "covered at the centre by " + carriers
    signal_text[sig.eq(SignalClass.UNKNOWN.value)] = (
        "signal unknown (" + villages[S.SIGNAL_EVIDENCE].astype(str) + ")"
    )
    pwr = villages[S.POWER_STATUS]
    pev = villages[S.POWER_EVIDENCE].fillna("").astype(str)
    power_text = pd.Series("", index=idx, dtype="object")
    power_text[pwr.eq(PowerStatus.NO.value)] = "no electricity: " + pev
    power_text[pwr.eq(PowerStatus.YES.value)] = "electricity: " + pev
    power_text[pwr.eq(PowerStatus.UNKNOWN.value)] = "electricity unknown: " + pev
    text = people + " people; " + signal_text + "; " + power_text + "."
    text = text.str.slice(0, 1).str.upper() + text.str.slice(1)
    disputed = [c for c in villages.columns if str(c).startswith("dispute__")]
    if disputed:
        has = villages[disputed].fillna("").astype(str).ne("").any(axis=1)
        if has.any():
            cols = [c for c in villages.columns if str(c).startswith(
                ("dispute__", "meas_samples__", "meas_share_below__"))]
            extra = [measured_text(r, "en") for r in villages.loc[has, cols].to_dict("records")]
            text[has] = text[has] + " " + pd.Series(extra, index=text.index[has])
    if notes:
        extra = pd.Series(notes).reindex(idx)
        text = text.where(extra.isna(), text + " Note: " + extra.astype(str) + ".")
    return text
