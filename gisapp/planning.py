"""Investment planning on top of a run: costs, new sites, carriers, packs, scenarios.

This is the pipeline layer of issue 5. It takes a :class:`gisapp.pipeline.Result` and
the planning settings of its config (``[costs]``, ``[propagation]``, ``[siting]``) and
answers the planner's questions:

* :func:`plan` — what closing each village's gaps costs
  (:func:`gisapp.analysis.costs.gap_costs`), where new sites would serve the most
  unserved people (:func:`gisapp.analysis.siting.select_sites`, exact or greedy with
  its bound), and which carrier is best placed to close each signal gap (nearest
  existing site, or balanced quotas).
* :func:`write_carrier_packs` — one zip per carrier (Excel, GeoJSON, KML, GeoPackage,
  manifest) with exactly the villages assigned to it; :func:`write_plan` writes every
  output of ``gisapp plan``.
* :func:`apply_scenario`, :func:`scenario_configs`, :func:`compare` — named variations
  of a run side by side. Variations that only touch assess-level settings
  (thresholds, power rules, weights) or planning settings reuse one
  :func:`gisapp.pipeline.measure` (measure once, assess many).
* :func:`with_modelled_coverage` — model signal from the towers (and DEM) and return a
  config that adds the modelled rasters as ``kind = "modelled"`` signal layers.

Nothing here draws or imports Streamlit; the app and the CLI call these functions.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import CRS

from gisapp import schema as S
from gisapp.analysis import costs as C
from gisapp.analysis import infrastructure, siting
from gisapp.config import (
    WEIGHT_PRESETS, PowerRules, RunConfig, SignalRaster, Thresholds, Weights, config_to_dict,
    load_config,
)
from gisapp.crs import metric_crs, to_metric
from gisapp.errors import ConfigError
from gisapp.io import export
from gisapp.names import slug
from gisapp.pipeline import Measured, Result, assess, measure

__all__ = [
    "Plan", "Comparison", "plan", "write_plan", "write_carrier_packs", "apply_scenario",
    "scenario_configs", "compare", "with_modelled_coverage", "CARRIER", "CARRIER_DIST_M",
    "POP_UNSERVED", "SITE_RANK", "SIGNAL_GAP", "PACK_FILES",
]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

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
#: files in every carrier pack (``<slug>`` replaced by the carrier's slug)
PACK_FILES = ("<slug>_villages.xlsx", "<slug>_villages.geojson", "<slug>_villages.kml",
              "<slug>.gpkg", "manifest.json")
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)        # fixed entry times: identical packs, identical bytes


def _noop(fraction: float, message: str) -> None:
    return None


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
    progress = progress or _noop
    cfg = config or result.config
    so = cfg.siting
    if so.n_sites is None and so.budget_usd is None:
        raise ConfigError("[siting] needs n_sites or budget_usd (or both)")
    if so.technology not in cfg.costs.radio_usd:
        raise ConfigError(f"[siting] technology '{so.technology}' has no radio cost in [costs] radio_usd")
    v = result.villages
    crs = _analysis_crs(result)
    vm = to_metric(v, crs)
    gap = v[S.GAP_CLASS].astype(str).isin(_SIGNAL_GAPS).to_numpy()

    progress(0.05, "costing each village")
    frame = pd.DataFrame(v.drop(columns=v.geometry.name))
    carrier_cols = [c for c in frame.columns if str(c).startswith("dist_m__")]
    frame = frame.rename(columns={c: S.DIST_SITE_M + "__" + c.split("__", 1)[1] for c in carrier_cols})
    for col in (S.DIST_SITE_M, S.DIST_FIBRE_M, S.DIST_GRID_M):
        if col not in frame.columns:
            frame[col] = np.nan
    costs = C.gap_costs(frame, costs=cfg.costs, technology=so.technology)

    # --- new sites ----------------------------------------------------------------
    progress(0.2, "choosing new sites")
    weights_all = _unserved_pop(v, gap)
    gap_idx = np.flatnonzero(gap)
    pts = _points(vm)
    has_pt = ~(pts.isna() | pts.is_empty).to_numpy()
    target = gap_idx[has_pt[gap_idx]]
    tpts = gpd.GeoSeries(pts.iloc[target].to_numpy(), crs=crs)
    weights = weights_all[target]
    dem = None
    cands: list[gpd.GeoDataFrame] = []
    want = so.candidates
    if want not in ("villages", "dem_peaks", "both"):
        raise ConfigError(f"[siting] candidates must be villages, dem_peaks or both, not '{want}'")
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
    cand = gpd.GeoDataFrame(cand, geometry="geometry", crs=crs)
    cover = siting.coverage_matrix(cand, np.column_stack([tpts.x.to_numpy(), tpts.y.to_numpy()])
                                   if len(tpts) else np.zeros((0, 2)), radius_m=so.radius_m)
    mode = so.coverage
    if mode not in ("auto", "radius", "visibility"):
        raise ConfigError(f"[siting] coverage must be auto, radius or visibility, not '{mode}'")
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
    progress(0.5, "pricing candidate sites")
    cand_costs = _candidate_site_costs(cand, result, crs, cfg)
    site_costs = cand_costs[C.SIGNAL_COST_USD].to_numpy(float)
    progress(0.6, f"selecting among {len(cand)} candidates")
    if len(cand) == 0 or len(tpts) == 0 or not np.any(weights > 0):
        sres = siting.SitingResult(np.array([], dtype=int), 0.0, 0.0, "none", 0.0, 0.0)
    else:
        try:
            sres = siting.select_sites(
                cover, weights, n_sites=so.n_sites, budget=so.budget_usd, site_costs=site_costs,
                method=so.method, time_limit_s=so.time_limit_s,
                max_exact_candidates=so.max_exact_candidates)
        except ValueError as exc:
            raise ConfigError(f"[siting]: {exc}") from None
    sites = siting.sites_to_frame(sres, cand, v.iloc[target], cover, weights, site_costs=site_costs)
    site_rank = pd.array([pd.NA] * len(v), dtype="Int64")
    taken = np.zeros(len(target), dtype=bool)
    for rank, j in enumerate(sres.chosen, start=1):      # loop over chosen sites (few)
        cols = cover[j].indices
        new = cols[~taken[cols] & (weights[cols] > 0)]
        taken[new] = True
        site_rank[target[new]] = rank

    # --- carriers -----------------------------------------------------------------
    progress(0.8, "assigning carriers")
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

    out = pd.DataFrame({c: v[c] for c in (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.GAP_CLASS,
                                          S.SIGNAL_CLASS, S.POWER_STATUS, S.PRIORITY_RANK,
                                          S.PRIORITY_TIER, S.PRIORITY_SCORE, S.WHY, S.DIST_SITE_M,
                                          S.DIST_FIBRE_M, S.DIST_GRID_M) if c in v.columns},
                       index=v.index)
    out = out.join(costs)
    out[SIGNAL_GAP] = gap
    out[POP_UNSERVED] = weights_all
    out[CARRIER] = cname
    out[CARRIER_DIST_M] = cdist
    out[SITE_RANK] = site_rank
    pv = gpd.GeoDataFrame(out, geometry=v.geometry.to_numpy(), crs=v.crs, index=v.index)

    # sites: carrier = the one most of its people are assigned to; costs readable
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
    sites = sites[["site_rank", "candidate", "source", S.ID, CARRIER, "n_villages",
                   "villages_served", "pop_served", "cost_usd", "cost_per_person_usd",
                   C.COST_BREAKDOWN, "lon", "lat", "geometry"]]

    seconds = time.perf_counter() - t0
    per_carrier = pd.Series(cname[gap]).value_counts().sort_index()
    totals = {
        "villages": int(len(v)),
        "signal_gap_villages": int(gap.sum()),
        "pop_unserved": float(weights_all.sum()),
        "cost_total_usd": float(np.nansum(costs[C.COST_USD].to_numpy(float))),
        "cost_signal_usd": float(np.nansum(costs[C.SIGNAL_COST_USD].to_numpy(float))),
        "cost_power_usd": float(np.nansum(costs[C.POWER_COST_USD].to_numpy(float))),
        "candidates": int(len(cand)),
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


# --------------------------------------------------------------------------- outputs


def _commune_summary(villages: pd.DataFrame) -> pd.DataFrame:
    """Per commune: villages, people, unserved people, cost (USD), new sites serving them."""
    cols = ["commune", "villages", "pop", POP_UNSERVED, "cost_usd", "cost_signal_usd",
            "cost_power_usd", "villages_with_new_site"]
    if len(villages) == 0:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame({
        "commune": villages[S.COMMUNE].astype(object).where(villages[S.COMMUNE].notna(), "(none)"),
        "villages": 1,
        "pop": pd.to_numeric(villages[S.POP], errors="coerce"),
        POP_UNSERVED: villages[POP_UNSERVED],
        "cost_usd": villages[C.COST_USD],
        "cost_signal_usd": villages[C.SIGNAL_COST_USD],
        "cost_power_usd": villages[C.POWER_COST_USD],
        "villages_with_new_site": villages[SITE_RANK].notna().astype(int),
    })
    out = df.groupby("commune", sort=True).sum(min_count=1).reset_index()
    total = df.drop(columns="commune").sum(min_count=1).to_frame().T
    total.insert(0, "commune", "(all)")
    return pd.concat([out, total], ignore_index=True)[cols]


def _gap_rows(p: Plan) -> gpd.GeoDataFrame:
    """Villages with a gap to close (anything but served), by priority rank."""
    v = p.villages
    rows = v[v[S.GAP_CLASS].astype(str) != S.GapClass.SERVED.value]
    if S.PRIORITY_RANK in rows.columns:
        rows = rows.sort_values(S.PRIORITY_RANK, na_position="last", kind="stable")
    return rows


def write_carrier_packs(p: Plan, result: Result, out_dir: str | Path) -> dict[str, Path]:
    """One zip per carrier with the signal-gap villages assigned to it.

    Each ``<carrier slug>.zip`` holds (:data:`PACK_FILES`): ``<slug>_villages.xlsx``
    (Summary per commune, Ranked, one sheet per commune), ``<slug>_villages.geojson``
    (RFC 7946), ``<slug>_villages.kml`` (one folder per commune), ``<slug>.gpkg``
    (layers ``villages`` and ``proposed_sites``: the chosen new sites credited to the
    carrier) and ``manifest.json`` (the run's manifest, the plan's totals, the carrier,
    its village ids and the SHA-256 of the other four files). Each zip is written
    atomically, with fixed entry times.

    Parameters
    ----------
    p
        From :func:`plan`.
    result
        The result planned (for its summary title and synthetic label).
    out_dir
        Folder (created).

    Returns
    -------
    dict
        Carrier display name → zip path. Every signal-gap village is in exactly one
        pack; villages of a run without towers go to the ``unassigned`` pack.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    v = p.villages
    gap = v[SIGNAL_GAP].to_numpy(bool)
    title = result.config.options.name
    if result.config.options.synthetic and "synthetic" not in title.lower():
        title += " (synthetic data)"
    paths: dict[str, Path] = {}
    for cslug, name in sorted(p.carriers.items()):
        mine = v[gap & (v[CARRIER].astype(str) == name).to_numpy()]
        if S.PRIORITY_RANK in mine.columns:
            mine = mine.sort_values(S.PRIORITY_RANK, na_position="last", kind="stable")
        sites = p.sites[p.sites[CARRIER].astype(str) == name]
        stem = slug(name) or cslug
        with tempfile.TemporaryDirectory(prefix=f"gisapp-pack-{stem}-") as tmp:
            d = Path(tmp)
            files = {
                "xlsx": export.write_xlsx(mine, _commune_summary(mine), d / f"{stem}_villages.xlsx",
                                          title=f"{title} — villages for {name}"),
                "geojson": export.write_geojson(mine, d / f"{stem}_villages.geojson"),
                "kml": export.write_kml(mine, d / f"{stem}_villages.kml", folder_col=S.COMMUNE,
                                        document_name=f"{name}: villages without signal"),
                "gpkg": _write_pack_gpkg(mine, sites, d / f"{stem}.gpkg"),
            }
            manifest = dict(p.manifest)
            manifest["carrier"] = name
            manifest["carrier_villages"] = [str(x) for x in mine[S.ID]]
            manifest["carrier_sites"] = int(len(sites))
            manifest["outputs"] = {f.name: export.file_sha256(f) for f in files.values()}
            files["manifest"] = export.write_manifest(manifest, d / "manifest.json")
            target = out / f"{stem}.zip"
            with export.atomic_path(target) as ztmp:
                with zipfile.ZipFile(ztmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    for f in files.values():
                        info = zipfile.ZipInfo(f.name, date_time=_ZIP_DATE)
                        info.compress_type = zipfile.ZIP_DEFLATED
                        info.external_attr = 0o644 << 16
                        zf.writestr(info, f.read_bytes())
        paths[name] = target
    return paths


def _write_pack_gpkg(villages: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, path: Path) -> Path:
    import pyogrio

    export.write_gpkg(villages, path, layer="villages")
    frame = sites.copy()
    if len(frame) == 0:
        frame = gpd.GeoDataFrame({c: pd.Series([], dtype="float64" if c in ("pop_served", "cost_usd")
                                               else object) for c in ("site_rank", "villages_served",
                                                                      "pop_served", "cost_usd")},
                                 geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda x: x if x is None else str(x))
    pyogrio.write_dataframe(frame, path, layer="proposed_sites", driver="GPKG",
                            geometry_type="Point")
    return path


def write_plan(p: Plan, result: Result, out_dir: str | Path) -> dict[str, Path]:
    """Write every output of ``gisapp plan``.

    ``costs.csv`` / ``costs.xlsx`` (villages with a gap, by priority rank, with their
    cheapest option and cost; the workbook has a summary per commune and one sheet per
    commune), ``sites.gpkg`` / ``sites.geojson`` / ``sites.csv`` (chosen new sites),
    one ``<carrier>.zip`` per carrier (:func:`write_carrier_packs`) and
    ``manifest.json`` (the run's manifest, the plan settings and totals, SHA-256 of
    every file written).

    Returns
    -------
    dict
        Output name (``costs_csv``, ``costs_xlsx``, ``sites_gpkg``, ``sites_geojson``,
        ``sites_csv``, ``pack:<carrier>``, ``manifest``) → path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = _gap_rows(p)
    title = result.config.options.name + (" (synthetic data)" if result.config.options.synthetic
                                           and "synthetic" not in result.config.options.name.lower()
                                           else "")
    paths: dict[str, Path] = {
        "costs_csv": export.write_csv(rows, out / "costs.csv"),
        "costs_xlsx": export.write_xlsx(rows, _commune_summary(rows), out / "costs.xlsx",
                                        title=f"{title} — cost of closing each gap (USD)"),
        "sites_gpkg": _write_sites_gpkg(p.sites, out / "sites.gpkg"),
        "sites_geojson": export.write_geojson(p.sites, out / "sites.geojson"),
        "sites_csv": export.write_csv(p.sites, out / "sites.csv"),
    }
    for name, path in write_carrier_packs(p, result, out).items():
        paths[f"pack:{name}"] = path
    manifest = dict(p.manifest)
    manifest["outputs"] = {Path(f).name: export.file_sha256(f) for f in paths.values()}
    paths["manifest"] = export.write_manifest(manifest, out / "manifest.json")
    return paths


def _write_sites_gpkg(sites: gpd.GeoDataFrame, path: Path) -> Path:
    with export.atomic_path(path) as tmp:
        _write_pack_gpkg_sites_only(sites, tmp)
    return path


def _write_pack_gpkg_sites_only(sites: gpd.GeoDataFrame, path: Path) -> None:
    import pyogrio

    frame = sites.copy()
    for c in frame.columns:
        if c != frame.geometry.name and frame[c].dtype == object:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda x: x if x is None else str(x))
    pyogrio.write_dataframe(frame, path, layer="sites", driver="GPKG", geometry_type="Point")


# --------------------------------------------------------------------------- scenarios

#: config sections a scenario may change (settings, not layers)
_SCENARIO_SECTIONS = ("thresholds", "power", "weights", "costs", "propagation", "siting", "options")
#: keys of a scenario table that are not overrides
_SCENARIO_META = ("name", "description")


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in d.items():
        key = f"{prefix}{k}"
        if isinstance(val, Mapping) and key.count(".") == 0:
            out.update(_flatten(val, key + "."))
        else:
            out[key] = val
    return out


def _convert(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_convert(x) for x in value)
    return value


def apply_scenario(config: RunConfig, scenario: Mapping[str, Any]) -> RunConfig:
    """The config with a scenario's dotted overrides applied (the config is not changed).

    Parameters
    ----------
    config
        The base config.
    scenario
        ``{"name": ..., "<section>.<setting>": value, "<section>.<setting>.<key>": value}``
        for the sections thresholds, power, weights, costs, propagation, siting,
        options; e.g. ``"thresholds.technologies" = ["4G"]``, ``"thresholds.dbm.4G" =
        -105``, ``"weights.preset" = "people_first"`` (applied before other weights
        overrides), ``"siting.n_sites" = 20``, ``"siting.budget_usd" = 2e6``. Nested
        tables (``{"thresholds": {"technologies": [...]}}``) are read as dotted keys.

    Returns
    -------
    RunConfig
        A new config; ``options.name`` gets `` — <scenario name>``.

    Raises
    ------
    gisapp.errors.ConfigError
        An unknown key (named in the message), an unknown preset or technology.
    """
    name = str(scenario.get("name", "scenario"))
    flat = _flatten({k: v for k, v in scenario.items() if k not in _SCENARIO_META})
    known = ", ".join(f"{s}.*" for s in _SCENARIO_SECTIONS)
    sections: dict[str, Any] = {s: getattr(config, s) for s in _SCENARIO_SECTIONS}
    preset = flat.pop("weights.preset", None)
    if preset is not None:
        if preset not in WEIGHT_PRESETS:
            raise ConfigError(f"scenario '{name}': weights.preset '{preset}' is unknown; choose one "
                              f"of {', '.join(WEIGHT_PRESETS)}")
        sections["weights"] = WEIGHT_PRESETS[preset]
    changes: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        sec = parts[0]
        if sec not in sections or len(parts) < 2:
            raise ConfigError(f"scenario '{name}': unknown setting '{key}'; settings are "
                              f"<section>.<name> with section one of {known}")
        obj = sections[sec]
        fields = {f.name: f for f in dataclasses.fields(obj)}
        fname = parts[1]
        if fname not in fields or fname == "base_dir":
            raise ConfigError(f"scenario '{name}': unknown setting '{key}'; [{sec}] has "
                              f"{', '.join(fields)}")
        current = changes.get(sec, {}).get(fname, getattr(obj, fname))
        if len(parts) == 2:
            new = _convert(value)
            if isinstance(current, Mapping) and isinstance(value, Mapping):
                new = {**current, **value}
        elif len(parts) == 3 and isinstance(current, Mapping):
            new = {**current, parts[2]: _convert(value)}
        else:
            raise ConfigError(f"scenario '{name}': unknown setting '{key}'; "
                              f"{sec}.{fname} has no sub-settings")
        changes.setdefault(sec, {})[fname] = new
    for sec, ch in changes.items():
        sections[sec] = dataclasses.replace(sections[sec], **ch)
    th = sections["thresholds"]
    for tech in (*th.technologies, *th.dbm):
        if tech not in S.TECHNOLOGIES:
            raise ConfigError(f"scenario '{name}': technology '{tech}' is not one of "
                              f"{', '.join(S.TECHNOLOGIES)}")
    sections["options"] = dataclasses.replace(sections["options"],
                                              name=f"{config.options.name} — {name}")
    return config.replace(**sections)


def scenario_configs(config: RunConfig) -> list[tuple[str, RunConfig]]:
    """``[("base", config), (scenario name, config with it applied), ...]`` for the
    config's ``[[scenarios]]``."""
    out = [("base", config)]
    for sc in config.scenarios:
        out.append((str(sc["name"]), apply_scenario(config, sc)))
    return out


@dataclass
class Comparison:
    """Scenarios side by side.

    Attributes
    ----------
    table
        One row per scenario (index ``scenario``, in the order given): ``villages``,
        ``villages_<gap class>`` and ``pop_<gap class>`` for each gap class,
        ``signal_gap_villages``, ``pop_unserved``, ``cost_total_usd`` (closing every
        gap), ``sites_selected``, ``pop_served_by_sites``, ``sites_cost_usd``,
        ``siting_method``, ``siting_bound``, ``technologies``, ``measured_once`` (the
        scenario reused another's measurement).
    changes
        One row per village whose gap class differs between the first scenario and
        another: ``scenario``, ``village_id``, ``name``, ``commune``, ``pop``,
        ``gap_class_from`` (first scenario), ``gap_class_to``.
    plans
        Scenario name → :class:`Plan`.
    results
        Scenario name → :class:`gisapp.pipeline.Result`.
    """

    table: pd.DataFrame
    changes: pd.DataFrame
    plans: dict[str, Plan]
    results: dict[str, Result]


def _measure_key(cfg: RunConfig) -> RunConfig:
    """The config with every assess- and plan-level setting at its default: two configs
    with equal keys measure identically."""
    from gisapp.planning_config import PropagationSettings, SitingOptions, UnitCosts

    return cfg.replace(thresholds=Thresholds(), power=PowerRules(), weights=Weights(),
                       costs=UnitCosts(), propagation=PropagationSettings(),
                       siting=SitingOptions(), scenarios=(),
                       options=dataclasses.replace(cfg.options, name=""))


def _named(configs: Any) -> list[tuple[str, RunConfig]]:
    if isinstance(configs, (RunConfig, str, Path)):
        configs = [configs]
    if isinstance(configs, Mapping):
        items = [(str(k), c) for k, c in configs.items()]
    else:
        items = []
        for c in configs:
            if isinstance(c, tuple) and len(c) == 2:
                items.append((str(c[0]), c[1]))
            elif isinstance(c, (str, Path)):
                items.append((Path(c).stem, c))
            else:
                items.append((c.options.name, c))
    loaded = [(n, c if isinstance(c, RunConfig) else load_config(c)) for n, c in items]
    if len(loaded) == 1 and loaded[0][1].scenarios:
        return scenario_configs(loaded[0][1])
    out, seen = [], set()
    for n, c in loaded:
        base, k = n, 2
        while n in seen:
            n, k = f"{base} ({k})", k + 1
        seen.add(n)
        out.append((n, c))
    return out


def compare(configs_or_scenarios: Any, *, progress: Progress | None = None,
            measured: Measured | None = None) -> Comparison:
    """Run, plan and compare several configs or the scenarios of one config.

    Parameters
    ----------
    configs_or_scenarios
        A config (or TOML path) with ``[[scenarios]]`` — compared as "base" and each
        scenario — or a sequence of configs / paths / ``(name, config)`` pairs, or a
        mapping name → config.
    progress
        ``progress(fraction, message)``.
    measured
        A measurement to reuse for configs that measure alike (e.g. the app's).

    Returns
    -------
    Comparison
        ``table`` (one row per scenario) and ``changes`` (villages changing gap class
        against the first scenario); see :class:`Comparison`. Configs that differ only
        in thresholds, power rules, weights or planning settings are measured once.
    """
    progress = progress or _noop
    named = _named(configs_or_scenarios)
    if not named:
        raise ConfigError("compare needs at least one config")
    cache: list[tuple[RunConfig, Measured]] = []
    if measured is not None:
        cache.append((_measure_key(measured.config), measured))
    rows, plans, results = [], {}, {}
    n = len(named)
    for i, (name, cfg) in enumerate(named):
        key = _measure_key(cfg)
        m = next((mm for k, mm in cache if k == key), None)
        reused = m is not None
        if m is None:
            progress(i / n, f"{name}: measuring")
            m = measure(cfg, progress=lambda f, msg, i=i: progress((i + 0.6 * f) / n, f"{name}: {msg}"))
            cache.append((key, m))
        progress((i + 0.6) / n, f"{name}: assessing and planning")
        res = assess(m, cfg)
        pl = plan(res, config=cfg)
        results[name], plans[name] = res, pl
        gapc = res.villages[S.GAP_CLASS].astype(str)
        pop = pd.to_numeric(res.villages[S.POP], errors="coerce")
        row: dict[str, Any] = {"scenario": name, "villages": int(len(gapc))}
        for g in S.GapClass:
            row[f"villages_{g}"] = int((gapc == g.value).sum())
        for g in S.GapClass:
            row[f"pop_{g}"] = float(pop[gapc == g.value].sum())
        t = pl.totals
        row.update({k: t[k] for k in ("signal_gap_villages", "pop_unserved", "cost_total_usd",
                                      "sites_selected", "pop_served_by_sites", "sites_cost_usd",
                                      "siting_method", "siting_bound")})
        row["technologies"] = ", ".join(cfg.thresholds.technologies)
        row["measured_once"] = reused
        rows.append(row)
    table = pd.DataFrame(rows).set_index("scenario")
    first_name = named[0][0]
    first = results[first_name].villages
    parts = []
    for name, _ in named[1:]:
        other = results[name].villages
        a = first[S.GAP_CLASS].astype(str)
        b = other[S.GAP_CLASS].astype(str).reindex(a.index)
        diff = (a != b).to_numpy()
        parts.append(pd.DataFrame({
            "scenario": name, S.ID: first[S.ID].to_numpy(object)[diff],
            S.NAME: first[S.NAME].to_numpy(object)[diff],
            S.COMMUNE: first[S.COMMUNE].to_numpy(object)[diff],
            S.POP: pd.to_numeric(first[S.POP], errors="coerce").to_numpy(float)[diff],
            "gap_class_from": a.to_numpy(object)[diff], "gap_class_to": b.to_numpy(object)[diff],
        }))
    cols = ["scenario", S.ID, S.NAME, S.COMMUNE, S.POP, "gap_class_from", "gap_class_to"]
    changes = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols))[cols]
    changes.attrs["first"] = first_name
    progress(1.0, "compared")
    return Comparison(table=table, changes=changes, plans=plans, results=results)


# --------------------------------------------------------------------------- modelled


def with_modelled_coverage(result: Result, out_dir: str | Path, *, config: RunConfig | None = None,
                           progress: Progress | None = None) -> RunConfig:
    """Model signal from the run's towers (and DEM) and return a config that adds it.

    The towers of ``result`` (``layers["towers"]``: carrier, technology and the
    config's height column) are modelled with
    :func:`gisapp.analysis.propagation.model_signal` on a grid of
    ``propagation.resolution_m`` over the villages, in the run's metric CRS (Hata +
    DEM line of sight, or the fixed radius without a DEM), written as
    ``out_dir/modelled_<key>.tif``.

    Returns
    -------
    RunConfig
        The config with one ``SignalRaster(kind="modelled")`` per modelled
        carrier × technology added to ``signal_rasters``; run it for the second pass.
    """
    from gisapp.analysis.propagation import _grid_from_sites, model_signal
    from gisapp.io.raster import write_signal_rasters

    cfg = config or result.config
    towers = result.layers.get("towers") if result.layers else None
    if towers is None or len(towers) == 0:
        raise ConfigError("modelled coverage needs a [towers] layer with at least one site")
    crs = _analysis_crs(result)
    sites = to_metric(towers, crs)
    hcol = cfg.towers.height_m if cfg.towers is not None else None
    sites = sites.assign(height_m=pd.to_numeric(sites[hcol], errors="coerce")
                         if hcol and hcol in sites.columns else np.nan)
    sites = sites[sites["technology"].astype(str).str.upper().isin(
        list(cfg.propagation.radius_m if cfg.dem is None else cfg.propagation.freq_mhz))]
    vb = to_metric(result.villages, crs).total_bounds
    corners = np.array([[vb[0], vb[1]], [vb[2], vb[3]]])
    transform, shape = _grid_from_sites(corners, np.zeros(2), cfg.propagation.resolution_m)
    dem = None
    if cfg.dem is not None:
        from gisapp.io.raster import read_band

        arr, dtr, dcrs = read_band(cfg.dem.path, role="dem", max_mb=cfg.options.max_file_mb)
        dem = (arr.astype(np.float32), dtr, dcrs)
    layers = model_signal(sites, dem=dem, grid=(transform, shape, crs), settings=cfg.propagation,
                          thresholds=cfg.thresholds.dbm, progress=progress)
    paths = write_signal_rasters(layers, out_dir)
    added = tuple(SignalRaster(path=paths[k], carrier=layers[k].carrier,
                               technology=layers[k].technology, kind="modelled")
                  for k in sorted(paths))
    log.info("modelled coverage: %d layers at %.0f m written to %s", len(added),
             cfg.propagation.resolution_m, out_dir)
    return cfg.replace(signal_rasters=tuple(cfg.signal_rasters) + added)
