"""Gap costs: hand-worked villages whose costs are sums of the config's unit costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gisapp.analysis.costs import (
    COST_BREAKDOWN, COST_COLUMNS, COST_OPTION, COST_PER_PERSON_USD, COST_USD, POWER_COST_USD,
    POWER_OPTION, SIGNAL_COST_USD, SIGNAL_OPTION, gap_costs, microwave_cost_usd,
)
from gisapp.errors import MissingColumnError
from gisapp.config.planning import UnitCosts

C = UnitCosts()


def _v(**cols):
    base = {"gap_class": "no_signal", "pop": 350.0, "dist_site_m": 25_000.0,
            "dist_fibre_m": 50_000.0, "dist_grid_m": 20_000.0}
    base.update(cols)
    return pd.DataFrame({k: [v] for k, v in base.items()})


def test_hand_worked_new_site_microwave_solar():
    """25 km from a site (medium microwave band), no fibre within 10 km, grid 30 km away:
    tower + civil 20,000 + 4G radio 25,500 + microwave 20-40 km 30,000 + solar
    3,000 W x 1.0 + battery 24,000 Wh x 0.30 = 85,700 USD for 350 people."""
    out = gap_costs(_v(dist_grid_m=30_000.0), costs=C)
    expect = (C.tower_civil_usd + C.radio_usd["4G"] + C.microwave_bands[1][1]
              + C.site_pv_w * C.solar_per_w_usd + C.site_battery_wh * C.battery_per_wh_usd)
    assert expect == 85_700.0
    r = out.iloc[0]
    assert r[SIGNAL_OPTION] == "new_site" and r[COST_OPTION] == "new_site(microwave, solar)"
    assert r[COST_USD] == expect and r[SIGNAL_COST_USD] == expect and r[POWER_COST_USD] == 0
    assert r[COST_PER_PERSON_USD] == pytest.approx(expect / 350)
    assert r[COST_BREAKDOWN] == ("tower_civil 20,000 + radio_4G 25,500 + microwave 30,000 + "
                                 "solar_battery 10,200")


def test_hand_worked_fibre_grid_and_power_gap():
    """No power, no signal; fibre 2 km (20,000 < microwave 30,000), grid 500 m:
    site power = MV 3,500 + backup 5,000 = 8,500 (< solar 10,200), so
    site = 20,000 + 25,500 + fibre 20,000 + 8,500 = 74,000;
    power gap for 350 people = 100 households: MV 3,500 + 100 x 125 = 16,000
    (< 100 x 400 solar home systems)."""
    out = gap_costs(_v(gap_class="no_power_no_signal", dist_fibre_m=2_000.0, dist_grid_m=500.0))
    r = out.iloc[0]
    assert r[SIGNAL_COST_USD] == 74_000.0
    assert r[POWER_OPTION] == "grid_extension" and r[POWER_COST_USD] == 16_000.0
    assert r[COST_USD] == 90_000.0
    assert r[COST_OPTION] == "new_site(fibre, grid) + grid_extension"
    assert r[COST_BREAKDOWN] == ("tower_civil 20,000 + radio_4G 25,500 + fibre 20,000 + "
                                 "grid_extension 3,500 + power_backup 5,000 + mv_line 3,500 + "
                                 "connections 12,500")
    # a grid 1 km away costs 12,000 for the site: solar (10,200) wins
    r2 = gap_costs(_v(dist_fibre_m=2_000.0, dist_grid_m=1_000.0)).iloc[0]
    assert r2[COST_OPTION] == "new_site(fibre, solar)" and r2[COST_USD] == 75_700.0


def test_upgrade_satellite_served_unknown_and_solar_home_systems():
    df = pd.concat([
        _v(dist_site_m=3_000.0, dist_site_m__viettel=3_000.0, dist_site_m__mobifone=4_000.0),
        _v(pop=10.0),                                      # 85,700 / 10 people > 1,000/person
        _v(gap_class="served"),
        _v(gap_class="unknown"),
        _v(gap_class="no_power", pop=35.0, dist_grid_m=np.nan),   # no grid known: SHS
    ], ignore_index=True)
    before = df.copy()
    out = gap_costs(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(out.columns) == list(COST_COLUMNS)
    assert out.loc[0, SIGNAL_OPTION] == "upgrade_existing" and out.loc[0, COST_USD] == C.upgrade_site_usd
    assert out.loc[0, COST_BREAKDOWN] == "upgrade_site 30,500 (viettel)"
    assert out.loc[1, SIGNAL_OPTION] == "satellite" and out.loc[1, COST_USD] == C.vsat_usd
    assert out.loc[2, COST_USD] == 0 and out.loc[2, COST_OPTION] == ""
    assert np.isnan(out.loc[3, COST_USD]) and out.loc[3, COST_OPTION] == ""
    assert out.loc[4, POWER_OPTION] == "solar_home_systems"
    assert out.loc[4, COST_USD] == 10 * C.solar_home_system_usd


def test_opex_adds_discounted_running_costs():
    costs = UnitCosts(include_opex=True)
    out = gap_costs(_v(dist_site_m=3_000.0), costs=costs)
    factor = sum(1 / 1.05 ** i for i in range(10))
    assert out.loc[0, COST_USD] == pytest.approx(30_500 * (1 + 0.1 * factor))


def test_microwave_bands_and_errors_and_empty():
    np.testing.assert_array_equal(
        microwave_cost_usd(np.array([0, 19_999, 20_000, 20_001, 40_001, np.nan]), C),
        [20_000, 20_000, 20_000, 30_000, 60_000, 60_000])
    with pytest.raises(MissingColumnError, match="gap costs need the column"):
        gap_costs(_v().drop(columns=["dist_grid_m"]))
    empty = gap_costs(_v().iloc[:0])
    assert list(empty.columns) == list(COST_COLUMNS) and len(empty) == 0
