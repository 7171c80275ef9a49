"""Uploads that do not dead-end, without Streamlit: layers of a multi-layer file, column
guesses, previews, OpenCelliD towers, messages that name the uploaded file, the
project file and config paths relative to the config's own folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import tomli_w

from gisapp.config import config_to_dict
from gisapp.errors import ConfigError, UnreadableFileError
from gisapp.ui import project
from gisapp.ui.inputs import (
    Assignment, config_from_assignments, config_from_toml, guess_columns, list_layers,
    missing_inputs, opencellid_kind, prepare_towers, preview, public_message, save_upload,
)

CELLS = [
    "LTE,452,4,1201,1000001,0,104.90,21.30,1000,12,1,1500000000,1600000000,0",
    "GSM,452,1,1201,2001,0,104.91,21.31,500,3,1,1500000000,1600000000,-80",
    "UMTS,452,2,1201,3001,0,104.92,21.32,800,5,1,1500000000,1600000000,0",
    "LTE,452,99,1201,4001,0,104.93,21.33,800,5,1,1500000000,1600000000,0",
]
HEADER = ("radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,"
          "averageSignal")


def _villages() -> gpd.GeoDataFrame:
    boxes = [shapely.box(104.9 + 0.01 * i, 21.3, 104.908 + 0.01 * i, 21.308) for i in range(3)]
    return gpd.GeoDataFrame({"ma_thon": ["T1", "T2", "T3"], "ten_thon": ["Bản A", "Bản B", "Bản C"],
                             "xa": ["Xã 1", "Xã 1", "Xã 2"], "dan_so": [120, 340, 56]},
                            geometry=boxes, crs="EPSG:4326")


@pytest.fixture()
def two_layer_gpkg(tmp_path) -> Path:
    p = tmp_path / "son_la.gpkg"
    _villages().to_file(p, layer="thon", driver="GPKG")
    _villages().assign(geometry=lambda d: d.geometry.representative_point()).to_file(p, layer="diem_thon", driver="GPKG")
    return p


def test_layers_of_a_geopackage_and_its_preview(two_layer_gpkg):
    assert list_layers(two_layer_gpkg) == ["thon", "diem_thon"]
    rows = preview(two_layer_gpkg, layer="diem_thon", n=2)
    assert list(rows.columns) == ["ma_thon", "ten_thon", "xa", "dan_so"] and len(rows) == 2
    with pytest.raises(UnreadableFileError, match="layer 'nope'"):
        preview(two_layer_gpkg, layer="nope")


def test_layers_of_a_workbook_and_none_for_a_csv(tmp_path):
    p = tmp_path / "dien.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"a": [1]}).to_excel(xw, sheet_name="Tổng hợp", index=False)
        pd.DataFrame({"ma_thon": ["T1"], "co_dien": ["có"]}).to_excel(xw, sheet_name="Thôn", index=False)
    assert list_layers(p) == ["Tổng hợp", "Thôn"]
    assert list(preview(p, layer="Thôn").columns) == ["ma_thon", "co_dien"]
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    assert list_layers(csv) == []


def test_column_guesses_in_vietnamese_and_english():
    g = guess_columns(["Mã thôn", "Tên thôn", "Xã", "Dân số", "Kinh độ", "Vĩ độ"], "villages")
    assert g == {"id": "Mã thôn", "name": "Tên thôn", "commune": "Xã", "population": "Dân số",
                 "lon": "Kinh độ", "lat": "Vĩ độ"}
    g = guess_columns(["ma_thon", "ten_thon", "xa", "dan_so", "geometry"], "villages")
    assert (g["id"], g["name"], g["commune"], g["population"], g["lon"]) == \
        ("ma_thon", "ten_thon", "xa", "dan_so", None)
    assert guess_columns(["village_id", "Name", "commune", "population"], "villages")["name"] == "Name"
    assert guess_columns(["ma_thon", "tinh_trang"], "electricity")["status"] == "tinh_trang"
    t = guess_columns(HEADER.split(","), "towers")
    assert (t["mcc"], t["mnc"], t["technology"], t["lon"], t["carrier"]) == \
        ("mcc", "net", "radio", "lon", None)


@pytest.mark.parametrize("header", [True, False])
def test_opencellid_towers_get_carriers_from_mcc_mnc(tmp_path, header):
    p = tmp_path / "452.csv"
    p.write_text("\n".join(([HEADER] if header else []) + CELLS) + "\n")
    assert opencellid_kind(p) == ("header" if header else "bare")
    assert list(preview(p).columns)[:3] == ["radio", "mcc", "net"]
    out, cols = prepare_towers(p, tmp_path)
    towers = pd.read_csv(out)
    assert list(towers["carrier"])[:3] == ["Viettel", "MobiFone", "VinaPhone"]
    assert towers["carrier"].iloc[3] == "452-99"          # an unknown code keeps its code
    assert list(towers["technology"]) == ["4G", "2G", "3G", "4G"]
    cfg = config_from_assignments([Assignment(tmp_path / "v.gpkg", "villages"),
                                   Assignment(out, "towers", columns=cols)])
    assert (cfg.towers.carrier, cfg.towers.lon, cfg.towers.mcc_mnc) == ("carrier", "lon", "mcc_mnc")


def test_plain_csv_is_not_opencellid(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("site,carrier,lon,lat\n1,Viettel,105,21\n")
    assert opencellid_kind(p) is None


def test_layer_and_columns_reach_the_config(two_layer_gpkg):
    a = Assignment(two_layer_gpkg, "villages", layer="thon",
                   columns={"id": "ma_thon", "name": "ten_thon", "commune": "xa", "population": "dan_so"})
    v = config_from_assignments([a]).villages
    assert (v.layer, v.id, v.population) == ("thon", "ma_thon", "dan_so")


def test_messages_name_the_uploaded_file_not_the_temporary_path(tmp_path):
    folder = tmp_path / "gisapp-upload-abc"
    saved = save_upload("Thôn Sơn La.gpkg", b"not a geopackage", folder, max_mb=1)
    names = {str(saved): "Thôn Sơn La.gpkg", str(folder): ""}
    text = f"layer 'villages' / file '{saved}': cannot read it"
    assert public_message(text, names) == "layer 'villages' / file 'Thôn Sơn La.gpkg': cannot read it"
    other = folder / "x_zip" / "inner.shp"
    assert public_message(f"file '{other}'", names) == "file 'x_zip/inner.shp'"
    with pytest.raises(UnreadableFileError) as err:
        preview(saved)
    assert str(folder) not in public_message(str(err.value), names)
    assert "Thôn Sơn La.gpkg" in public_message(str(err.value), names)


def test_config_paths_resolve_against_its_own_folder(tmp_path, monkeypatch, two_layer_gpkg):
    monkeypatch.chdir(tmp_path.parent)                  # not the config's folder
    folder = two_layer_gpkg.parent
    cfg = config_from_assignments([Assignment(two_layer_gpkg, "villages", layer="thon")])
    text = tomli_w.dumps(config_to_dict(cfg, relative_to=folder))
    assert '"son_la.gpkg"' in text
    back = config_from_toml(text, base_dir=folder)
    assert back.villages.path == two_layer_gpkg and not missing_inputs(back)
    elsewhere = config_from_toml(text, base_dir=tmp_path / "empty")
    assert missing_inputs(elsewhere) == [tmp_path / "empty" / "son_la.gpkg"]


def test_project_file_saves_and_reopens_with_the_same_results(tmp_path):
    from gisapp.demo import demo_config
    from gisapp.pipeline import run

    cfg = demo_config(tmp_path / "demo", n_villages=120)
    cfg = cfg.replace(weights=cfg.weights.__class__(population=0.7, dist_grid=0.1,
                                                    dist_site=0.1, facilities=0.1))
    data = project.write_project(cfg, manifest={"note": "test"})
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        names = zf.namelist()
        text = zf.read("config.toml").decode()
    assert "config.toml" in names and "manifest.json" in names
    assert str(tmp_path) not in text                     # only relative paths
    back = project.read_project(data, tmp_path / "reopened")
    assert all(str(p).startswith(str(tmp_path / "reopened")) for p in back.input_paths())
    assert back.weights == cfg.weights and back.thresholds == cfg.thresholds
    a, b = run(cfg).villages, run(back).villages
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))


def test_a_zip_without_config_is_not_a_project(tmp_path):
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "x")
    with pytest.raises(ConfigError, match="my.zip.*not a gisapp project"):
        project.read_project(buf.getvalue(), tmp_path, name="my.zip")


def test_project_keeps_shapefile_sidecars(tmp_path):
    shp = tmp_path / "thon.shp"
    _villages().to_file(shp)
    cfg = config_from_assignments([Assignment(shp, "villages")])
    data = project.write_project(cfg, names={str(shp): "Thôn.zip"})
    back = project.read_project(data, tmp_path / "out")
    assert gpd.read_file(back.villages.path).shape[0] == 3


def test_the_layer_offered_first_suits_the_role(two_layer_gpkg):
    from gisapp.ui.inputs import preferred_layer

    assert preferred_layer(two_layer_gpkg, "villages") == "thon"        # polygons
    assert preferred_layer(two_layer_gpkg, "towers") == "diem_thon"     # points
