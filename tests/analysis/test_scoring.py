"""The priority score: parts in [0, 1], ranks, tiers, and weights moving scores the right way."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from gisapp import schema as S
from gisapp.analysis.scoring import score
from gisapp.config import WEIGHT_PRESETS, Weights


def villages(n=5):
    return pd.DataFrame({
        S.ID: [f"v{i}" for i in range(n)],
        S.GAP_CLASS: ["no_power_no_signal", "no_signal", "no_power", "served", "unknown"][:n],
        S.POP: [100.0, 1000.0, 10.0, 500.0, 50.0][:n],
        S.DIST_GRID_M: [12_000.0, 500.0, 5_000.0, 0.0, 1.0][:n],
        S.DIST_SITE_M: [8_000.0, 2_000.0, 20_000.0, 0.0, 0.0][:n],
        S.N_FACILITIES: [1, 3, 0, 2, 0][:n],
    })


def test_hand_worked_score():
    w = Weights(population=0.4, dist_grid=0.2, dist_site=0.2, facilities=0.2)
    out = score(villages(), w)
    # village 0: pop part log1p(100)/log1p(1000); grid 1 (capped); site 0.8; facilities 1/3
    part_pop = np.log1p(100) / np.log1p(1000)
    expected = 100 * 1.0 * (0.4 * part_pop + 0.2 * 1.0 + 0.2 * 0.8 + 0.2 / 3)
    assert out.loc[0, S.PRIORITY_SCORE] == pytest.approx(expected)
    assert out.loc[1, "score_pop"] == pytest.approx(1.0)
    # served and unknown villages are not ranked
    assert out.loc[3, S.PRIORITY_TIER] == "none" and pd.isna(out.loc[3, S.PRIORITY_RANK])
    assert out.loc[4, S.PRIORITY_TIER] == "none" and pd.isna(out.loc[4, S.PRIORITY_SCORE])
    assert sorted(out[S.PRIORITY_RANK].dropna().tolist()) == [1, 2, 3]
    assert set(out.loc[:2, S.PRIORITY_TIER]) <= {"high", "medium", "low"}


def test_missing_layer_is_left_out_not_zero():
    v = villages().drop(columns=[S.DIST_GRID_M])
    out = score(v, Weights(population=0.5, dist_grid=0.5, dist_site=0.0, facilities=0.0))
    # only the population part counts: the best-populated gap village scores 100 × 0.8
    assert out.loc[1, S.PRIORITY_SCORE] == pytest.approx(80.0)
    assert out["score_grid"].isna().all()


def test_presets_change_the_order():
    v = villages()
    a = score(v, WEIGHT_PRESETS["people_first"])
    b = score(v, WEIGHT_PRESETS["remote_first"])
    assert a[S.PRIORITY_RANK].tolist() != b[S.PRIORITY_RANK].tolist()


gap_classes = st.sampled_from(["no_power_no_signal", "no_signal", "no_power", "served", "unknown"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(gap_classes, st.floats(0, 5000), st.floats(0, 30000), st.floats(0, 30000),
                       st.integers(0, 6)), min_size=2, max_size=30),
    st.floats(0.05, 1), st.floats(0.05, 1), st.floats(0.05, 1), st.floats(0.05, 1),
    st.floats(0.1, 2.0),
)
def test_scores_bounded_and_monotone_in_weights(rows, wp, wg, ws, wf, bump):
    v = pd.DataFrame(rows, columns=[S.GAP_CLASS, S.POP, S.DIST_GRID_M, S.DIST_SITE_M, S.N_FACILITIES])
    v[S.ID] = [f"v{i}" for i in range(len(v))]
    base = score(v, Weights(population=wp, dist_grid=wg, dist_site=ws, facilities=wf))
    parts = base[["score_pop", "score_grid", "score_site", "score_facilities"]]
    assert ((parts >= 0) & (parts <= 1) | parts.isna()).all().all()
    s = base[S.PRIORITY_SCORE]
    assert ((s >= 0) & (s <= 100) | s.isna()).all()
    ranked = v[S.GAP_CLASS].isin(["no_power_no_signal", "no_signal", "no_power"])
    assert base[S.PRIORITY_RANK].notna().sum() == ranked.sum()
    # raising the population weight never lowers a village's score relative to one with a
    # smaller population part (same class): the gap between them can only grow
    more = score(v, Weights(population=wp + bump, dist_grid=wg, dist_site=ws, facilities=wf))
    r = v.index[ranked & v[S.GAP_CLASS].eq("no_signal")]
    for i in r:
        for j in r:
            if base.loc[i, "score_pop"] > base.loc[j, "score_pop"] + 1e-12:
                before = base.loc[i, S.PRIORITY_SCORE] - base.loc[j, S.PRIORITY_SCORE]
                after = more.loc[i, S.PRIORITY_SCORE] - more.loc[j, S.PRIORITY_SCORE]
                other_i = base.loc[i, ["score_grid", "score_site", "score_facilities"]].fillna(0)
                other_j = base.loc[j, ["score_grid", "score_site", "score_facilities"]].fillna(0)
                if (other_i <= other_j + 1e-12).all():  # i's lead comes from people
                    assert after >= before - 1e-9
