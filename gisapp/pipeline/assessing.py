"""The cheap stage: classify, explain, score and summarise what :func:`measure` measured.

:func:`assess` reads only the thresholds, power rules and weights of a config, so the app
re-runs it on every slider change; the shares it needs per threshold and the unions of
layers are cached on the :class:`~gisapp.pipeline.model.Measured`. The run's manifest is
written here too, as it describes the config assessed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp import __version__
from gisapp import schema as S
from gisapp.analysis import coverage as cov
from gisapp.analysis import calibrate, gaps, infrastructure, power, scoring, summary
from gisapp.config import RunConfig, config_to_dict
from gisapp.errors import InputError
from gisapp.pipeline import evidence
from gisapp.pipeline.layers import DisplayLayers
from gisapp.pipeline.model import Measured, Result

__all__ = ["threshold", "layer_measures", "union_shares", "assess", "manifest"]


def threshold(cfg: RunConfig, technology: str, override: float | None) -> float:
    """The signal threshold (dBm) of a technology: the layer's own, else the config's."""
    if override is not None:
        return float(override)
    try:
        return float(cfg.thresholds.dbm[technology])
    except KeyError:
        raise InputError(f"no signal threshold for technology {technology}; add it under [thresholds] dbm") from None


def layer_measures(m: Measured, cfg: RunConfig) -> tuple[list[gaps.LayerMeasure], pd.DataFrame]:
    """Every layer's shares per village for the thresholds of ``cfg``: the coverage
    polygons as measured, the signal rasters at their threshold (cached), and the
    measurements judged by ``[measurement_rules]`` (:func:`gisapp.pipeline.evidence.judge`),
    whose sufficient verdicts overrule the declared and modelled layers of their carrier ×
    technology. Also returns the evidence and ``dispute__<key>`` columns per village."""
    out = list(m.polygon_layers)
    used = {lm.key for lm in out} | {st.key for st in m.raster_layers}
    for st in m.raster_layers:
        thr = threshold(cfg, st.layer.technology, st.layer.threshold_dbm)
        ck = ("raster", st.key, thr)
        if ck not in m.measure_cache:
            m.measure_cache[ck] = cov.raster_coverage(
                st.index, st.dbm, threshold_dbm=thr, centres=m.centres,
                pair_weights=st.pop_weights, signal_dbm=st.centre_dbm,
            )
        out.append(gaps.LayerMeasure(st.key, st.layer.carrier, st.layer.technology, st.layer.kind,
                                     "signal", st.layer.date, m.measure_cache[ck]))
    if not m.measurement_layers:
        return out, pd.DataFrame(index=m.base.index)
    techs = {str(t) for _, pts in m.measurement_layers for t in pts["technology"].unique()}
    judged = evidence.judge(m, cfg, out, {t: threshold(cfg, t, None) for t in techs}, used)
    return evidence.overrule(out, judged.verdicts) + judged.layers, judged.columns


def union_shares(m: Measured, technologies: tuple[str, ...]) -> pd.DataFrame | None:
    """Shares covered by the union of the polygon layers of the given technologies (cached)."""
    keys = tuple(sorted(lm.key for lm in m.polygon_layers if lm.technology in technologies))
    if len(keys) < 2:
        return None
    if keys not in m.union_cache:
        # polygon_coverage reuses the pieces it just cut for each layer and unions per village
        merged = pd.concat([m.coverage_geoms[k] for k in keys], ignore_index=True)
        m.union_cache[keys] = cov.polygon_coverage(
            m.base, merged, centres=m.centres, pop_index=m.pop_index, pop_values=m.pop_values)
    return m.union_cache[keys]


def _signal_columns(m: Measured, cfg: RunConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Per-layer and combined signal columns, and the signal class."""
    th = cfg.thresholds
    techs = tuple(th.technologies)
    union = union_shares(m, techs)
    union4g = union_shares(m, tuple(t for t in techs if t in ("4G", "5G")))
    layers, evidence_cols = layer_measures(m, cfg)
    combined = gaps.combine_layers(
        layers, m.base.index, technologies=techs,
        union_pop_share=None if union is None else union["pop_share"],
        union_area_share=None if union is None else union["area_share"],
        union_pop_share_4g=None if union4g is None else union4g["pop_share"],
    )
    has = m.base["_has_geom"]
    sig = gaps.classify_signal(combined, pocket_share=th.pocket_share, has_geometry=has)
    combined.loc[~has, S.SIGNAL_EVIDENCE] = "no geometry"
    # the per-layer centre columns keep what each layer says (the declared answer stays
    # visible beside its dispute); only the combined facts above took the verdicts
    for lm in layers:
        if evidence.LAYER_CENTRE in lm.frame:
            combined[S.centre_col(lm.key)] = lm.frame[evidence.LAYER_CENTRE].astype("boolean")
    return combined.join(evidence_cols), sig


def _infrastructure_columns(out: pd.DataFrame, m: Measured, cfg: RunConfig) -> pd.DataFrame:
    """Distances, lights, fibre reach and facility counts."""
    idx = out.index
    out[S.DIST_GRID_M] = m.dist_grid_m if m.dist_grid_m is not None else np.nan
    out[S.LIGHTS] = m.lights if m.lights is not None else np.nan
    out[S.DIST_FIBRE_M] = m.dist_fibre_m if m.dist_fibre_m is not None else np.nan
    out[S.FIBRE_REACHED] = (infrastructure.fibre_reached(m.dist_fibre_m, reach_m=cfg.thresholds.fibre_reach_m)
                            if m.dist_fibre_m is not None else pd.Series(pd.NA, index=idx, dtype="boolean"))
    out[S.DIST_SITE_M] = m.dist_site_m if m.dist_site_m is not None else np.nan
    if m.facilities is not None:
        out = out.join(m.facilities)
    else:
        out[S.N_FACILITIES] = np.nan
    if m.site_dist_by_carrier is not None:
        out = out.join(m.site_dist_by_carrier)
    if m.complaints is not None:
        out = out.join(m.complaints)
    return out


def assess(measured: Measured, config: RunConfig | None = None) -> Result:
    """Classify, explain, score and summarise (the cheap stage).

    Parameters
    ----------
    measured
        From :func:`measure`.
    config
        Thresholds, power rules and weights to apply; the measured config by default.
        Only those settings are read here; layers are not re-read.

    Returns
    -------
    Result
        ``villages`` in EPSG:4326 with :data:`gisapp.schema.VILLAGE_COLUMNS`, the
        per-layer columns and geometry; ``summary`` per commune and province.
    """
    cfg = config or measured.config
    m = measured
    base = m.base
    idx = base.index
    th = cfg.thresholds
    combined, sig = _signal_columns(m, cfg)
    rules, calibration = calibrate.resolve(cfg.power, dist_grid_m=m.dist_grid_m, lights=m.lights,
                                           population=base[S.POP], declared=m.declared)
    pw = power.power_status(
        idx, declared=m.declared, dist_grid_m=m.dist_grid_m, lights=m.lights, rules=rules,
        declared_source=m.declared_source, declared_date=m.declared_date, population=base[S.POP],
    )
    out = pd.DataFrame(index=idx)
    for c in (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.POP_SOURCE, S.AREA_KM2, S.LON, S.LAT):
        out[c] = base[c]
    out = out.join(combined)
    out[S.SIGNAL_CLASS] = sig
    out = out.join(pw)
    out = _infrastructure_columns(out, m, cfg)
    out[S.GAP_CLASS] = gaps.classify_gaps(sig, out[S.POWER_STATUS], pocket_is_gap=th.pocket_is_gap)
    out[S.WHY] = gaps.explain(out, pocket_share=th.pocket_share, notes=m.notes)
    out = out.join(scoring.score(out, cfg.weights))

    layer_cols = [c for c in out.columns if c not in S.VILLAGE_COLUMNS]
    villages = gpd.GeoDataFrame(
        out[list(S.VILLAGE_COLUMNS) + layer_cols], geometry=base.geometry.to_numpy(), crs=m.crs,
        index=idx,
    ).to_crs(4326)
    summ = summary.summarise(villages)
    man = manifest(m, cfg)
    if calibration is not None:
        man["power_calibration"] = calibration
    return Result(villages=villages, summary=summ, report=m.report, config=cfg,
                  layers=DisplayLayers(m), manifest=man)


def manifest(m: Measured, cfg: RunConfig) -> dict[str, Any]:
    """The run's manifest: version, time, CRS, config, input hashes, counts, warnings."""
    base = cfg.base_dir
    return {
        "gisapp_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "synthetic": bool(cfg.options.synthetic),
        "analysis_crs": m.crs.to_string(),
        "config": config_to_dict(cfg, relative_to=base),
        "inputs": {
            (str(Path(p).resolve().relative_to(base.resolve())) if base and _inside(p, base) else p): h
            for p, h in sorted(m.input_hashes.items())
        },
        "villages": int(len(m.base)),
        "repaired_geometries": m.report.repaired_geometries,
        "missing_geometries": m.report.missing_geometries,
        "warnings": list(m.report.warnings),
        **m.report.details,
    }


def _inside(p: str, base: Path) -> bool:
    try:
        Path(p).resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False
