"""Coverage modelled from towers over terrain (issue 16): ITM radials, Hata, fixed radius."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine

from gisapp.analysis.propagation import path_loss_db
from gisapp.analysis.towers_coverage import (
    TowerModelOptions, beyond_reach, fill_from_radials, hata_out_of_range, model_towers,
    radial_losses,
)
from gisapp.errors import InputError
from gisapp.config.planning import PropagationSettings

CRS = "EPSG:32648"
RES = 50.0
X0, Y1 = 400_000.0, 2_500_000.0
TR = Affine(RES, 0, X0, 0, -RES, Y1)
SHAPE = (400, 400)
TX = (X0 + 10_000.0, Y1 - 10_000.0)
SETTINGS = PropagationSettings(max_range_m={"2G": 9_000.0, "4G": 9_000.0})


def _ridge() -> np.ndarray:
    """Flat ground at 200 m with a 500 m ridge running north-south 3 km east of the tower."""
    x = X0 + (np.arange(SHAPE[1]) + 0.5) * RES
    ridge = 500.0 * np.exp(-((x - (TX[0] + 3_000.0)) / 300.0) ** 2)
    return (np.full(SHAPE, 200.0) + ridge[None, :]).astype(np.float32)


def _sites(height: float = 30.0, tech: str = "2G") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"carrier": ["A"], "technology": [tech], "height_m": [height],
                             "name": ["T1"]},
                            geometry=gpd.points_from_xy([TX[0]], [TX[1]]), crs=CRS)


def _at(arr: np.ndarray, x: float, y: float) -> float:
    c, r = ~TR @ (x, y)
    return float(arr[int(r), int(c)])


def test_village_behind_ridge_not_covered_by_itm_where_hata_covers_it():
    grid = (TR, SHAPE, CRS)
    itm = model_towers(_sites(), grid=grid, ground=(_ridge(), TR), settings=SETTINGS,
                       options=TowerModelOptions(model="itm"))
    hata = model_towers(_sites(), grid=grid, ground=None, settings=SETTINGS,
                        options=TowerModelOptions(model="hata"))
    thr = -100.0                                    # 2G threshold
    behind = (TX[0] + 6_000.0, TX[1])
    open_side = (TX[0] - 6_000.0, TX[1])
    assert itm.layers["a_2g"].method == "itm" and itm.layers["a_2g"].kind == "modelled"
    assert _at(itm.layers["a_2g"].dbm, *behind) < thr
    assert _at(itm.layers["a_2g"].dbm, *open_side) > thr
    # Hata alone (no terrain) covers the village behind the ridge
    assert hata.layers["a_2g"].method == "hata"
    expected = 55.0 - float(path_loss_db(900.0, 6.0, h_base_m=30.0, environment="suburban"))
    assert _at(hata.layers["a_2g"].dbm, *behind) == pytest.approx(expected, abs=0.5)
    assert _at(hata.layers["a_2g"].dbm, *behind) > thr


def test_hata_outside_its_range_warns_and_uses_itm_with_a_dem():
    assert hata_out_of_range(900.0, 30.0, 20_000.0) == []
    assert len(hata_out_of_range(2600.0, 20.0, 35_000.0)) == 3
    grid = (TR, SHAPE, CRS)
    with_dem = model_towers(_sites(height=20.0), grid=grid, ground=(_ridge(), TR),
                            settings=SETTINGS, options=TowerModelOptions(model="hata"))
    assert list(with_dem.methods) == ["itm"]
    assert "mast 20 m < 30 m" in with_dem.warnings[0] and "ITM" in with_dem.warnings[0]
    no_dem = model_towers(_sites(height=20.0), grid=grid, settings=SETTINGS,
                          options=TowerModelOptions(model="hata"))
    assert list(no_dem.methods) == ["hata"] and "no DEM" in no_dem.warnings[0]


def test_dem_not_covering_a_towers_reach_names_the_tower():
    small = _ridge()[:150, :150]                     # 7.5 km square: not the 9 km reach
    with pytest.raises(InputError, match="tower T1 .A 2G."):
        model_towers(_sites(), grid=(TR, SHAPE, CRS), ground=(small, TR), settings=SETTINGS,
                     options=TowerModelOptions(model="itm"), names=["T1"])


def test_itm_needs_a_dem_and_the_radius_model_is_the_fixed_radius():
    with pytest.raises(InputError, match="needs a DEM"):
        model_towers(_sites(), grid=(TR, SHAPE, CRS), settings=SETTINGS)
    rad = model_towers(_sites(tech="4G"), grid=(TR, SHAPE, CRS), settings=SETTINGS,
                       options=TowerModelOptions(model="radius"))
    lay = rad.layers["a_4g"]
    assert lay.method == "fixed_radius" and rad.reach_m[0] == 2_000.0
    assert np.isfinite(_at(lay.dbm, TX[0] + 1_900.0, TX[1]))
    assert np.isnan(_at(lay.dbm, TX[0] + 2_200.0, TX[1]))


def test_radial_fill_matches_the_radials_at_their_receivers():
    ground = _ridge()
    loss = radial_losses(ground, TR, *TX, 9_000.0, 30.0, 900.0, radials=8, spacing_m=90.0,
                         receiver_step=4)
    assert loss.shape == (8, 101) and np.isfinite(loss).all()
    box = (0, SHAPE[0], 0, SHAPE[1])
    filled = fill_from_radials(loss, 90.0, TR, box, *TX, 9_000.0)
    # due east is radial 2 (90°): a pixel centre there at 40 samples (3.6 km)
    c, r = ~TR @ (TX[0] + 3_600.0, TX[1])
    cx, cy = TR @ (int(c) + 0.5, int(r) + 0.5)
    d = np.hypot(cx - TX[0], cy - TX[1]) / 90.0
    j = int(d)
    expect = loss[2, j] + (loss[2, j + 1] - loss[2, j]) * (d - j)
    assert filled[int(r), int(c)] == pytest.approx(expect, abs=1.0)
    assert np.isnan(filled[0, 0])                    # beyond the reach


def test_beyond_reach():
    sites = np.array([[0.0, 0.0], [10_000.0, 0.0]])
    pts = np.array([[1_000.0, 0.0], [10_000.0, 4_000.0], [30_000.0, 0.0]])
    assert beyond_reach(pts, sites, np.array([2_000.0, 5_000.0])).tolist() == [False, False, True]
    assert beyond_reach(pts, sites[:0], np.zeros(0)).all()
