"""The app served for a province (AppTest): the open-address guard, the weekly loop's page.

The roles themselves are tested where they are enforced (test_tracking_access.py).
"""

from __future__ import annotations

import io
import zipfile

import pytest

from gisapp.i18n.columns import column_label

pytest.importorskip("streamlit")
pytest.importorskip("docx")
import streamlit  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from test_app_pages import _script, demo_dir, downloads  # noqa: E402,F401 (fixtures)


def _server(tmp_path, monkeypatch, extra: str = "") -> None:
    store = tmp_path / "store.gpkg"
    server = tmp_path / "server.toml"
    server.write_text(f'[stores]\n"Tỉnh thử" = "{store.as_posix()}"\n{extra}', encoding="utf-8")
    monkeypatch.setenv("GISAPP_SERVER_CONFIG", str(server))


def test_the_app_refuses_every_page_on_an_open_address_without_sign_in(demo_dir, tmp_path,
                                                                       monkeypatch):
    _server(tmp_path, monkeypatch)
    real = streamlit.get_option
    monkeypatch.setattr(streamlit, "get_option",
                        lambda k: "0.0.0.0" if k == "server.address" else real(k))
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=120)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "0.0.0.0" in at.error[0].value
    assert "[sign_in] required = true" in at.error[0].value
    assert not at.dataframe and not at.get("component_instance")   # nothing served


def test_progress_page_runs_the_weekly_loop(demo_dir, tmp_path, monkeypatch, downloads):
    _server(tmp_path, monkeypatch)
    at = AppTest.from_function(_script, kwargs={"demo_dir": demo_dir}, default_timeout=120)
    at.run()
    at.radio(key="page").set_value("progress").run()
    at.text_input(key="g_label").set_value("khảo sát 1")
    at.date_input(key="g_date").set_value("2025-01-15")
    at.button[0].click().run()
    assert not at.exception and not at.error
    village = at.selectbox(key="u_village").options[0]
    at.selectbox(key="u_village").set_value(village)
    at.text_input(key="u_note").set_value("trạm mới")
    at.button(key="FormSubmitter:u_submit-Gửi").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("chờ xác nhận" in s.value for s in at.success)
    at.button(key="FormSubmitter:u_decide-Xác nhận").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Đã xác nhận" in s.value for s in at.success)
    at.text_input(key="u_history_id").set_value(village).run()
    kind = column_label("kind", "vi")                       # the history in the reader's words
    hist = next(d.value for d in at.dataframe if kind in d.value.columns
                and set(d.value[kind]) >= {"đã gửi", "đã xác nhận"})
    assert list(hist[kind]) == ["đã gửi", "đã xác nhận"]
    at.button(key="r_make").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    data = next(v for k, v in downloads.items() if k.startswith("report_"))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert any(n.endswith(".docx") for n in zf.namelist())
        assert any(n.endswith("_annex.xlsx") for n in zf.namelist())
