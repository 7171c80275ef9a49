"""The ``why`` sentence in the reader's language, from the same facts as the English column.

For each gap class and each evidence the analysis writes (coverage layers, "none of …",
electricity list, grid distance, night lights, the "all" rule and the population test),
the Vietnamese sentence has none of the English sentence's words (names, units and file
names aside) and the same numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.analysis import gaps
from gisapp.analysis.power import power_status
from gisapp.config import PowerRules
from gisapp.i18n.why import evidence_text, note_text, why_text

#: words both sentences may share: names, units, file names
NAMES = {"viettel", "vnpt", "mobifone", "nw", "cm", "sr", "xlsx", "evn", "thon", "chua", "dien", "m"}


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]+", text)}


def _numbers_en(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def _numbers_vi(text: str) -> list[float]:
    return [float(x.replace(".", "").replace(",", ".")) for x in re.findall(r"\d[\d.]*(?:,\d+)?", text)]


def _villages(rules: PowerRules, **power_inputs) -> pd.DataFrame:
    """Eight villages, two per signal class, with power from ``power_status``."""
    idx = pd.RangeIndex(8)
    sig = ["no_signal", "no_signal", "pocket", "pocket", "covered", "covered", "unknown", "unknown"]
    ev = ["none of 7 layers covers the centre (6 declared, 1 modelled)",
          "none of 2 layers covers the centre (2 measured)",
          "coverage viettel_4g (declared, 2025-06-01)", "signal viettel_4g_modelled (modelled, 2025-01-02)",
          "coverage mobifone_2g (declared)", "towers vnpt_4g (modelled)",
          "none of the 3 coverage layers could judge the centre (outside them, or no data there)",
          "no coverage layer"]
    power = power_status(idx, rules=rules, population=pd.Series([1234.0, 40, 99, np.nan, 12, 5000, 7, 0]),
                         **power_inputs)
    return pd.DataFrame({
        S.POP: [1234.0, 40, 99, np.nan, 12, 5000, 7, 0],
        S.SIGNAL_CLASS: sig, S.SIGNAL_EVIDENCE: ev,
        S.CARRIERS_AT_CENTRE: ["", "", "Viettel", "Viettel, VNPT", "MobiFone", "VNPT", "", ""],
        S.POP_SHARE_ANY: [0.0, np.nan, 0.6, 0.25, 1.0, 0.95, np.nan, np.nan],
        **{c: power[c] for c in power.columns},
    }, index=idx)


DIST = pd.Series([12577.0, 300, 2500, np.nan, 800, 7000, 1000, 40])
LIGHTS = pd.Series([0.23, 1.15, np.nan, 0.5, 0.1, 0.0, 0.31, np.nan])
DECLARED = pd.Series(["no", "unknown", "yes", "unknown", "unknown", "no", "unknown", "unknown"])
CASES = {
    "any": (PowerRules(), dict(dist_grid_m=DIST, lights=LIGHTS)),
    "any_population": (PowerRules(min_population=50), dict(dist_grid_m=DIST, lights=LIGHTS)),
    "all": (PowerRules(combine="all", min_population=20, strict=True), dict(dist_grid_m=DIST, lights=LIGHTS)),
    "declared": (PowerRules(), dict(declared=DECLARED, declared_source="electricity list evn_thon_chua_dien.xlsx",
                                    declared_date="2025-05-15", dist_grid_m=DIST)),
    "nothing": (PowerRules(), {}),
    "only_declared": (PowerRules(), dict(declared=DECLARED)),
}


@pytest.fixture(params=sorted(CASES))
def villages(request) -> pd.DataFrame:
    rules, inputs = CASES[request.param]
    v = _villages(rules, **inputs)
    v[S.GAP_CLASS] = gaps.classify_gaps(v[S.SIGNAL_CLASS], v[S.POWER_STATUS])
    notes = {0: "its invalid geometry was repaired (make_valid)",
             6: "the village has no geometry in the input, so nothing could be measured; "
                "population unknown in the input"}
    v[S.WHY] = gaps.explain(v, pocket_share=0.2, notes=notes)
    return v


def test_english_is_the_stored_why_with_grouped_numbers(villages):
    en = why_text(villages, "en")
    for stored, built in zip(villages[S.WHY], en):
        assert _numbers_en(built) == _numbers_en(stored)
        assert built.replace(",", "") == stored.replace(",", "") or _words(built) == _words(stored)


def test_vietnamese_has_no_english_words_and_the_same_numbers(villages):
    vi, en = why_text(villages, "vi"), why_text(villages, "en")
    assert villages[S.GAP_CLASS].nunique() > 1
    for v_text, e_text in zip(vi, en):
        leaked = (_words(v_text) & _words(e_text)) - NAMES
        assert not leaked, (leaked, v_text)
        assert "bằng chứng khác" not in v_text, v_text     # every phrase was read
        assert _numbers_vi(v_text) == _numbers_en(e_text), (v_text, e_text)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_gap_class_gets_a_sentence(lang):
    rows = []
    for sig, pwr in [("no_signal", "no"), ("no_signal", "yes"), ("covered", "no"), ("covered", "yes"),
                     ("unknown", "unknown"), ("pocket", "unknown")]:
        rows.append({S.POP: 747.0, S.SIGNAL_CLASS: sig, S.POWER_STATUS: pwr, S.POP_SHARE_ANY: 0.5,
                     S.CARRIERS_AT_CENTRE: "Viettel", S.SIGNAL_EVIDENCE: "no coverage layer",
                     S.POWER_EVIDENCE: "1234 m from MV grid line"})
    frame = pd.DataFrame(rows)
    gap = gaps.classify_gaps(frame[S.SIGNAL_CLASS], frame[S.POWER_STATUS])
    assert set(gap) == {g.value for g in S.GapClass}
    out = why_text(frame, lang, pocket_share=0.3)
    assert out.str.startswith("747 ").all()          # 747 people, never "747.000"
    assert out.str.contains("1.234 m" if lang == "vi" else "1,234 m").all()
    assert why_text(rows[0], lang) == out.iloc[0]    # one row, as a mapping


def test_missing_facts_read_as_a_dash():
    text = why_text({S.SIGNAL_CLASS: None}, "vi")
    assert text.startswith("– người") and "None" not in text and "nan" not in text


def test_unknown_phrases_do_not_leak_english():
    assert evidence_text("some new phrase", "vi") == "bằng chứng khác"
    assert evidence_text("some new phrase", "en") == "some new phrase"
    assert note_text("population unknown in the input", "vi") == "số dân trong dữ liệu đầu vào bị trống hoặc sai"
