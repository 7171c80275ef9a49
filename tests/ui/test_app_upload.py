"""Uploads that do not dead-end, through ``AppTest`` (issue 13, item 8): the layer of a
two-layer GeoPackage chosen, columns chosen from the file's own (guessed from Vietnamese
names) with a preview, OpenCelliD towers recognised, messages naming the uploaded file,
a session saved as a project file and reopened with the same results, and a saved
config whose relative paths resolve against its own folder."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import tomli_w

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from gisapp.carriers import carrier_from_code  # noqa: E402
from gisapp.config import config_to_dict  # noqa: E402
from gisapp.demo import demo_config  # noqa: E402
from gisapp.ui import project  # noqa: E402

N = 50
GPKG = "Thôn Sơn La.gpkg"
RADIO = {"2G": "GSM", "3G": "UMTS", "4G": "LTE"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A two-layer GeoPackage with Vietnamese column names, and the demo towers as a
    header-less OpenCelliD cell list."""
    d = tmp_path_factory.mktemp("demo_upload")
    cfg = demo_config(d, n_villages=N)
    v = gpd.read_file(cfg.villages.path, layer=cfg.villages.layer).to_crs("EPSG:4326")
    v = v[["village_id", "name", "commune", "population", "geometry"]].rename(columns={
        "village_id": "ma_thon", "name": "ten_thon", "commune": "xa", "population": "dan_so"})
    gpkg = d / "two_layers.gpkg"
    v.head(5).assign(geometry=v.head(5).geometry.representative_point()).to_file(
        gpkg, layer="diem_mau", driver="GPKG")
    v.to_file(gpkg, layer="thon", driver="GPKG")
    towers = pd.read_csv(cfg.towers.path)
    rows = [f"{RADIO.get(r.technology, 'LTE')},452,{int(r.mcc_mnc.split('-')[1])},1,{i},0,{r.lon},{r.lat},"
            "1000,5,1,1500000000,1600000000,0" for i, r in enumerate(towers.itertuples())]
    return {"gpkg": gpkg.read_bytes(), "cells": ("\n".join(rows) + "\n").encode(),
            "carriers": sorted({carrier_from_code(c) for c in towers["mcc_mnc"]})}


def _script() -> None:
    from gisapp.ui.app import Engine, main

    main(engine=Engine(name="upload-test", max_upload_mb=50))


def _page(source: str, uploads: list[tuple[str, bytes]]) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=120)
    at.run()
    at.radio(key="source").set_value(source).run()
    at.get("file_uploader")[0].set_value([(n, b, "application/octet-stream") for n, b in uploads])
    at.run()
    assert not at.exception, at.exception
    return at


def _run(at: AppTest) -> AppTest:
    at.button(key="run_uploads").click().run()
    assert not at.exception, at.exception
    return at


def _total(at: AppTest) -> int:
    return sum(int(m.value.replace(".", "").replace(",", "")) for m in at.metric[:5])


@pytest.fixture(scope="module")
def uploaded(files):
    """The GeoPackage (layer "thon" chosen) and the OpenCelliD towers, run."""
    at = _page("upload", [(GPKG, files["gpkg"]), ("452.csv", files["cells"])])
    layer = at.selectbox(key=f"layer_0_{GPKG}")
    assert layer.options == ["diem_mau", "thon"]
    assert layer.value == "thon"                    # the polygons, offered first for villages
    return _run(at)


def test_layer_and_columns_are_chosen_from_the_file(uploaded):
    at = uploaded
    assert not at.error, [e.value for e in at.error]
    key = f"0_{GPKG}_thon"
    chosen = {c: at.selectbox(key=f"col_{c}_{key}").value for c in ("id", "name", "commune", "population")}
    assert chosen == {"id": "ma_thon", "name": "ten_thon", "commune": "xa", "population": "dan_so"}
    assert at.selectbox(key=f"col_id_{key}").options[1:] == ["ma_thon", "ten_thon", "xa", "dan_so"]
    preview = next(d.value for d in at.dataframe
                   if list(d.value.columns) == ["ma_thon", "ten_thon", "xa", "dan_so"])
    assert len(preview) == 5 and "None" not in preview.to_numpy()
    assert any(GPKG in c.value and "5" in c.value for c in at.caption)
    cfg = at.session_state["upload_config"]
    assert cfg.villages.layer == "thon" and cfg.villages.population == "dan_so"
    assert _total(at) == N


def test_opencellid_towers_are_recognised_with_their_carriers(uploaded, files):
    at = uploaded
    assert at.selectbox(key="role_1_452.csv").value == "towers"       # recognised on upload
    assert any("OpenCelliD" in i.value and "452.csv" in i.value for i in at.info)
    towers = at.session_state["upload_config"].towers
    assert towers.path.name == "452_towers.csv" and towers.carrier == "carrier"
    assert sorted(set(pd.read_csv(towers.path)["carrier"])) == files["carriers"]


def test_a_bare_config_download_names_its_inputs_relatively(uploaded):
    notes = [c.value for c in uploaded.sidebar.caption if "Thôn_Sơn_La.gpkg" in c.value]
    assert notes and "452_towers.csv" in notes[0] and "gisapp-upload-" not in notes[0]


def test_errors_name_the_uploaded_file_not_the_temporary_copy(files):
    at = _page("upload", [(GPKG, files["gpkg"])])
    at.selectbox(key=f"layer_0_{GPKG}").set_value("diem_mau").run()    # the planner's choice
    assert at.selectbox(key=f"col_id_0_{GPKG}_diem_mau").value == "ma_thon"
    at.selectbox(key=f"layer_0_{GPKG}").set_value("thon").run()
    at.selectbox(key=f"col_id_0_{GPKG}_thon").set_value("xa").run()    # ids that repeat
    _run(at)
    assert at.error, "duplicate ids must be refused"
    msg = " ".join(e.value for e in at.error)
    assert GPKG in msg and "gisapp-upload-" not in msg and "/tmp" not in msg


def test_project_file_reopens_with_the_same_results(uploaded):
    cfg = uploaded.session_state["upload_config"]
    names = dict(uploaded.session_state["upload_names"])
    data = project.write_project(cfg, names=names)                 # what "Save the project" returns
    again = _page("config", [("du_an.zip", data)])
    assert not again.error, [e.value for e in again.error]
    notes = [c.value for c in again.sidebar.caption if "Thôn_Sơn_La.gpkg" in c.value]
    assert notes and "inputs/Thôn_Sơn_La.gpkg" in notes[0] and "project/" not in notes[0]
    assert _total(again) == _total(uploaded)
    table = lambda at: next(d.value for d in at.dataframe if "●" in d.value.columns)  # noqa: E731
    pd.testing.assert_frame_equal(table(again), table(uploaded))


def test_a_saved_config_resolves_paths_against_its_own_folder(uploaded, tmp_path):
    cfg = uploaded.session_state["upload_config"]
    root = cfg.villages.path.parent
    text = tomli_w.dumps(config_to_dict(cfg, relative_to=root)).encode()
    gpkg, towers = cfg.villages.path, cfg.towers.path
    at = _page("config", [("gisapp.toml", text), (gpkg.name, gpkg.read_bytes()),
                          (towers.name, towers.read_bytes())])
    assert not at.error, [e.value for e in at.error]
    assert _total(at) == N
    alone = _page("config", [("gisapp.toml", text)])
    msg = " ".join(e.value for e in alone.error)
    assert "gisapp.toml" in msg and gpkg.name in msg and "gisapp-config-" not in msg
    assert not alone.metric
