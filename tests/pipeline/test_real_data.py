"""Real public data through the whole run (GISAPP_REAL_DATA; see ../shared/data/README.md).

Sources: Sơn La 2025 communes (thanglequoc/vietnamese-provinces-database, MIT), WorldPop 2020
1 km (CC BY 4.0), ITU Ibiza sample (BSD-3-Clause © ITU), OpenCelliD Lesotho (CC BY-SA 4.0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

import gisapp
from gisapp import schema as S
from gisapp.carriers import normalise_towers
from gisapp.config import config_from_dict
from gisapp.io.vector import read_vector

pytestmark = pytest.mark.real_data


def test_son_la_communes_with_worldpop(real_data, tmp_path):
    communes = real_data / "vietnam" / "communes_2025_14_son_la.gpkg"
    pop = real_data / "vietnam" / "worldpop_2020_1km.tif"
    cfg = config_from_dict({
        "villages": {"path": str(communes), "id": "code", "name": "name"},
        "population_raster": {"path": str(pop)},
    })
    r = gisapp.run(cfg)
    v = r.villages
    src = read_vector(communes)
    assert len(v) == len(src) == 75 and v[S.ID].is_unique        # no commune lost
    assert (v[S.POP_SOURCE] == "raster").all() and v[S.POP].notna().all()
    # the raster's own sum over the province outline (union of communes), exact fractions
    exactextract = pytest.importorskip(
        "exactextract", reason="exactextract (the test extra) is the reference for the sum")
    import geopandas as gpd
    outline = gpd.GeoDataFrame(geometry=[shapely.union_all(src.geometry.to_numpy())], crs=src.crs)
    own = exactextract.exact_extract(str(pop), outline, "sum", output="pandas")["sum"].iloc[0]
    assert v[S.POP].sum() == pytest.approx(own, rel=0.01)
    # Sơn La had about 1.3 million people in 2020 (WorldPop UN-adjusted)
    assert 1.1e6 < v[S.POP].sum() < 1.5e6
    # every commune is "unknown": no coverage or electricity layer was given, and it says so
    assert (v[S.GAP_CLASS] == "unknown").all()
    assert v[S.WHY].str.contains("no coverage layer").all()
    # areas in the UTM zone the run chose agree with the file's own areaKm2: 69 of 75 within
    # 1 %, 72 within 2 %; three communes (Mộc Châu, Chiềng Sơn, Lóng Sập) carry an areaKm2 that does not fit
    # their own polygons (15-28 % off, offsetting each other), and the province total agrees
    ours = v.set_index(S.ID)[S.AREA_KM2].reindex(src["code"].astype(str)).to_numpy()
    theirs = src["areaKm2"].astype(float).to_numpy()
    assert (np.abs(ours / theirs - 1) < 0.01).sum() >= 69
    assert (np.abs(ours / theirs - 1) < 0.02).sum() >= 72
    assert ours.sum() == pytest.approx(theirs.sum(), rel=0.005)


def test_ibiza_schools_against_operator_coverage(real_data, tmp_path):
    import geopandas as gpd

    cov_path = real_data / "ibiza" / "mobile-coverage.gpkg"
    cov = gpd.read_file(cov_path)
    layers = sorted(cov["layer"].astype(str).unique())
    schools = pd.read_csv(real_data / "ibiza" / "points-of-interest.csv")
    cfg = config_from_dict({
        "villages": {"path": str(real_data / "ibiza" / "points-of-interest.csv"),
                     "id": "poi_id", "lon": "lon", "lat": "lat"},
        "coverage": [{"path": str(cov_path), "carrier": f"op{lay}", "technology": "4G",
                      "filter_column": "layer", "filter_value": lay} for lay in layers],
    })
    r = gisapp.run(cfg)
    v = r.villages.set_index(S.ID)
    assert len(v) == len(schools) == 100
    pts = shapely.points(schools["lon"], schools["lat"])
    counts = {}
    for lay in layers:
        polys = cov.loc[cov["layer"].astype(str) == lay].geometry.to_numpy()
        brute = np.array([any(shapely.intersects(p, q) for q in polys) for p in pts])
        got = v.loc[schools["poi_id"].astype(str), S.centre_col(S.layer_key(f"op{lay}", "4G"))]
        assert (got.to_numpy(dtype=bool) == brute).all(), lay
        counts[lay] = int(brute.sum())
    # the coverage polygons are small (about 0.005 square degrees per layer): few schools
    assert counts == {"23626": 7, "23691": 0, "23692": 1, "23693": 0}
    # a school is white (no_signal) exactly when no layer covers it
    any_cover = v[[S.centre_col(S.layer_key(f"op{lay}", "4G")) for lay in layers]].any(axis=1)
    assert ((v[S.SIGNAL_CLASS] == "no_signal") == ~any_cover).all()


def test_lesotho_towers_operators_from_mcc_mnc(real_data):
    path = real_data / "lesotho" / "opencellid_towers.csv"
    raw = read_vector(path, lon="LON", lat="LAT")
    towers = normalise_towers(raw, carrier=None, technology="radio", mcc="MCC", mnc="MNC", path=path)
    assert len(towers) == 1936
    counts = towers["carrier"].value_counts()
    assert set(counts.index) == {"Vodacom", "Econet"}
    assert set(towers["technology"]) <= {"2G", "3G", "4G"}
    # the file's own Network column agrees with the operator we derived from MCC-MNC
    agree = (towers["carrier"] == raw["Network"].astype(str)).mean()
    assert agree > 0.99
