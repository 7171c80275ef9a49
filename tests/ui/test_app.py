"""The planners' page through ``streamlit.testing.v1.AppTest`` (a small generated demo).

The st_folium component is not rendered by AppTest, but its arguments hold the map
script, which is checked here; what a person sees is checked in tests/ui/browser/.
"""

from __future__ import annotations

import json

import pytest

from gisapp.i18n.columns import column_label

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from gisapp.demo import demo_config  # noqa: E402

N = 200


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo200")
    demo_config(d, n_villages=N)          # generate once for the module
    return str(d)


def _script(demo_dir: str) -> None:
    from gisapp.demo import demo_config
    from gisapp.ui.app import Engine, main

    main(engine=Engine(name=f"test-{demo_dir}",
                       demo_config=lambda: demo_config(demo_dir, n_villages=200)))


def _fresh(demo_dir):
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def loaded(demo_dir):
    """A page as first opened, shared by the tests that only read it."""
    return _fresh(demo_dir)


@pytest.fixture()
def app(demo_dir):
    """A page of its own, for tests that change widgets."""
    return _fresh(demo_dir)


def _metric_total(at) -> int:
    # the first five metrics are villages per gap class ("1.234" in Vietnamese)
    return sum(int(m.value.replace(".", "").replace(",", "")) for m in at.metric[:5])


def _ranked(at):
    """The full ranked table (the one with the selection marker column)."""
    return next(d.value for d in at.dataframe if "●" in d.value.columns)


def _ranked_ids(at) -> list:
    df = _ranked(at)
    return df[column_label("village_id", "vi")].tolist()     # headers come from the dictionary


def test_demo_loads_with_every_village_counted(loaded):
    app = loaded
    assert app.title[0].value == "Thôn chưa có điện, chưa có sóng"
    assert _metric_total(app) == N
    assert len(app.table[0].value) == 10            # top 10
    assert len(_ranked(app)) == N
    labels = [b.proto.label for b in app.get("download_button")]
    assert {"CSV", "Excel", "GeoJSON", "KML", "GeoPackage"} <= set(labels)
    assert any(lbl.endswith("(zip)") for lbl in labels)


def test_weight_preset_reranks_the_table(app):
    before = _ranked_ids(app)
    preset = next(s for s in app.selectbox if s.key.startswith("preset_"))
    assert preset.value == "balanced"
    preset.set_value("remote_first").run()
    assert not app.exception
    after = _ranked_ids(app)
    assert sorted(map(str, before)) == sorted(map(str, after))   # same villages
    assert before != after                                      # another order


def test_filters_change_headline_figures_and_language_switches(app):
    communes = app.multiselect(key="f_commune").options
    first = communes[0]
    app.multiselect(key="f_commune").select(first).run()
    shown = _ranked(app)
    assert 0 < len(shown) < N
    assert _metric_total(app) == len(shown)
    assert set(shown["Xã/phường"]) == {first}
    n_commune = len(shown)

    app.multiselect(key="f_gap").select("served").run()
    values = [int(m.value.replace(".", "")) for m in app.metric[:5]]
    # only the "served" metric is non-zero, and within the commune
    assert values[:3] == [0, 0, 0] and values[4] == 0 and 0 < values[3] <= n_commune
    assert values[3] == len(_ranked(app))

    app.radio(key="lang").set_value("en").run()
    assert app.title[0].value == "Villages without power or signal"
    assert app.metric[0].label == "No power, no signal"


def test_map_args_hold_village_features_and_no_cdn(loaded):
    comp = loaded.get("component_instance")[0]
    args = json.loads(comp.proto.json_args)
    script = args["script"]
    assert script.count('"village_id"') >= N          # one feature per village
    assert "preferCanvas" in script and "true" in script
    links = args["js_links"] + args["css_links"]
    assert links and all(u.startswith("/app/static/gisapp_vendor/") for u in links), links
    for text in (script, args["header"], args["html"]):
        assert "cdn" not in text.lower() and "https://" not in text


def _upload_script(tmp: str, name: str, data: bytes) -> None:
    """The upload boundary of the page with a given file (AppTest cannot upload)."""
    from pathlib import Path

    from gisapp.ui import components as C
    from gisapp.ui.inputs import save_upload

    try:
        save_upload(name, data, Path(tmp), max_mb=0.001)
    except Exception as exc:
        C.show_error(exc, "en")


@pytest.mark.parametrize("name,data,message", [
    ("villages.exe", b"MZ", "'.exe' is not a supported file type"),
    ("villages.geojson", b"x" * 5000, "over the limit of 0.001 MB"),
    ("villages.zip", b"not a zip", "not a zip"),
])
def test_invalid_upload_shows_a_message_not_a_traceback(tmp_path, name, data, message):
    at = AppTest.from_function(_upload_script, kwargs={"tmp": str(tmp_path), "name": name, "data": data})
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert message in at.error[0].value
    assert "Traceback" not in at.error[0].value


def _broken_script() -> None:
    from gisapp.ui.app import Engine, main

    def boom():
        raise RuntimeError("internal detail /etc/secret")

    main(engine=Engine(name="broken", demo_config=boom))


def test_unexpected_error_shows_generic_message():
    at = AppTest.from_function(_broken_script).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "secret" not in at.error[0].value
    assert "server log" in at.error[0].value or "nhật ký" in at.error[0].value


def test_selected_village_is_drawn_as_an_added_group_not_in_the_map_script(app):
    """A selection must not change the map's own script (that remounts the component and
    loses the planner's zoom): the outline goes through ``feature_group_to_add``."""
    before = json.loads(app.get("component_instance")[0].proto.json_args)
    vid = str(_ranked_ids(app)[3])
    app.session_state["selected_village"] = vid
    app.run()
    assert not app.exception
    after = json.loads(app.get("component_instance")[0].proto.json_args)
    assert after["script"] == before["script"]
    assert before["feature_group"] is None
    assert f'"village_id":"{vid}"' in after["feature_group"]
    ranked = _ranked(app)
    assert ranked.loc[ranked[column_label("village_id", "vi")].astype(str) == vid, "●"].tolist() == ["●"]
    assert (ranked["●"] == "●").sum() == 1
    assert any(vid in str(d.value[column_label("village_id", "vi")].tolist()) for d in app.dataframe if len(d.value) == 1)
