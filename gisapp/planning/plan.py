"""The plan of a run: what closing each gap costs, which new sites, which carrier.

:func:`plan` takes a :class:`gisapp.pipeline.Result` and the planning settings of its
config (``[costs]``, ``[propagation]``, ``[siting]``) and answers: what closing each
village's gaps costs (:func:`gisapp.analysis.costs.gap_costs`), where new sites would
serve the most unserved people (:func:`gisapp.analysis.siting.select_sites`, exact or
greedy with its bound), and which carrier is best placed to close each signal gap
(nearest existing site, or balanced quotas).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import CRS

from gisapp import schema as S
from gisapp.analysis import costs as C
from gisapp.analysis import infrastructure, siting
from gisapp.config import RunConfig, SitingOptions, config_to_dict
from gisapp.crs import metric_crs, to_metric
from gisapp.errors import ConfigError
from gisapp.names import slug
from gisapp.pipeline import Result
from gisapp.progress import Progress, no_progress

__all__ = ["Plan", "plan", "CARRIER", "CARRIER_DIST_M", "POP_UNSERVED", "SITE_RANK", "SIGNAL_GAP",
           "UNASSIGNED"]

log = logging.getLogger(__name__)


#: carrier asked to close the village's signal gap ("" for villages without one)
CARRIER = "carrier"
#: distance from the village to the nearest existing site of that carrier, metres
CARRIER_DIST_M = "carrier_dist_m"
#: people of the village not covered by any layer (signal-gap villages only; else 0)
POP_UNSERVED = "pop_unserved"
#: rank of the chosen new site that would serve the village (NA when none)
SITE_RANK = "site_rank"
#: the village has a signal gap (its gap class is no_signal or no_power_no_signal)
SIGNAL_GAP = "signal_gap"
#: carrier without any existing site near the village (no towers in the run)
UNASSIGNED = "unassigned"

_SIGNAL_GAPS = (S.GapClass.NO_SIGNAL.value, S.GapClass.NO_POWER_NO_SIGNAL.value)



@dataclass
class Plan:
    """What closing the gaps of a run costs, which new sites to build, who to ask.

    Attributes
    ----------
    villages
        EPSG:4326, one row per village of the result (same index and order): identity,
        ``pop``, ``gap_class``, ``signal_class``, priority rank and tier, the cost
        columns of :data:`gisapp.analysis.costs.COST_COLUMNS` (USD), ``signal_gap``
        (bool), ``pop_unserved`` (people), ``carrier`` (name, "" without a signal gap),
        ``carrier_dist_m`` (metres), ``site_rank`` (Int64, NA when no chosen site
        serves it), geometry.
    sites
        EPSG:4326, one row per chosen new site in order of choice: ``site_rank``,
        ``candidate``, ``source`` (village / dem_peak), ``village_id`` (the candidate's
        village, when from a village), ``carrier``, ``n_villages``,
        ``villages_served`` (ids), ``pop_served``, ``cost_usd``,
        ``cost_per_person_usd``, ``cost_breakdown``, ``lon``, ``lat``, point geometry.
    siting
        The solver's answer: people served, upper ``bound``, ``method``, ``gap``.
    totals
        Headline figures (see :func:`plan`).
    config
        The config planned with.
    manifest
        The run's manifest plus a ``plan`` entry (settings and totals).
    carriers
        Carrier slug → display name, for every carrier with a pack.
    seconds
        Time taken by :func:`plan`.
    """

    villages: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    siting: siting.SitingResult
    totals: dict[str, Any]
    config: RunConfig
    manifest: dict[str, Any]
    carriers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --------------------------------------------------------------------------- helpers


def _analysis_crs(result: Result) -> CRS:
    text = result.manifest.get("analysis_crs") if result.manifest else None
    if text:
        try:
            crs = CRS.from_user_input(text)
            if crs.is_projected:
                return crs
        except Exception:  # noqa: BLE001 - fall back to choosing one
            pass
    return metric_crs(result.villages, override=result.config.options.crs)


def _points(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One point per geometry (a point inside polygons); empty/missing stay missing."""
    g = gdf.geometry
    ok = ~(g.isna() | g.is_empty)
    pts = gpd.GeoSeries([None] * len(g), index=g.index, crs=g.crs)
    if ok.any():
        pts[ok] = g[ok].representative_point()
    return pts


def _layer_metric(result: Result, name: str, crs: CRS) -> gpd.GeoDataFrame | None:
    layer = result.layers.get(name) if result.layers else None
    if layer is None or len(layer) == 0 or layer.crs is None:
        return None
    return to_metric(layer, crs)


def _carrier_names(result: Result, slugs: Sequence[str]) -> dict[str, str]:
    names = {s: s for s in slugs}
    towers = result.layers.get("towers") if result.layers else None
    if towers is not None and "carrier" in towers.columns:
        for name in pd.unique(towers["carrier"].astype(str)):
            s = slug(name)
            if s in names and names[s] == s:
                names[s] = name
    return names


def _unserved_pop(v: pd.DataFrame, gap: np.ndarray) -> np.ndarray:
    pop = pd.to_numeric(v[S.POP], errors="coerce").to_numpy(float)
    share = (pd.to_numeric(v[S.POP_SHARE_ANY], errors="coerce").to_numpy(float)
             if S.POP_SHARE_ANY in v.columns else np.full(len(v), np.nan))
    share = np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)
    return np.where(gap, np.nan_to_num(pop, nan=0.0) * (1.0 - share), 0.0)


def _read_dem(cfg: RunConfig) -> tuple[np.ndarray, Any, CRS] | None:
    if cfg.dem is None:
        return None
    from gisapp.io.raster import read_band

    arr, transform, crs = read_band(cfg.dem.path, role="dem", max_mb=cfg.options.max_file_mb)
    if crs is None or CRS.from_user_input(crs).is_geographic:
        log.warning("the DEM %s is not in a metric CRS; siting uses the radius only", cfg.dem.path)
        return None
    return arr, transform, CRS.from_user_input(crs)


def _visibility(dem: tuple[np.ndarray, Any, CRS], cand: gpd.GeoSeries, vill: gpd.GeoSeries,
                cover: sp.csr_matrix, *, radius_m: float, height_m: float, rx_height_m: float,
                k_factor: float | None) -> sp.csr_matrix:
    """Keep the candidate → village pairs of ``cover`` that see each other over the DEM."""
    from affine import Affine

    from gisapp.analysis.propagation import visibility_from_site
    from gisapp.crs import pixel_index

    arr, tr, dcrs = dem
    cxy = cand.to_crs(dcrs)
    vxy = vill.to_crs(dcrs)
    cx, cy = cxy.x.to_numpy(), cxy.y.to_numpy()
    vx, vy = vxy.x.to_numpy(), vxy.y.to_numpy()
    vrow, vcol, _ = pixel_index(tr, vx, vy)
    px = float(min(abs(tr.a), abs(tr.e)))
    h, w = arr.shape
    rpx = int(math.ceil(radius_m / px)) + 1
    keep = np.zeros(cover.nnz, dtype=bool)
    for j in range(cover.shape[0]):          # loop over candidates (hundreds), numpy inside
        lo, hi = cover.indptr[j], cover.indptr[j + 1]
        if lo == hi:
            continue
        r0, c0 = (int(q[0]) for q in pixel_index(tr, cx[j:j + 1], cy[j:j + 1])[:2])
        r_lo, r_hi = max(r0 - rpx, 0), min(r0 + rpx + 1, h)
        c_lo, c_hi = max(c0 - rpx, 0), min(c0 + rpx + 1, w)
        if r_lo >= r_hi or c_lo >= c_hi:
            continue
        sub_tr = tr @ Affine.translation(c_lo, r_lo)
        vis = visibility_from_site(arr[r_lo:r_hi, c_lo:c_hi], sub_tr, (cx[j], cy[j]), height_m,
                                   rx_height_m=rx_height_m, max_dist_m=radius_m,
                                   k_factor=k_factor)
        cols = cover.indices[lo:hi]
        rr, cc = vrow[cols] - r_lo, vcol[cols] - c_lo
        inside = (rr >= 0) & (rr < r_hi - r_lo) & (cc >= 0) & (cc < c_hi - c_lo)
        ok = np.zeros(cols.size, dtype=bool)
        ok[inside] = vis[rr[inside], cc[inside]]
        keep[lo:hi] = ok
    rows = np.repeat(np.arange(cover.shape[0]), np.diff(cover.indptr))
    return sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (rows[keep], cover.indices[keep])),
                         shape=cover.shape)


def _candidate_site_costs(cand: gpd.GeoDataFrame, result: Result, crs: CRS,
                          cfg: RunConfig) -> pd.DataFrame:
    """New-site cost of every candidate (tower, radio, backhaul, power) — no upgrade option."""
    dist = {}
    for col, layer in ((S.DIST_SITE_M, "towers"), (S.DIST_FIBRE_M, "fibre"), (S.DIST_GRID_M, "grid")):
        feats = _layer_metric(result, layer, crs)
        dist[col] = (infrastructure.distance_to(cand.geometry, feats).to_numpy(float)
                     if feats is not None and len(cand) else np.full(len(cand), np.nan))
    frame = pd.DataFrame({S.GAP_CLASS: S.GapClass.NO_SIGNAL.value, S.POP: np.nan, **dist},
                         index=cand.index)
    return C.gap_costs(frame, costs=cfg.costs, technology=cfg.siting.technology,
                       upgrade_range_m=-1.0)


def _assign_carriers(dist: pd.DataFrame, gap: np.ndarray, *, mode: str,
                     site_counts: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Carrier slug and its distance per village (signal gaps only), nearest or balanced."""
    n = len(dist)
    slugs = np.array([c.split("__", 1)[1] for c in dist.columns], dtype=object)
    carrier = np.full(n, "", dtype=object)
    d_out = np.full(n, np.nan)
    if not gap.any():
        return carrier, d_out
    if slugs.size == 0:
        carrier[gap] = UNASSIGNED
        return carrier, d_out
    d = dist.to_numpy(float)
    dd = np.where(np.isnan(d), np.inf, d)
    nearest = np.argmin(dd, axis=1)
    none = ~np.isfinite(dd.min(axis=1))
    if mode == "nearest":
        carrier[gap] = slugs[nearest[gap]]
        d_out[gap] = dd[gap, nearest[gap]]
    elif mode == "balanced":
        rows = np.flatnonzero(gap & ~none)
        counts = np.array([float(site_counts.get(s, 0)) for s in slugs])
        if counts.sum() <= 0:
            counts = np.ones(slugs.size)
        share = rows.size * counts / counts.sum()
        quota = np.floor(share).astype(int)
        # largest remainder, so the quotas add up to the number of gap villages
        extra = rows.size - int(quota.sum())
        quota[np.argsort(-(share - quota), kind="stable")[:extra]] += 1
        # greedy by distance over (village, carrier) pairs, shortest first
        pr = np.repeat(rows, slugs.size)
        pc = np.tile(np.arange(slugs.size), rows.size)
        pdist = dd[pr, pc]
        order = np.lexsort((pc, pr, pdist))
        taken = np.zeros(n, dtype=bool)
        left = quota.copy()
        for k in order:                      # pairs (villages × carriers), integers only
            i, c = pr[k], pc[k]
            if taken[i] or left[c] <= 0 or not np.isfinite(pdist[k]):
                continue
            taken[i] = True
            left[c] -= 1
            carrier[i] = slugs[c]
            d_out[i] = pdist[k]
    else:
        raise ConfigError(f"[siting] carrier_assignment must be 'nearest' or 'balanced', not '{mode}'")
    carrier[gap & none] = UNASSIGNED
    return carrier, d_out



# --------------------------------------------------------------------------- plan


def _village_costs(v: gpd.GeoDataFrame, cfg: RunConfig) -> tuple[pd.DataFrame, list[str]]:
    """The cost columns of every village, and the per-carrier distance columns."""
    frame = pd.DataFrame(v.drop(columns=v.geometry.name))
    carrier_cols = [c for c in frame.columns if str(c).startswith("dist_m__")]
    frame = frame.rename(columns={c: S.DIST_SITE_M + "__" + c.split("__", 1)[1] for c in carrier_cols})
    for col in (S.DIST_SITE_M, S.DIST_FIBRE_M, S.DIST_GRID_M):
        if col not in frame.columns:
            frame[col] = np.nan
    return C.gap_costs(frame, costs=cfg.costs, technology=cfg.siting.technology), carrier_cols


def _candidates(result: Result, vm: gpd.GeoDataFrame, target: np.ndarray, cfg: RunConfig,
                crs: CRS) -> tuple[gpd.GeoDataFrame, tuple[np.ndarray, Any, CRS] | None]:
    """Candidate sites (gap villages and/or DEM peaks) in the metric CRS, and the DEM."""
    so = cfg.siting
    want = so.candidates
    dem = None
    cands: list[gpd.GeoDataFrame] = []
    if want in ("dem_peaks", "both") or so.coverage in ("auto", "visibility"):
        dem = _read_dem(cfg)
    if want in ("villages", "both") or dem is None:
        if want == "dem_peaks":
            result.report.warn("siting: no usable DEM for dem_peaks candidates; using the gap villages")
        vc = siting.candidates_from_villages(vm.iloc[target]) if target.size else \
            gpd.GeoDataFrame({"source": [], S.ID: []}, geometry=[], crs=crs)
        cands.append(vc.set_crs(crs, allow_override=True))
    if dem is not None and want in ("dem_peaks", "both"):
        peaks = siting.candidates_from_dem_peaks(dem[0], dem[1], n=so.n_peaks,
                                                 min_separation_m=so.min_separation_m, crs=dem[2])
        cands.append(peaks.to_crs(crs))
    cand = pd.concat(cands, ignore_index=True) if len(cands) > 1 else cands[0].reset_index(drop=True)
    return gpd.GeoDataFrame(cand, geometry="geometry", crs=crs), dem


def _coverage(result: Result, cand: gpd.GeoDataFrame, tpts: gpd.GeoSeries, dem: Any,
              cfg: RunConfig, progress: Progress) -> tuple[sp.csr_matrix, bool]:
    """Which candidate covers which target village (radius, then line of sight)."""
    so = cfg.siting
    cover = siting.coverage_matrix(cand, np.column_stack([tpts.x.to_numpy(), tpts.y.to_numpy()])
                                   if len(tpts) else np.zeros((0, 2)), radius_m=so.radius_m)
    mode = so.coverage
    use_vis = dem is not None and mode in ("auto", "visibility") and cover.nnz > 0
    if mode == "visibility" and dem is None:
        result.report.warn("siting: coverage = \"visibility\" needs a DEM in a metric CRS; "
                           "used the radius only")
    if use_vis:
        progress(0.3, "line of sight from each candidate")
        cover = _visibility(dem, cand.geometry, tpts, cover, radius_m=so.radius_m,
                            height_m=cfg.propagation.default_height_m,
                            rx_height_m=cfg.propagation.rx_height_m,
                            k_factor=cfg.propagation.k_factor)
    return cover, use_vis


def _select(cover: sp.csr_matrix, weights: np.ndarray, site_costs: np.ndarray, n_cand: int,
            so: SitingOptions) -> siting.SitingResult:
    if n_cand == 0 or cover.shape[1] == 0 or not np.any(weights > 0):
        return siting.SitingResult(np.array([], dtype=int), 0.0, 0.0, "none", 0.0, 0.0)
    try:
        return siting.select_sites(
            cover, weights, n_sites=so.n_sites, budget=so.budget_usd, site_costs=site_costs,
            method=so.method, time_limit_s=so.time_limit_s,
            max_exact_candidates=so.max_exact_candidates)
    except ValueError as exc:
        raise ConfigError(f"[siting]: {exc}") from None


def _site_ranks(sres: siting.SitingResult, cover: sp.csr_matrix, weights: np.ndarray,
                target: np.ndarray, n: int) -> pd.arrays.IntegerArray:
    """Per village, the rank of the first chosen site that serves it (NA for none)."""
    site_rank = pd.array([pd.NA] * n, dtype="Int64")
    taken = np.zeros(len(target), dtype=bool)
    for rank, j in enumerate(sres.chosen, start=1):      # loop over chosen sites (few)
        cols = cover[j].indices
        new = cols[~taken[cols] & (weights[cols] > 0)]
        taken[new] = True
        site_rank[target[new]] = rank
    return site_rank


def _carriers(result: Result, v: gpd.GeoDataFrame, carrier_cols: list[str], gap: np.ndarray,
              so: SitingOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, str]]:
    """Carrier slug, display name and distance per village, and slug → name."""
    dist = pd.DataFrame(v[carrier_cols]) if carrier_cols else pd.DataFrame(index=v.index)
    towers = result.layers.get("towers") if result.layers else None
    counts: dict[str, int] = {}
    if towers is not None and len(towers) and "carrier" in towers.columns:
        uniq = pd.DataFrame({"c": towers["carrier"].map(slug),
                             "x": towers.geometry.x.round(6), "y": towers.geometry.y.round(6)})
        counts = uniq.drop_duplicates().groupby("c").size().to_dict()
    cslug, cdist = _assign_carriers(dist, gap, mode=so.carrier_assignment, site_counts=counts)
    names = _carrier_names(result, [c.split("__", 1)[1] for c in carrier_cols])
    names[UNASSIGNED] = UNASSIGNED
    cname = np.array([names.get(s, s) if s else "" for s in cslug], dtype=object)
    return cslug, cname, cdist, names


def _plan_villages(v: gpd.GeoDataFrame, costs: pd.DataFrame, columns: Mapping[str, Any]
                   ) -> gpd.GeoDataFrame:
    out = pd.DataFrame({c: v[c] for c in (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.GAP_CLASS,
                                          S.SIGNAL_CLASS, S.POWER_STATUS, S.PRIORITY_RANK,
                                          S.PRIORITY_TIER, S.PRIORITY_SCORE, S.WHY, S.DIST_SITE_M,
                                          S.DIST_FIBRE_M, S.DIST_GRID_M) if c in v.columns},
                       index=v.index)
    out = out.join(costs)
    for name, values in columns.items():
        out[name] = values
    return gpd.GeoDataFrame(out, geometry=v.geometry.to_numpy(), crs=v.crs, index=v.index)


def _plan_sites(sites: gpd.GeoDataFrame, cand: gpd.GeoDataFrame, cand_costs: pd.DataFrame,
                site_rank: pd.arrays.IntegerArray, weights_all: np.ndarray,
                cname: np.ndarray) -> gpd.GeoDataFrame:
    """Chosen sites in EPSG:4326: carrier = the one most of its people are assigned to."""
    sites[C.COST_BREAKDOWN] = cand_costs[C.COST_BREAKDOWN].to_numpy(object)[sites["candidate"].to_numpy(int)] \
        if len(sites) else pd.Series([], dtype=object)
    sites[S.ID] = (cand[S.ID].to_numpy(object)[sites["candidate"].to_numpy(int)]
                   if S.ID in cand.columns and len(sites) else pd.Series([], dtype=object))
    site_carrier = []
    for rank in sites["site_rank"]:
        served = site_rank.to_numpy(dtype="float64", na_value=np.nan) == rank
        by = pd.Series(weights_all[served]).groupby(cname[served]).sum()
        site_carrier.append(str(by.idxmax()) if len(by) else "")
    sites[CARRIER] = pd.Series(site_carrier, dtype=object, index=sites.index)
    sites = sites.to_crs(4326)
    sites["lon"] = sites.geometry.x if len(sites) else pd.Series([], dtype=float)
    sites["lat"] = sites.geometry.y if len(sites) else pd.Series([], dtype=float)
    return sites[["site_rank", "candidate", "source", S.ID, CARRIER, "n_villages",
                  "villages_served", "pop_served", "cost_usd", "cost_per_person_usd",
                  C.COST_BREAKDOWN, "lon", "lat", "geometry"]]


def _totals(v: pd.DataFrame, gap: np.ndarray, weights_all: np.ndarray, costs: pd.DataFrame,
            n_cand: int, use_vis: bool, sres: siting.SitingResult, site_costs: np.ndarray,
            cname: np.ndarray, seconds: float) -> dict[str, Any]:
    per_carrier = pd.Series(cname[gap]).value_counts().sort_index()
    return {
        "villages": int(len(v)),
        "signal_gap_villages": int(gap.sum()),
        "pop_unserved": float(weights_all.sum()),
        "cost_total_usd": float(np.nansum(costs[C.COST_USD].to_numpy(float))),
        "cost_signal_usd": float(np.nansum(costs[C.SIGNAL_COST_USD].to_numpy(float))),
        "cost_power_usd": float(np.nansum(costs[C.POWER_COST_USD].to_numpy(float))),
        "candidates": int(n_cand),
        "coverage": "visibility" if use_vis else "radius",
        "sites_selected": int(len(sres.chosen)),
        "pop_served_by_sites": float(sres.served_weight),
        "sites_cost_usd": float(np.sum(site_costs[sres.chosen])) if len(sres.chosen) else 0.0,
        "siting_method": sres.method,
        "siting_bound": float(sres.bound),
        "siting_gap": float(sres.gap),
        "villages_per_carrier": {str(k): int(n) for k, n in per_carrier.items()},
        "seconds": round(seconds, 3),
    }


def plan(result: Result, *, config: RunConfig | None = None,
         progress: Progress | None = None) -> Plan:
    """Costs per village, new-site selection and carrier assignment for a run.

    Parameters
    ----------
    result
        From :func:`gisapp.pipeline.run` / :func:`gisapp.pipeline.assess`.
    config
        Planning settings (``costs``, ``propagation``, ``siting``, ``dem``); the
        result's config by default. Thresholds are not re-applied here (assess again
        for that).
    progress
        Called as ``progress(fraction, message)``.

    Returns
    -------
    Plan
        ``villages`` and ``sites`` in EPSG:4326 (columns in :class:`Plan`) and
        ``totals``: ``villages``, ``signal_gap_villages``, ``pop_unserved``,
        ``cost_total_usd`` (closing every gap, cheapest option each),
        ``cost_signal_usd``, ``cost_power_usd``, ``candidates``, ``coverage``
        (radius / visibility), ``sites_selected``, ``pop_served_by_sites``,
        ``sites_cost_usd``, ``siting_method``, ``siting_bound``, ``siting_gap``,
        ``villages_per_carrier`` (dict), ``seconds``.

    Raises
    ------
    gisapp.errors.ConfigError
        A planning setting is invalid (e.g. neither ``n_sites`` nor ``budget_usd``).
    """
    t0 = time.perf_counter()
    progress = progress or no_progress
    cfg = config or result.config
    so = cfg.siting                     # checked when the config was built
    v = result.villages
    crs = _analysis_crs(result)
    vm = to_metric(v, crs)
    gap = v[S.GAP_CLASS].astype(str).isin(_SIGNAL_GAPS).to_numpy()

    progress(0.05, "costing each village")
    costs, carrier_cols = _village_costs(v, cfg)

    progress(0.2, "choosing new sites")
    weights_all = _unserved_pop(v, gap)
    gap_idx = np.flatnonzero(gap)
    pts = _points(vm)
    has_pt = ~(pts.isna() | pts.is_empty).to_numpy()
    target = gap_idx[has_pt[gap_idx]]
    tpts = gpd.GeoSeries(pts.iloc[target].to_numpy(), crs=crs)
    weights = weights_all[target]
    cand, dem = _candidates(result, vm, target, cfg, crs)
    cover, use_vis = _coverage(result, cand, tpts, dem, cfg, progress)
    progress(0.5, "pricing candidate sites")
    cand_costs = _candidate_site_costs(cand, result, crs, cfg)
    site_costs = cand_costs[C.SIGNAL_COST_USD].to_numpy(float)
    progress(0.6, f"selecting among {len(cand)} candidates")
    sres = _select(cover, weights, site_costs, len(cand), so)
    sites = siting.sites_to_frame(sres, cand, v.iloc[target], cover, weights, site_costs=site_costs)
    site_rank = _site_ranks(sres, cover, weights, target, len(v))

    progress(0.8, "assigning carriers")
    cslug, cname, cdist, names = _carriers(result, v, carrier_cols, gap, so)
    pv = _plan_villages(v, costs, {SIGNAL_GAP: gap, POP_UNSERVED: weights_all, CARRIER: cname,
                                   CARRIER_DIST_M: cdist, SITE_RANK: site_rank})
    sites = _plan_sites(sites, cand, cand_costs, site_rank, weights_all, cname)

    seconds = time.perf_counter() - t0
    totals = _totals(v, gap, weights_all, costs, len(cand), use_vis, sres, site_costs, cname,
                     seconds)
    manifest = dict(result.manifest or {})
    manifest["config"] = config_to_dict(cfg, relative_to=cfg.base_dir)
    manifest["plan"] = {"totals": totals, "siting": config_to_dict(so),
                        "costs": config_to_dict(cfg.costs)}
    log.info("plan: %d signal-gap villages, %d candidates, %d sites serving %.0f people (%s), %.2f s",
             gap.sum(), len(cand), len(sres.chosen), sres.served_weight, sres.method, seconds)
    progress(1.0, "planned")
    carriers = {s: names.get(s, s) for s in sorted(set(cslug[gap]))}
    return Plan(villages=pv, sites=sites, siting=sres, totals=totals, config=cfg,
                manifest=manifest, carriers=carriers, seconds=seconds)
