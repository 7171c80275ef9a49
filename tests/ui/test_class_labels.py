"""Issue 12, finding 5: class labels say exactly which states each class holds.

The states of each gap class are not written down here: they are found by running
:func:`gisapp.analysis.gaps.classify_gaps` over every signal × power combination. Each
series label (the Progress page's series, its chart and its export) and each gap label
is then checked in both languages: the head names the class's own gap, and a
"(dimension: states)" note, when there is one, lists exactly the states the class holds.
"""

from __future__ import annotations

import itertools
import re

import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.analysis.gaps import classify_gaps
from gisapp.config import SERIES
from gisapp.i18n import gap_label, t

SIG = {"no_signal": "no", "pocket": "yes", "covered": "yes", "unknown": "unknown"}
#: words for the gap in the head and for each state in the note, per language
HEAD = {"en": {"signal": r"\bno signal", "power": r"\bno power"},
        "vi": {"signal": r"chưa (có )?sóng", "power": r"chưa (có )?điện"}}
DIM = {"en": {"signal": "signal", "power": "power"}, "vi": {"signal": "sóng", "power": "điện"}}
STATE = {"en": {"yes": "yes", "no": "no", "unknown": "unknown", "any": "any"},
         "vi": {"yes": "có", "no": "không", "unknown": "chưa rõ", "any": "bất kỳ"}}


def _states() -> dict[str, dict[str, set[str]]]:
    """gap class → {"signal": states, "power": states} it is given for."""
    combos = list(itertools.product(list(SIG), [str(p) for p in S.PowerStatus]))
    sig = pd.Series([c[0] for c in combos])
    pwr = pd.Series([c[1] for c in combos])
    cls = classify_gaps(sig, pwr)
    out: dict[str, dict[str, set[str]]] = {}
    for (s, p), c in zip(combos, cls):
        d = out.setdefault(c, {"signal": set(), "power": set()})
        d["signal"].add(SIG[s])
        d["power"].add(p)
    return out


def _series_states(key: str) -> dict[str, set[str]]:
    st = _states()
    return {dim: set().union(*(st[c][dim] for c in SERIES[key] if c in st))
            for dim in ("signal", "power")}


def _note(label: str) -> tuple[str, str | None, set[str] | None]:
    m = re.fullmatch(r"(.*?) \((\w+): (.*)\)", label)
    if not m:
        return label, None, None
    words = {w.strip() for w in re.split(r",| or | hoặc ", m.group(3)) if w.strip()}
    return m.group(1), m.group(2), words


def _check(label: str, states: dict[str, set[str]], lang: str) -> None:
    head, dim, words = _note(label)
    assert dim is not None or "(" not in label, (
        f"{label!r}: a note must say '(dimension: states)' so that it can be checked")
    gaps = [d for d in ("signal", "power") if states[d] == {"no"}]
    for d in gaps:
        assert re.search(HEAD[lang][d], head, re.I), (label, states)
    for d in ("signal", "power"):
        if states[d] != {"no"}:
            assert not re.search(HEAD[lang][d], head, re.I), (
                f"{label!r} claims no {d}, but holds {states[d]}")
    if dim is None:
        return
    d = next(k for k, v in DIM[lang].items() if v == dim)
    want = ({STATE[lang]["any"]} if states[d] == {"yes", "no", "unknown"}
            else {STATE[lang][s] for s in states[d]})
    assert words == want, f"{label!r}: its note says {words}, the class holds {states[d]}"


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("key", [k for k in SERIES if k != "unknown"])
def test_series_label_names_the_class_state(key, lang):
    _check(t(f"series_{key}", lang), _series_states(key), lang)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("gap", [str(g) for g in S.GapClass if g not in ("unknown", "served")])
def test_gap_label_names_the_class_state(gap, lang):
    _check(gap_label(gap, lang), _states()[gap], lang)


def test_signal_unknown_no_power_is_not_called_with_signal():
    """The finding itself: grid layer, no coverage → signal unknown, power no."""
    cls = classify_gaps(pd.Series(["unknown"]), pd.Series(["no"]))[0]
    for lang in ("vi", "en"):
        for key, classes in SERIES.items():
            if cls in classes:
                label = t(f"series_{key}", lang)
                assert "with signal" not in label and "(có sóng)" not in label, label
