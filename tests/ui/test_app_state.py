"""State survives (issue 13): a language switch, a filter change or a page change keeps
the page, the data source, the filters, the selection and the map view.

Streamlit keeps a radio's or select's value as its translated label; the app stores the
stable codes (gisapp.ui.state) and puts them back, so a switch of language cannot empty
the Page and Data-source radios, and filters come back after a visit to another page.
"""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from gisapp.demo import demo_config  # noqa: E402

N = 200


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo200s")
    demo_config(d, n_villages=N)
    return str(d)


def _script(demo_dir: str) -> None:
    from gisapp.demo import demo_config
    from gisapp.ui.app import Engine, main

    main(engine=Engine(name=f"test-{demo_dir}",
                       demo_config=lambda: demo_config(demo_dir, n_villages=200)))


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not at.warning or all("minh hoạ" in w.value or "synthetic" in w.value.lower()
                                 for w in at.warning), [w.value for w in at.warning]


def _state(at: AppTest) -> dict:
    out = {"page": at.radio(key="page").value, "source": at.radio(key="source").value,
           "basemap": at.selectbox(key="basemap").value,
           "preset": next(s.value for s in at.selectbox if s.key.startswith("preset_")),
           "selected": at.session_state["selected_village"]
           if "selected_village" in at.session_state else None}
    if out["page"] == "explore":
        out["f_commune"] = list(at.multiselect(key="f_commune").value)
        out["f_gap"] = list(at.multiselect(key="f_gap").value)
    return out


def _switch(at: AppTest, lang: str) -> None:
    at.radio(key="lang").set_value(lang).run()
    _ok(at)


def test_language_switch_on_every_page_keeps_page_source_filters_and_selection(demo_dir):
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=180)
    at.run()
    _ok(at)
    commune = at.multiselect(key="f_commune").options[0]
    at.multiselect(key="f_commune").select(commune).run()
    at.multiselect(key="f_gap").select("no_signal").select("no_power_no_signal").run()
    at.selectbox(key="basemap").set_value("osm").run()
    next(s for s in at.selectbox if s.key.startswith("preset_")).set_value("remote_first").run()
    at.session_state["selected_village"] = "V0005"
    at.session_state["map_view"] = {"center": (21.7, 104.1), "zoom": 12}
    at.run()
    _ok(at)
    explore = _state(at)
    assert explore["f_commune"] == [commune] and explore["f_gap"] == ["no_signal", "no_power_no_signal"]

    for page in ("explore", "planning", "progress"):
        at.radio(key="page").set_value(page).run()
        _ok(at)
        before = _state(at)
        assert before["page"] == page and before["source"] == "demo"
        for lang in ("en", "vi"):
            _switch(at, lang)
            assert _state(at) == before, (page, lang)
        assert at.session_state["map_view"] == {"center": (21.7, 104.1), "zoom": 12}

    # back on the map page after the other two: the filters and the selection are there
    at.radio(key="page").set_value("explore").run()
    _ok(at)
    assert _state(at) == explore
    # the map opens on the kept view
    import json

    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert args["zoom"] == 12 and args["center"] == [21.7, 104.1]


def test_map_explains_itself_legend_per_layer_and_numbered_sites(demo_dir):
    import json

    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=180)
    at.run()
    _ok(at)
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    for word in ("Nhóm thiếu hụt", "Trạm BTS theo nhà mạng", "Viettel"):
        assert word in script, word
    at.radio(key="page").set_value("planning").run()
    _ok(at)
    plan = next(json.loads(c.proto.json_args)["script"] for c in at.get("component_instance")
                if "gisapp-site" in json.loads(c.proto.json_args)["script"])
    assert "L.divIcon" in plan and "f.properties.r" in plan        # the badge shows the rank
    assert "Trạm mới đề xuất (số = thứ hạng)" in plan


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_threshold_weight_and_headline_figure_has_help(demo_dir, lang):
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=180)
    at.run()
    if lang == "en":
        _switch(at, "en")
    _ok(at)
    controls = [*at.number_input, *at.slider]
    keyed = [w for w in controls if w.key.split("_")[0] in ("th", "pocket", "gridmax", "gridunk", "lights", "w")]
    assert len(keyed) >= 4 + 4 + 4          # thresholds, pocket and power rules, weights
    for w in keyed:
        assert w.help and len(w.help) > 40, (w.key, w.help)
    assert all(m.help for m in at.metric), [m.label for m in at.metric if not m.help]
    words = "Mặc định" if lang == "vi" else "Default"
    assert all(words in w.help for w in keyed if not w.key.startswith("th_"))
    assert all(("ITU" in w.help) for w in keyed if w.key.startswith("th_"))
