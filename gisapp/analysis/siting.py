"""New-site selection: the maximal-coverage location problem (MCLP).

Choose sites among candidates so that the most *unserved people* are covered, with at
most ``n_sites`` sites and/or total cost within ``budget``:

    maximise   Σ_i w_i y_i
    subject to y_i ≤ Σ_j a_ij x_j     (village i counts only if a chosen site covers it)
               Σ_j x_j ≤ N,  Σ_j c_j x_j ≤ B,  x_j ∈ {0, 1},  0 ≤ y_i ≤ 1

(Church & ReVelle 1974). ``a`` is a sparse candidates × villages coverage matrix
(:func:`coverage_matrix`).

* ``exact``: the MILP with HiGHS — through ``scipy.optimize.milp`` (sparse matrices,
  no per-village Python objects, and it reports the dual bound when stopped by the time
  limit), or through PuLP (``solver="pulp"``: PuLP's HiGHS, else its bundled CBC).
* ``greedy``: add the site with the largest marginal gain (per dollar under a budget).
  For a cardinality constraint greedy is within (1 − 1/e) of the optimum (Nemhauser,
  Wolsey & Fisher 1978); the reported ``bound`` is the smaller of greedy / (1 − 1/e)
  and the LP-relaxation optimum. Under a budget the bound is the LP relaxation (and
  the best single affordable site is compared, as in Khuller, Moss & Naor 1999).
* ``auto``: exact when the candidates are at most ``max_exact_candidates``, else greedy.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from gisapp import schema as S

__all__ = [
    "SitingResult", "candidates_from_villages", "candidates_from_dem_peaks", "coverage_matrix",
    "select_sites", "sites_to_frame", "lp_bound",
]

log = logging.getLogger(__name__)

_GREEDY_RATIO = 1.0 - 1.0 / math.e


@dataclass(frozen=True)
class SitingResult:
    """Chosen candidate indices (in order of choice for greedy), the people they serve,
    an upper bound on the optimum, the method used and the relative gap
    ``(bound − served) / bound``."""

    chosen: np.ndarray
    served_weight: float
    bound: float
    method: str
    gap: float
    cost: float = 0.0


# --- candidates ---------------------------------------------------------------------

def candidates_from_villages(
    villages: gpd.GeoDataFrame,
    *,
    mask: np.ndarray | pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites at village centres (a point inside each polygon).

    Parameters
    ----------
    villages
        Villages (polygons or points) in a metric CRS.
    mask
        Optional boolean selection (e.g. the gap villages).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``source`` ("village"), ``village_id`` (when the column exists) and point
        geometry in the villages' CRS; index 0..n−1.
    """
    v = villages if mask is None else villages[np.asarray(mask, dtype=bool)]
    pts = v.geometry.representative_point()
    data = {"source": np.full(len(v), "village", dtype=object)}
    if S.ID in v.columns:
        data[S.ID] = v[S.ID].to_numpy()
    return gpd.GeoDataFrame(data, geometry=pts.to_numpy(), crs=villages.crs)


def candidates_from_dem_peaks(
    dem: np.ndarray,
    transform: Any,
    *,
    n: int,
    min_separation_m: float,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """The ``n`` highest local maxima of a DEM, at least ``min_separation_m`` apart.

    Local maxima are found with a moving maximum over a window of the separation;
    they are then taken from the highest down, skipping any closer than the
    separation to one already taken.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``source`` ("dem_peak"), ``elevation_m`` and point geometry (pixel
        centres) in ``crs``; highest first.
    """
    from scipy.ndimage import maximum_filter

    z = np.asarray(dem, dtype=float)
    px = float(min(abs(transform.a), abs(transform.e)))
    size = max(int(round(min_separation_m / px)) | 1, 3)
    zf = np.where(np.isfinite(z), z, -np.inf)
    peaks = (zf == maximum_filter(zf, size=size, mode="nearest")) & np.isfinite(z)
    r, c = np.nonzero(peaks)
    order = np.argsort(-zf[r, c], kind="stable")
    r, c = r[order], c[order]
    xs = transform.c + (c + 0.5) * transform.a + (r + 0.5) * transform.b
    ys = transform.f + (c + 0.5) * transform.d + (r + 0.5) * transform.e
    keep: list[int] = []
    taken = np.empty((0, 2))
    for k in range(len(r)):          # loop over peaks (few), not villages or pixels
        if len(keep) >= n:
            break
        if taken.size and np.min(np.hypot(taken[:, 0] - xs[k], taken[:, 1] - ys[k])) < min_separation_m:
            continue
        keep.append(k)
        taken = np.vstack([taken, [xs[k], ys[k]]])
    keep_a = np.array(keep, dtype=int)
    return gpd.GeoDataFrame(
        {"source": np.full(len(keep_a), "dem_peak", dtype=object), "elevation_m": zf[r[keep_a], c[keep_a]]},
        geometry=gpd.points_from_xy(xs[keep_a], ys[keep_a]), crs=crs,
    )


def _xy(obj: Any) -> np.ndarray:
    if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
        geom = obj.geometry
        if not geom.geom_type.eq("Point").all():
            geom = geom.representative_point()
        return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
    return np.asarray(obj, dtype=float).reshape(-1, 2)


def coverage_matrix(
    candidates: Any,
    villages: Any,
    *,
    radius_m: float | np.ndarray | None = None,
    visibility: Any = None,
) -> sp.csr_matrix:
    """Which candidate would cover which village: a sparse boolean candidates × villages matrix.

    Parameters
    ----------
    candidates, villages
        GeoDataFrames in the same metric CRS (villages by a point inside them) or
        ``(n, 2)`` coordinate arrays.
    radius_m
        Coverage radius (scalar or per candidate).
    visibility
        Optional candidates × villages boolean matrix (dense or sparse), e.g. line of
        sight from a DEM, combined with the radius by AND; alone when no radius.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``bool`` of shape (n_candidates, n_villages).
    """
    for a, b in ((candidates, villages),):
        if isinstance(a, gpd.GeoDataFrame | gpd.GeoSeries) and isinstance(b, gpd.GeoDataFrame | gpd.GeoSeries):
            if a.crs is not None and b.crs is not None and not a.crs.equals(b.crs):
                raise ValueError("candidates and villages must be in the same CRS")
            if a.crs is not None and a.crs.is_geographic:
                raise ValueError("coverage needs a metric CRS, not degrees")
    cxy, vxy = _xy(candidates), _xy(villages)
    nc, nv = len(cxy), len(vxy)
    if radius_m is None and visibility is None:
        raise ValueError("give radius_m, visibility, or both")
    if radius_m is None:
        return sp.csr_matrix(visibility, dtype=bool, shape=(nc, nv))
    rad = np.broadcast_to(np.asarray(radius_m, dtype=float), (nc,))
    if nc == 0 or nv == 0:
        cov = sp.csr_matrix((nc, nv), dtype=bool)
    else:
        tree = cKDTree(vxy)
        hits = tree.query_ball_point(cxy, r=rad)
        lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=nc)
        cols = np.fromiter((j for h in hits for j in h), dtype=np.int64, count=int(lens.sum()))
        indptr = np.concatenate([[0], np.cumsum(lens)])
        cov = sp.csr_matrix((np.ones(cols.size, dtype=bool), cols, indptr), shape=(nc, nv))
        cov.sort_indices()
    if visibility is not None:
        cov = cov.multiply(sp.csr_matrix(visibility, dtype=bool)).tocsr().astype(bool)
    return cov


# --- selection ------------------------------------------------------------------------

def _prepare(cover: Any, weights: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    a = sp.csr_matrix(cover, dtype=bool)
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    if a.shape[1] != w.size:
        raise ValueError(f"cover has {a.shape[1]} villages but weights has {w.size}")
    if np.any(w < 0):
        raise ValueError("weights (unserved people) must not be negative")
    return a, w


def _served(a: sp.csr_matrix, w: np.ndarray, chosen: np.ndarray) -> float:
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(a[chosen].sum(axis=0)).ravel() > 0
    return float(w[hit].sum())


def _reduced(a: sp.csr_matrix, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Keep only villages with weight that some candidate covers (smaller MILP)."""
    keep = (w > 0) & (np.asarray(a.sum(axis=0)).ravel() > 0)
    return a[:, keep].tocsc().tocsr(), w[keep]


def _constraints(a: sp.csr_matrix, w: np.ndarray, n_sites: int | None, budget: float | None,
                 costs: np.ndarray) -> tuple[np.ndarray, Any, Any]:
    from scipy.optimize import LinearConstraint

    nc, nv = a.shape
    c = np.concatenate([np.zeros(nc), -w])
    # y_i - sum_j a_ij x_j <= 0
    rows = [sp.hstack([-a.T.astype(float), sp.identity(nv, format="csr")], format="csr")]
    ub = [np.zeros(nv)]
    if n_sites is not None:
        rows.append(sp.csr_matrix(np.concatenate([np.ones(nc), np.zeros(nv)])[None, :]))
        ub.append(np.array([float(n_sites)]))
    if budget is not None:
        rows.append(sp.csr_matrix(np.concatenate([costs, np.zeros(nv)])[None, :]))
        ub.append(np.array([float(budget)]))
    A = sp.vstack(rows, format="csr")
    u = np.concatenate(ub)
    return c, LinearConstraint(A, -np.inf, u), (nc, nv)


def lp_bound(cover: Any, weights: np.ndarray, *, n_sites: int | None = None,
             budget: float | None = None, site_costs: np.ndarray | None = None) -> float:
    """Optimum of the LP relaxation (x in [0, 1]): an upper bound on the MCLP optimum."""
    from scipy.optimize import Bounds, milp

    a, w = _prepare(cover, weights)
    costs = np.ones(a.shape[0]) if site_costs is None else np.asarray(site_costs, float)
    a, w = _reduced(a, w)
    if w.size == 0:
        return 0.0
    c, cons, (nc, nv) = _constraints(a, w, n_sites, budget, costs)
    res = milp(c, constraints=cons, bounds=Bounds(0, 1), integrality=np.zeros(nc + nv))
    if res.x is None:
        raise RuntimeError(f"LP relaxation failed: {res.message}")
    return float(-res.fun)


def _exact_scipy(a: sp.csr_matrix, w: np.ndarray, n_sites: int | None, budget: float | None,
                 costs: np.ndarray, time_limit_s: float) -> tuple[np.ndarray, float, str]:
    from scipy.optimize import Bounds, milp

    a_r, w_r = _reduced(a, w)
    if w_r.size == 0:
        return np.array([], dtype=int), 0.0, "exact"
    c, cons, (nc, nv) = _constraints(a_r, w_r, n_sites, budget, costs)
    integrality = np.concatenate([np.ones(nc), np.zeros(nv)])
    res = milp(c, constraints=cons, bounds=Bounds(0, 1), integrality=integrality,
               options={"time_limit": float(time_limit_s), "disp": False})
    if res.x is None:
        raise RuntimeError(f"MILP solver failed: {res.message}")
    chosen = np.flatnonzero(res.x[:nc] > 0.5)
    bound = getattr(res, "mip_dual_bound", None)
    bound = float(-bound) if bound is not None and np.isfinite(bound) else float(-res.fun)
    return chosen, bound, "exact" if res.status == 0 else "exact_time_limit"


def _exact_pulp(a: sp.csr_matrix, w: np.ndarray, n_sites: int | None, budget: float | None,
                costs: np.ndarray, time_limit_s: float) -> tuple[np.ndarray, float, str]:
    import pulp

    a_r, w_r = _reduced(a, w)
    nc = a_r.shape[0]
    if w_r.size == 0:
        return np.array([], dtype=int), 0.0, "exact"
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    add = getattr(prob, "add_variable", None)       # PuLP >= 3.3; LpVariable(...) before
    var = add if add is not None else pulp.LpVariable
    x = [var(f"x{j}", cat="Binary") for j in range(nc)]
    y = [var(f"y{i}", lowBound=0, upBound=1) for i in range(w_r.size)]
    prob += pulp.lpSum(float(w_r[i]) * y[i] for i in range(w_r.size))
    at = a_r.T.tocsr()
    for i in range(w_r.size):
        prob += y[i] <= pulp.lpSum(x[j] for j in at.indices[at.indptr[i]:at.indptr[i + 1]])
    if n_sites is not None:
        prob += pulp.lpSum(x) <= n_sites
    if budget is not None:
        prob += pulp.lpSum(float(costs[j]) * x[j] for j in range(nc)) <= budget
    solver = None
    try:
        cand = pulp.HiGHS(msg=False, timeLimit=time_limit_s)
        if cand.available():
            solver = cand
    except Exception:  # noqa: BLE001 - an older PuLP without the HiGHS API
        solver = None
    if solver is None:
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    status = prob.solve(solver)
    chosen = np.array([j for j in range(nc) if (x[j].value() or 0) > 0.5], dtype=int)
    value = float(pulp.value(prob.objective) or 0.0)
    log.info("PuLP %s: %s", solver.name, pulp.LpStatus[status])
    return chosen, value, "exact" if pulp.LpStatus[status] == "Optimal" else "exact_time_limit"


def _greedy(a: sp.csr_matrix, w: np.ndarray, n_sites: int | None, budget: float | None,
            costs: np.ndarray) -> np.ndarray:
    nc = a.shape[0]
    af = a.astype(np.float64).tocsr()
    remaining = w.copy()
    chosen: list[int] = []
    avail = np.ones(nc, dtype=bool)
    spent = 0.0
    limit = n_sites if n_sites is not None else nc
    while len(chosen) < limit:
        gain = af @ remaining
        ok = avail.copy()
        if budget is not None:
            ok &= costs <= budget - spent + 1e-9
        if not ok.any():
            break
        score = gain / costs if budget is not None else gain
        score = np.where(ok, score, -np.inf)
        j = int(np.argmax(score))
        if gain[j] <= 0:
            break
        chosen.append(j)
        avail[j] = False
        spent += costs[j]
        remaining[a[j].indices] = 0.0
    ch = np.array(chosen, dtype=int)
    if budget is not None:
        # compare with the best single affordable site (Khuller et al.)
        single = np.where(costs <= budget, af @ w, -np.inf)
        if n_sites is None or n_sites >= 1:
            j = int(np.argmax(single))
            if np.isfinite(single[j]) and single[j] > _served(a, w, ch):
                ch = np.array([j], dtype=int)
    return ch


def select_sites(
    cover: Any,
    weights: np.ndarray,
    *,
    n_sites: int | None = None,
    budget: float | None = None,
    site_costs: np.ndarray | None = None,
    method: Literal["auto", "exact", "greedy"] = "auto",
    solver: Literal["scipy", "pulp"] = "scipy",
    time_limit_s: float = 30.0,
    max_exact_candidates: int = 2_000,
) -> SitingResult:
    """Choose sites that cover the most unserved people (maximal-coverage location problem).

    Parameters
    ----------
    cover
        Sparse (or dense) boolean candidates × villages matrix (:func:`coverage_matrix`).
    weights
        Unserved people per village (NaN → 0).
    n_sites, budget
        At most this many sites; total ``site_costs`` within this budget (USD). At
        least one must be given.
    site_costs
        Cost per candidate (USD), required with ``budget``.
    method
        ``"exact"`` (MILP), ``"greedy"``, or ``"auto"`` (exact up to
        ``max_exact_candidates`` candidates).
    solver
        MILP interface: ``"scipy"`` (HiGHS via ``scipy.optimize.milp``) or ``"pulp"``.
    time_limit_s
        Time limit of the MILP; the best solution found is returned with its gap.

    Returns
    -------
    SitingResult
        ``chosen`` candidate indices, ``served_weight`` (people covered), ``bound`` (an
        upper bound on the optimum), ``method`` (``exact``, ``exact_time_limit``,
        ``greedy``), ``gap`` = (bound − served) / bound, ``cost`` of the chosen sites.

    Raises
    ------
    ValueError
        Neither ``n_sites`` nor ``budget``; ``budget`` without ``site_costs``;
        mismatched shapes; negative weights.
    """
    if n_sites is None and budget is None:
        raise ValueError("give n_sites, budget, or both")
    if budget is not None and site_costs is None:
        raise ValueError("a budget needs site_costs (one cost per candidate)")
    a, w = _prepare(cover, weights)
    nc = a.shape[0]
    costs = np.ones(nc) if site_costs is None else np.asarray(site_costs, dtype=float)
    if costs.size != nc:
        raise ValueError(f"site_costs has {costs.size} values for {nc} candidates")
    if method not in ("auto", "exact", "greedy"):
        raise ValueError(f"method must be 'auto', 'exact' or 'greedy', not '{method}'")
    use_exact = method == "exact" or (method == "auto" and nc <= max_exact_candidates)
    t0 = time.perf_counter()
    if use_exact:
        fn = _exact_pulp if solver == "pulp" else _exact_scipy
        chosen, bound, used = fn(a, w, n_sites, budget, costs, time_limit_s)
        served = _served(a, w, chosen)
        bound = max(bound, served)
    else:
        chosen = _greedy(a, w, n_sites, budget, costs)
        served = _served(a, w, chosen)
        used = "greedy"
        try:
            bound = lp_bound(a, w, n_sites=n_sites, budget=budget, site_costs=costs)
        except Exception as exc:  # noqa: BLE001 - the bound is a nicety; greedy still stands
            log.warning("LP bound failed (%s); using the greedy guarantee only", exc)
            bound = np.inf
        if budget is None:
            bound = min(bound, served / _GREEDY_RATIO)
        elif not np.isfinite(bound):
            bound = served / (_GREEDY_RATIO / 2.0)
        bound = max(bound, served)
    gap = 0.0 if bound <= 0 else (bound - served) / bound
    log.info("site selection (%s): %d sites, %.0f people, bound %.0f, gap %.2f%%, %.2f s",
             used, len(chosen), served, bound, 100 * gap, time.perf_counter() - t0)
    return SitingResult(np.asarray(chosen, dtype=int), served, float(bound), used, float(gap),
                        float(costs[chosen].sum()) if site_costs is not None else 0.0)


def sites_to_frame(
    result: SitingResult,
    candidates: gpd.GeoDataFrame,
    villages: pd.DataFrame,
    cover: Any,
    weights: np.ndarray,
    *,
    site_costs: np.ndarray | None = None,
    village_id_col: str = S.ID,
) -> gpd.GeoDataFrame:
    """One row per chosen site: the villages it would serve, people, cost.

    Each village is credited to the first chosen site (in ``result.chosen`` order) that
    covers it, so people are not counted twice.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``site_rank`` (1-based), ``candidate`` (index into ``candidates``),
        ``source``, ``n_villages``, ``villages_served`` (ids joined by ", "),
        ``pop_served`` (unserved people newly covered), ``cost_usd`` (NaN without
        costs), ``cost_per_person_usd``; the candidates' geometry and CRS.
    """
    a, w = _prepare(cover, weights)
    ids = (villages[village_id_col].astype(str).to_numpy() if village_id_col in villages.columns
           else np.arange(len(villages)).astype(str))
    taken = np.zeros(a.shape[1], dtype=bool)
    rows = []
    for rank, j in enumerate(result.chosen, start=1):   # loop over chosen sites (few)
        vs = a[j].indices
        new = vs[~taken[vs] & (w[vs] > 0)]
        taken[new] = True
        cost = float(site_costs[j]) if site_costs is not None else np.nan
        people = float(w[new].sum())
        rows.append({
            "site_rank": rank, "candidate": int(j),
            "source": candidates["source"].iloc[j] if "source" in candidates.columns else "",
            "n_villages": int(new.size), "villages_served": ", ".join(ids[new]),
            "pop_served": people, "cost_usd": cost,
            "cost_per_person_usd": cost / people if people > 0 else np.nan,
        })
    cols = ["site_rank", "candidate", "source", "n_villages", "villages_served", "pop_served",
            "cost_usd", "cost_per_person_usd"]
    df = pd.DataFrame(rows, columns=cols)
    geom = candidates.geometry.iloc[list(result.chosen)].to_numpy() if len(result.chosen) else []
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=candidates.crs).to_numpy()
                            if len(result.chosen) else gpd.GeoSeries([], crs=candidates.crs),
                            crs=candidates.crs)
