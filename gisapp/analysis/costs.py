"""Cost of closing each village's gaps, choosing the cheapest option (vectorised).

Signal gap (``no_signal``, ``no_power_no_signal``), options priced per village:

* ``upgrade_existing`` — add a radio / sector to an existing site within
  ``upgrade_range_m``: ``upgrade_site_usd``.
* ``new_site`` — tower and civil works + radio for ``technology`` + backhaul + power.
  Backhaul: a microwave hop to the nearest existing site (``dist_site_m``, priced by
  distance band) or fibre per km when fibre is within ``fibre_reach_m``; the cheaper.
  Power: grid extension per km of medium-voltage line + backup, or solar PV and
  battery; the cheaper (grid only within ``grid_reach_m``).
* ``satellite`` — a community VSAT hotspot, a *stop-gap* that is not mobile coverage:
  chosen only when the cheapest terrestrial option costs more than
  ``satellite_above_usd_per_person`` per person.

Power gap (``no_power``, ``no_power_no_signal``): grid extension (MV line per km +
a connection per household) or solar home systems per household; the cheaper.

With ``costs.include_opex`` each option's cost is its capex plus discounted yearly
opex over ``horizon_years`` (``opex_share_per_year`` of capex; the VSAT service fee).
"""

from __future__ import annotations

import logging
import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.errors import MissingColumnError
from gisapp.config.planning import UnitCosts

__all__ = [
    "gap_costs", "microwave_cost_usd", "COST_COLUMNS", "COST_OPTION", "COST_USD",
    "COST_PER_PERSON_USD", "COST_BREAKDOWN", "SIGNAL_OPTION", "SIGNAL_COST_USD",
    "POWER_OPTION", "POWER_COST_USD",
]

log = logging.getLogger(__name__)

SIGNAL_OPTION = "signal_option"        # upgrade_existing | new_site | satellite | "" (no gap)
SIGNAL_COST_USD = "signal_cost_usd"
POWER_OPTION = "power_option"          # grid_extension | solar_home_systems | "" (no gap)
POWER_COST_USD = "power_cost_usd"
COST_OPTION = "cost_option"            # e.g. "new_site(microwave, solar) + grid_extension"
COST_USD = "cost_usd"                  # signal + power
COST_PER_PERSON_USD = "cost_per_person_usd"
COST_BREAKDOWN = "cost_breakdown"      # "tower_civil 20000 + radio_4G 25500 + ..."
COST_COLUMNS = (SIGNAL_OPTION, SIGNAL_COST_USD, POWER_OPTION, POWER_COST_USD,
                COST_OPTION, COST_USD, COST_PER_PERSON_USD, COST_BREAKDOWN)

_SIGNAL_GAPS = (S.GapClass.NO_SIGNAL.value, S.GapClass.NO_POWER_NO_SIGNAL.value)
_POWER_GAPS = (S.GapClass.NO_POWER.value, S.GapClass.NO_POWER_NO_SIGNAL.value)


def microwave_cost_usd(dist_m: np.ndarray, costs: UnitCosts) -> np.ndarray:
    """Microwave backhaul cost by hop-length band (NaN distance → the longest band)."""
    d = np.asarray(dist_m, dtype=float)
    limits = np.array([b[0] for b in costs.microwave_bands])
    prices = np.array([b[1] for b in costs.microwave_bands])
    idx = np.searchsorted(limits, np.where(np.isfinite(d), d, np.inf), side="left")
    return prices[np.minimum(idx, len(prices) - 1)]


def _lifetime(capex: np.ndarray, yearly: np.ndarray | float, costs: UnitCosts) -> np.ndarray:
    if not costs.include_opex:
        return capex
    years = np.arange(costs.horizon_years)
    factor = float(np.sum(1.0 / (1.0 + costs.discount_rate) ** years))
    return capex + (costs.opex_share_per_year * capex + yearly) * factor


def _fmt(parts: list[tuple[str, np.ndarray]], mask: np.ndarray) -> np.ndarray:
    """Vectorised ``"name amount + name amount"`` strings for the rows in mask."""
    out = np.full(mask.shape, "", dtype=object)
    if not mask.any():
        return out
    pieces = []
    for name, val in parts:
        v = np.broadcast_to(np.asarray(val, dtype=float), mask.shape)[mask]
        s = pd.Series(v).map(lambda a, n=name: f"{n} {a:,.0f}" if a > 0 else "")
        pieces.append(s)
    joined = pd.concat(pieces, axis=1).apply(lambda r: " + ".join(x for x in r if x), axis=1)
    out[mask] = joined.to_numpy(dtype=object)
    return out


def gap_costs(
    villages: pd.DataFrame,
    *,
    costs: UnitCosts = UnitCosts(),  # noqa: B008 (frozen)
    technology: str = "4G",
    upgrade_range_m: float = 5_000.0,
    fibre_reach_m: float = 10_000.0,
    grid_reach_m: float = 20_000.0,
    satellite_above_usd_per_person: float = 1_000.0,
) -> pd.DataFrame:
    """Cheapest way to close each village's gaps, with its cost and cost per person.

    Parameters
    ----------
    villages
        Table with schema columns ``gap_class``, ``pop``, ``dist_site_m``,
        ``dist_fibre_m``, ``dist_grid_m`` (metres; NaN = unknown / none known) and
        optional ``dist_site_m__<carrier>`` columns (nearest site per carrier, used to
        name the carrier whose site would be upgraded in ``cost_breakdown``).
    costs
        Unit costs (see :mod:`gisapp.config.planning`).
    technology
        Technology of new radios (prices ``costs.radio_usd[technology]``).
    upgrade_range_m
        An existing site this close can be upgraded / given a sector towards the village.
    fibre_reach_m, grid_reach_m
        Fibre and the grid are only extended this far; beyond, microwave and solar.
    satellite_above_usd_per_person
        The satellite stop-gap is chosen when the cheapest terrestrial option costs more
        per person than this.

    Returns
    -------
    pandas.DataFrame
        Same index as ``villages``, columns :data:`COST_COLUMNS`: ``signal_option``,
        ``signal_cost_usd``, ``power_option``, ``power_cost_usd``, ``cost_option``,
        ``cost_usd`` (USD, signal + power), ``cost_per_person_usd`` (NaN when pop is
        0 or unknown), ``cost_breakdown`` (readable parts). Villages without a gap get
        empty options and cost 0; ``unknown`` villages get NaN costs.

    Raises
    ------
    MissingColumnError
        A required column is missing.
    """
    need = (S.GAP_CLASS, S.POP, S.DIST_SITE_M, S.DIST_FIBRE_M, S.DIST_GRID_M)
    missing = [c for c in need if c not in villages.columns]
    if missing:
        raise MissingColumnError(
            f"gap costs need the column(s) {', '.join(missing)}; run the gap analysis first",
            layer="villages")
    n = len(villages)
    gap = villages[S.GAP_CLASS].astype(str).to_numpy()
    pop = pd.to_numeric(villages[S.POP], errors="coerce").to_numpy(float)
    d_site = pd.to_numeric(villages[S.DIST_SITE_M], errors="coerce").to_numpy(float)
    d_fibre = pd.to_numeric(villages[S.DIST_FIBRE_M], errors="coerce").to_numpy(float)
    d_grid = pd.to_numeric(villages[S.DIST_GRID_M], errors="coerce").to_numpy(float)
    inf = np.inf

    # --- new-site components ---------------------------------------------------
    radio = float(costs.radio_usd[technology])
    mw = microwave_cost_usd(d_site, costs)
    fibre = np.where(np.nan_to_num(d_fibre, nan=inf) <= fibre_reach_m,
                     np.nan_to_num(d_fibre, nan=inf) / 1000.0 * costs.fibre_per_km_usd, inf)
    use_fibre = fibre < mw
    backhaul = np.where(use_fibre, fibre, mw)
    grid_site = np.where(np.nan_to_num(d_grid, nan=inf) <= grid_reach_m,
                         np.nan_to_num(d_grid, nan=inf) / 1000.0 * costs.grid_per_km_usd
                         + costs.site_power_backup_usd, inf)
    solar_site = costs.site_pv_w * costs.solar_per_w_usd + costs.site_battery_wh * costs.battery_per_wh_usd
    use_grid = grid_site < solar_site
    power = np.where(use_grid, grid_site, solar_site)
    new_capex = costs.tower_civil_usd + radio + backhaul + power

    upgrade_capex = np.where(np.nan_to_num(d_site, nan=inf) <= upgrade_range_m,
                             costs.upgrade_site_usd, inf)
    sat_capex = np.full(n, costs.vsat_usd)

    options = np.stack([
        _lifetime(upgrade_capex, 0.0, costs),
        _lifetime(new_capex, 0.0, costs),
    ], axis=1)
    best = np.argmin(options, axis=1)
    terr_cost = options[np.arange(n), best]
    sat_cost = _lifetime(sat_capex, costs.vsat_service_usd_per_year, costs)
    with np.errstate(divide="ignore", invalid="ignore"):
        terr_pp = np.where(pop > 0, terr_cost / pop, np.nan)
    use_sat = np.isfinite(terr_pp) & (terr_pp > satellite_above_usd_per_person)

    signal_gap = np.isin(gap, _SIGNAL_GAPS)
    power_gap = np.isin(gap, _POWER_GAPS)
    unknown = gap == S.GapClass.UNKNOWN.value

    sig_opt = np.where(use_sat, "satellite", np.where(best == 0, "upgrade_existing", "new_site"))
    sig_opt = np.where(signal_gap, sig_opt, "")
    sig_cost = np.where(use_sat, sat_cost, terr_cost)
    sig_cost = np.where(signal_gap, sig_cost, 0.0)

    # --- power gap: grid extension vs solar home systems ------------------------
    households = np.ceil(np.nan_to_num(pop, nan=0.0) / costs.household_size)
    grid_v = np.where(np.nan_to_num(d_grid, nan=inf) <= grid_reach_m,
                      np.nan_to_num(d_grid, nan=inf) / 1000.0 * costs.grid_per_km_usd
                      + households * costs.grid_connection_per_household_usd, inf)
    shs_v = households * costs.solar_home_system_usd
    use_grid_v = grid_v <= shs_v
    pow_cost = np.where(power_gap, np.where(use_grid_v, grid_v, shs_v), 0.0)
    pow_opt = np.where(power_gap, np.where(use_grid_v, "grid_extension", "solar_home_systems"), "")

    total = sig_cost + pow_cost
    total = np.where(unknown, np.nan, total)
    sig_cost = np.where(unknown, np.nan, sig_cost)
    pow_cost = np.where(unknown, np.nan, pow_cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_person = np.where(pop > 0, total / pop, np.nan)

    # --- labels and breakdowns (strings built column-wise, not per village) ------
    bh_name = np.where(use_fibre, "fibre", "microwave")
    pw_name = np.where(use_grid, "grid", "solar")
    label = np.where(sig_opt == "new_site",
                     "new_site(" + bh_name.astype(object) + ", " + pw_name.astype(object) + ")",
                     sig_opt.astype(object))
    label = np.where((label != "") & (pow_opt != ""), label + " + " + pow_opt.astype(object),
                     np.where(label != "", label, pow_opt.astype(object)))

    up_carrier = _nearest_carrier(villages)
    breakdown = np.full(n, "", dtype=object)
    m_new = sig_opt == "new_site"
    breakdown[m_new] = _fmt([
        ("tower_civil", costs.tower_civil_usd), (f"radio_{technology}", radio),
        ("microwave", np.where(use_fibre, 0.0, mw)), ("fibre", np.where(use_fibre, fibre, 0.0)),
        ("grid_extension", np.where(use_grid, grid_site - costs.site_power_backup_usd, 0.0)),
        ("power_backup", np.where(use_grid, costs.site_power_backup_usd, 0.0)),
        ("solar_battery", np.where(use_grid, 0.0, solar_site)),
    ], m_new)[m_new]
    m_up = sig_opt == "upgrade_existing"
    breakdown[m_up] = ("upgrade_site " + f"{costs.upgrade_site_usd:,.0f}"
                       + np.where(up_carrier[m_up] != "", " (" + up_carrier[m_up] + ")", ""))
    m_sat = sig_opt == "satellite"
    breakdown[m_sat] = f"vsat {costs.vsat_usd:,.0f}"
    m_pow = pow_opt != ""
    pb = _fmt([("mv_line", np.where(use_grid_v, np.nan_to_num(d_grid) / 1000.0 * costs.grid_per_km_usd, 0.0)),
               ("connections", np.where(use_grid_v, households * costs.grid_connection_per_household_usd, 0.0)),
               ("solar_home_systems", np.where(use_grid_v, 0.0, shs_v))], m_pow)
    breakdown = np.where(m_pow & (breakdown != ""), breakdown + " + " + pb,
                         np.where(m_pow, pb, breakdown))
    if costs.include_opex:
        breakdown = np.where(breakdown != "", breakdown + f" (+ opex over {costs.horizon_years} y)",
                             breakdown)
    breakdown = np.where(unknown, "", breakdown)
    label = np.where(unknown, "", label)

    return pd.DataFrame({
        SIGNAL_OPTION: sig_opt.astype(object), SIGNAL_COST_USD: sig_cost,
        POWER_OPTION: pow_opt.astype(object), POWER_COST_USD: pow_cost,
        COST_OPTION: label, COST_USD: total, COST_PER_PERSON_USD: per_person,
        COST_BREAKDOWN: breakdown,
    }, index=villages.index)


def _nearest_carrier(villages: pd.DataFrame) -> np.ndarray:
    cols = [c for c in villages.columns if str(c).startswith(S.DIST_SITE_M + "__")]
    if not cols:
        return np.full(len(villages), "", dtype=object)
    d = villages[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    names = np.array([c.split("__", 1)[1] for c in cols], dtype=object)
    allnan = np.all(np.isnan(d), axis=1)
    idx = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
    return np.where(allnan, "", names[idx])
