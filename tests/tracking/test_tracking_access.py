"""Roles enforced where data is served; the server config; no open address without sign-in."""

from __future__ import annotations

import logging

import pytest
from test_tracking_data import surveys

from gisapp import schema as S
from gisapp.cli import main
from gisapp.config.server import (
    ServerConfig, UserRole, check_listen, is_loopback, load_server_config,
)
from gisapp.errors import ConfigError
from gisapp.tracking import access as A
from gisapp.tracking import events as E
from gisapp.tracking.store import open_store

PLANNER = UserRole("an@tinh.vn", "planner")
VIETTEL = UserRole("lan@viettel.vn", "carrier_liaison", "Viettel")
VNPT = UserRole("ha@vnpt.vn", "carrier_liaison", "VNPT")
EVN = UserRole("hoa@evn.vn", "evn_liaison")
VIEWER = UserRole("so@tinh.vn", "viewer")

SERVER_TOML = """
[stores]
"Tỉnh thử" = "store/p.gpkg"
[data_folders]
"Dữ liệu 2025" = "data"
[sign_in]
required = true
[users]
"An@Tinh.vn" = { role = "planner" }
"lan@viettel.vn" = { role = "carrier_liaison", carrier = "Viettel" }
"hoa@evn.vn" = { role = "evn_liaison" }
"so@tinh.vn" = { role = "viewer" }
"""


@pytest.fixture()
def province(tmp_path):
    store = open_store(tmp_path / "p.gpkg")
    one, _ = surveys()
    store.save(one, label="s2024", date="2024-06-30")
    gaps = one[S.GAP_CLASS].astype(str)
    sig = list(one.loc[gaps == "no_signal", S.ID].astype(str))
    power = list(one.loc[gaps.isin(["no_power", "no_power_no_signal"]), S.ID].astype(str))
    A.assign(PLANNER, store, sig[:4], "Viettel")
    A.assign(PLANNER, store, sig[4:8], "VNPT")
    return store, sig, power


def test_a_viettel_liaison_cannot_get_a_vnpt_pack_or_village(province, caplog):
    store, sig, _ = province
    build = lambda: b"zip"  # noqa: E731
    assert A.pack(VIETTEL, "Viettel", build) == b"zip"
    assert A.pack(VIETTEL, "viettel", build) == b"zip"
    assert A.pack(PLANNER, "VNPT", build) == b"zip"
    with caplog.at_level(logging.WARNING, logger="gisapp.access"):
        for carrier in ("VNPT", "MobiFone"):
            with pytest.raises(A.AccessDenied, match=f"may not get the {carrier} pack"):
                A.pack(VIETTEL, carrier, build)
        with pytest.raises(A.AccessDenied, match=f"may not see village {sig[5]}"):
            A.village(VIETTEL, store, sig[5])
        with pytest.raises(A.AccessDenied, match="may not see village"):
            A.submit(VIETTEL, store, village_id=sig[5], closed_by="site_on_air",
                     closed_on="2024-08-01")
    assert sum("refused: lan@viettel.vn" in r.message for r in caplog.records) == 4
    mine = A.villages(VIETTEL, store)
    assert sorted(mine[S.ID].astype(str)) == sorted(sig[:4])
    row, hist = A.village(VIETTEL, store, sig[0])
    assert row[S.ID] == sig[0] and list(hist["kind"]) == ["assigned"]
    assert len(A.province_villages(VIETTEL, store)) == 200      # the province's map
    ev = A.submit(VIETTEL, store, village_id=sig[0], closed_by="site_on_air",
                  closed_on="2024-08-01", carrier="VNPT")        # cannot claim another carrier
    assert ev["carrier"] == "Viettel" and ev["actor"] == "lan@viettel.vn"
    assert list(A.pending(VNPT, store)["seq"]) == []
    assert list(A.pending(VIETTEL, store)["seq"]) == [ev["seq"]]


def test_roles_submit_and_decide_only_what_they_own(province):
    store, sig, power = province
    with pytest.raises(A.AccessDenied, match="may not submit"):
        A.submit(VIEWER, store, village_id=sig[0], closed_by="site_on_air",
                 closed_on="2024-08-01")
    with pytest.raises(A.AccessDenied, match="a carrier reports sites on air"):
        A.submit(VIETTEL, store, village_id=sig[0], closed_by="grid_connection",
                 closed_on="2024-08-01")
    with pytest.raises(A.AccessDenied, match="EVN reports grid connections"):
        A.submit(EVN, store, village_id=power[0], closed_by="site_on_air",
                 closed_on="2024-08-01")
    with pytest.raises(A.AccessDenied, match="may not see village"):
        A.submit(EVN, store, village_id=sig[0], closed_by="grid_connection",
                 closed_on="2024-08-01")      # no power gap: not EVN's
    ev = A.submit(EVN, store, village_id=power[0], closed_by="grid_connection",
                  closed_on="2024-08-01")
    assert ev["carrier"] == "EVN"
    for who in (VIETTEL, EVN, VIEWER):
        with pytest.raises(A.AccessDenied, match="may not confirm"):
            A.confirm(who, store, ev["seq"])
        with pytest.raises(A.AccessDenied, match="may not assign"):
            A.assign(who, store, [sig[0]], "Viettel")
    A.confirm(PLANNER, store, ev["seq"])
    assert A.village(EVN, store, power[0])[0][S.GAP_CLASS] in ("served", "no_signal")
    assert len(A.villages(VIEWER, store)) == 200
    with pytest.raises(A.AccessDenied, match="an unknown user may not see the province"):
        A.province_villages(None, store)


def test_server_config_is_the_only_source_of_stores_and_roles(tmp_path, monkeypatch):
    path = tmp_path / "server.toml"
    path.write_text(SERVER_TOML, encoding="utf-8")
    monkeypatch.setenv("GISAPP_SERVER_CONFIG", str(path))
    cfg = load_server_config()
    assert cfg.stores == {"Tỉnh thử": str(tmp_path / "store" / "p.gpkg")}
    assert cfg.data_folders == {"Dữ liệu 2025": tmp_path / "data"}
    assert cfg.user("an@tinh.vn") == UserRole("an@tinh.vn", "planner")
    assert cfg.user("LAN@viettel.vn").carrier == "Viettel"
    assert cfg.user("stranger@x.vn") is None and cfg.user(None) is None
    assert ServerConfig().user(None).role == "planner"       # local mode, sign-in off
    bad = tmp_path / "bad.toml"
    for text, msg in [('[users]\n"a@b" = { role = "boss" }', "role 'boss' is not one of"),
                      ('[users]\n"a@b" = { role = "carrier_liaison" }', "add carrier ="),
                      ("[stuff]\n", "unknown section"), ("x = ", "not valid TOML")]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=msg):
            load_server_config(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_server_config(tmp_path / "missing.toml")


def test_refuses_a_non_loopback_address_without_sign_in(tmp_path, capsys):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback("10.0.0.5")
    check_listen("127.0.0.1", ServerConfig(), auth_configured=False)
    with pytest.raises(ConfigError, match=r"will not serve on 0\.0\.0\.0 .*\[sign_in\] "
                                          r"required = true.*\[auth\]"):
        check_listen("0.0.0.0", ServerConfig(), auth_configured=False)
    path = tmp_path / "server.toml"
    path.write_text(SERVER_TOML, encoding="utf-8")
    cfg = load_server_config(path)
    with pytest.raises(ConfigError, match=r"\[auth\] with redirect_uri"):
        check_listen("0.0.0.0", cfg, auth_configured=False)
    check_listen("0.0.0.0", cfg, auth_configured=True)
    app = tmp_path / "streamlit_app.py"
    app.write_text("", encoding="utf-8")
    code = main(["serve", "--address", "0.0.0.0", "--config", str(path), "--app", str(app),
                 "--check"])
    assert code == 2 and "will not serve on 0.0.0.0" in capsys.readouterr().err
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\ncookie_secret = "s"\n'
                       'client_id = "c"\nclient_secret = "d"\n'
                       'server_metadata_url = "http://x/.well-known/openid-configuration"\n',
                       encoding="utf-8")
    assert main(["serve", "--address", "0.0.0.0", "--config", str(path), "--app", str(app),
                 "--check"]) == 0
    assert main(["serve", "--address", "127.0.0.1", "--app", str(app), "--check"]) == 0
