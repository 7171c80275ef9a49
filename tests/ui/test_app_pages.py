"""The planning and progress pages through ``streamlit.testing.v1.AppTest`` (small demo).

Download data are captured where Streamlit stores them (its in-memory media storage),
so a test reads the very bytes a planner would download.
"""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest

pytest.importorskip("streamlit")
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from gisapp import schema as S  # noqa: E402
from gisapp.demo import demo_config  # noqa: E402

N = 200


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo200p")
    demo_config(d, n_villages=N)
    return str(d)


def _script(demo_dir: str) -> None:
    from gisapp.demo import demo_config
    from gisapp.ui.app import Engine, main

    main(engine=Engine(name=f"test-{demo_dir}",
                       demo_config=lambda: demo_config(demo_dir, n_villages=200)))


def _open(demo_dir: str, page: str) -> AppTest:
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=120)
    at.run()
    at.radio(key="page").set_value(page).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.fixture()
def downloads(monkeypatch):
    """file name → bytes of every download button rendered."""
    seen: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            seen[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return seen


def _header(column: str, lang: str = "vi") -> str:
    from gisapp.i18n.columns import column_label

    return column_label(column, lang)


def _vi_int(text: str) -> int:
    """A whole number as the Vietnamese table shows it ("1.234" → 1234)."""
    return int(str(text).replace(".", ""))


def test_planning_page_shows_sites_costs_scenarios_and_carrier_packs(demo_dir, downloads):
    at = _open(demo_dir, "planning")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trạm mới được chọn"] == "10"                   # siting.n_sites default
    n_gap = int(metrics["Thôn chưa có sóng"].replace(".", ""))
    assert 0 < n_gap < N
    # the map carries the sites layer with escaped popups
    scripts = [json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")]
    plan_map = next(s for s in scripts if "gisapp-site" in s)
    assert plan_map.count('"r":') == 10 and "bindPopup" in plan_map
    sites = next(d.value for d in at.dataframe if _header("villages_served") in d.value.columns)
    assert len(sites) == 10 and sites[_header("site_rank")].tolist() == [str(i) for i in range(1, 11)]
    # the chosen sites carry the candidate village's name and commune beside its id
    assert {_header(S.NAME), _header(S.COMMUNE)} <= set(sites.columns)
    assert "–" not in set(sites[_header(S.NAME)]) and "None" not in sites.to_string()
    costs = next(d.value for d in at.dataframe if _header("cost_option") in d.value.columns)
    assert len(costs) >= n_gap and (costs[_header("cost_usd")].map(_vi_int) > 0).all()
    table = next(d.value for d in at.dataframe if "Chi phí xoá mọi thiếu hụt (USD)" in d.value.columns)
    table = table.set_index(table.columns[0])                 # the scenario column, no index
    assert list(table.index) == ["Cấu hình gốc", "Chỉ 4G", "20 trạm"]   # named in Vietnamese
    assert _vi_int(table.loc["20 trạm", "Trạm mới được chọn"]) == 20
    assert _vi_int(table.loc["Cấu hình gốc", "Thôn chưa có sóng"]) == n_gap
    assert "Số thôn: Chưa điện, chưa sóng" in table.columns and "Dân số: Chưa có sóng" in table.columns
    assert not [c for c in table.columns if "_" in c]            # every column named in words

    # fewer sites: the figures follow
    at.number_input(key=next(k.key for k in at.number_input if k.key.startswith("p_n_sites_"))).set_value(3).run()
    _ok(at)
    assert {m.label: m.value for m in at.metric}["Trạm mới được chọn"] == "3"

    at.button(key="p_prepare").click().run()
    _ok(at)
    labels = [b.proto.label for b in at.get("download_button")]
    packs = [x for x in labels if x.startswith("Gói cho")]
    assert packs and "Kế hoạch (zip: chi phí, trạm mới, manifest)" in labels
    name = next(n for n in downloads if n.endswith(".zip") and n != "plan.zip")
    with zipfile.ZipFile(io.BytesIO(downloads[name])) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        geojson = next(n for n in zf.namelist() if n.endswith(".geojson"))
        villages = gpd.read_file(io.BytesIO(zf.read(geojson)))
    assert sorted(villages["village_id"]) == sorted(manifest["carrier_villages"])
    assert len(villages) > 0
    assert set(villages["carrier"]) == {manifest["carrier"]}
    assert set(villages["gap_class"]) <= {"no_signal", "no_power_no_signal"}
    with zipfile.ZipFile(io.BytesIO(downloads["plan.zip"])) as zf:
        assert {"costs.csv", "sites.gpkg", "manifest.json"} <= set(zf.namelist())


def test_progress_page_saves_two_snapshots_and_shows_the_changes(demo_dir, tmp_path, downloads,
                                                                 monkeypatch):
    store = tmp_path / "store" / "snapshots.gpkg"
    store.parent.mkdir()
    server = tmp_path / "server.toml"     # the store comes from the server config only
    server.write_text(f'[stores]\n"Tỉnh thử" = "{store.as_posix()}"\n', encoding="utf-8")
    monkeypatch.setenv("GISAPP_SERVER_CONFIG", str(server))
    at = _open(demo_dir, "progress")
    assert not [w for w in at.text_input if w.key == "g_store_path"]   # nobody types a path
    assert at.selectbox(key="g_store_name").value == "Tỉnh thử"
    at.text_input(key="g_label").set_value("khảo sát 1")
    at.date_input(key="g_date").set_value("2025-01-15")
    at.button[0].click().run()
    _ok(at)
    assert "khảo sát 1" in at.success[0].value
    # a stricter 4G/3G/2G threshold for the second survey: some villages lose signal
    for tech in ("2G", "3G", "4G", "5G"):
        box = next(n for n in at.number_input if n.key.startswith(f"th_{tech}_"))
        box.set_value(-75.0)
    at.run()
    at.text_input(key="g_label").set_value("khảo sát 2")
    at.date_input(key="g_date").set_value("2025-06-30")
    at.button[0].click().run()
    _ok(at)
    snaps = next(d.value for d in at.dataframe if _header("n_villages") in d.value.columns)
    assert snaps[_header("label")].tolist() == ["khảo sát 1", "khảo sát 2"]
    assert (snaps[_header("n_villages")].map(_vi_int) == N).all()
    counts = next(d.value for d in at.dataframe if "Thay đổi" in d.value.columns and "Thôn" in d.value.columns)
    assert counts["Thôn"].sum() == N
    assert "Mới phát hiện thiếu hụt" in set(counts["Thay đổi"])
    changed = next(d.value for d in at.dataframe if _header("match_method") in d.value.columns)
    assert len(changed) > 0 and set(changed[_header("match_method")]) == {"id"}
    assert any(json.loads(c.proto.json_args)["script"].count('"x":') == N
               for c in at.get("component_instance"))            # the map of changes
    data = next(v for k, v in downloads.items() if k.startswith("changes_"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {"changes.gpkg", "changes.csv", "manifest.json"} <= set(zf.namelist())

    # the same label again: a plain message, the page goes on
    at.text_input(key="g_label").set_value("khảo sát 2")
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "already in store" in at.error[0].value
    assert any(_header("n_villages") in d.value.columns for d in at.dataframe)


def test_scenario_columns_have_both_languages():
    from gisapp.i18n import compare_column_label

    cols = ["villages", "villages_no_power_no_signal", "villages_unknown", "pop_no_signal", "pop_served",
            "signal_gap_villages", "pop_unserved", "cost_total_usd", "sites_selected",
            "pop_served_by_sites", "sites_cost_usd", "siting_method", "siting_bound", "technologies"]
    for lang in ("vi", "en"):
        labels = [compare_column_label(c, lang) for c in cols]
        assert len(set(labels)) == len(cols) and not [x for x in labels if "_" in x], labels
    assert compare_column_label("villages_no_signal", "en") == "Villages: No signal"
    assert compare_column_label("pop_served", "vi") == "Dân số: Đã có điện và sóng"
    assert compare_column_label("something_new", "en") == "something_new"
