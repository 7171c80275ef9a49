"""``[towers]`` with a model in ``gisapp run`` (issue 16): modelled coverage columns, complete
or not, a DEM missing a tower's reach, the demo's towers over the demo DEM, Lesotho's
OpenCelliD towers over a synthetic DEM."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer

from gisapp.config import load_config
from gisapp.errors import InputError
from gisapp.io.raster import write_geotiff
from gisapp.pipeline import run_to_dir

CRS = "EPSG:32648"
X0, Y1, RES = 400_000.0, 2_500_000.0, 50.0
TX = (X0 + 12_000.0, Y1 - 12_000.0)


def _project(tmp: Path, *, dem_km: float = 24.0, complete: bool = False) -> Path:
    """One tower, a 500 m ridge 3 km east of it, four villages, a config with model = itm."""
    n = int(dem_km * 1000 / RES)
    x = X0 + (np.arange(n) + 0.5) * RES
    ridge = 500.0 * np.exp(-((x - (TX[0] + 3_000.0)) / 300.0) ** 2)
    dem = (np.full((n, n), 200.0) + ridge[None, :]).astype(np.float32)
    write_geotiff(tmp / "dem.tif", dem, Affine(RES, 0, X0, 0, -RES, Y1), CRS)
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    offsets = {"near": -1_000.0, "behind_ridge": 6_000.0, "open_side": -6_000.0,
               "far": -11_500.0}
    pts = [to_ll.transform(TX[0] + dx, TX[1]) for dx in offsets.values()]
    gpd.GeoDataFrame({"id": list(offsets), "name": list(offsets), "commune": "C",
                      "province": "P", "population": 100},
                     geometry=gpd.points_from_xy(*zip(*pts)), crs=4326
                     ).to_file(tmp / "villages.gpkg", layer="villages")
    lon, lat = to_ll.transform(*TX)
    pd.DataFrame({"site": ["T1"], "mccmnc": ["452-04"], "radio": ["2G"], "lon": [lon],
                  "lat": [lat], "mast": [30.0]}).to_csv(tmp / "towers.csv", index=False)
    (tmp / "config.toml").write_text(f"""
[villages]
path = "villages.gpkg"
layer = "villages"
id = "id"
name = "name"
commune = "commune"
province = "province"
population = "population"

[towers]
path = "towers.csv"
carrier = "none"
mcc_mnc = "mccmnc"
technology = "radio"
height_m = "mast"
lon = "lon"
lat = "lat"
crs = "EPSG:4326"
name = "site"
model = "itm"
dem = "dem.tif"
complete = {str(complete).lower()}

[propagation.max_range_m]
2G = 9000.0
""", encoding="utf-8")
    return tmp / "config.toml"


def _by_id(result) -> pd.DataFrame:
    return result.villages.set_index("village_id") if "village_id" in result.villages \
        else result.villages.set_index("id")


@pytest.mark.parametrize("complete", [False, True])
def test_towers_source_gives_modelled_coverage(tmp_path, complete):
    cfg = _project(tmp_path, complete=complete)
    result, _paths = run_to_dir(cfg, tmp_path / "out")
    v = _by_id(result)
    assert "area_share__viettel_2g" in v.columns
    assert v.loc["near", "signal_class"] == "covered"
    assert v.loc["open_side", "signal_class"] == "covered"
    assert v.loc["behind_ridge", "signal_class"] == "no_signal"
    assert set(v.loc[["near", "open_side", "behind_ridge"], "signal_evidence_kind"]) == {"modelled"}
    assert "modelled" in v.loc["behind_ridge", "why"]
    tif = tmp_path / "out" / "modelled" / "modelled_viettel_2g.tif"
    with rasterio.open(tif) as ds:
        assert ds.tags()["kind"] == "modelled" and ds.tags()["units"] == "dBm"
        assert ds.tags()["method"] == "itm"
    far = v.loc["far"]
    if complete:
        assert far["signal_class"] == "no_signal"
        assert "declared complete" in far["why"]
    else:
        assert far["signal_class"] == "unknown"
        assert "not declared complete" in far["why"]
        assert any("1 village(s) beyond every tower's reach" in w
                   for w in result.report.warnings)
    assert any("resolution 50 m" in w for w in result.report.warnings)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["config"]["towers"]["model"] == "itm"


def test_dem_missing_a_towers_reach_names_the_tower(tmp_path):
    cfg = _project(tmp_path, dem_km=15.0)
    with pytest.raises(InputError, match=r"dem.tif.*reach of tower 'T1' \(Viettel 2G\)"):
        run_to_dir(cfg, tmp_path / "out")


def test_dem_folder_of_tiles_is_mosaicked(tmp_path):
    cfg_path = _project(tmp_path)
    with rasterio.open(tmp_path / "dem.tif") as ds:
        arr, tr = ds.read(1), ds.transform
    (tmp_path / "tiles").mkdir()
    half = arr.shape[1] // 2
    write_geotiff(tmp_path / "tiles" / "a.tif", arr[:, :half], tr, CRS)
    write_geotiff(tmp_path / "tiles" / "b.tif", arr[:, half:], tr @ Affine.translation(half, 0), CRS)
    cfg_path.write_text(cfg_path.read_text().replace('dem = "dem.tif"', 'dem = "tiles"'))
    result, _ = run_to_dir(cfg_path, tmp_path / "out")
    assert _by_id(result).loc["behind_ridge", "signal_class"] == "no_signal"
    assert any("2 tile(s)" in w for w in result.report.warnings)


def test_demo_towers_over_the_demo_dem(demo_config_path, tmp_path):
    """The demo config with model = "itm" (built here; the demo's own config is unchanged)."""
    demo_dir = demo_config_path.parent
    text = demo_config_path.read_text(encoding="utf-8")
    text = text.replace('mcc_mnc = "mcc_mnc"\n', 'mcc_mnc = "mcc_mnc"\nmodel = "itm"\n'
                        'name = "site_id"\n')
    text = text.replace("radials = 72\nreceiver_step = 6\n", "radials = 36\nreceiver_step = 8\n")
    text = text.replace("[propagation.max_range_m]\n2G = 35000.0\n3G = 20000.0\n4G = 20000.0",
                        "[propagation.max_range_m]\n2G = 3000.0\n3G = 3000.0\n4G = 3000.0")
    cfg = load_config_text(tmp_path, demo_dir, text)
    result, _ = run_to_dir(cfg, tmp_path / "out")
    v = result.villages
    # the declared layers keep their keys; the modelled ones get the kind in theirs
    assert {"area_share__viettel_2g_modelled", "area_share__vnpt_4g_modelled"} <= set(v.columns)
    assert (tmp_path / "out" / "modelled" / "modelled_mobifone_4g.tif").exists()
    assert v["area_share__viettel_2g_modelled"].notna().any()


def load_config_text(tmp_path: Path, demo_dir: Path, text: str) -> Path:
    for p in demo_dir.iterdir():
        if p.is_file() and p.name != "config.toml":
            (tmp_path / p.name).symlink_to(p)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    load_config(path)
    return path


def test_lesotho_opencellid_towers_over_a_synthetic_dem(real_data, tmp_path):
    """The real OpenCelliD cells of Lesotho, grouped into sites, over a synthetic DEM."""
    src = real_data / "lesotho" / "opencellid_towers.csv"
    shutil.copy(src, tmp_path / "towers.csv")
    crs = "EPSG:32735"                              # UTM 35S
    cells = pd.read_csv(src)
    lon = cells.filter(regex="(?i)^lon").iloc[:, 0]
    lat = cells.filter(regex="(?i)^lat").iloc[:, 0]
    to_m = Transformer.from_crs(4326, crs, always_xy=True)
    # the capital, Maseru, and the villages around it (a 40 km square)
    cx, cy = to_m.transform(27.48, -29.31)
    x, y = to_m.transform(lon.to_numpy(), lat.to_numpy())
    res = 90.0
    x0, y1 = cx - 60_000.0, cy + 60_000.0
    n = int(120_000 / res)
    gx = x0 + (np.arange(n) + 0.5) * res
    gy = y1 - (np.arange(n) + 0.5) * res
    dem = (1500.0 + 300.0 * np.sin(gx[None, :] / 4_000.0) * np.cos(gy[:, None] / 5_000.0))
    write_geotiff(tmp_path / "dem.tif", dem.astype(np.float32), Affine(res, 0, x0, 0, -res, y1), crs)
    inside = (np.abs(x - cx) < 20_000) & (np.abs(y - cy) < 20_000)
    cells[inside].to_csv(tmp_path / "towers.csv", index=False)
    rng = np.random.default_rng(1)
    vx, vy = cx + rng.uniform(-20_000, 20_000, 60), cy + rng.uniform(-20_000, 20_000, 60)
    vlon, vlat = Transformer.from_crs(crs, 4326, always_xy=True).transform(vx, vy)
    gpd.GeoDataFrame({"id": [f"v{i}" for i in range(60)], "population": 50},
                     geometry=gpd.points_from_xy(vlon, vlat), crs=4326
                     ).to_file(tmp_path / "villages.gpkg", layer="villages")
    (tmp_path / "config.toml").write_text("""
[villages]
path = "villages.gpkg"
id = "id"
population = "population"

[towers]
path = "towers.csv"
format = "opencellid"
model = "itm"
dem = "dem.tif"
radials = 36
receiver_step = 8

[propagation.max_range_m]
2G = 10000.0
3G = 10000.0
4G = 10000.0
""", encoding="utf-8")
    result, _ = run_to_dir(tmp_path / "config.toml", tmp_path / "out")
    v = result.villages
    assert {"area_share__vodacom_2g", "area_share__econet_4g"} <= set(v.columns)
    assert (v["signal_class"] == "covered").sum() > 10
    assert (v.loc[v["signal_class"] == "covered", "signal_evidence_kind"] == "modelled").all()


def test_ibiza_line_of_sight_agreement(real_data):
    """ITU's 247 Ibiza school-to-site pairs against the DEM-free smooth-earth horizon (no
    DEM of Ibiza is available offline). All 233 pairs with a site are ``is_visible``; the 14
    ``False`` rows are schools with no site at all, so the sample cannot test blocking."""
    from gisapp.analysis.towers_coverage import radio_horizon_visible

    pairs = pd.read_csv(real_data / "ibiza" / "visibility.csv")
    sites = pd.read_csv(real_data / "ibiza" / "cell-sites.csv")
    assert len(pairs) == 247
    m = pairs.merge(sites[["ict_id", "antenna_height"]], on="ict_id", how="left")
    has_site = m["ict_id"].notna().to_numpy()
    visible = np.zeros(len(m), bool)
    visible[has_site] = radio_horizon_visible(m.loc[has_site, "ground_distance"],
                                              m.loc[has_site, "antenna_height"].fillna(30.0),
                                              np.full(has_site.sum(), 1.5))
    agree = (visible == m["is_visible"].to_numpy()).mean()
    assert agree == 1.0, agree


def test_calibration_to_measurements_is_fitted_applied_and_recorded(tmp_path):
    cfg = _project(tmp_path)
    run_to_dir(cfg, tmp_path / "first")
    tif = tmp_path / "first" / "modelled" / "modelled_viettel_2g.tif"
    rng = np.random.default_rng(5)
    xs = TX[0] - rng.uniform(500, 8_000, 40)
    ys = TX[1] + rng.uniform(-800, 800, 40)        # the grid: the villages + 1 km
    with rasterio.open(tif) as ds:
        model = np.array([v[0] for v in ds.sample(zip(xs, ys))])
    to_ll = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform(xs, ys)
    pd.DataFrame({"lon": lon, "lat": lat, "carrier": "Viettel", "technology": "2G",
                  "signal_dbm": model + 6.0 + rng.normal(0, 2.0, 40)}
                 ).to_csv(tmp_path / "drive.csv", index=False)
    with cfg.open("a", encoding="utf-8") as f:
        f.write('\n[[measurements]]\npath = "drive.csv"\nlon = "lon"\nlat = "lat"\n'
                'crs = "EPSG:4326"\n')
    result, _ = run_to_dir(cfg, tmp_path / "second")
    cal = json.loads((tmp_path / "second" / "manifest.json").read_text()
                     )["modelled_towers"]["calibration"]["viettel_2g"]
    assert cal["samples"] == 40
    assert cal["offset_db"] == pytest.approx(6.0, abs=1.0)
    assert cal["rmse_before_db"] > 5.5 and cal["rmse_after_db"] < 2.6
    with rasterio.open(tmp_path / "second" / "modelled" / "modelled_viettel_2g.tif") as ds:
        after = np.array([v[0] for v in ds.sample(zip(xs, ys))])
        assert "calibrated" in ds.tags()["method"]
    assert np.nanmean(after - model) == pytest.approx(cal["offset_db"], abs=0.01)
    assert any("calibrated to 40 measurement(s)" in w for w in result.report.warnings)
