"""The app's upload boundary and hostile content, through ``AppTest`` with real uploads
(issue 4): files over the limit are refused before they are read, zips go through
:func:`gisapp.io.archive.safe_extract`, every GisappError is a message and the page keeps
working, the run report is shown, and hostile village names come out inert."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from gisapp.i18n.columns import column_label
from shapely.geometry import Polygon

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from gisapp.demo import demo_config  # noqa: E402

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")']
LIMIT_MB = 0.05


@pytest.fixture(scope="module")
def villages_geojson(tmp_path_factory) -> bytes:
    """50 demo villages (lon/lat GeoJSON) with three hostile names, one broken ring,
    one village without geometry and one text population."""
    d = tmp_path_factory.mktemp("demo50")
    cfg = demo_config(d, n_villages=50)
    v = gpd.read_file(cfg.villages.path, layer=cfg.villages.layer).to_crs("EPSG:4326")
    v = v[["village_id", "name", "commune", "population", "geometry"]].copy()
    v["population"] = v["population"].astype(object)
    for i, name in enumerate(HOSTILE):
        v.loc[v.index[i], "name"] = name
    v.loc[v.index[3], "population"] = "many"
    v.loc[v.index[4], "geometry"] = None
    x0, y0, x1, y1 = v.geometry.iloc[5].bounds                 # a bow-tie: self-intersecting
    v.loc[v.index[5], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return v.to_json().encode("utf-8")


def _script(limit: float) -> None:
    from gisapp.ui.app import Engine, main

    main(engine=Engine(name="safety", max_upload_mb=limit))


def _upload_page(files: list[tuple[str, bytes]], *, limit: float = LIMIT_MB) -> AppTest:
    at = AppTest.from_function(_script, kwargs={"limit": limit}, default_timeout=90)
    at.run()
    at.radio(key="source").set_value("upload").run()
    up = at.get("file_uploader")[0]
    up.set_value([(name, data, "application/octet-stream") for name, data in files])
    at.run()
    assert not at.exception, at.exception
    return at


def _name_columns(at: AppTest, name: str) -> None:
    for col, value in (("id", "village_id"), ("name", "name"), ("commune", "commune"),
                       ("population", "population")):
        at.selectbox(key=f"col_{col}_0_{name}").set_value(value)   # the file's own columns


def _run(at: AppTest) -> AppTest:
    at.button(key="run_uploads").click().run()
    assert not at.exception, at.exception
    return at


def test_upload_over_the_limit_is_refused_before_it_is_read():
    big = b'{"type":"FeatureCollection","features":[]}' + b" " * int(0.2 * 1024 * 1024)
    at = _run(_upload_page([("thon_lon.geojson", big)]))
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "thon_lon.geojson" in msg
    assert "over the limit of 0.05 MB" in msg and "options.max_file_mb" in msg
    assert not at.metric                                     # no result shown
    assert "upload_dir" not in at.session_state              # nothing was saved or read


def test_zip_with_a_parent_path_entry_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.geojson", '{"type":"FeatureCollection","features":[]}')
    at = _run(_upload_page([("thon.zip", buf.getvalue())]))
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "thon.zip" in msg and "../evil.geojson" in msg
    assert "gisapp-upload-" not in msg                       # not the temporary copy's path
    assert "Traceback" not in msg


def test_zip_bomb_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("villages.geojson", b" " * (4 * 1024 * 1024))    # 4 MB → a few KB
    assert len(buf.getvalue()) < LIMIT_MB * 1024 * 1024
    at = _run(_upload_page([("bomb.zip", buf.getvalue())]))
    assert len(at.error) == 1
    msg = at.error[0].value                                   # Vietnamese: the page's language
    assert "bomb.zip" in msg and "villages.geojson" in msg and "giải nén vượt giới hạn" in msg


def test_invalid_upload_then_a_valid_one_works(villages_geojson):
    at = _run(_upload_page([("thon.geojson", b"this is not GeoJSON")], limit=50))
    assert len(at.error) == 1 and "thon.geojson" in at.error[0].value
    assert not at.metric
    # the next action: the planner uploads the right file and runs again
    at.get("file_uploader")[0].set_value([("thon2.geojson", villages_geojson, "application/geo+json")])
    at.run()
    _name_columns(at, "thon2.geojson")
    _run(at)
    assert not at.error, [e.value for e in at.error]
    total = sum(int(m.value.replace(".", "")) for m in at.metric[:5])
    assert total == 50


@pytest.fixture(scope="module")
def hostile_run(villages_geojson):
    at = _upload_page([("thon.geojson", villages_geojson)], limit=50)
    _name_columns(at, "thon.geojson")
    _run(at)
    assert not at.error, [e.value for e in at.error]
    return at


def test_report_of_repairs_is_shown_in_plain_words(hostile_run):
    at = hostile_run
    exp = next(e for e in at.expander if e.label.startswith("Dữ liệu đã sửa, thiếu hoặc không khớp"))
    text = " ".join(m.value for m in exp.markdown)
    assert "1 thôn không có ranh giới hay toạ độ" in text
    assert "1 thôn có ranh giới lỗi" in text
    assert "1 thôn có số dân trống, âm hoặc không phải số" in text
    at.radio(key="lang").set_value("en").run()
    exp = next(e for e in at.expander if e.label.startswith("Data repaired, missing or unmatched"))
    assert "1 villages have no boundary or coordinates" in " ".join(m.value for m in exp.markdown)
    at.radio(key="lang").set_value("vi").run()              # the page is shared by the module


def test_hostile_names_are_inert_in_the_map_and_the_downloads(hostile_run, tmp_path):
    at = hostile_run
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    blob = args["script"] + args["html"] + args["header"]
    assert "<script>alert" not in blob and "<img src=x" not in blob
    # escaped for HTML (the tooltip shows text), then '&' as \u0026 inside the <script>
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in blob
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in blob
    ranked = next(d.value for d in at.dataframe if "●" in d.value.columns)
    assert set(HOSTILE) <= set(ranked[column_label("name", "vi")])                 # the table shows the names as text

    # the downloads are what the buttons call, on the villages the page shows
    from gisapp.ui.components import export_bytes
    from gisapp.pipeline import run
    cfg = at.session_state["upload_config"]
    result = run(cfg)
    csv = export_bytes("csv", result.villages, result.summary).decode("utf-8-sig")
    assert '=HYPERLINK' not in csv.replace("'=HYPERLINK", "")
    assert "'=HYPERLINK" in csv
    path = tmp_path / "v.xlsx"
    path.write_bytes(export_bytes("xlsx", result.villages, result.summary))
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    # stored as text with Excel's own leading apostrophe: readable, never run
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    back = pd.read_csv(io.StringIO(csv))
    assert len(back) == 50
