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
every NTIA reference case (``tests/analysis/test_itm.py``). The profile work (horizons, least-squares
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


def _prefix_sums(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running sums of z and of i·z, with a leading 0 (sum over [a, b] = P[b+1] − P[a])."""
    i = np.arange(z.size)
    return np.concatenate(([0.0], np.cumsum(z))), np.concatenate(([0.0], np.cumsum(i * z)))


def _least_squares(z: np.ndarray, sums: tuple[np.ndarray, np.ndarray], xi: float,
                   n_k: np.ndarray, d_start: np.ndarray, d_end: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Heights at both ends (0 and n_k) of the line fitted to z between two distances.

    One fit per path: path p is the profile z[0 .. n_k[p]]. The fit weighs the end points
    by ½ as NTIA's LinearLeastSquaresFit does.
    """
    i_start = np.floor(np.maximum(d_start / xi, 0.0)).astype(int)
    i_end = n_k - np.floor(np.maximum(n_k - d_end / xi, 0.0)).astype(int)
    bad = i_end <= i_start
    i_start = np.where(bad, np.maximum(i_start - 1, 0), i_start)
    i_end = np.where(bad, n_k - np.maximum(n_k - (i_end + 1), 0), i_end)
    length = (i_end - i_start).astype(float)
    p_z, p_iz = sums
    sum_z = p_z[i_end + 1] - p_z[i_start] - 0.5 * (z[i_start] + z[i_end])
    sum_iz = p_iz[i_end + 1] - p_iz[i_start] - 0.5 * (i_start * z[i_start] + i_end * z[i_end])
    mean = sum_z / length
    slope = (sum_iz - (i_start + 0.5 * length) * sum_z) * 12.0 / ((length ** 2 + 2.0) * length)
    mid_end = i_end - 0.5 * length
    return mean - slope * mid_end, mean + slope * (n_k - mid_end)


def _horizons(z: np.ndarray, xi: float, ks: np.ndarray, a_e: np.ndarray,
              h: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Horizon angles and distances of both terminals, shape (2, paths) (NTIA FindHorizons).

    Path p runs from z[0] to z[ks[p]]; the obstacles are the points strictly between.
    """
    d = ks * xi
    z_tx, z_rx = z[0] + h[0], z[ks] + h[1]
    theta = np.stack([(z_rx - z_tx) / d - d / (2 * a_e), -(z_rx - z_tx) / d - d / (2 * a_e)])
    d_hzn = np.stack([d, d]).astype(float)
    cols = np.arange(1, max(int(ks.max()), 2))
    inside = cols[None, :] < ks[:, None]
    if not inside.any():
        return theta, d_hzn
    d_i = cols * xi
    a2 = (2 * a_e)[:, None]
    t_tx = (z[cols][None, :] - z_tx) / d_i[None, :] - d_i[None, :] / a2
    d_back = d[:, None] - d_i[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_rx = (z[cols][None, :] - z_rx[:, None]) / d_back - d_back / a2
    rows = np.arange(ks.size)
    outside = ~inside
    for j, (t, dist) in enumerate(((t_tx, None), (t_rx, d_back))):
        t[outside] = -np.inf
        best = np.argmax(t, axis=1)
        value = t[rows, best]
        better = value > theta[j]
        theta[j] = np.where(better, value, theta[j])
        far = d_i[best] if dist is None else dist[rows, best]
        d_hzn[j] = np.where(better, far, d_hzn[j])
    return theta, d_hzn


def _delta_h(z: np.ndarray, xi: float, ks: np.ndarray, d_start: np.ndarray,
             d_end: np.ndarray) -> np.ndarray:
    """Terrain irregularity: interdecile range of heights about a straight fit (Alg. §3).

    As NTIA's ComputeDeltaH: the profile between the two distances is resampled at
    10·p10 − 5 points (p10 = 4…25), a line is fitted, and the range between the 10 % and
    90 % deviations is scaled to the path length.
    """
    x_start, x_end = d_start / xi, d_end / xi
    span = x_end - x_start
    valid = span >= 2.0
    p10 = np.clip((0.1 * (span + 8.0)).astype(int), 4, 25)
    count = 10 * p10 - 5
    step = span / (count - 1)
    j = np.arange(245)
    pos = x_start[:, None] + step[:, None] * j[None, :]
    lo = np.floor(x_start).astype(int)[:, None]
    idx = np.clip(np.ceil(pos).astype(int) - 1, lo, (ks - 1)[:, None])
    idx = np.clip(idx, 0, z.size - 2)
    s = z[idx + 1] + (z[idx + 1] - z[idx]) * (pos - (idx + 1))
    used = j[None, :] < count[:, None]
    length = (count - 1).astype(float)[:, None]
    w = np.where(used, 1.0, 0.0)
    w[:, 0] = 0.5
    w[np.arange(ks.size), count - 1] = 0.5
    offs = j[None, :] - 0.5 * length
    mean = (w * s).sum(axis=1, keepdims=True) / length
    slope = (w * offs * s).sum(axis=1, keepdims=True) * 12.0 / ((length ** 2 + 2.0) * length)
    fit = mean + slope * offs
    diffs = np.sort(np.where(used, s - fit, np.inf), axis=1)
    rows = np.arange(ks.size)
    spread = diffs[rows, count - p10] - diffs[rows, p10 - 1]
    scaled = spread / (1.0 - 0.8 * np.exp(-(d_end - d_start) / 50e3))
    return np.where(valid, scaled, 0.0)


def _effective_heights(z: np.ndarray, xi: float, ks: np.ndarray, a_e: np.ndarray,
                       h: tuple[float, float]):
    """Effective heights, horizons and delta_h of each path (NTIA QuickPfl, Alg. §4.2)."""
    d = ks * xi
    theta, d_hzn = _horizons(z, xi, ks, a_e, h)
    d_start = np.minimum(15.0 * h[0], 0.1 * d_hzn[0])
    d_end = d - np.minimum(15.0 * h[1], 0.1 * d_hzn[1])
    dh = _delta_h(z, xi, ks, d_start, d_end)
    sums = _prefix_sums(z)
    z_end = np.stack([np.full(ks.size, z[0]), z[ks]])
    h_col = np.array(h, dtype=float)[:, None]

    def horizon(he):
        return np.sqrt(2.0 * he * a_e) * np.exp(-0.07 * np.sqrt(dh / np.maximum(he, 5.0)))

    # line-of-sight paths: heights above the line fitted to the whole path
    fit = np.stack(_least_squares(z, sums, xi, ks, d_start, d_end))
    he_los = h_col + np.maximum(z_end - fit, 0.0)
    dh_los = horizon(he_los)
    total = dh_los[0] + dh_los[1]
    q = np.where(total <= d, (d / total) ** 2, 1.0)
    he_los = he_los * q
    dh_los = horizon(he_los)
    root = np.sqrt(2.0 * he_los * a_e)
    th_los = (0.65 * dh * (root / dh_los - 1.0) - 2.0 * he_los) / root
    # trans-horizon paths: each terminal above the line fitted to its foreground
    fit_tx = _least_squares(z, sums, xi, ks, d_start, 0.9 * d_hzn[0])[0]
    fit_rx = _least_squares(z, sums, xi, ks, d - 0.9 * d_hzn[1], d_end)[1]
    he_far = h_col + np.maximum(z_end - np.stack([fit_tx, fit_rx]), 0.0)
    los = d_hzn[0] + d_hzn[1] > 1.5 * d
    return (np.where(los, he_los, he_far), np.where(los, dh_los, d_hzn),
            np.where(los, th_los, theta), dh)


def _p2p_paths(h: tuple[float, float], z: np.ndarray, xi: float, ks: np.ndarray,
               climate: int, n0: float, freq_mhz: float, pol: int, epsilon: float,
               sigma: float, mdvar: int, pcts: tuple[float, float, float]) -> np.ndarray:
    """Loss (dB) from z[0] to each z[k], k in ``ks``, as ITM_P2P_TLS would give one by one."""
    p_z = np.concatenate(([0.0], np.cumsum(z)))
    p10 = (0.1 * ks).astype(int)
    h_sys = (p_z[ks - p10 + 1] - p_z[p10]) / (ks - 2 * p10 + 1)
    z_g, gamma_e, n_s = ground_constants(freq_mhz, h_sys, n0, pol, epsilon, sigma)
    with np.errstate(divide="ignore", invalid="ignore"):
        h_e, d_hzn, theta, dh = _effective_heights(z, xi, ks, 1.0 / gamma_e, h)
    d = ks * xi
    h_m = np.broadcast_to(np.array(h, dtype=float)[:, None], h_e.shape)
    geom = PathGeometry(d, h_m, h_e, d_hzn, theta, dh, MODE_P2P)
    a_ref = reference_attenuation_db(geom, freq_mhz, z_g, gamma_e, n_s)
    return free_space_loss_db(d, freq_mhz) + variability_db(
        *pcts, h_e, dh, freq_mhz, d, a_ref, int(climate), int(mdvar))


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
    out = _p2p_paths((float(h_tx_m), float(h_rx_m)), z, xi, np.array([n]), climate, n0,
                     freq_mhz, pol, epsilon, sigma, mdvar,
                     (time_pct, location_pct, situation_pct))
    return float(out[0])


def _area_geometry(h: tuple[float, float], siting: tuple[int, int], gamma_e: float,
                   delta_h_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effective heights and horizons estimated from siting criteria (Alg. §3, NTIA InitializeArea)."""
    h_e, d_hzn, theta = np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1))
    for i in range(2):
        if siting[i] == 0:
            h_e[i] = h[i]
        else:
            b = 4.0 if siting[i] == 1 else 9.0
            if h[i] < 5.0:
                b *= math.sin(0.1 * math.pi * h[i])
            h_e[i] = h[i] + (1.0 + b) * math.exp(-min(20.0, 2.0 * h[i] / max(1e-3, delta_h_m)))
        d_ls = np.sqrt(2.0 * h_e[i] / gamma_e)
        d_hzn[i] = d_ls * np.exp(-0.07 * np.sqrt(delta_h_m / np.maximum(h_e[i], 5.0)))
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
    z_g, gamma_e, n_s = ground_constants(freq_mhz, np.zeros(1), n0, pol, epsilon, sigma)
    h = (float(h_tx_m), float(h_rx_m))
    dh = np.full(1, float(delta_h_m))
    h_e, d_hzn, theta = _area_geometry(h, siting, float(gamma_e[0]), float(delta_h_m))
    d = np.full(1, d_km * 1000.0)
    h_m = np.array(h, dtype=float)[:, None]
    geom = PathGeometry(d, h_m, h_e, d_hzn, theta, dh, MODE_AREA)
    a_ref = reference_attenuation_db(geom, freq_mhz, z_g, gamma_e, n_s)
    out = free_space_loss_db(d, freq_mhz) + variability_db(
        time_pct, location_pct, situation_pct, h_e, dh, freq_mhz, d, a_ref, int(climate),
        int(mdvar))
    return float(out[0])


def itm_p2p_loss_many(h_tx_m: float, h_rx_m: float, elevations_m: np.ndarray,
                      spacing_m: float, climate: int = 5, n0: float = 301.0,
                      freq_mhz: float = 900.0, pol: int = 1, epsilon: float = 15.0,
                      sigma: float = 0.005, mdvar: int = 12, time_pct: float = 50.0,
                      location_pct: float = 50.0, situation_pct: float = 50.0,
                      receiver_step: int = 1) -> np.ndarray:
    """Loss (dB) from one transmitter to every point along each radial profile.

    ``elevations_m`` has shape (radials, samples): sample 0 is under the transmitter and
    sample k is k·``spacing_m`` away. Returns an array of the same shape: entry k is what
    :func:`itm_p2p_loss_db` gives over the profile of samples 0..k; column 0 (the
    transmitter itself) and everything from a missing (NaN) sample on are NaN; with
    ``receiver_step`` s > 1, only every s-th sample is a receiver (the others are NaN; the
    terrain between still counts). All receivers of a radial are computed at once (arrays
    of receivers × samples). Defaults are
    mobile-service values (continental temperate, vertical polarisation, average ground,
    ``mdvar`` 12 = mobile without location variability, medians).
    """
    _check_common(h_tx_m, h_rx_m, climate, n0, freq_mhz, pol, epsilon, sigma,
                  (time_pct, location_pct, situation_pct))
    if not spacing_m > 0:
        raise ItmError(f"spacing_m = {spacing_m} must be positive")
    if int(receiver_step) < 1:
        raise ItmError(f"receiver_step = {receiver_step} must be a whole number ≥ 1")
    z = np.atleast_2d(np.asarray(elevations_m, dtype=float))
    out = np.full(z.shape, np.nan)
    h = (float(h_tx_m), float(h_rx_m))
    for r in range(z.shape[0]):
        bad = np.flatnonzero(~np.isfinite(z[r]))
        last = (bad[0] if bad.size else z.shape[1]) - 1
        if last < 1:
            continue
        ks = np.arange(int(receiver_step), last + 1, int(receiver_step))
        if ks.size == 0:
            continue
        out[r, ks] = _p2p_paths(h, z[r, :last + 1], float(spacing_m), ks, climate,
                                        n0, freq_mhz, pol, epsilon, sigma, mdvar,
                                        (time_pct, location_pct, situation_pct))
    return out
