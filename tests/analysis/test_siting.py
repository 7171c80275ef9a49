"""Site selection: exact equals brute force on small cases, greedy within its bound,
budgets respected, candidates and coverage matrices on hand-made layouts."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from affine import Affine
from shapely.geometry import Point

from gisapp.analysis.siting import (
    candidates_from_dem_peaks, candidates_from_villages, coverage_matrix, lp_bound, select_sites,
    sites_to_frame,
)


def _brute(a: np.ndarray, w: np.ndarray, n_sites=None, budget=None, costs=None):
    nc = a.shape[0]
    best = 0.0
    for k in range(nc + 1):
        if n_sites is not None and k > n_sites:
            break
        for sub in itertools.combinations(range(nc), k):
            if budget is not None and costs[list(sub)].sum() > budget + 1e-9:
                continue
            val = w[a[list(sub)].any(axis=0)].sum() if sub else 0.0
            best = max(best, val)
    return best


def _case(seed, nc=None, nv=30):
    rng = np.random.default_rng(seed)
    nc = nc or int(rng.integers(4, 13))
    a = rng.random((nc, nv)) < rng.uniform(0.08, 0.3)
    w = rng.integers(0, 500, nv).astype(float)
    costs = rng.integers(1, 10, nc).astype(float) * 10_000
    return a, w, costs


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force(seed):
    a, w, costs = _case(seed)
    n = int(np.random.default_rng(seed).integers(1, 5))
    res = select_sites(sp.csr_matrix(a), w, n_sites=n, method="exact")
    assert res.method == "exact" and len(res.chosen) <= n
    assert res.served_weight == pytest.approx(_brute(a, w, n_sites=n))
    assert res.gap == pytest.approx(0.0, abs=1e-6)
    budget = float(np.median(costs) * 2)
    rb = select_sites(a, w, budget=budget, site_costs=costs, method="exact")
    assert costs[rb.chosen].sum() <= budget and rb.cost == costs[rb.chosen].sum()
    assert rb.served_weight == pytest.approx(_brute(a, w, budget=budget, costs=costs))


@pytest.mark.parametrize("seed", range(8))
def test_greedy_within_its_bound_of_exact(seed):
    a, w, costs = _case(100 + seed, nc=12, nv=60)
    exact = select_sites(a, w, n_sites=3, method="exact")
    greedy = select_sites(a, w, n_sites=3, method="greedy")
    assert greedy.method == "greedy"
    assert greedy.served_weight <= exact.served_weight + 1e-9
    assert greedy.bound >= exact.served_weight - 1e-6          # a true upper bound
    assert greedy.served_weight >= (1 - 1 / np.e) * exact.served_weight - 1e-9
    budget = 30_000.0
    gb = select_sites(a, w, budget=budget, site_costs=costs, method="greedy")
    eb = select_sites(a, w, budget=budget, site_costs=costs, method="exact")
    assert costs[gb.chosen].sum() <= budget
    assert gb.bound >= eb.served_weight - 1e-6 >= gb.served_weight - 1e-6


def test_pulp_solver_agrees():
    a, w, _ = _case(7, nc=10, nv=40)
    s1 = select_sites(a, w, n_sites=2, method="exact", solver="scipy")
    s2 = select_sites(a, w, n_sites=2, method="exact", solver="pulp")
    assert s1.served_weight == pytest.approx(s2.served_weight)


def test_hand_case_and_errors():
    # candidate 0 covers villages 0,1 (100 + 100), 1 covers 2 (150), 2 covers 1,2 (100 + 150)
    a = np.array([[1, 1, 0], [0, 0, 1], [0, 1, 1]], dtype=bool)
    w = np.array([100.0, 100.0, 150.0])
    r1 = select_sites(a, w, n_sites=1, method="exact")
    assert list(r1.chosen) == [2] and r1.served_weight == 250
    r2 = select_sites(a, w, n_sites=2, method="exact")
    assert r2.served_weight == 350
    assert lp_bound(a, w, n_sites=1) >= 250
    with pytest.raises(ValueError, match="give n_sites, budget, or both"):
        select_sites(a, w)
    with pytest.raises(ValueError, match="a budget needs site_costs"):
        select_sites(a, w, budget=10)
    with pytest.raises(ValueError, match="cover has 3 villages but weights has 2"):
        select_sites(a, w[:2], n_sites=1)
    empty = select_sites(sp.csr_matrix((0, 0), dtype=bool), np.zeros(0), n_sites=3)
    assert empty.chosen.size == 0 and empty.served_weight == 0


def test_coverage_matrix_candidates_and_frame():
    crs = "EPSG:32648"
    villages = gpd.GeoDataFrame(
        {"village_id": ["a", "b", "c", "d"], "pop": [100, 200, 300, 50]},
        geometry=[Point(0, 0), Point(1_500, 0), Point(5_000, 0), Point(5_000, 1_900).buffer(50)],
        crs=crs)
    cands = candidates_from_villages(villages)
    assert list(cands["village_id"]) == ["a", "b", "c", "d"] and cands.crs == villages.crs
    cov = coverage_matrix(cands, villages, radius_m=2_000.0)
    assert sp.isspmatrix_csr(cov) or isinstance(cov, sp.csr_matrix)
    np.testing.assert_array_equal(cov.toarray(), [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    vis = np.ones((4, 4), bool)
    vis[2, 3] = False                                   # a ridge between c and d
    cov2 = coverage_matrix(cands, villages, radius_m=2_000.0, visibility=vis)
    assert not cov2[2, 3] and cov2[3, 2]
    w = villages["pop"].to_numpy(float)
    res = select_sites(cov, w, n_sites=2, method="exact")
    assert res.served_weight == 650
    costs = np.array([80_000.0, 90_000.0, 70_000.0, 60_000.0])
    frame = sites_to_frame(res, cands, villages, cov, w, site_costs=costs)
    assert frame["pop_served"].sum() == 650 and frame.crs == villages.crs
    assert set(", ".join(frame["villages_served"]).split(", ")) == {"a", "b", "c", "d"}
    with pytest.raises(ValueError, match="same CRS"):
        coverage_matrix(cands.to_crs(4326), villages, radius_m=1.0)


def test_dem_peaks_are_separated_and_highest_first():
    tr = Affine(100.0, 0, 0, 0, -100.0, 10_000)
    y, x = np.mgrid[0:100, 0:100]
    dem = 500 * np.exp(-((x - 20) ** 2 + (y - 20) ** 2) / 50) + 300 * np.exp(-((x - 70) ** 2 + (y - 60) ** 2) / 50)
    dem[22, 22] += 0.0
    peaks = candidates_from_dem_peaks(dem, tr, n=5, min_separation_m=2_000.0, crs="EPSG:32648")
    assert len(peaks) >= 2
    assert peaks["elevation_m"].iloc[0] == pytest.approx(500, abs=1)
    first, second = peaks.geometry.iloc[0], peaks.geometry.iloc[1]
    assert (first.x, first.y) == (2_050.0, 7_950.0) and (second.x, second.y) == (7_050.0, 3_950.0)
    d = peaks.geometry.apply(lambda p: peaks.geometry.distance(p).replace(0, np.inf).min())
    assert (d >= 2_000).all()
