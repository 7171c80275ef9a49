"""Modelled coverage from tower sites: path loss, terrain line of sight, signal rasters.

Everything this module produces is **modelled** evidence and is labelled so.

* Path loss: Okumura-Hata (150–1,500 MHz) and COST-231 Hata (1,500–2,000 MHz), as in
  the COST 231 final report, eqs. (4.4.1) and (4.4.3); :func:`path_loss_db` picks by
  frequency. Checked against the ns-3 reference values (``okumura-hata-test-suite.cc``).
  For large cities COST-231 uses the textbook large-city mobile-height correction
  ``3.2 (log 11.75 h_m)^2 - 4.97`` and C_m = 3 dB (ns-3 omits the −4.97, which is why
  its "COST231 Urban Large city" case is 5 dB higher).
* Line of sight over a DEM with earth curvature (effective radius k·R, k = 4/3):
  :func:`line_of_sight` for one pair, :func:`visibility_from_site` for one site
  against every cell (radial sweep: along each ray to the window's border, a cell is
  visible when its elevation angle is at least the running maximum of the angles of the
  terrain before it — O(cells) per site, numpy only).
* :func:`model_signal`: received power = EIRP − max(path loss, free-space loss) −
  ``nlos_loss_db`` where the DEM blocks, best server per pixel per carrier ×
  technology, within each site's maximum range (cut where even the line-of-sight
  signal is 10 dB below the technology's threshold). Without a DEM, the documented fixed
  radius per technology (fallback, method ``"fixed_radius"``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from affine import Affine

# ITM (Longley-Rice, issue 16) lives in gisapp.analysis.itm; re-exported with the other models
from gisapp.analysis.itm import itm_area_loss_db as itm_area_loss_db
from gisapp.analysis.itm import itm_p2p_loss_db as itm_p2p_loss_db
from gisapp.crs import pixel_index
from gisapp.errors import InputError, MissingColumnError
from gisapp.config.planning import PropagationSettings
from gisapp.schema import layer_key

__all__ = [
    "okumura_hata_db", "cost231_hata_db", "path_loss_db", "free_space_loss_db",
    "line_of_sight", "visibility_from_site", "model_signal",
    "ModelledRaster", "EARTH_RADIUS_M",
]

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_000.0
_ENVIRONMENTS = ("urban", "suburban", "open")
_CITY_SIZES = ("small", "large")
#: signal is modelled out to where even line of sight is this far below the threshold
_BELOW_THRESHOLD_DB = 10.0


class ModelledRaster(NamedTuple):
    """One modelled signal layer: dBm per pixel (float32, NaN = no signal modelled)."""

    dbm: np.ndarray
    transform: Affine
    crs: Any
    carrier: str
    technology: str
    #: "hata_los" (path loss + DEM line of sight), "hata" (no DEM blocking) or
    #: "fixed_radius" (fallback without a DEM: threshold + 10 dB inside the radius)
    method: str
    kind: str = "modelled"


# --- path loss ----------------------------------------------------------------------

def _check_env(environment: str, city_size: str) -> None:
    if environment not in _ENVIRONMENTS:
        raise ValueError(f"environment must be one of {', '.join(_ENVIRONMENTS)}, not '{environment}'")
    if city_size not in _CITY_SIZES:
        raise ValueError(f"city_size must be one of {', '.join(_CITY_SIZES)}, not '{city_size}'")


def _a_hm(f: np.ndarray, h_mobile_m: float, city_size: str) -> np.ndarray:
    """Mobile antenna height correction a(h_m) in dB."""
    lf = np.log10(f)
    if city_size == "large":
        low = 8.29 * np.log10(1.54 * h_mobile_m) ** 2 - 1.1
        high = 3.2 * np.log10(11.75 * h_mobile_m) ** 2 - 4.97
        return np.where(f <= 200.0, low, high)
    return (1.1 * lf - 0.7) * h_mobile_m - (1.56 * lf - 0.8)


def okumura_hata_db(
    freq_mhz: float | np.ndarray,
    dist_km: float | np.ndarray,
    *,
    h_base_m: float | np.ndarray,
    h_mobile_m: float = 1.5,
    environment: str = "urban",
    city_size: str = "small",
) -> np.ndarray:
    """Okumura-Hata median path loss in dB (valid 150–1,500 MHz, 1–20 km, h_b 30–200 m).

    Parameters
    ----------
    freq_mhz, dist_km
        Carrier frequency in MHz and horizontal distance in km (broadcast together).
    h_base_m, h_mobile_m
        Base-station and mobile antenna heights above ground in metres.
    environment
        ``"urban"``, ``"suburban"`` (−2 (log f/28)² − 5.4) or ``"open"``
        (−4.78 (log f)² + 18.33 log f − 40.94).
    city_size
        ``"small"``/``"large"``: mobile height correction (urban formula).

    Returns
    -------
    numpy.ndarray
        Path loss in dB, shape of the broadcast inputs.

    Raises
    ------
    ValueError
        Frequency outside 150–1,500 MHz, or an unknown environment / city size.
    """
    _check_env(environment, city_size)
    f = np.asarray(freq_mhz, dtype=float)
    d = np.asarray(dist_km, dtype=float)
    if np.any((f < 150.0) | (f > 1500.0)):
        raise ValueError("Okumura-Hata is valid for 150-1500 MHz; use cost231_hata_db above 1500 MHz")
    hb = np.asarray(h_base_m, dtype=float)
    lf = np.log10(f)
    lhb = np.log10(hb)
    loss = 69.55 + 26.16 * lf - 13.82 * lhb - _a_hm(f, h_mobile_m, city_size) \
        + (44.9 - 6.55 * lhb) * np.log10(d)
    if environment == "suburban":
        loss = loss - 2.0 * np.log10(f / 28.0) ** 2 - 5.4
    elif environment == "open":
        loss = loss - 4.78 * lf ** 2 + 18.33 * lf - 40.94
    return np.asarray(loss)


def cost231_hata_db(
    freq_mhz: float | np.ndarray,
    dist_km: float | np.ndarray,
    *,
    h_base_m: float | np.ndarray,
    h_mobile_m: float = 1.5,
    environment: str = "urban",
    city_size: str = "small",
) -> np.ndarray:
    """COST-231 Hata median path loss in dB (1,500–2,000 MHz; extrapolated above, logged).

    ``L = 46.3 + 33.9 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d + C_m``
    with C_m = 3 dB for large cities (metropolitan centres), else 0. The model is
    defined for urban areas; for ``"suburban"`` and ``"open"`` the Okumura-Hata
    environment corrections are applied to it (common practice, e.g. in planning
    tools; an extension, not part of COST 231).

    Returns
    -------
    numpy.ndarray
        Path loss in dB.

    Raises
    ------
    ValueError
        Frequency below 1,500 MHz or above 3,000 MHz.
    """
    _check_env(environment, city_size)
    f = np.asarray(freq_mhz, dtype=float)
    d = np.asarray(dist_km, dtype=float)
    if np.any((f < 1500.0) | (f > 3000.0)):
        raise ValueError("COST-231 Hata is defined for 1500-2000 MHz (extrapolated up to 3000 MHz)")
    if np.any(f > 2000.0):
        log.info("COST-231 Hata extrapolated above 2000 MHz (%.0f MHz)", float(np.max(f)))
    hb = np.asarray(h_base_m, dtype=float)
    lf = np.log10(f)
    lhb = np.log10(hb)
    cm = 3.0 if city_size == "large" else 0.0
    loss = 46.3 + 33.9 * lf - 13.82 * lhb - _a_hm(f, h_mobile_m, city_size) \
        + (44.9 - 6.55 * lhb) * np.log10(d) + cm
    if environment == "suburban":
        loss = loss - 2.0 * np.log10(f / 28.0) ** 2 - 5.4
    elif environment == "open":
        loss = loss - 4.78 * lf ** 2 + 18.33 * lf - 40.94
    return np.asarray(loss)


def path_loss_db(
    freq_mhz: float,
    dist_km: float | np.ndarray,
    *,
    h_base_m: float | np.ndarray,
    h_mobile_m: float = 1.5,
    environment: str = "urban",
    city_size: str = "small",
) -> np.ndarray:
    """Hata path loss, choosing Okumura-Hata up to 1,500 MHz and COST-231 Hata above."""
    fn = okumura_hata_db if float(freq_mhz) <= 1500.0 else cost231_hata_db
    return fn(freq_mhz, dist_km, h_base_m=h_base_m, h_mobile_m=h_mobile_m,
              environment=environment, city_size=city_size)


def free_space_loss_db(freq_mhz: float, dist_km: float | np.ndarray) -> np.ndarray:
    """Free-space path loss in dB: 32.45 + 20 log f[MHz] + 20 log d[km]."""
    return 32.45 + 20.0 * np.log10(freq_mhz) + 20.0 * np.log10(np.asarray(dist_km, dtype=float))


# --- line of sight --------------------------------------------------------------------

def _pixel_size(transform: Affine) -> float:
    return float(min(abs(transform.a), abs(transform.e)))


def line_of_sight(
    dem: np.ndarray,
    transform: Affine,
    tx_xy: tuple[float, float],
    tx_height_m: float,
    rx_xy: tuple[float, float],
    rx_height_m: float,
    *,
    samples: int | None = None,
    k_factor: float | None = 4.0 / 3.0,
) -> bool:
    """Whether the straight ray between two antennas clears the terrain.

    Heights are above ground; the ground is the DEM (metres, in a metric CRS with
    ``transform``). The profile is sampled at ``samples`` points (default: two per
    pixel along the path, nearest pixel); with ``k_factor`` the earth bulge
    ``d1·d2 / (2 k R)`` is added to the terrain. Samples outside the DEM or NaN are
    ignored. Endpoints are not tested against themselves.

    Returns
    -------
    bool
        True when no terrain sample rises above the ray.
    """
    (x0, y0), (x1, y1) = tx_xy, rx_xy
    dist = math.hypot(x1 - x0, y1 - y0)
    h, w = dem.shape
    r, c, inside = pixel_index(transform, np.array([x0, x1]), np.array([y0, y1]), shape=(h, w))
    if not inside.all():
        raise ValueError("both antennas must lie on the DEM")
    z0 = float(dem[r[0], c[0]]) + tx_height_m
    z1 = float(dem[r[1], c[1]]) + rx_height_m
    if dist == 0:
        return True
    n = samples if samples is not None else max(int(2 * dist / _pixel_size(transform)), 2)
    t = np.linspace(0.0, 1.0, n + 2)[1:-1]
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    rr, cc, ok = pixel_index(transform, xs, ys, shape=(h, w))
    terrain = np.full(t.shape, -np.inf)
    terrain[ok] = dem[rr[ok], cc[ok]]
    terrain = np.where(np.isnan(terrain), -np.inf, terrain)
    if k_factor:
        d1 = t * dist
        terrain = terrain + d1 * (dist - d1) / (2.0 * k_factor * EARTH_RADIUS_M)
    ray = z0 + t * (z1 - z0)
    return bool(np.all(terrain <= ray))


def visibility_from_site(
    dem: np.ndarray,
    transform: Affine,
    site_xy: tuple[float, float],
    site_height_m: float,
    *,
    rx_height_m: float = 1.5,
    max_dist_m: float,
    k_factor: float | None = 4.0 / 3.0,
) -> np.ndarray:
    """Viewshed of one antenna: which DEM cells see it (receiver ``rx_height_m`` above ground).

    Radial sweep over the square window of half-width ``max_dist_m`` around the site:
    rays go from the site to every cell of the window's border, sampled every half
    pixel; along a ray, a sample is visible when the elevation angle of the receiver
    there is at least the running maximum of the terrain angles before it. A cell is
    visible when any ray sample falling in it is. Earth curvature drops far terrain by
    ``d² / (2 k R)``.

    Returns
    -------
    numpy.ndarray
        Boolean array of the DEM's shape; False beyond ``max_dist_m``, outside the DEM
        and on NaN cells.
    """
    dem = np.asarray(dem, dtype=float)
    h, w = dem.shape
    px = _pixel_size(transform)
    r0, c0, _ = pixel_index(transform, np.array([site_xy[0]]), np.array([site_xy[1]]))
    r0, c0 = int(r0[0]), int(c0[0])
    out = np.zeros((h, w), dtype=bool)
    if not (0 <= r0 < h and 0 <= c0 < w) or not np.isfinite(dem[r0, c0]):
        return out
    R = max(int(math.ceil(max_dist_m / px)), 1)
    # border cells of the window, as offsets (drow, dcol)
    edge = np.arange(-R, R + 1)
    border = np.concatenate([
        np.stack([np.full_like(edge, -R), edge], 1),
        np.stack([np.full_like(edge, R), edge], 1),
        np.stack([edge[1:-1], np.full(edge.size - 2, -R)], 1),
        np.stack([edge[1:-1], np.full(edge.size - 2, R)], 1),
    ])
    length = np.hypot(border[:, 0], border[:, 1])                    # in pixels
    n_steps = int(math.ceil(length.max() * 2))
    t = (np.arange(1, n_steps + 1) / 2.0)                              # pixel steps
    frac = t[None, :] / length[:, None]                                # (rays, steps)
    valid = frac <= 1.0
    dr = border[:, 0:1] * frac
    dc = border[:, 1:2] * frac
    rr = np.rint(r0 + dr).astype(np.int64)
    cc = np.rint(c0 + dc).astype(np.int64)
    valid &= (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
    dist_m = np.hypot(rr - r0, cc - c0) * px
    valid &= (dist_m > 0) & (dist_m <= max_dist_m)
    rr_s = np.where(valid, rr, r0)
    cc_s = np.where(valid, cc, c0)
    z = dem[rr_s, cc_s]
    valid &= np.isfinite(z)
    z = np.where(valid, z, -np.inf)
    if k_factor:
        z = z - dist_m ** 2 / (2.0 * k_factor * EARTH_RADIUS_M)
    z_tx = dem[r0, c0] + site_height_m
    with np.errstate(divide="ignore", invalid="ignore"):
        d_safe = np.where(dist_m > 0, dist_m, np.inf)
        terrain_tan = (z - z_tx) / d_safe
        target_tan = (z + rx_height_m - z_tx) / d_safe
    terrain_tan = np.where(valid, terrain_tan, -np.inf)
    running = np.maximum.accumulate(terrain_tan, axis=1)
    before = np.concatenate([np.full((running.shape[0], 1), -np.inf), running[:, :-1]], axis=1)
    vis = valid & (target_tan >= before)
    flat = (rr_s * w + cc_s)[vis]
    out.reshape(-1)[np.unique(flat)] = True
    # the site's own cell and its neighbours within half a pixel see it
    out[r0, c0] = True
    return out


# --- modelled signal rasters ----------------------------------------------------------

def _grid_from_sites(xy: np.ndarray, reach: np.ndarray, resolution_m: float) -> tuple[Affine, tuple[int, int]]:
    minx = float(np.min(xy[:, 0] - reach))
    maxx = float(np.max(xy[:, 0] + reach))
    miny = float(np.min(xy[:, 1] - reach))
    maxy = float(np.max(xy[:, 1] + reach))
    minx = math.floor(minx / resolution_m) * resolution_m
    maxy = math.ceil(maxy / resolution_m) * resolution_m
    width = int(math.ceil((maxx - minx) / resolution_m))
    height = int(math.ceil((maxy - miny) / resolution_m))
    return Affine(resolution_m, 0.0, minx, 0.0, -resolution_m, maxy), (height, width)


def _dem_on_grid(dem: tuple[np.ndarray, Affine, Any], transform: Affine, shape: tuple[int, int],
                 crs: Any) -> np.ndarray:
    arr, dtr, dcrs = dem
    if tuple(arr.shape) == tuple(shape) and dtr.almost_equals(transform):
        return np.asarray(arr, dtype=np.float32)
    from rasterio.warp import Resampling, reproject

    out = np.full(shape, np.nan, dtype=np.float32)
    reproject(np.asarray(arr, dtype=np.float32), out, src_transform=dtr, src_crs=dcrs,
              dst_transform=transform, dst_crs=crs, resampling=Resampling.bilinear,
              src_nodata=np.nan, dst_nodata=np.nan)
    return out


def model_signal(
    sites: Any,
    *,
    dem: tuple[np.ndarray, Affine, Any] | None,
    grid: tuple[Affine, tuple[int, int], Any] | None = None,
    resolution_m: float = 100.0,
    settings: PropagationSettings = PropagationSettings(),  # noqa: B008 (frozen)
    thresholds: Mapping[str, float] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, ModelledRaster]:
    """Modelled signal rasters per carrier × technology from tower sites.

    Parameters
    ----------
    sites
        GeoDataFrame of points in a **metric** CRS with columns ``carrier``,
        ``technology`` (2G/3G/4G), ``height_m`` (NaN → ``settings.default_height_m``),
        optional ``eirp_dbm`` and ``freq_mhz`` overriding the settings per site.
    dem
        ``(array, transform, crs)`` of ground elevation in metres, or None for the
        fixed-radius fallback.
    grid
        ``(transform, shape, crs)`` of the output rasters; default: the DEM's grid, or
        (without a DEM) the sites' extent plus their reach at ``resolution_m``.
    settings
        Frequencies, EIRP, environment, NLOS loss, ranges, fallback radii.
    thresholds
        dBm threshold per technology for the fallback (default
        :class:`gisapp.config.Thresholds` values).
    progress
        ``progress(fraction, message)`` callback.

    Returns
    -------
    dict
        ``layer_key(carrier, technology)`` → :class:`ModelledRaster` with ``dbm``
        (float32, NaN where nothing is modelled: beyond range, or outside the fallback
        radius), the grid's transform and crs, and ``kind == "modelled"``. With a DEM
        the method is ``"hata_los"``: EIRP − max(Hata, free space) − NLOS loss where
        the DEM blocks the ray; without, ``"fixed_radius"``: threshold + 10 dBm inside
        ``settings.radius_m[technology]``.

    Raises
    ------
    MissingColumnError
        ``carrier`` or ``technology`` missing.
    InputError
        Sites without a CRS or in degrees, or a technology without a frequency.
    """
    from gisapp.config import Thresholds

    for col in ("carrier", "technology"):
        if col not in sites.columns:
            raise MissingColumnError(
                f"tower sites need a '{col}' column (found: {', '.join(map(str, sites.columns))})",
                layer="towers")
    if sites.crs is None or sites.crs.is_geographic:
        raise InputError("tower sites must be in a metric CRS before modelling coverage "
                         "(use gisapp.crs.to_metric)", layer="towers")
    th = dict(thresholds if thresholds is not None else Thresholds().dbm)
    crs = sites.crs if grid is None else grid[2]
    n = len(sites)
    tech = sites["technology"].astype(str).str.upper().to_numpy()
    carrier = sites["carrier"].astype(str).to_numpy()
    xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()]) if n else np.zeros((0, 2))
    height = pd.to_numeric(sites["height_m"], errors="coerce").to_numpy(float) if "height_m" in sites \
        else np.full(n, np.nan)
    height = np.where(np.isfinite(height) & (height > 0), height, settings.default_height_m)
    for t in np.unique(tech):
        if dem is not None and t not in settings.freq_mhz and "freq_mhz" not in sites:
            raise InputError(f"no frequency for technology '{t}'; set it in the propagation settings "
                             "(freq_mhz) or give a freq_mhz column", layer="towers")
    eirp_col = pd.to_numeric(sites["eirp_dbm"], errors="coerce").to_numpy(float) if "eirp_dbm" in sites \
        else np.full(n, np.nan)
    freq_col = pd.to_numeric(sites["freq_mhz"], errors="coerce").to_numpy(float) if "freq_mhz" in sites \
        else np.full(n, np.nan)
    fallback = dem is None
    reach = _reach_m(tech, height, freq_col, eirp_col, settings, th, fallback)
    if grid is not None:
        transform, shape = grid[0], tuple(grid[1])
    elif dem is not None:
        transform, shape, crs = dem[1], tuple(dem[0].shape), dem[2]
    elif n:
        transform, shape = _grid_from_sites(xy, reach, resolution_m)
    else:
        return {}
    ground = None if dem is None else _dem_on_grid(dem, transform, shape, crs)
    h, w = shape
    px = _pixel_size(transform)
    method = "fixed_radius" if fallback else "hata_los"
    if fallback:
        log.info("no DEM: modelled coverage uses the fixed radius per technology (fallback)")
    out: dict[str, np.ndarray] = {}
    meta: dict[str, tuple[str, str]] = {}
    site_row, site_col, _ = pixel_index(transform, xy[:, 0], xy[:, 1])
    for i in range(n):
        if progress is not None and i % 10 == 0:
            progress(i / max(n, 1), f"modelling site {i + 1} of {n}")
        key = layer_key(carrier[i], tech[i])
        if key not in out:
            out[key] = np.full(shape, np.nan, dtype=np.float32)
            meta[key] = (carrier[i], tech[i])
        rad = reach[i]
        if not rad > 0:
            continue
        rpx = int(math.ceil(rad / px)) + 1
        r_lo, r_hi = max(int(site_row[i]) - rpx, 0), min(int(site_row[i]) + rpx + 1, h)
        c_lo, c_hi = max(int(site_col[i]) - rpx, 0), min(int(site_col[i]) + rpx + 1, w)
        if r_lo >= r_hi or c_lo >= c_hi:
            continue
        val = _site_signal(i, (r_lo, r_hi, c_lo, c_hi), rad, transform, xy, tech, height,
                           freq_col, eirp_col, ground, settings, th)
        block = out[key][r_lo:r_hi, c_lo:c_hi]
        np.fmax(block, val, out=block)
    if progress is not None:
        progress(1.0, "modelled coverage done")
    return {k: ModelledRaster(v, transform, crs, meta[k][0], meta[k][1], method) for k, v in out.items()}


def _reach_m(tech: np.ndarray, height: np.ndarray, freq_col: np.ndarray, eirp_col: np.ndarray,
             settings: PropagationSettings, th: Mapping[str, float], fallback: bool) -> np.ndarray:
    """How far each site is modelled (metres): the fallback radius, or the maximum range
    cut where even line of sight is 10 dB under the technology's threshold."""
    n = len(tech)
    reach = np.array([
        (settings.radius_m.get(t, 0.0) if fallback else settings.max_range_m.get(t, 20_000.0))
        for t in tech
    ])
    if not fallback and n:
        # no need to model beyond where even line of sight is 10 dB under the threshold
        d_km = np.linspace(0.05, float(reach.max()) / 1000.0, 2000)
        freq_s = np.where(np.isfinite(freq_col), freq_col,
                          [settings.freq_mhz.get(t, np.nan) for t in tech])
        eirp_s = np.where(np.isfinite(eirp_col), eirp_col,
                          [settings.eirp_dbm.get(t, 43.0) for t in tech])
        for i in range(n):          # per site (≈ hundreds), a vector of 2,000 distances
            rx = eirp_s[i] - path_loss_db(freq_s[i], d_km, h_base_m=height[i],
                                          h_mobile_m=settings.rx_height_m,
                                          environment=settings.environment,
                                          city_size=settings.city_size)
            ok = rx >= th.get(tech[i], -110.0) - _BELOW_THRESHOLD_DB
            if ok.any():
                reach[i] = min(reach[i], float(d_km[ok].max()) * 1000.0)
    return reach


def _site_signal(i: int, box: tuple[int, int, int, int], rad: float, transform: Affine,
                 xy: np.ndarray, tech: np.ndarray, height: np.ndarray, freq_col: np.ndarray,
                 eirp_col: np.ndarray, ground: np.ndarray | None, settings: PropagationSettings,
                 th: Mapping[str, float]) -> np.ndarray:
    """Signal (dBm, float32 for the model; NaN outside ``rad``) of site ``i`` on the pixel
    window ``box`` = (r_lo, r_hi, c_lo, c_hi) of the output grid."""
    r_lo, r_hi, c_lo, c_hi = box
    fallback = ground is None          # no DEM: the fixed radius
    px = _pixel_size(transform)
    rows = np.arange(r_lo, r_hi)[:, None] + 0.5
    cols = np.arange(c_lo, c_hi)[None, :] + 0.5
    cx = transform.c + cols * transform.a + rows * transform.b
    cy = transform.f + cols * transform.d + rows * transform.e
    d = np.hypot(cx - xy[i, 0], cy - xy[i, 1])
    inside = d <= rad
    if fallback:
        return np.where(inside, np.float32(th.get(tech[i], -100.0) + 10.0), np.nan)
    f = freq_col[i] if np.isfinite(freq_col[i]) else settings.freq_mhz[tech[i]]
    eirp = eirp_col[i] if np.isfinite(eirp_col[i]) else settings.eirp_dbm.get(tech[i], 43.0)
    dkm = np.maximum(d, px / 2.0) / 1000.0
    loss = np.maximum(
        path_loss_db(f, dkm, h_base_m=height[i], h_mobile_m=settings.rx_height_m,
                     environment=settings.environment, city_size=settings.city_size),
        free_space_loss_db(f, dkm),
    )
    val = eirp - loss
    sub = ground[r_lo:r_hi, c_lo:c_hi]
    sub_tr = transform @ Affine.translation(c_lo, r_lo)
    vis = visibility_from_site(sub, sub_tr, (xy[i, 0], xy[i, 1]), height[i],
                               rx_height_m=settings.rx_height_m, max_dist_m=rad,
                               k_factor=settings.k_factor)
    val = np.where(vis, val, val - settings.nlos_loss_db)
    inside &= np.isfinite(sub)
    return np.where(inside, val, np.nan).astype(np.float32)
