"""Signal and gap classes, evidence and `why` on hand-built per-layer measurements."""

import numpy as np
import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.analysis import gaps
from gisapp.analysis.summary import summarise


def lm(key, carrier, tech, kind, area, pop, centre, date="2025-06-01"):
    idx = pd.Index(range(len(area)))
    frame = pd.DataFrame({"area_share": area, "pop_share": pop,
                          "centre": pd.array(centre, dtype="boolean")}, index=idx)
    return gaps.LayerMeasure(key, carrier, tech, kind, "coverage", date, frame)


@pytest.fixture
def layers():
    # village 0: covered by both; 1: centre covered only by MobiFone 2G, 50 % of people not
    # covered (pocket); 2: nothing at the centre; 3: nothing could judge (NA everywhere)
    return [
        lm("viettel_4g", "Viettel", "4G", "declared", [1.0, 0.1, 0.0, np.nan], [1.0, 0.1, 0.0, np.nan],
           [True, False, False, None]),
        lm("mobifone_2g", "MobiFone", "2G", "modelled", [0.9, 0.5, 0.2, np.nan], [0.95, 0.5, 0.3, np.nan],
           [True, True, False, None]),
    ]


def test_combine_and_classify(layers):
    idx = pd.Index(range(4))
    c = gaps.combine_layers(layers, idx)
    assert c[S.CENTRE_ANY].tolist()[:3] == [True, True, False]
    assert pd.isna(c[S.CENTRE_ANY].iloc[3])
    assert c[S.POP_SHARE_ANY].tolist()[:3] == [1.0, 0.5, 0.3]
    assert c[S.POP_SHARE_4G].tolist()[:3] == [1.0, 0.1, 0.0]
    assert c[S.CARRIERS_AT_CENTRE].tolist() == ["MobiFone, Viettel", "MobiFone", "", ""]
    # the declared layer is stronger evidence than the modelled one
    assert c[S.BEST_LAYER].tolist() == ["viettel_4g", "mobifone_2g", "", ""]
    assert c[S.SIGNAL_KIND].tolist()[:3] == ["declared", "modelled", "declared"]
    assert "none of 2 layers" in c[S.SIGNAL_EVIDENCE].iloc[2]
    assert c[S.N_LAYERS].tolist() == [2, 2, 2, 0]
    sig = gaps.classify_signal(c, pocket_share=0.2)
    assert sig.tolist() == ["covered", "pocket", "no_signal", "unknown"]
    # a pocket threshold above the uncovered share makes village 1 covered
    assert gaps.classify_signal(c, pocket_share=0.6).iloc[1] == "covered"


def test_best_layer_ties_are_not_decided_by_rounding_noise():
    # two layers of the same kind covering the same people; the second is 1e-13 "better"
    # (what another engine's order of sums gives): the first in the config still wins,
    # so the Dask and local engines name the same best layer
    a = lm("viettel_4g", "Viettel", "4G", "declared", [0.5, 0.5], [0.5, 0.5], [True, True])
    b = lm("vnpt_4g", "VNPT", "4G", "declared", [0.5, 0.6], [0.5 + 1e-13, 0.6], [True, True])
    c = gaps.combine_layers([a, b], pd.Index(range(2)))
    assert c[S.BEST_LAYER].tolist() == ["viettel_4g", "vnpt_4g"]


def test_only_counted_technologies(layers):
    idx = pd.Index(range(4))
    c = gaps.combine_layers(layers, idx, technologies=("4G",))
    sig = gaps.classify_signal(c, pocket_share=0.2)
    # without 2G, village 1's centre is not covered any more
    assert sig.tolist()[:3] == ["covered", "no_signal", "no_signal"]


def test_no_layers_is_unknown():
    idx = pd.Index(range(2))
    c = gaps.combine_layers([], idx)
    assert gaps.classify_signal(c, pocket_share=0.2).tolist() == ["unknown", "unknown"]
    assert c[S.SIGNAL_EVIDENCE].tolist() == ["no coverage layer"] * 2


@pytest.mark.parametrize("signal,power,expected", [
    ("no_signal", "no", "no_power_no_signal"),
    ("no_signal", "yes", "no_signal"),
    ("no_signal", "unknown", "no_signal"),
    ("covered", "no", "no_power"),
    ("pocket", "no", "no_power"),
    ("covered", "yes", "served"),
    ("pocket", "yes", "served"),
    ("covered", "unknown", "unknown"),
    ("unknown", "no", "no_power"),
    ("unknown", "yes", "unknown"),
    ("unknown", "unknown", "unknown"),
])
def test_gap_table(signal, power, expected):
    got = gaps.classify_gaps(pd.Series([signal]), pd.Series([power]))
    assert got.iloc[0] == expected


def test_pocket_as_gap():
    got = gaps.classify_gaps(pd.Series(["pocket", "pocket"]), pd.Series(["yes", "no"]), pocket_is_gap=True)
    assert got.tolist() == ["no_signal", "no_power_no_signal"]


def test_explain_and_summary(layers):
    idx = pd.Index(range(4))
    c = gaps.combine_layers(layers, idx)
    v = pd.DataFrame({S.ID: ["a", "b", "c", "d"], S.NAME: ["A", "B", "C", "D"],
                      S.COMMUNE: ["X", "X", "Y", "Y"], S.PROVINCE: "P",
                      S.POP: [100.0, 250.0, 1234.0, np.nan]}, index=idx).join(c)
    v[S.SIGNAL_CLASS] = gaps.classify_signal(c, pocket_share=0.2)
    v[S.POWER_STATUS] = ["yes", "yes", "no", "unknown"]
    v[S.POWER_EVIDENCE] = ["list", "list", "7.2 km from grid", "no electricity layer given"]
    v[S.GAP_CLASS] = gaps.classify_gaps(v[S.SIGNAL_CLASS], v[S.POWER_STATUS])
    why = gaps.explain(v, pocket_share=0.2, notes={3: "no geometry"})
    assert why.iloc[2].startswith("1,234 people; no usable signal at the village centre")
    assert "no electricity: 7.2 km from grid" in why.iloc[2]
    assert "50% of the people are not covered" in why.iloc[1]
    assert why.iloc[3].endswith("Note: no geometry.")
    v[S.FIBRE_REACHED] = pd.array([True, False, None, None], dtype="boolean")
    s = summarise(v)
    prov = s[s.level == "province"].iloc[0]
    assert prov["villages"] == 4
    assert prov["villages_no_power_no_signal"] == 1 and prov["pop_no_power_no_signal"] == 1234
    assert prov["villages_served"] == 2
    assert prov["villages_without_power"] == 1
    # people with 4G: 100*1.0 + 250*0.1 + 1234*0 over 1584 people judged
    assert prov["share_pop_4g"] == pytest.approx(125 / 1584)
    # villages with signal: 2 of 3 judged
    assert prov["share_villages_with_signal"] == pytest.approx(2 / 3)
    assert prov["share_villages_fibre"] == pytest.approx(0.5)
    communes = s[s.level == "commune"]
    assert communes["villages"].sum() == 4
    assert list(s.columns) == list(S.SUMMARY_COLUMNS)


def test_summary_empty_has_schema():
    s = summarise(pd.DataFrame(columns=[S.GAP_CLASS, S.POP, S.SIGNAL_CLASS, S.POWER_STATUS,
                                        S.COMMUNE, S.PROVINCE]))
    assert list(s.columns) == list(S.SUMMARY_COLUMNS) and len(s) == 0


def test_layers_that_cannot_judge_say_so(layers):
    idx = pd.Index(range(4))
    c = gaps.combine_layers(layers, idx)
    assert c[S.SIGNAL_EVIDENCE].iloc[3] == ("none of the 2 coverage layers could judge the centre "
                                            "(outside them, or no data there)")
