"""Modelled coverage from ``[towers]`` in ``gisapp run`` (issue 16).

With ``model = "itm" | "hata" | "radius"`` in ``[towers]``, :func:`with_tower_coverage`
reads the towers (a table, or OpenCelliD cells grouped into sites) and the DEM (a GeoTIFF
or a folder of tiles, :mod:`gisapp.io.dem`), models the signal per carrier × technology
(:mod:`gisapp.analysis.towers_coverage`), writes it as GeoTIFF (dBm) in
``<out>/modelled/`` and returns the config with those rasters added as
``kind = "modelled"`` signal layers: the run's columns, map, exports and ``why`` then treat
them as any signal raster, labelled modelled.

The rasters cover the villages' extent plus 1 km at ``[propagation] resolution_m``. With
``[[measurements]]`` in the run, each modelled carrier × technology is first shifted by the
offset fitted to the measurements on it (:mod:`gisapp.analysis.calibration`); the offset,
the RMSE before and after and the number of samples are in the report and in the
manifest (``modelled_towers.calibration``).

Villages beyond every tower's reach: with ``complete = true`` the rasters hold
:data:`BEYOND_REACH_DBM` there (no signal, said so in ``why``); otherwise they stay nodata
(signal unknown, with the reason in ``why`` and a count in the report).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp.analysis.calibration import MIN_SAMPLES, Calibration, apply_offsets, fit_offsets
from gisapp.analysis.propagation import _grid_from_sites
from gisapp.analysis.towers_coverage import TowerModelOptions, beyond_reach, model_towers
from gisapp.carriers import normalise_towers
from gisapp.config import RunConfig, SignalRaster, TowerLayer
from gisapp.crs import to_metric
from gisapp.errors import InputError
from gisapp.io.dem import dem_footprint, metric_ground, read_dem
from gisapp.io.opencellid import group_sites, read_opencellid, site_technologies
from gisapp.io.raster import write_geotiff
from gisapp.parallel import n_threads
from gisapp.pipeline.layers import read_layer
from gisapp.pipeline.model import Measured, RunReport
from gisapp.pipeline.normalise import check_columns, read_villages

__all__ = ["BEYOND_REACH_DBM", "TowerRun", "read_towers", "with_tower_coverage",
           "note_beyond_reach", "add_to_manifest"]

log = logging.getLogger(__name__)

#: signal written beyond every tower's reach when the tower list is declared complete
BEYOND_REACH_DBM = -200.0


@dataclass
class TowerRun:
    """What the modelling adds to the run's report and notes."""

    beyond: np.ndarray                     # per village (base order): beyond every reach
    complete: bool
    warnings: list[str] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)
    #: for the manifest: the model, each tower's method, the calibration per layer
    manifest: dict[str, Any] = field(default_factory=dict)


def read_towers(t: TowerLayer, *, cfg: RunConfig, crs: Any, villages: gpd.GeoDataFrame
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The towers in the run's CRS with ``carrier``, ``technology`` and the optional
    ``height_m``, ``eirp_dbm``, ``freq_mhz``, ``backup_power`` columns; and their names."""
    if t.format == "opencellid":
        sites = site_technologies(group_sites(read_opencellid(t.path)))
        return to_metric(sites, crs), [f"{s} ({Path(t.path).name})" for s in sites["site_id"]]
    towers = read_layer(t.path, role="towers", cfg=cfg, crs=crs, villages=villages,
                        layer=t.layer, lon=t.lon, lat=t.lat, layer_crs=t.crs)
    towers = normalise_towers(towers, carrier=t.carrier, technology=t.technology,
                              mcc_mnc=t.mcc_mnc, mcc=t.mcc, mnc=t.mnc, path=t.path)
    for std, col in (("height_m", t.height_m), ("eirp_dbm", t.eirp_dbm),
                     ("freq_mhz", t.freq_mhz), ("backup_power", t.backup_power)):
        if col and col in towers and col != std:
            towers[std] = towers[col]
    if t.name and t.name in towers:
        names = [f"'{v}'" for v in towers[t.name].astype(str)]
    else:
        names = [f"row {i + 1} of {Path(t.path).name}" for i in range(len(towers))]
    return towers, names


def _ground(dem_path: Path, sites: gpd.GeoDataFrame, reach: float, crs: Any):
    b = sites.total_bounds
    pad = np.array([-reach, -reach, reach, reach]) * 1.05
    bounds = tuple(b + pad)
    b4326 = tuple(gpd.GeoSeries(gpd.points_from_xy([bounds[0], bounds[2]],
                                                   [bounds[1], bounds[3]]), crs=crs)
                  .to_crs(4326).total_bounds)
    dem = read_dem(dem_path, bounds_4326=b4326)
    arr, gtr = metric_ground(dem, crs, bounds)
    return dem, (arr, gtr), dem_footprint(dem, crs)


def with_tower_coverage(cfg: RunConfig, out_dir: str | Path | None
                        ) -> tuple[RunConfig, TowerRun | None]:
    """Model the ``[towers]`` coverage and add it to the config (see the module doc)."""
    t = cfg.towers
    if t is None or t.model is None:
        return cfg, None
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="gisapp-"))
    base, _notes, crs = read_villages(cfg, RunReport())
    sites, names = read_towers(t, cfg=cfg, crs=crs, villages=base)
    known = sites["technology"].astype(str).str.upper().isin(list(cfg.thresholds.dbm))
    sites, names = sites[known.to_numpy()], [n for n, k in zip(names, known) if k]
    res = cfg.propagation.resolution_m
    vb = base.total_bounds + np.array([-1.0, -1.0, 1.0, 1.0]) * 1_000.0   # villages + 1 km
    transform, shape = _grid_from_sites(np.array([[vb[0], vb[1]], [vb[2], vb[3]]]),
                                        np.zeros(2), res)
    dem_path = t.dem or (cfg.dem.path if cfg.dem is not None else None)
    run = TowerRun(beyond=np.zeros(len(base), bool), complete=bool(t.complete))
    ground = footprint = None
    if dem_path is not None and t.model != "radius" and len(sites):
        reach = max(cfg.propagation.max_range_m.values())
        dem, ground, footprint = _ground(Path(dem_path), sites, reach, crs)
        run.layers.append({"role": "dem", "path": str(dem_path), "kind": "modelled",
                           "resolution_m": round(dem.resolution_m, 1), "tiles": dem.tiles})
        log.info("DEM %s: %.1f m resolution, %d tile(s)", dem_path, dem.resolution_m, dem.tiles)
        run.warnings.append(f"DEM {Path(dem_path).name}: resolution {dem.resolution_m:.0f} m "
                            f"({dem.tiles} tile(s))")
    opts = TowerModelOptions(model=t.model, radials=t.radials, receiver_step=t.receiver_step,
                             profile_spacing_m=t.profile_spacing_m, workers=n_threads())
    try:
        tc = model_towers(sites, grid=(transform, shape, crs), ground=ground,
                          footprint=footprint, settings=cfg.propagation,
                          thresholds=cfg.thresholds.dbm, options=opts, names=names)
    except InputError as e:
        if e.layer != "dem" or dem_path is None:
            raise
        raise InputError(str(e).removeprefix("layer 'dem': "), path=dem_path,
                         layer="dem") from e
    run.warnings.extend(tc.warnings)
    cal = _calibrate(cfg, crs, base, tc.layers)
    tc.layers = apply_offsets(tc.layers, cal)
    for key, c in cal.items():
        run.warnings.append(
            f"modelled {key} calibrated to {c.samples} measurement(s): offset "
            f"{c.offset_db:+.1f} dB, RMSE {c.rmse_before_db:.1f} → {c.rmse_after_db:.1f} dB"
            + ("" if c.samples >= MIN_SAMPLES else f" (fewer than {MIN_SAMPLES}: not applied)"))
    methods, counts = np.unique(tc.methods.astype(str), return_counts=True)
    run.manifest = {"model": t.model, "complete": bool(t.complete),
                    "towers": int(len(sites)),
                    "methods": {str(k): int(v) for k, v in zip(methods, counts)},
                    "radials": t.radials, "receiver_step": t.receiver_step,
                    "profile_spacing_m": t.profile_spacing_m,
                    "calibration": {k: c.as_dict() for k, c in cal.items()}}
    centres = base.geometry.representative_point()
    xy = np.column_stack([centres.x.to_numpy(), centres.y.to_numpy()])
    sxy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])
    run.beyond = beyond_reach(xy, sxy, tc.reach_m) & base["_has_geom"].to_numpy()
    added = []
    (out / "modelled").mkdir(parents=True, exist_ok=True)
    for key in sorted(tc.layers):
        lay = tc.layers[key]
        dbm = lay.dbm
        if t.complete:
            dbm = np.where(np.isnan(dbm), np.float32(BEYOND_REACH_DBM), dbm)
        path = write_geotiff(out / "modelled" / f"modelled_{key}.tif", dbm, lay.transform,
                             lay.crs, tags={"kind": "modelled", "method": lay.method,
                                            "carrier": lay.carrier, "units": "dBm",
                                            "technology": lay.technology,
                                            "complete": str(bool(t.complete)).lower()})
        added.append(SignalRaster(path=path, carrier=lay.carrier, technology=lay.technology,
                                  kind="modelled"))
    return cfg.replace(signal_rasters=tuple(cfg.signal_rasters) + tuple(added)), run


def _calibrate(cfg: RunConfig, crs: Any, base: gpd.GeoDataFrame, layers: dict
               ) -> dict[str, Calibration]:
    """Offsets of the modelled layers fitted to the run's measurements, if any."""
    parts = []
    for layer in cfg.measurements:
        pts = read_layer(layer.path, role="measurements", cfg=cfg, crs=crs, villages=base,
                         layer=layer.layer, lon=layer.lon, lat=layer.lat, layer_crs=layer.crs)
        pts = check_columns(pts, {"carrier": layer.carrier, "technology": layer.technology,
                            "signal": layer.signal}, path=layer.path, layer="measurements")
        parts.append(gpd.GeoDataFrame({
            "carrier": pts[layer.carrier].astype(str).to_numpy(),
            "technology": pts[layer.technology].astype(str).to_numpy(),
            "signal": pts[layer.signal].to_numpy()}, geometry=pts.geometry.to_numpy(), crs=crs))
    if not parts:
        return {}
    return fit_offsets(layers, pd.concat(parts, ignore_index=True), signal="signal")


def add_to_manifest(result: Any, run: TowerRun | None) -> None:
    """Record the towers' model and calibration in the run's manifest."""
    if run is not None and run.manifest:
        result.manifest["modelled_towers"] = run.manifest


def note_beyond_reach(m: Measured, run: TowerRun | None) -> None:
    """Add the modelling's warnings to the report and say why, village by village."""
    if run is None:
        return
    for w in run.warnings:
        m.report.warn(w)
    m.report.layers.extend(run.layers)
    n = int(run.beyond.sum())
    if not n:
        return
    if run.complete:
        text = ("beyond the reach of every modelled tower, and the tower list is declared "
                "complete: no signal (modelled)")
        m.report.warn(f"towers: {n} village(s) beyond every tower's reach; the tower list is "
                      "declared complete, so they have no signal (modelled)")
    else:
        text = ("beyond the reach of every modelled tower, and the tower list is not declared "
                "complete (complete = true in [towers]): signal unknown")
        m.report.warn(f"towers: {n} village(s) beyond every tower's reach are unknown, as the "
                      "tower list is not declared complete (set complete = true in [towers] "
                      "if it holds every tower)")
    idx = m.base.index
    for i in np.flatnonzero(run.beyond):
        k = idx[i]
        m.notes[k] = ((m.notes[k] + "; ") if k in m.notes else "") + text
