"""Measurements and complaints of a run: read and checked (measure), judged (assess).

* :func:`read_measurements` (a job of :func:`gisapp.pipeline.measure`) reads one
  ``[[measurements]]`` table, skips each unusable row with its reason
  (:data:`gisapp.analysis.coverage.evidence.REASONS`, counted in the report) and returns
  the usable rows in standard columns;
* :func:`read_complaints` counts the ``[complaints]`` points per village and carrier, and
  those outside every village;
* :func:`judge` (in :func:`gisapp.pipeline.assess`) pools the samples of every table per
  carrier × technology, gives the evidence and verdict per village, the measured layers,
  and the ``dispute__<key>`` columns; where the evidence is sufficient the verdict
  overrules the declared (and modelled) layers of that carrier × technology for the
  class.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.analysis import gaps
from gisapp.analysis.coverage import evidence as ev
from gisapp.carriers import MCC_MNC
from gisapp.config import DBM_MAX, DBM_MIN, MeasurementLayer, RunConfig
from gisapp.pipeline.layers import layer_entry, read_layer, unique_key
from gisapp.pipeline.model import Measured, RunReport
from gisapp.pipeline.normalise import check_columns
from gisapp.text import slug

__all__ = ["LAYER_CENTRE", "known_carriers", "read_measurements", "read_complaints", "Judged", "judge"]

#: column of an overruled layer's frame keeping the layer's own centre answer
LAYER_CENTRE = "centre_as_layer"
#: carriers known by another name (VNPT runs VinaPhone)
_ALIASES = {"vnpt": "VNPT", "vinaphone": "VinaPhone"}


def known_carriers(cfg: RunConfig) -> dict[str, str]:
    """``slug(name)`` → name of every carrier a measurement or complaint may name: the
    operators of :data:`~gisapp.carriers.MCC_MNC`, VNPT, ``[measurement_rules] carriers``
    and the carriers of the run's layers (their spelling wins)."""
    names = {slug(n): n for n in MCC_MNC.values()} | _ALIASES
    names |= {slug(n): n for n in cfg.measurement_rules.carriers}
    names |= {slug(x.carrier): x.carrier for x in (*cfg.coverage, *cfg.signal_rasters)}
    return names


def read_measurements(cfg: RunConfig, crs: Any, base: gpd.GeoDataFrame, layer: MeasurementLayer
                      ) -> tuple[RunReport, tuple[gpd.GeoDataFrame, dict[str, int]]]:
    """One measurement table read, its unusable rows skipped and counted by reason.

    Returns the job's report (one warning per reason, naming the file and example rows)
    and ``(usable rows, {reason: count})``; the usable rows have the standard columns of
    :func:`gisapp.analysis.coverage.evidence.clean_measurements`.
    """
    rep = RunReport()
    gdf = read_layer(layer.path, role="measurements", cfg=cfg, crs=crs, villages=base,
                     layer=layer.layer, lon=layer.lon, lat=layer.lat, layer_crs=layer.crs)
    wanted = {"carrier": layer.carrier, "technology": layer.technology, "signal": layer.signal,
              "time": layer.time, "download": layer.download}
    gdf = check_columns(gdf, wanted, path=layer.path, layer="measurements")
    clean, reason = ev.clean_measurements(
        gdf, carrier=layer.carrier, technology=layer.technology, signal=layer.signal,
        time=layer.time, default_time=layer.date, download=layer.download,
        known_carriers=known_carriers(cfg), dbm_range=(DBM_MIN, DBM_MAX))
    counts = {r: int((reason == r).sum()) for r in ev.REASONS}
    rows = pd.Series(np.arange(1, len(gdf) + 1), index=gdf.index)
    for r, k in counts.items():
        if k:
            examples = rows[reason == r].head(5).tolist()
            rep.warn(f"measurements ({layer.path.name}): {k} row(s) skipped, {r.replace('_', ' ')}"
                     f" (e.g. rows {examples})", key=f"meas_{r}", file=layer.path.name, n=k,
                     rows=examples)
    rep.layers.append(layer_entry("measurements", layer.path, "measured", layer.date, len(clean)))
    return rep, (clean, counts)


def read_complaints(cfg: RunConfig, crs: Any, base: gpd.GeoDataFrame
                    ) -> tuple[RunReport, tuple[pd.DataFrame, dict[str, int]]]:
    """Complaint points per village: ``complaints`` and ``complaints__<carrier>`` columns
    (int), and the counts for the report (``read``, ``outside``: in no village,
    ``unknown_carrier``: counted in the total only)."""
    rep = RunReport()
    c = cfg.complaints
    gdf = read_layer(c.path, role="complaints", cfg=cfg, crs=crs, villages=base, layer=c.layer,
                     lon=c.lon, lat=c.lat, layer_crs=c.crs)
    gdf = check_columns(gdf, {"time": c.time, "carrier": c.carrier}, path=c.path,
                        layer="complaints")
    names = known_carriers(cfg)
    carrier = gdf[c.carrier].astype("object").map(
        lambda v: None if pd.isna(v) else names.get(slug(v)))
    pts = gpd.GeoDataFrame({"carrier": carrier}, geometry=gdf.geometry, crs=gdf.crs)
    counts, outside = ev.count_in_villages(base, pts, radius_m=c.radius_m, group="carrier")
    out = pd.DataFrame({S.COMPLAINTS: counts["total"]}, index=base.index)
    for name in counts.columns.drop("total"):
        out[S.complaints_col(name)] = counts[name]
    unknown = int(carrier.isna().sum())
    if outside:
        rep.warn(f"complaints ({c.path.name}): {outside} of {len(pts)} complaint(s) are in no "
                 "village", key="complaints_outside", file=c.path.name, n=outside, total=len(pts))
    rep.layers.append(layer_entry("complaints", c.path, "declared", None, len(pts)))
    return rep, (out, {"read": int(len(pts)), "outside": outside, "unknown_carrier": unknown})


@dataclass
class Judged:
    """What the measurements say for one config's thresholds and rules."""

    layers: list[gaps.LayerMeasure]      # measured layers, one per carrier × technology
    columns: pd.DataFrame                # evidence and dispute columns per village
    verdicts: dict[str, pd.Series]       # carrier × technology key → verdict per village


def _pooled(m: Measured) -> pd.DataFrame | None:
    """Every table's usable samples together (metric CRS), or None without any."""
    frames = [pts for _, pts in m.measurement_layers if len(pts)]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def judge(m: Measured, cfg: RunConfig, base_layers: list[gaps.LayerMeasure],
          thresholds: dict[str, float], used: set[str]) -> Judged:
    """Evidence, verdicts and disputes per village × carrier × technology (cached per
    thresholds and rules on ``m``). ``base_layers`` are the run's other layers (the
    declared ones are held against the verdicts); ``thresholds`` per technology;
    ``used`` the layer keys taken (the measured layers' keys are added to it). Point
    villages take the samples within the smallest ``radius_m`` of the tables."""
    rules = cfg.measurement_rules
    pts = _pooled(m)
    empty = Judged([], pd.DataFrame(index=m.base.index), {})
    if pts is None:
        return empty
    radius = min((layer.radius_m for layer, _ in m.measurement_layers), default=500.0)
    if "pairs" not in m.measure_cache:
        m.measure_cache["pairs"] = ev.village_pairs(m.base, pts.geometry, radius_m=radius)
    vi, pk = m.measure_cache["pairs"]
    as_of = pd.Timestamp(rules.as_of) if rules.as_of else None
    if as_of is None and pts["time"].notna().any():
        as_of = pts["time"].max()
    cols: dict[str, Any] = {}
    out = Judged([], pd.DataFrame(index=m.base.index), {})
    for (carrier, tech), idx in pts.groupby(["carrier", "technology"], sort=True).groups.items():
        key = S.layer_key(str(carrier), str(tech))
        thr = float((rules.dbm or {}).get(tech, thresholds[tech]))
        # not ``rules`` itself: its ``dbm`` is a mapping (unhashable); thr carries it
        ck = ("evidence", key, thr, rules.min_samples, float(rules.max_age_days),
              float(rules.covered_share), as_of)
        if ck not in m.measure_cache:
            rows = np.asarray(idx, dtype=np.intp)
            member = np.zeros(len(pts), bool)
            member[rows] = True
            pos = np.full(len(pts), -1, np.intp)
            pos[rows] = np.arange(len(rows))
            keep = member[pk]
            m.measure_cache[ck] = ev.measurement_evidence(
                m.base, pts.iloc[rows], pairs=(vi[keep], pos[pk[keep]]), threshold_dbm=thr,
                min_samples=rules.min_samples, max_age_days=rules.max_age_days,
                covered_share=rules.covered_share, as_of=as_of)
        frame = m.measure_cache[ck]
        lkey = unique_key(key, "measured", used)
        out.layers.append(gaps.LayerMeasure(lkey, str(carrier), str(tech), "measured",
                                            "measurements", None, frame))
        out.verdicts[key] = frame["meas_verdict"]
        for stem in S.EVIDENCE_STEMS[:-1]:
            if stem != "meas_download_mbps" or frame[stem].notna().any():
                cols[S.evidence_col(stem, key)] = frame[stem]
        declared = [lm for lm in base_layers if lm.kind == "declared"
                    and S.layer_key(lm.carrier, lm.technology) == key]
        if declared:
            centre = gaps._any_true([lm.frame["centre"].reindex(m.base.index) for lm in declared],
                                    m.base.index)
            cols[S.dispute_col(key)] = ev.disputes(centre, frame["meas_verdict"])
    out.columns = pd.DataFrame(cols, index=m.base.index)
    return out


def overrule(layers: list[gaps.LayerMeasure], verdicts: dict[str, pd.Series]
             ) -> list[gaps.LayerMeasure]:
    """The layers with the centre of each declared or modelled layer replaced by the
    measured verdict of its carrier × technology where that verdict is sufficient
    (measurements outrank declared coverage); the layer's own answer is kept in
    :data:`LAYER_CENTRE`. The frames given are not changed."""
    out = []
    for lm in layers:
        verdict = verdicts.get(S.layer_key(lm.carrier, lm.technology))
        if verdict is None or lm.kind == "measured":
            out.append(lm)
            continue
        frame = lm.frame.copy()
        v = verdict.reindex(frame.index)
        frame[LAYER_CENTRE] = frame["centre"].astype("boolean")
        centre = frame["centre"].astype("boolean").copy()
        centre[v.eq(S.Verdict.COVERED.value).to_numpy()] = True
        centre[v.eq(S.Verdict.NOT_COVERED.value).to_numpy()] = False
        frame["centre"] = centre
        out.append(replace(lm, frame=frame))
    return out
