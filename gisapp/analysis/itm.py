"""Irregular Terrain Model (Longley-Rice): point-to-point and area mode.

Public functions take NTIA's inputs in the order of NTIA's ``ITM_P2P_TLS`` and
``ITM_AREA_TLS`` (github NTIA/itm v1.4) and return the basic transmission loss in dB:

* :func:`itm_p2p_loss_db` — over a terrain profile ``pfl`` in ITM's format: the number of
  points − 1, the spacing in metres, then the elevations in metres from transmitter to
  receiver;
* :func:`itm_area_loss_db` — from the path length and the terrain irregularity ``delta_h``;
* :func:`itm_p2p_loss_many` — many profiles at once (e.g. the radials of a coverage map).

The algorithm is Hufford's *ITS Irregular Terrain Model, version 1.2.2: The Algorithm*
(NTIA/ITS 1999) as corrected in NTIA's v1.4 reference; gisapp's own code, checked against
every NTIA reference case (``tests/test_itm.py``). The profile work (horizons, least-squares
fits, interdecile range) is vectorised over the profile with numpy; the path loss itself is a
few hundred scalar operations per path.

Inputs as in NTIA's documentation: ``climate`` 1 equatorial, 2 continental subtropical,
3 maritime subtropical, 4 desert, 5 continental temperate, 6 maritime temperate over land,
7 maritime temperate over sea; ``n0`` surface refractivity (N-units, typically 301);
``pol`` 0 horizontal, 1 vertical; ``epsilon``, ``sigma`` ground permittivity and
conductivity (S/m) — average ground 15 and 0.005; ``mdvar`` 0 single message,
1 accidental, 2 mobile, 3 broadcast (+10: no location variability, +20: no situation
variability); ``time_pct``, ``location_pct``, ``situation_pct`` in (0, 100); siting
criteria 0 random, 1 careful, 2 very careful.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from gisapp.analysis.itm_core import (
    MODE_AREA, MODE_P2P, ItmError, PathGeometry, free_space_loss_db, ground_constants,
    reference_attenuation_db, variability_db,
)

__all__ = ["ItmError", "itm_p2p_loss_db", "itm_area_loss_db", "itm_p2p_loss_many",
           "make_pfl"]


def make_pfl(elevations_m: Sequence[float] | np.ndarray, spacing_m: float) -> np.ndarray:
    """ITM's profile array from elevations sampled every ``spacing_m`` from tx to rx."""
    z = np.asarray(elevations_m, dtype=float)
    return np.concatenate(([z.size - 1, float(spacing_m)], z))


def _split_pfl(pfl: Sequence[float] | np.ndarray) -> tuple[int, float, np.ndarray]:
    arr = np.asarray(pfl, dtype=float)
    if arr.ndim != 1 or arr.size < 4:
        raise ItmError("pfl must be [number of points − 1, spacing m, elevations …] "
                       "with at least two elevations")
    n = int(arr[0])
    xi = float(arr[1])
    if n < 1 or arr.size < n + 3 or not xi > 0 or not np.isfinite(arr[2:n + 3]).all():
        raise ItmError(f"pfl is malformed: {n} intervals of {xi} m but "
                       f"{arr.size - 2} elevations (need {n + 1}, all finite)")
    return n, xi, arr[2:n + 3]


def _horizons(z: np.ndarray, xi: float, a_e: float, h: tuple[float, float]
              ) -> tuple[list[float], list[float]]:
    """Horizon elevation angles and distances of both terminals (Alg. §4.1 / NTIA FindHorizons)."""
    n = z.size - 1
    d = n * xi
    z_tx, z_rx = z[0] + h[0], z[n] + h[1]
    theta = [(z_rx - z_tx) / d - d / (2 * a_e), -(z_rx - z_tx) / d - d / (2 * a_e)]
    d_hzn = [d, d]
    if n < 2:
        return theta, d_hzn
    inner = z[1:n]
    d_tx = xi * np.arange(1, n)
    d_rx = d - d_tx
    t_tx = (inner - z_tx) / d_tx - d_tx / (2 * a_e)
    t_rx = (inner - z_rx) / d_rx - d_rx / (2 * a_e)
    for j, (t, dist) in enumerate(((t_tx, d_tx), (t_rx, d_rx))):
        k = int(np.argmax(t))
        if t[k] > theta[j]:
            theta[j] = float(t[k])
            d_hzn[j] = float(dist[k])
    return theta, d_hzn


def _least_squares(z: np.ndarray, xi: float, d_start: float, d_end: float
                   ) -> tuple[float, float]:
    """Heights at both ends of the straight line fitted to z between two distances."""
    n = z.size - 1
    i_start = int(max(d_start / xi, 0.0))
    i_end = n - int(max(n - d_end / xi, 0.0))
    if i_end <= i_start:
        i_start = int(max(i_start - 1.0, 0.0))
        i_end = n - int(max(n - (i_end + 1.0), 0.0))
    length = i_end - i_start
    mid_end = i_end - 0.5 * length
    seg = z[i_start:i_end + 1]
    weights = np.ones(length + 1)
    weights[0] = weights[-1] = 0.5
    offsets = np.arange(length + 1) - 0.5 * length
    mean = float(np.dot(weights, seg)) / length
    slope = float(np.dot(weights * offsets, seg)) * 12.0 / ((length * length + 2.0) * length)
    return mean - slope * mid_end, mean + slope * (n - mid_end)


def _delta_h(z: np.ndarray, xi: float, d_start: float, d_end: float) -> float:
    """Terrain irregularity: interdecile range of heights about a straight fit (Alg. §3)."""
    n = z.size - 1
    x_start, x_end = d_start / xi, d_end / xi
    if x_end - x_start < 2.0:
        return 0.0
    p10 = min(max(4, int(0.1 * (x_end - x_start + 8.0))), 25)
    count = 10 * p10 - 5
    p90 = count - p10
    step = (x_end - x_start) / (count - 1)
    # sample the profile at `count` evenly spaced points by linear interpolation
    pos = x_start + step * np.arange(count)
    idx = np.clip(np.ceil(pos).astype(int) - 1, int(x_start), n - 1)
    idx = np.maximum(idx, int(x_start))
    frac = pos - (idx + 1)
    s = z[idx + 1] + (z[idx + 1] - z[idx]) * frac
    y1, y2 = _least_squares(s, 1.0, 0.0, count - 1.0)
    fit = y1 + (y2 - y1) / (count - 1) * np.arange(count)
    diffs = np.sort(s - fit)[::-1]
    spread = diffs[p10 - 1] - diffs[p90]
    return float(spread / (1.0 - 0.8 * math.exp(-(d_end - d_start) / 50e3)))


def _effective_heights(z: np.ndarray, xi: float, gamma_e: float, h: tuple[float, float]
                       ) -> tuple[list[float], list[float], list[float], float]:
    """Effective heights, horizons and delta_h of a profile (NTIA QuickPfl, Alg. §4.2)."""
    n = z.size - 1
    d = n * xi
    a_e = 1.0 / gamma_e
    theta, d_hzn = _horizons(z, xi, a_e, h)
    d_start = min(15.0 * h[0], 0.1 * d_hzn[0])
    d_end = d - min(15.0 * h[1], 0.1 * d_hzn[1])
    dh = _delta_h(z, xi, d_start, d_end)
    if d_hzn[0] + d_hzn[1] > 1.5 * d:            # line of sight: use the fitted line
        fit_tx, fit_rx = _least_squares(z, xi, d_start, d_end)
        h_e = [h[0] + max(z[0] - fit_tx, 0.0), h[1] + max(z[n] - fit_rx, 0.0)]

        def horizon(he: float) -> float:
            return math.sqrt(2.0 * he * a_e) * math.exp(-0.07 * math.sqrt(dh / max(he, 5.0)))

        d_hzn = [horizon(he) for he in h_e]
        total = d_hzn[0] + d_hzn[1]
        if total <= d:
            q = (d / total) ** 2
            h_e = [he * q for he in h_e]
            d_hzn = [horizon(he) for he in h_e]
        for i in range(2):
            q = math.sqrt(2.0 * h_e[i] * a_e)
            theta[i] = (0.65 * dh * (q / d_hzn[i] - 1.0) - 2.0 * h_e[i]) / q
    else:
        fit_tx, _ = _least_squares(z, xi, d_start, 0.9 * d_hzn[0])
        _, fit_rx = _least_squares(z, xi, d - 0.9 * d_hzn[1], d_end)
        h_e = [h[0] + max(z[0] - fit_tx, 0.0), h[1] + max(z[n] - fit_rx, 0.0)]
    return h_e, d_hzn, theta, dh


def _check_common(h_tx_m: float, h_rx_m: float, climate: int, n0: float, freq_mhz: float,
                  pol: int, epsilon: float, sigma: float, pcts: Iterable[float]) -> None:
    """NTIA's input checks (ValidateInputs): refuse what ITM is not defined for."""
    for name, h in (("h_tx_m", h_tx_m), ("h_rx_m", h_rx_m)):
        if not 0.5 <= h <= 3000.0:
            raise ItmError(f"{name} = {h} m is outside ITM's 0.5–3,000 m")
    if int(climate) not in range(1, 8):
        raise ItmError(f"climate {climate} is not one of 1..7")
    if not (250.0 <= n0 <= 400.0):
        raise ItmError(f"n0 = {n0} N-units is outside 250–400")
    if not 20.0 <= freq_mhz <= 20000.0:
        raise ItmError(f"freq_mhz = {freq_mhz} is outside ITM's 20–20,000 MHz")
    if pol not in (0, 1):
        raise ItmError("pol must be 0 (horizontal) or 1 (vertical)")
    if not (epsilon >= 1.0 and sigma > 0.0):
        raise ItmError("epsilon must be ≥ 1 and sigma > 0")
    for p in pcts:
        if not 0.0 < p < 100.0:
            raise ItmError(f"percentage {p} must be strictly between 0 and 100")


def itm_p2p_loss_db(h_tx_m: float, h_rx_m: float, pfl: Sequence[float] | np.ndarray,
                    climate: int, n0: float, freq_mhz: float, pol: int, epsilon: float,
                    sigma: float, mdvar: int, time_pct: float, location_pct: float,
                    situation_pct: float) -> float:
    """Basic transmission loss (dB) over a terrain profile, as NTIA's ``ITM_P2P_TLS``."""
    _check_common(h_tx_m, h_rx_m, climate, n0, freq_mhz, pol, epsilon, sigma,
                  (time_pct, location_pct, situation_pct))
    n, xi, z = _split_pfl(pfl)
    p10 = int(0.1 * n)
    h_sys = float(z[p10:n - p10 + 1].mean())
    z_g, gamma_e, n_s = ground_constants(freq_mhz, h_sys, n0, pol, epsilon, sigma)
    h = (float(h_tx_m), float(h_rx_m))
    h_e, d_hzn, theta, dh = _effective_heights(z, xi, gamma_e, h)
    d = n * xi
    geom = PathGeometry(d, h, (h_e[0], h_e[1]), (d_hzn[0], d_hzn[1]),
                        (theta[0], theta[1]), dh, MODE_P2P)
    a_ref = reference_attenuation_db(geom, freq_mhz, z_g, gamma_e, n_s)
    return free_space_loss_db(d, freq_mhz) + variability_db(
        time_pct, location_pct, situation_pct, geom.h_e_m, dh, freq_mhz, d, a_ref,
        int(climate), int(mdvar))


def _area_geometry(h: tuple[float, float], siting: tuple[int, int], gamma_e: float,
                   delta_h_m: float) -> tuple[list[float], list[float], list[float]]:
    """Effective heights and horizons estimated from siting criteria (Alg. §3, NTIA InitializeArea)."""
    h_e, d_hzn, theta = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    for i in range(2):
        if siting[i] == 0:
            h_e[i] = h[i]
        else:
            b = 4.0 if siting[i] == 1 else 9.0
            if h[i] < 5.0:
                b *= math.sin(0.1 * math.pi * h[i])
            h_e[i] = h[i] + (1.0 + b) * math.exp(-min(20.0, 2.0 * h[i] / max(1e-3, delta_h_m)))
        d_ls = math.sqrt(2.0 * h_e[i] / gamma_e)
        d_hzn[i] = d_ls * math.exp(-0.07 * math.sqrt(delta_h_m / max(h_e[i], 5.0)))
        theta[i] = (0.65 * delta_h_m * (d_ls / d_hzn[i] - 1.0) - 2.0 * h_e[i]) / d_ls
    return h_e, d_hzn, theta


def itm_area_loss_db(h_tx_m: float, h_rx_m: float, tx_siting: int, rx_siting: int,
                     d_km: float, delta_h_m: float, climate: int, n0: float, freq_mhz: float,
                     pol: int, epsilon: float, sigma: float, mdvar: int, time_pct: float,
                     location_pct: float, situation_pct: float) -> float:
    """Basic transmission loss (dB) in area mode, as NTIA's ``ITM_AREA_TLS``."""
    _check_common(h_tx_m, h_rx_m, climate, n0, freq_mhz, pol, epsilon, sigma,
                  (time_pct, location_pct, situation_pct))
    if not d_km > 0:
        raise ItmError(f"d_km = {d_km} must be positive")
    if not delta_h_m >= 0:
        raise ItmError(f"delta_h_m = {delta_h_m} must be ≥ 0")
    siting = (int(tx_siting), int(rx_siting))
    if any(s not in (0, 1, 2) for s in siting):
        raise ItmError("siting criteria must be 0 (random), 1 (careful) or 2 (very careful)")
    z_g, gamma_e, n_s = ground_constants(freq_mhz, 0.0, n0, pol, epsilon, sigma)
    h = (float(h_tx_m), float(h_rx_m))
    h_e, d_hzn, theta = _area_geometry(h, siting, gamma_e, float(delta_h_m))
    d = d_km * 1000.0
    geom = PathGeometry(d, h, (h_e[0], h_e[1]), (d_hzn[0], d_hzn[1]),
                        (theta[0], theta[1]), float(delta_h_m), MODE_AREA)
    a_ref = reference_attenuation_db(geom, freq_mhz, z_g, gamma_e, n_s)
    return free_space_loss_db(d, freq_mhz) + variability_db(
        time_pct, location_pct, situation_pct, geom.h_e_m, float(delta_h_m), freq_mhz, d,
        a_ref, int(climate), int(mdvar))


def itm_p2p_loss_many(h_tx_m: float, h_rx_m: float, elevations_m: np.ndarray,
                      spacing_m: float, climate: int = 5, n0: float = 301.0,
                      freq_mhz: float = 900.0, pol: int = 1, epsilon: float = 15.0,
                      sigma: float = 0.005, mdvar: int = 12, time_pct: float = 50.0,
                      location_pct: float = 50.0, situation_pct: float = 50.0) -> np.ndarray:
    """Loss (dB) from one transmitter to every point along each radial profile.

    ``elevations_m`` has shape (radials, samples): sample 0 is under the transmitter and
    sample k is k·``spacing_m`` away. Returns an array of the same shape; column 0 (the
    transmitter itself) is NaN. Defaults are mobile-service values (continental temperate,
    vertical polarisation, average ground, ``mdvar`` 12 = mobile without location
    variability, medians).
    """
    z = np.atleast_2d(np.asarray(elevations_m, dtype=float))
    out = np.full(z.shape, np.nan)
    for r in range(z.shape[0]):
        for k in range(1, z.shape[1]):
            if not np.isfinite(z[r, :k + 1]).all():
                break
            pfl = np.concatenate(([k, spacing_m], z[r, :k + 1]))
            out[r, k] = itm_p2p_loss_db(h_tx_m, h_rx_m, pfl, climate, n0, freq_mhz, pol,
                                        epsilon, sigma, mdvar, time_pct, location_pct,
                                        situation_pct)
    return out
