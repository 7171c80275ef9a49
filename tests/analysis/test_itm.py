"""The Irregular Terrain Model (Longley-Rice) against NTIA's reference cases, and over a ridge.

NTIA's cases (github NTIA/itm v1.4, US Government work) are read from GISAPP_REAL_DATA
(``propagation/ntia_itm``); those tests skip when it is unset.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import pytest

from gisapp.analysis import propagation
from gisapp.analysis.itm import (
    ItmError, itm_area_loss_db, itm_p2p_loss_db, itm_p2p_loss_many, make_pfl,
)
from gisapp.analysis.propagation import path_loss_db

TOLERANCE_DB = 0.1
#: mobile service, continental temperate, vertical polarisation, average ground, medians
MOBILE = dict(climate=5, n0=301.0, freq_mhz=900.0, pol=1, epsilon=15.0, sigma=0.005,
              mdvar=12, time_pct=50.0, location_pct=50.0, situation_pct=50.0)


def _ntia(real_data: Path, name: str) -> list[dict[str, str]]:
    with open(real_data / "propagation" / "ntia_itm" / name, newline="") as f:
        return list(csv.DictReader(f))


def _pfls(real_data: Path) -> list[list[float]]:
    text = (real_data / "propagation" / "ntia_itm" / "pfls.csv").read_text()
    return [[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()]


def _p2p(row: dict[str, str], pfl: list[float]) -> float:
    f = lambda k: float(row[k])  # noqa: E731
    return itm_p2p_loss_db(f("h_tx__meter"), f("h_rx__meter"), pfl, int(row["climate"]),
                           f("N_0"), f("f__mhz"), int(row["pol"]), f("epsilon"), f("sigma"),
                           int(row["mdvar"]), f("time"), f("location"), f("situation"))


def _area(row: dict[str, str]) -> float:
    f = lambda k: float(row[k])  # noqa: E731
    return itm_area_loss_db(f("h_tx__meter"), f("h_rx__meter"), int(row["tx_siting_criteria"]),
                            int(row["rx_siting_criteria"]), f("d__km"), f("delta_h__meter"),
                            int(row["climate"]), f("N_0"), f("f__mhz"), int(row["pol"]),
                            f("epsilon"), f("sigma"), int(row["mdvar"]), f("time"),
                            f("location"), f("situation"))


def test_ntia_point_to_point_cases(real_data):
    rows, pfls = _ntia(real_data, "p2p.csv"), _pfls(real_data)
    assert len(rows) == len(pfls) >= 5
    errors = [abs(_p2p(r, p) - float(r["A__db"])) for r, p in zip(rows, pfls)]
    # measured: max |error| 0.005 dB over the 5 cases (the expected values have 2 decimals)
    assert max(errors) <= TOLERANCE_DB, errors


def test_ntia_area_cases(real_data):
    rows = _ntia(real_data, "area.csv")
    assert len(rows) >= 5
    errors = [abs(_area(r) - float(r["A__db"])) for r in rows]
    # measured: max |error| 0.048 dB over the 5 cases (the expected values have 1 decimal)
    assert max(errors) <= TOLERANCE_DB, errors


def test_reexported_from_propagation():
    assert propagation.itm_p2p_loss_db is itm_p2p_loss_db
    assert propagation.itm_area_loss_db is itm_area_loss_db


def _ridge_profiles() -> tuple[np.ndarray, np.ndarray]:
    """5 km at 50 m spacing on a 100 m plain; the second has a 200 m ridge at 2.5 km."""
    x = np.arange(0.0, 5001.0, 50.0)
    flat = np.full_like(x, 100.0)
    return flat, flat + 200.0 * np.exp(-(((x - 2500.0) / 300.0) ** 2))


def test_village_behind_a_ridge_is_not_covered_by_itm_where_hata_covers_it():
    flat, ridge = _ridge_profiles()
    loss_flat = itm_p2p_loss_db(30.0, 1.5, make_pfl(flat, 50.0), **MOBILE)
    loss_ridge = itm_p2p_loss_db(30.0, 1.5, make_pfl(ridge, 50.0), **MOBILE)
    hata = float(path_loss_db(900.0, 5.0, h_base_m=30.0, environment="urban"))
    # measured: ITM 114.6 dB over the plain, 174.4 dB behind the ridge; urban Hata 151.0 dB
    assert loss_ridge > loss_flat + 40.0
    assert loss_ridge > hata + 15.0
    # a 2G site (EIRP 58 dBm, threshold −95 dBm: 153 dB allowed) covers the village by Hata
    # alone, not by ITM over the ridge
    allowed = 58.0 - (-95.0)
    assert hata < allowed < loss_ridge


def test_flat_path_loss_grows_with_distance_and_is_at_least_free_space():
    flat, _ = _ridge_profiles()
    losses = itm_p2p_loss_many(30.0, 1.5, flat[None, :], 50.0)[0]
    assert np.isnan(losses[0])
    d_km = np.arange(losses.size) * 0.05
    fs = 32.45 + 20 * np.log10(900.0) + 20 * np.log10(d_km[20:])
    assert (losses[20:] >= fs - 1.0).all()          # no gain beyond free space (±two-ray)
    assert losses[-1] > losses[20]


def test_many_matches_single_and_reports_speed():
    _, ridge = _ridge_profiles()
    radials = np.stack([ridge, ridge[::-1], np.full_like(ridge, 150.0)])
    start = time.perf_counter()
    many = itm_p2p_loss_many(30.0, 1.5, radials, 50.0)
    elapsed = time.perf_counter() - start
    single = itm_p2p_loss_db(30.0, 1.5, make_pfl(radials[1, :61], 50.0), **MOBILE)
    assert many[1, 60] == pytest.approx(single, abs=1e-9)
    assert np.isfinite(many[:, 1:]).all()
    assert elapsed < 30.0                            # 300 paths; measured ≈ 0.2 s


def test_receiver_step_gives_the_same_losses_at_fewer_points():
    _, ridge = _ridge_profiles()
    every = itm_p2p_loss_many(30.0, 1.5, ridge[None, :], 50.0)[0]
    fourth = itm_p2p_loss_many(30.0, 1.5, ridge[None, :], 50.0, receiver_step=4)[0]
    assert np.isfinite(fourth).sum() == (ridge.size - 1) // 4
    np.testing.assert_allclose(fourth[4::4], every[4::4], atol=1e-9)
    assert np.isnan(fourth[1:4]).all()


def test_missing_terrain_ends_the_radial():
    _, ridge = _ridge_profiles()
    holed = ridge.copy()
    holed[30] = np.nan
    out = itm_p2p_loss_many(30.0, 1.5, holed[None, :], 50.0)[0]
    assert np.isfinite(out[1:30]).all() and np.isnan(out[30:]).all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(climate=8), "climate"),
    (dict(freq_mhz=10.0), "freq_mhz"),
    (dict(time_pct=100.0), "percentage"),
    (dict(pol=2), "pol"),
])
def test_inputs_outside_itm_are_refused(kwargs, match):
    flat, _ = _ridge_profiles()
    with pytest.raises(ItmError, match=match):
        itm_p2p_loss_db(30.0, 1.5, make_pfl(flat, 50.0), **{**MOBILE, **kwargs})


def test_malformed_profile_is_refused():
    with pytest.raises(ItmError, match="pfl"):
        itm_p2p_loss_db(30.0, 1.5, [10, 50.0, 1.0, 2.0], **MOBILE)


def test_area_mode_rougher_terrain_costs_more():
    base = dict(h_tx_m=30.0, h_rx_m=1.5, tx_siting=1, rx_siting=0, d_km=10.0)
    smooth = itm_area_loss_db(**base, delta_h_m=10.0, **MOBILE)
    rough = itm_area_loss_db(**base, delta_h_m=300.0, **MOBILE)
    assert rough > smooth + 10.0
    assert math.isfinite(smooth)
