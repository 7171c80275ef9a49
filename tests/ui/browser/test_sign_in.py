"""Sign-in with st.login against a real local OpenID Connect provider (oidc-provider-mock).

A ``streamlit run`` server with sign-in required (server config) and an ``[auth]`` provider
(a secrets file passed with ``--secrets.files``) on 127.0.0.1; Debian's Chromium signs in
as each role; a Viettel liaison asks for a VNPT village and is refused; a viewer has no
form to submit with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, _free_port, _skip_reason

pytest.importorskip("oidc_provider_mock", reason="pip install oidc-provider-mock (test extra)")
pytest.importorskip("authlib", reason="st.login needs Authlib (pip install Authlib)")

sys.path.insert(0, str(ROOT / "tests" / "tracking"))
from test_tracking_data import surveys  # noqa: E402

from gisapp import schema as S  # noqa: E402
from gisapp.tracking import events as E  # noqa: E402
from gisapp.tracking.store import open_store  # noqa: E402

USERS = {"an@tinh.vn": ("planner", None), "lan@viettel.vn": ("carrier_liaison", "Viettel"),
         "hoa@evn.vn": ("evn_liaison", None), "so@tinh.vn": ("viewer", None)}
ROLE_WORDS = {"planner": "cán bộ quy hoạch", "carrier_liaison": "đầu mối nhà mạng",
              "evn_liaison": "đầu mối điện lực", "viewer": "chỉ xem"}


@pytest.fixture(scope="module")
def signed_app(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from oidc_provider_mock import run_server_in_thread

    d = tmp_path_factory.mktemp("signin")
    store = open_store(d / "store.gpkg")
    one, _ = surveys()
    store.save(one, label="s2024", date="2024-06-30")
    sig = list(one.loc[one[S.GAP_CLASS].astype(str) == "no_signal", S.ID].astype(str))
    E.assign(store, sig[:3], "Viettel", actor="planner")
    E.assign(store, sig[3:6], "VNPT", actor="planner")
    users = "\n".join(f'"{u}" = {{ role = "{r}"' + (f', carrier = "{c}"' if c else "") + " }"
                      for u, (r, c) in USERS.items())
    (d / "server.toml").write_text(
        f'[stores]\n"Tỉnh thử" = "{(d / "store.gpkg").as_posix()}"\n[sign_in]\nrequired = true\n'
        f"[users]\n{users}\n", encoding="utf-8")
    port = _free_port()
    with run_server_in_thread() as provider:
        meta = f"http://localhost:{provider.server_port}/.well-known/openid-configuration"
        (d / "secrets.toml").write_text(
            f'[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-0123456789"\nclient_id = "gisapp"\n'
            f'client_secret = "secret"\nserver_metadata_url = "{meta}"\n', encoding="utf-8")
        log = (d / "streamlit.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--secrets.files", str(d / "secrets.toml")],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "GISAPP_SERVER_CONFIG": str(d / "server.toml")})
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
            yield url, sig, d
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _sign_in(browser, url: str, email: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="vi-VN")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Đăng nhập").click(timeout=120_000)
    page.wait_for_selector('input[name="sub"]', timeout=60_000)
    page.fill('input[name="sub"]', email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=60_000)
    page.get_by_text(f"Đăng nhập: {email}").wait_for(timeout=180_000)
    return context, page


def _progress(page) -> None:
    page.get_by_text("Tiến độ", exact=True).first.click()
    page.get_by_text("Cập nhật tiến độ").wait_for(timeout=180_000)


@pytest.mark.browser
@pytest.mark.parametrize("email", list(USERS))
def test_each_role_signs_in(browser, signed_app, email):
    url, _, _ = signed_app
    context, page = _sign_in(browser, url, email)
    try:
        role = ROLE_WORDS[USERS[email][0]]
        assert page.get_by_text(f"Đăng nhập: {email} ({role})").count() == 1
    finally:
        context.close()


@pytest.mark.browser
def test_viettel_liaison_cannot_reach_a_vnpt_village_and_viewer_cannot_submit(browser,
                                                                             signed_app):
    url, sig, d = signed_app
    context, page = _sign_in(browser, url, "lan@viettel.vn")
    try:
        _progress(page)
        box = page.get_by_label("Lịch sử của thôn (mã thôn)")
        box.fill(sig[4])          # a VNPT village
        box.press("Enter")
        page.get_by_text(f"may not see village {sig[4]}").wait_for(timeout=60_000)
    finally:
        context.close()
    context, page = _sign_in(browser, url, "so@tinh.vn")
    try:
        _progress(page)
        assert page.get_by_text("Báo cáo thôn đã xoá thiếu hụt").count() == 0
    finally:
        context.close()
    assert "refused: lan@viettel.vn" in (d / "streamlit.log").read_text()
