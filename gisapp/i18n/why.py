"""The ``why`` sentence of each village in the reader's language, from the same facts.

The data files keep the stable English ``why`` column written by
:func:`gisapp.analysis.gaps.explain`; people read :func:`why_text`, which builds the
sentence again from the village's columns (``pop``, ``signal_class``,
``carriers_at_centre``, ``pop_share_any``, ``signal_evidence``, ``power_status``,
``power_evidence``) with the catalogue's templates and the numbers of
:mod:`gisapp.i18n.numbers`. The evidence columns are short phrases of a fixed grammar
(``"coverage viettel_4g (declared, 2025-06-01)"``, ``"820 m from MV grid line"``,
``"night lights 1.15 ≥ 0.3 nW/cm²/sr"`` …); :func:`evidence_text` reads them into their
parts and writes them again. The pocket threshold and the notes come from the English
``why`` when the row has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from gisapp import schema as S
from gisapp.i18n import numbers as N
from gisapp.i18n.labels import t
from gisapp.i18n.values import carrier_label, kind_word, layer_label

__all__ = ["why_text", "evidence_text", "note_text", "measured_text"]

_NUM = r"-?\d[\d,]*(?:\.\d+)?"


def _num(text: str, lang: str, *, unit: str = "") -> str:
    """A number of the English evidence written for ``lang`` (decimals kept as written)."""
    raw = text.replace(",", "")
    digits = len(raw.split(".", 1)[1]) if "." in raw else 0
    return N.number(float(raw), lang, digits=digits) + unit


def _split(text: str, seps: tuple[str, ...]) -> list[str]:
    """``text`` split at ``seps`` outside parentheses."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        depth += (ch == "(") - (ch == ")")
        sep = next((s for s in seps if depth == 0 and text.startswith(s, i)), None)
        if sep:
            out.append(cur)
            cur, i = "", i + len(sep)
            continue
        cur += ch
        i += 1
    out.append(cur)
    return out


def _kind(word: str, lang: str) -> str:
    return kind_word(word.strip(), lang)


def _layer(m: re.Match, lang: str) -> str:
    src = m["source"]
    source = t(f"w_src_{src}", lang) if src in ("coverage", "signal", "towers") else src
    key, date = m["key"], m["date"]
    fmt = dict(source=source, layer=layer_label(key, lang), kind=_kind(m["kind"], lang))
    return t("w_ev_layer_date", lang, date=date, **fmt) if date else t("w_ev_layer", lang, **fmt)


def _checked(text: str, lang: str) -> str:
    parts = []
    for part in text.split(", "):
        n, _, kind = part.partition(" ")
        parts.append(t("w_ev_checked", lang, n=_num(n, lang), kind=_kind(kind, lang)))
    return ", ".join(parts)


def _declared(m: re.Match, lang: str) -> str:
    src = m["source"]
    if src.startswith("electricity list "):
        source = t("w_ev_list", lang, name=src[len("electricity list "):])
    elif src == "electricity list":
        source = t("w_ev_list_plain", lang)
    else:
        source = src
    if m["date"]:
        return t("w_ev_declared_date", lang, source=source, date=m["date"])
    return t("w_ev_declared", lang, source=source)


def _cmp(m: re.Match, lang: str, unit: str = "") -> dict[str, str]:
    return dict(op=m["op"], thr=_num(m["thr"], lang, unit=unit))


#: (pattern, writer) for one atom of evidence; the first that matches the whole atom wins
_ATOMS: list[tuple[re.Pattern, Callable[[re.Match, str], str]]] = [
    (re.compile(r"(?P<source>coverage|signal|towers) (?P<key>\S+) "
                r"\((?P<kind>\w+)(?:, (?P<date>[^)]+))?\)"), _layer),
    (re.compile(rf"none of (?P<n>{_NUM}) layers covers the centre \((?P<checked>.*)\)"),
     lambda m, lg: t("w_ev_none_covers", lg, n=_num(m["n"], lg),
                     checked=_checked(m["checked"], lg))),
    (re.compile(rf"none of the (?P<n>{_NUM}) coverage layers could judge the centre .*"),
     lambda m, lg: t("w_ev_none_judged", lg, n=_num(m["n"], lg))),
    (re.compile(r"no coverage layer"), lambda m, lg: t("w_ev_no_layer", lg)),
    (re.compile(r"(?P<source>.+?) \(declared(?:, (?P<date>[^)]+))?\)"), _declared),
    (re.compile(rf"(?P<d>{_NUM}) m from MV grid line "
                rf"\(between (?P<a>{_NUM}) and (?P<b>{_NUM}) m\)"),
     lambda m, lg: t("w_ev_grid_between", lg, d=_num(m["d"], lg, unit=" m"),
                     a=_num(m["a"], lg), b=_num(m["b"], lg, unit=" m"))),
    (re.compile(rf"(?P<d>{_NUM}) m from MV grid line (?P<op>[<>≤≥=]+) (?P<thr>{_NUM}) m"),
     lambda m, lg: t("w_ev_grid_cmp", lg, d=_num(m["d"], lg, unit=" m"), **_cmp(m, lg, " m"))),
    (re.compile(rf"(?P<d>{_NUM}) m from MV grid line"),
     lambda m, lg: t("w_ev_grid", lg, d=_num(m["d"], lg, unit=" m"))),
    (re.compile(rf"night lights (?P<x>{_NUM}) (?P<op>[<>≤≥=]+) (?P<thr>{_NUM}) nW/cm²/sr"),
     lambda m, lg: t("w_ev_lights", lg, x=_num(m["x"], lg), **_cmp(m, lg))),
    (re.compile(r"no night lights value"), lambda m, lg: t("w_ev_no_lights_value", lg)),
    (re.compile(r"no night lights layer"), lambda m, lg: t("w_ev_no_lights_layer", lg)),
    (re.compile(r"no grid distance"), lambda m, lg: t("w_ev_no_grid", lg)),
    (re.compile(rf"(?P<p>{_NUM}) people (?P<op>[<>≤≥=]+) (?P<thr>{_NUM}) "
                r"\(too few for the rule\)"),
     lambda m, lg: t("w_ev_pop_few", lg, p=_num(m["p"], lg), **_cmp(m, lg))),
    (re.compile(rf"(?P<p>{_NUM}) people (?P<op>[<>≤≥=]+) (?P<thr>{_NUM})"),
     lambda m, lg: t("w_ev_pop_cmp", lg, p=_num(m["p"], lg), **_cmp(m, lg))),
    (re.compile(rf"(?P<p>{_NUM}) people"), lambda m, lg: t("w_ev_pop", lg, p=_num(m["p"], lg))),
    (re.compile(rf"population unknown \(the rule needs (?P<n>{_NUM}) people\)"),
     lambda m, lg: t("w_ev_pop_unknown_rule", lg, n=_num(m["n"], lg))),
    (re.compile(r"population unknown"), lambda m, lg: t("w_ev_pop_unknown", lg)),
    (re.compile(r"no electricity layer given"), lambda m, lg: t("w_ev_no_power_layer", lg)),
    (re.compile(r"not on the electricity list"), lambda m, lg: t("w_ev_not_listed", lg)),
]
_PREFIXES = (("fails the rule: ", "w_ev_rule_fails"), ("all of the rule: ", "w_ev_rule_all"),
             ("rule undecided: ", "w_ev_rule_undecided"),
             ("no evidence for this village: ", "w_ev_no_evidence"))


def _atom(text: str, lang: str) -> str:
    for pattern, write in _ATOMS:
        m = pattern.fullmatch(text)
        if m:
            return write(m, lang)
    return text if lang == "en" else t("w_ev_unreadable", lang)



def evidence_text(text: str, lang: str = "vi") -> str:
    """An evidence phrase of ``signal_evidence`` or ``power_evidence`` written in ``lang``
    (numbers in the reader's format). A phrase outside the grammar stays as it is in
    English and reads "bằng chứng khác" in Vietnamese."""
    text = (text or "").strip()
    for prefix, key in _PREFIXES:
        if text.startswith(prefix):
            return t(key, lang, ev=evidence_text(text[len(prefix):], lang))
    parts = []
    for group in _split(text, ("; ",)):
        parts.append(", ".join(_atom(a.strip(), lang) for a in _split(group, (", ",)) if a.strip()))
    return "; ".join(p for p in parts if p)


_NOTES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"the village has no geometry in the input, so nothing could be measured"),
     "w_note_no_geometry"),
    (re.compile(r"the geometry is a (?P<gtype>\w+), not a polygon or point, "
                r"so it was not measured"),
     "w_note_other_geometry"),
    (re.compile(r"its invalid geometry was repaired \(make_valid\)"), "w_note_repaired"),
    (re.compile(r"population unknown in the input"), "w_note_pop_unknown"),
    (re.compile(r"the population raster has no valid pixel here, so the population is unknown"),
     "w_note_raster_empty"),
]



def note_text(notes: str, lang: str = "vi") -> str:
    """The per-village notes (``"; "``-separated, as :mod:`gisapp.pipeline.normalise` writes
    them) in ``lang``."""
    out = []
    for note in (n.strip() for n in notes.split("; ")):
        for pattern, key in _NOTES:
            m = pattern.fullmatch(note)
            if m:
                out.append(t(key, lang, **m.groupdict()))
                break
        else:
            if note:
                out.append(note if lang == "en" else t("w_ev_unreadable", lang))
    return "; ".join(out)


_FACTS = (S.POP, S.SIGNAL_CLASS, S.SIGNAL_EVIDENCE, S.CARRIERS_AT_CENTRE, S.POP_SHARE_ANY,
          S.POWER_STATUS, S.POWER_EVIDENCE, S.WHY)
_POCKET_THR = re.compile(r"\(pocket threshold (\d+(?:\.\d+)?)%\)")
_NOTE = re.compile(r" Note: (.*)\.$")


def _get(row: Mapping[str, Any], col: str) -> Any:
    value = row.get(col) if hasattr(row, "get") else None
    try:
        return None if value is None or pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _signal(row: Mapping[str, Any], lang: str, pocket_share: float | None) -> str:
    sig = str(_get(row, S.SIGNAL_CLASS) or S.SignalClass.UNKNOWN.value)
    share = _get(row, S.POP_SHARE_ANY)
    pct = None if share is None else int(round((1.0 - float(share)) * 100))
    if sig == S.SignalClass.POCKET.value and pocket_share is None:
        m = _POCKET_THR.search(str(_get(row, S.WHY) or ""))
        pocket_share = float(m.group(1)) / 100 if m else None
    return _signal_words(sig, str(_get(row, S.SIGNAL_EVIDENCE) or ""),
                         str(_get(row, S.CARRIERS_AT_CENTRE) or ""), pct, pocket_share, lang)



def _signal_words(sig: str, evidence: str, carriers_raw: str, pct_int: int | None,
                  pocket_share: float | None, lang: str) -> str:
    ev = evidence_text(evidence, lang)
    carriers = ", ".join(carrier_label(c.strip()) for c in carriers_raw.split(",") if c.strip())
    if sig == S.SignalClass.NO_SIGNAL.value:
        return t("w_sig_no_signal", lang, ev=ev)
    if sig == S.SignalClass.COVERED.value:
        return t("w_sig_covered", lang, carriers=carriers)
    if sig == S.SignalClass.POCKET.value:
        pct = N.share(None if pct_int is None else pct_int / 100, lang, digits=0)
        if pocket_share is None:
            return t("w_sig_pocket_nothr", lang, carriers=carriers, pct=pct)
        return t("w_sig_pocket", lang, carriers=carriers, pct=pct,
                 thr=N.share(pocket_share, lang, digits=0))
    return t("w_sig_unknown", lang, ev=ev)



def _people(pop: float | None, lang: str) -> str:
    return t("w_people", lang, n=N.people(pop, lang))



def _power_words(status: str, evidence: str, lang: str) -> str:
    key = {"no": "w_pow_no", "yes": "w_pow_yes"}.get(status, "w_pow_unknown")
    return t(key, lang, ev=evidence_text(evidence, lang))


#: the columns :func:`measured_text` reads, per carrier × technology key
_MEASURED_STEMS = ("dispute__", "meas_samples__", "meas_share_below__")


def measured_text(row: Mapping[str, Any], lang: str = "vi") -> str:
    """The sentences saying that measurements outranked declared coverage, one per
    ``dispute__<key>`` of the row with a value (``""`` without one), from that key's
    ``meas_samples__`` and ``meas_share_below__``. The English ``why`` column carries the
    same sentences (:func:`gisapp.analysis.gaps.explain`)."""
    out = []
    keys = sorted(str(c)[len("dispute__"):] for c in row.keys() if str(c).startswith("dispute__"))
    for key in keys:
        dispute = _get(row, f"dispute__{key}")
        if not dispute:
            continue
        covered = str(dispute) == S.Dispute.MEASURED_NOT_DECLARED.value
        out.append(t("w_meas_overrules", lang, layer=layer_label(key, lang),
                     n=N.number(_get(row, f"meas_samples__{key}"), lang),
                     pct=N.share(_get(row, f"meas_share_below__{key}"), lang, digits=0),
                     verdict=t("w_verdict_covered" if covered else "w_verdict_not_covered", lang)))
    return " ".join(out)


def _one(row: Mapping[str, Any], lang: str, pocket_share: float | None) -> str:
    pop = _get(row, S.POP)
    people = _people(None if pop is None else float(pop), lang)
    pwr = str(_get(row, S.POWER_STATUS) or S.PowerStatus.UNKNOWN.value)
    power = _power_words(pwr, str(_get(row, S.POWER_EVIDENCE) or ""), lang)
    text = f"{people}; {_signal(row, lang, pocket_share)}; {power}."
    text = text[:1].upper() + text[1:]
    measured = measured_text(row, lang)
    if measured:
        text += " " + measured
    m = _NOTE.search(str(_get(row, S.WHY) or ""))
    if m:
        text += " " + t("w_note", lang, notes=note_text(m.group(1), lang))
    return text


def why_text(row_or_frame: Mapping[str, Any] | pd.Series | pd.DataFrame, lang: str = "vi", *,
             pocket_share: float | None = None) -> str | pd.Series:
    """The ``why`` of a village (a row: mapping or Series) or of every village (a frame:
    a Series of str with the frame's index) in ``lang``.

    Built from the same facts as the English ``why`` column: people, signal class and its
    evidence, carriers at the centre, the share of people not covered (pockets), power
    status and its evidence, and the notes. ``pocket_share`` is the pocket threshold of
    the run; without it, it is read from the row's English ``why``.
    """
    if isinstance(row_or_frame, pd.DataFrame):
        cols = [c for c in _FACTS if c in row_or_frame.columns] + [
            c for c in row_or_frame.columns if str(c).startswith(_MEASURED_STEMS)]
        columns = [row_or_frame[c].tolist() for c in cols]
        rows = ([dict(zip(cols, vals)) for vals in zip(*columns)] if cols
                else [{}] * len(row_or_frame))
        return pd.Series([_one(r, lang, pocket_share) for r in rows], index=row_or_frame.index,
                         dtype="object", name=S.WHY)
    return _one(row_or_frame, lang, pocket_share)
