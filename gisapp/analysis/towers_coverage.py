"""Coverage modelled from tower sites over terrain: ITM radials, Hata, fixed radius.

Everything here is **modelled** evidence (``kind = "modelled"``). The models, best first:

* ``"itm"`` — the Irregular Terrain Model (Longley-Rice; :mod:`gisapp.analysis.itm`,
  Hufford 1999 / NTIA ITM v1.4) over radial terrain profiles from each tower: ``radials``
  profiles (72 by default, every 5°) sampled every ``profile_spacing_m`` out to the
  tower's reach, a receiver every ``receiver_step`` samples, and the loss filled in
  between radials and receivers (bilinear in azimuth × distance) on the output grid.
* ``"hata"`` — Okumura-Hata / COST-231 Hata (COST 231 final report, eqs. 4.4.1, 4.4.3;
  :mod:`gisapp.analysis.propagation`), with the DEM's line of sight when there is a DEM.
  Hata is a flat/urban model valid for masts of 30–200 m, paths of 1–20 km and
  150–1,500 MHz (COST-231: 1,500–2,000 MHz). A tower outside that range is warned about,
  and modelled with ITM instead when a DEM is given.
* ``"radius"`` — the fixed radius per technology (:class:`~gisapp.config.planning.
  PropagationSettings` ``radius_m``, derived from Hata at the defaults), last resort.

Received power = EIRP − loss; the best server per pixel per carrier × technology. The
reach of a tower is ``PropagationSettings.max_range_m`` of its technology. A tower whose
reach is not inside the DEM is refused with an :class:`~gisapp.errors.InputError` naming
it. This module opens no file: the pipeline reads the towers and the DEM (gisapp.io).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from affine import Affine

from gisapp.analysis.itm import itm_p2p_loss_many
from gisapp.analysis.propagation import (
    ModelledRaster, free_space_loss_db, model_signal, path_loss_db,
)
from gisapp.errors import InputError
from gisapp.config.planning import PropagationSettings
from gisapp.schema import layer_key

__all__ = ["TowerModelOptions", "TowerCoverage", "model_towers", "hata_out_of_range",
           "radial_losses", "fill_from_radials", "beyond_reach", "radio_horizon_visible"]

MODELS = ("itm", "hata", "radius")


@dataclass(frozen=True)
class TowerModelOptions:
    """How towers are modelled (``[towers]`` of the run config)."""

    model: str = "itm"
    radials: int = 72
    receiver_step: int = 6
    profile_spacing_m: float = 90.0
    climate: int = 5              # continental temperate (NTIA's climate codes)
    workers: int = 1


@dataclass
class TowerCoverage:
    """Modelled layers, each site's reach (m) and method, and warnings for the report."""

    layers: dict[str, ModelledRaster]
    reach_m: np.ndarray
    methods: np.ndarray
    warnings: list[str] = field(default_factory=list)


def hata_out_of_range(freq_mhz: float, height_m: float, reach_m: float) -> list[str]:
    """Why Hata is not valid for this tower (empty when it is)."""
    why = []
    if height_m < 30.0:
        why.append(f"mast {height_m:.0f} m < 30 m")
    if reach_m > 20_000.0:
        why.append(f"paths to {reach_m / 1000:.0f} km > 20 km")
    if not (150.0 <= freq_mhz <= 2000.0):
        why.append(f"{freq_mhz:.0f} MHz outside 150–1,500 MHz (COST-231: 1,500–2,000)")
    return why


def _site_params(sites: Any, settings: PropagationSettings,
                 thresholds: Mapping[str, float]) -> pd.DataFrame:
    tech = sites["technology"].astype(str).str.upper().to_numpy()

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(sites[name], errors="coerce").to_numpy(float) if name in sites \
            else np.full(len(sites), np.nan)

    h = col("height_m")
    f, e = col("freq_mhz"), col("eirp_dbm")
    missing = sorted({t for t, fv in zip(tech, f) if not np.isfinite(fv) and t not in settings.freq_mhz})
    if missing:
        raise InputError(f"no frequency for technology {', '.join(missing)}; set it under "
                         "[propagation] freq_mhz or give a frequency column in [towers]",
                         layer="towers")
    return pd.DataFrame({
        "technology": tech, "carrier": sites["carrier"].astype(str).to_numpy(),
        "x": sites.geometry.x.to_numpy(), "y": sites.geometry.y.to_numpy(),
        "height_m": np.where(np.isfinite(h) & (h > 0), h, settings.default_height_m),
        "freq_mhz": np.where(np.isfinite(f), f, [settings.freq_mhz.get(t, np.nan) for t in tech]),
        "eirp_dbm": np.where(np.isfinite(e), e, [settings.eirp_dbm.get(t, 43.0) for t in tech]),
        "reach_m": [float(settings.max_range_m.get(t, 20_000.0)) for t in tech],
        "threshold_dbm": [float(thresholds.get(t, -100.0)) for t in tech],
    })


def _check_dem_reach(p: pd.DataFrame, names: Sequence[str], ground: np.ndarray,
                     gtr: Affine, footprint: Any) -> None:
    """Refuse a tower whose reach the DEM does not cover, naming it."""
    import shapely

    disks = shapely.buffer(shapely.points(p["x"].to_numpy(), p["y"].to_numpy()),
                           p["reach_m"].to_numpy(), quad_segs=4)
    inside = shapely.covers(footprint, disks) if footprint is not None \
        else np.ones(len(p), bool)
    col, row = ~gtr @ (p["x"].to_numpy(), p["y"].to_numpy())
    r, c = np.floor(row).astype(int), np.floor(col).astype(int)
    ok = (r >= 0) & (r < ground.shape[0]) & (c >= 0) & (c < ground.shape[1])
    on = np.zeros(len(p), bool)
    on[ok] = np.isfinite(ground[r[ok], c[ok]])
    bad = np.flatnonzero(~(inside & on))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"the DEM does not cover the {p.at[i, 'reach_m'] / 1000:.0f} km reach of tower "
            f"{names[i]} ({p.at[i, 'carrier']} {p.at[i, 'technology']})"
            + (f" and {bad.size - 1} other tower(s)" if bad.size > 1 else "")
            + "; give a DEM (or a folder of tiles) that covers every tower's reach, or lower "
            "max_range_m under [propagation]", layer="dem")


# --- ITM radials ------------------------------------------------------------------

_GROUND: dict[str, Any] = {}


def radial_losses(ground: np.ndarray, gtr: Affine, x: float, y: float, reach_m: float,
                  height_m: float, freq_mhz: float, *, rx_height_m: float = 1.5,
                  radials: int = 72, spacing_m: float = 90.0, receiver_step: int = 6,
                  climate: int = 5) -> np.ndarray:
    """ITM loss (dB) along ``radials`` profiles from (x, y), every sample filled.

    Shape (radials, samples); sample j is j·``spacing_m`` from the tower, radial k points
    at azimuth 360°·k/radials (clockwise from north). Receivers are every
    ``receiver_step``-th sample; the samples between are linearly interpolated, those
    before the first receiver follow free space from it. NaN where the DEM has no data.
    """
    from scipy.ndimage import map_coordinates

    n = int(math.ceil(reach_m / spacing_m)) + 1
    az = 2.0 * math.pi * np.arange(radials) / radials
    s = np.arange(n) * spacing_m
    px = x + np.sin(az)[:, None] * s[None, :]
    py = y + np.cos(az)[:, None] * s[None, :]
    col, row = ~gtr @ (px, py)
    z = map_coordinates(ground, [row - 0.5, col - 0.5], order=1, mode="constant", cval=np.nan)
    loss = itm_p2p_loss_many(height_m, rx_height_m, z, spacing_m, climate=climate,
                             freq_mhz=freq_mhz, receiver_step=receiver_step)
    ks = np.arange(receiver_step, n, receiver_step)
    out = np.full(loss.shape, np.nan)
    if ks.size == 0:
        return out
    for k in range(radials):
        good = ks[np.isfinite(loss[k, ks])]
        if good.size == 0:
            continue
        j = np.arange(1, int(good[-1]) + 1)
        out[k, j] = np.interp(j, good, loss[k, good])
        near = j < good[0]
        out[k, j[near]] = loss[k, good[0]] + free_space_loss_db(freq_mhz, s[j[near]] / 1000.0) \
            - free_space_loss_db(freq_mhz, s[good[0]] / 1000.0)
    out[:, 0] = out[:, 1]
    return out


def _radial_worker(args: tuple) -> np.ndarray:
    ground, gtr = _GROUND["ground"], _GROUND["transform"]
    return radial_losses(ground, gtr, *args[:5], rx_height_m=args[5], radials=args[6],
                         spacing_m=args[7], receiver_step=args[8], climate=args[9])


def fill_from_radials(loss: np.ndarray, spacing_m: float, transform: Affine,
                      box: tuple[int, int, int, int], x: float, y: float,
                      reach_m: float) -> np.ndarray:
    """The radial losses on the pixels of ``box`` = (r0, r1, c0, c1) of the output grid,
    bilinear in azimuth and distance; NaN beyond ``reach_m``."""
    r0, r1, c0, c1 = box
    rows = np.arange(r0, r1)[:, None] + 0.5
    cols = np.arange(c0, c1)[None, :] + 0.5
    cx = transform.c + cols * transform.a + rows * transform.b
    cy = transform.f + cols * transform.d + rows * transform.e
    dx, dy = cx - x, cy - y
    d = np.hypot(dx, dy)
    n_rad, n_s = loss.shape
    fa = (np.arctan2(dx, dy) % (2.0 * math.pi)) / (2.0 * math.pi) * n_rad
    k0 = np.floor(fa).astype(int) % n_rad
    k1 = (k0 + 1) % n_rad
    wa = fa - np.floor(fa)
    fs = np.minimum(d / spacing_m, n_s - 1.0)
    j0 = np.floor(fs).astype(int)
    j1 = np.minimum(j0 + 1, n_s - 1)
    ws = fs - j0
    a = loss[k0, j0] * (1 - ws) + loss[k0, j1] * ws
    b = loss[k1, j0] * (1 - ws) + loss[k1, j1] * ws
    return np.where(d <= reach_m, a * (1 - wa) + b * wa, np.nan)


def _box(transform: Affine, shape: tuple[int, int], x: float, y: float, reach: float
         ) -> tuple[int, int, int, int] | None:
    col, row = ~transform @ (x, y)
    rpx = int(math.ceil(reach / abs(transform.a))) + 1
    r0, r1 = max(int(row) - rpx, 0), min(int(row) + rpx + 1, shape[0])
    c0, c1 = max(int(col) - rpx, 0), min(int(col) + rpx + 1, shape[1])
    return None if r0 >= r1 or c0 >= c1 else (r0, r1, c0, c1)


def _itm_layers(p: pd.DataFrame, idx: np.ndarray, ground: np.ndarray, gtr: Affine,
                grid: tuple[Affine, tuple[int, int], Any], settings: PropagationSettings,
                opts: TowerModelOptions) -> dict[str, ModelledRaster]:
    transform, shape, crs = grid
    spacing = max(float(opts.profile_spacing_m), float(abs(gtr.a)))
    tasks = [(p.at[i, "x"], p.at[i, "y"], p.at[i, "reach_m"], p.at[i, "height_m"],
              p.at[i, "freq_mhz"], settings.rx_height_m, opts.radials, spacing,
              opts.receiver_step, opts.climate) for i in idx]
    _GROUND.update(ground=ground, transform=gtr)
    try:
        # processes by fork only from a single-threaded caller (fork with threads running,
        # e.g. inside the app's server, can deadlock): else one by one
        if opts.workers > 1 and len(tasks) > 4 and threading.active_count() == 1:
            ctx = mp.get_context("fork")
            with ProcessPoolExecutor(max_workers=opts.workers, mp_context=ctx) as pool:
                losses = list(pool.map(_radial_worker, tasks,
                                       chunksize=max(1, len(tasks) // (4 * opts.workers))))
        else:
            losses = [_radial_worker(t) for t in tasks]
    finally:
        _GROUND.clear()
    out: dict[str, ModelledRaster] = {}
    for i, loss in zip(idx, losses):
        key = layer_key(p.at[i, "carrier"], p.at[i, "technology"])
        if key not in out:
            out[key] = ModelledRaster(np.full(shape, np.nan, np.float32), transform, crs,
                                      p.at[i, "carrier"], p.at[i, "technology"], "itm")
        box = _box(transform, shape, p.at[i, "x"], p.at[i, "y"], p.at[i, "reach_m"])
        if box is None:
            continue
        val = p.at[i, "eirp_dbm"] - fill_from_radials(loss, spacing, transform, box,
                                                      p.at[i, "x"], p.at[i, "y"],
                                                      p.at[i, "reach_m"])
        block = out[key].dbm[box[0]:box[1], box[2]:box[3]]
        np.fmax(block, val.astype(np.float32), out=block)
    return out


def _merge(layers: dict[str, ModelledRaster], more: Mapping[str, ModelledRaster]) -> None:
    """Best server of two sets of layers (in place in ``layers``)."""
    for key, lay in more.items():
        if key in layers:
            np.fmax(layers[key].dbm, lay.dbm, out=layers[key].dbm)
            if lay.method not in layers[key].method.split("+"):
                layers[key] = layers[key]._replace(method=f"{layers[key].method}+{lay.method}")
        else:
            layers[key] = lay


def _hata_layers(p: pd.DataFrame, idx: np.ndarray, grid: tuple[Affine, tuple[int, int], Any],
                 settings: PropagationSettings) -> dict[str, ModelledRaster]:
    """Hata without terrain (no DEM): EIRP − max(Hata, free space) within the reach."""
    transform, shape, crs = grid
    out: dict[str, ModelledRaster] = {}
    for i in idx:
        key = layer_key(p.at[i, "carrier"], p.at[i, "technology"])
        if key not in out:
            out[key] = ModelledRaster(np.full(shape, np.nan, np.float32), transform, crs,
                                      p.at[i, "carrier"], p.at[i, "technology"], "hata")
        x, y, reach = p.at[i, "x"], p.at[i, "y"], p.at[i, "reach_m"]
        box = _box(transform, shape, x, y, reach)
        if box is None:
            continue
        rows = np.arange(box[0], box[1])[:, None] + 0.5
        cols = np.arange(box[2], box[3])[None, :] + 0.5
        cx, cy = transform @ (cols, rows)
        d = np.hypot(cx - x, cy - y)
        dkm = np.maximum(d, abs(transform.a) / 2.0) / 1000.0
        f = float(np.clip(p.at[i, "freq_mhz"], 150.0, 3000.0))
        loss = np.maximum(path_loss_db(f, dkm, h_base_m=p.at[i, "height_m"],
                                       h_mobile_m=settings.rx_height_m,
                                       environment=settings.environment,
                                       city_size=settings.city_size),
                          free_space_loss_db(f, dkm))
        val = np.where(d <= reach, p.at[i, "eirp_dbm"] - loss, np.nan).astype(np.float32)
        block = out[key].dbm[box[0]:box[1], box[2]:box[3]]
        np.fmax(block, val, out=block)
    return out


def _methods(p: pd.DataFrame, opts: TowerModelOptions, has_dem: bool, names: Sequence[str]
             ) -> tuple[np.ndarray, list[str]]:
    """The model of each tower and the warnings (Hata outside its range)."""
    if opts.model not in MODELS:
        raise InputError(f"model = \"{opts.model}\" in [towers] is not one of "
                         + ", ".join(MODELS), layer="towers")
    if opts.model == "itm" and not has_dem:
        raise InputError("model = \"itm\" in [towers] needs a DEM: set dem = \"…\" in [towers] "
                         "(a GeoTIFF or a folder of SRTM/Copernicus tiles), or use "
                         "model = \"hata\" or \"radius\"", layer="towers")
    methods = np.full(len(p), opts.model, dtype=object)
    warnings: list[str] = []
    if opts.model == "hata":
        bad = [(i, why) for i in range(len(p))
               if (why := hata_out_of_range(p.at[i, "freq_mhz"], p.at[i, "height_m"],
                                            p.at[i, "reach_m"]))]
        for i, _ in bad:
            methods[i] = "itm" if has_dem else "hata"
        if bad:
            i, why = bad[0]
            warnings.append(
                f"Hata is outside its valid range for {len(bad)} tower(s), e.g. {names[i]}: "
                + "; ".join(why) + ("; modelled with ITM over the DEM instead" if has_dem
                                    else "; no DEM, so Hata is used anyway (less reliable)"))
    return methods, warnings


def model_towers(sites: Any, *, grid: tuple[Affine, tuple[int, int], Any],
                 ground: tuple[np.ndarray, Affine] | None = None, footprint: Any = None,
                 settings: PropagationSettings = PropagationSettings(),  # noqa: B008 (frozen)
                 thresholds: Mapping[str, float] | None = None,
                 options: TowerModelOptions = TowerModelOptions(),  # noqa: B008 (frozen)
                 names: Sequence[str] | None = None) -> TowerCoverage:
    """Modelled signal (dBm) per carrier × technology from tower sites.

    Parameters
    ----------
    sites
        Points in the metric CRS of ``grid`` with ``carrier``, ``technology`` and optional
        ``height_m``, ``eirp_dbm``, ``freq_mhz``.
    grid
        ``(transform, shape, crs)`` of the output rasters.
    ground
        ``(heights, transform)`` of the DEM on a metric grid in the same CRS, or None.
    footprint
        The DEM's extent (a shapely polygon in that CRS), to check each tower's reach.
    names
        How to name each tower in errors and warnings (default: its row number).
    """
    from gisapp.config import Thresholds

    th = dict(thresholds if thresholds is not None else Thresholds().dbm)
    names = list(names) if names is not None else [f"row {i + 1}" for i in range(len(sites))]
    p = _site_params(sites, settings, th)
    methods, warnings = _methods(p, options, ground is not None, names)
    if options.model == "radius":
        p["reach_m"] = [float(settings.radius_m.get(t, 0.0)) for t in p["technology"]]
    terrain = methods != "radius"
    if ground is not None and terrain.any():
        _check_dem_reach(p[terrain].reset_index(drop=True),
                         [n for n, t in zip(names, terrain) if t], ground[0], ground[1],
                         footprint)
    layers: dict[str, ModelledRaster] = {}
    itm_idx = np.flatnonzero(methods == "itm")
    if itm_idx.size:
        layers = _itm_layers(p, itm_idx, ground[0], ground[1], grid, settings, options)
    flat = np.flatnonzero(methods == "hata") if ground is None else np.zeros(0, int)
    if flat.size:
        _merge(layers, _hata_layers(p, flat, grid, settings))
    rest = np.flatnonzero((methods != "itm") & ~np.isin(np.arange(len(p)), flat))
    if rest.size:
        sub = sites.iloc[rest].assign(height_m=p["height_m"].to_numpy()[rest],
                                      freq_mhz=p["freq_mhz"].to_numpy()[rest],
                                      eirp_dbm=p["eirp_dbm"].to_numpy()[rest])
        dem = None if options.model == "radius" or ground is None \
            else (ground[0], ground[1], grid[2])
        _merge(layers, model_signal(sub, dem=dem, grid=grid, settings=settings, thresholds=th))
    return TowerCoverage(layers, p["reach_m"].to_numpy(float), methods, warnings)


def beyond_reach(points_xy: np.ndarray, sites_xy: np.ndarray, reach_m: np.ndarray) -> np.ndarray:
    """True for each point farther from every site than that site's reach."""
    from scipy.spatial import cKDTree

    out = np.ones(len(points_xy), bool)
    if len(sites_xy) == 0 or len(points_xy) == 0:
        return out
    tree = cKDTree(sites_xy)
    for r in np.unique(reach_m):
        sel = reach_m == r
        sub = cKDTree(sites_xy[sel]) if not sel.all() else tree
        d, _ = sub.query(points_xy, k=1, distance_upper_bound=float(r))
        out &= ~np.isfinite(d)
    return out


def radio_horizon_visible(distance_m: np.ndarray, h_tx_m: np.ndarray, h_rx_m: np.ndarray,
                          k_factor: float = 4.0 / 3.0) -> np.ndarray:
    """DEM-free line of sight: within the smooth-earth radio horizon of both antennas,
    ``d ≤ √(2kR·h_tx) + √(2kR·h_rx)`` (effective earth radius kR, ITU-R P.834 / P.526;
    no terrain, so hills never block)."""
    r = 2.0 * k_factor * 6_371_000.0
    horizon = np.sqrt(r * np.asarray(h_tx_m, float)) + np.sqrt(r * np.asarray(h_rx_m, float))
    return np.asarray(distance_m, float) <= horizon
