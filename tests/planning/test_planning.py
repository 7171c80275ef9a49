"""Planning on the pipeline: costs through plan(), site selection bound, carrier packs,
scenarios and the plan / compare commands (demo province from the session fixtures)."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import sqlite3
import zipfile

import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.analysis import costs as C
from gisapp.errors import ConfigError
from gisapp.planning import (
    CARRIER, SIGNAL_GAP, apply_scenario, plan, write_plan,
)
from gisapp.config.planning import SitingOptions, UnitCosts
from gisapp.pipeline import assess


@pytest.fixture(scope="module")
def demo_plan(demo_result):
    return plan(demo_result)


@pytest.fixture(scope="module")
def plan_dir(demo_plan, demo_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    return out, write_plan(demo_plan, demo_result, out)


def test_costs_of_a_hand_worked_village_through_plan(demo_result):
    costs = UnitCosts(
        tower_civil_usd=10_000.0, radio_usd={"4G": 20_000.0},
        microwave_bands=((20_000.0, 7_000.0), (math.inf, 9_000.0)),
        grid_per_km_usd=1_000.0, site_power_backup_usd=500.0,
        grid_connection_per_household_usd=125.0, solar_home_system_usd=400.0,
        household_size=3.5,
    )
    cfg = demo_result.config.replace(costs=costs)
    v = demo_result.villages.copy()
    i = v.index[0]
    v.loc[i, [S.POP, S.DIST_SITE_M, S.DIST_FIBRE_M, S.DIST_GRID_M, S.POP_SHARE_ANY]] = \
        [350.0, 12_000.0, 15_000.0, 3_000.0, 0.0]
    v.loc[i, S.GAP_CLASS] = "no_power_no_signal"
    res = dataclasses.replace(demo_result, villages=v, config=cfg)
    p = plan(res, config=cfg.replace(siting=SitingOptions(n_sites=1, coverage="radius")))
    row = p.villages.loc[i]
    # new site: tower 10,000 + radio 20,000 + microwave (12 km < 20 km band) 7,000
    # + grid 3 km x 1,000 + backup 500 (cheaper than solar 3,000 W x 1 + 24,000 Wh x 0.3)
    assert row[C.SIGNAL_OPTION] == "new_site"
    assert row[C.SIGNAL_COST_USD] == pytest.approx(40_500.0)
    assert row[C.COST_OPTION] == "new_site(microwave, grid) + grid_extension"
    # power: 100 households; grid 3 km x 1,000 + 100 x 125 = 15,500 < 100 x 400 solar homes
    assert row[C.POWER_COST_USD] == pytest.approx(15_500.0)
    assert row[C.COST_USD] == pytest.approx(56_000.0)
    assert row[C.COST_PER_PERSON_USD] == pytest.approx(56_000.0 / 350.0)
    assert row["pop_unserved"] == pytest.approx(350.0)
    # the caller's frames are not changed
    assert C.COST_USD not in demo_result.villages.columns


def test_plan_on_the_demo_selects_sites_and_assigns_every_gap(demo_plan, demo_result):
    t = demo_plan.totals
    gap = demo_result.villages[S.GAP_CLASS].isin(["no_signal", "no_power_no_signal"])
    assert t["signal_gap_villages"] == int(gap.sum()) > 0
    assert t["sites_selected"] == len(demo_plan.sites) == 10
    assert t["pop_served_by_sites"] == pytest.approx(demo_plan.sites["pop_served"].sum())
    assert 0 < t["pop_served_by_sites"] <= t["pop_unserved"]
    assert t["sites_cost_usd"] == pytest.approx(demo_plan.sites["cost_usd"].sum())
    assert (demo_plan.villages.loc[gap, CARRIER] != "").all()
    assert (demo_plan.villages.loc[~gap, CARRIER] == "").all()
    assert list(demo_plan.villages.index) == list(demo_result.villages.index)
    assert demo_plan.villages.crs.to_epsg() == 4326 and demo_plan.sites.crs.to_epsg() == 4326


def test_greedy_stays_within_its_bound_of_the_exact_answer(demo_result):
    base = SitingOptions(n_sites=8, coverage="radius")
    cfg = demo_result.config
    exact = plan(demo_result, config=cfg.replace(siting=dataclasses.replace(base, method="exact")))
    greedy = plan(demo_result, config=cfg.replace(siting=dataclasses.replace(base, method="greedy")))
    e, g = exact.siting, greedy.siting
    assert e.method == "exact" and g.method == "greedy"
    assert g.served_weight <= e.served_weight + 1e-6
    assert e.served_weight <= g.bound + 1e-6
    assert g.served_weight >= (1 - 1 / math.e) * e.served_weight


def test_balanced_assignment_follows_site_counts(demo_result):
    cfg = demo_result.config
    p = plan(demo_result, config=cfg.replace(siting=SitingOptions(
        n_sites=1, coverage="radius", carrier_assignment="balanced")))
    counts = p.villages.loc[p.villages[SIGNAL_GAP], CARRIER].value_counts()
    towers = demo_result.layers["towers"]
    sites = towers.assign(x=towers.geometry.x.round(6), y=towers.geometry.y.round(6))[
        ["carrier", "x", "y"]].drop_duplicates().groupby("carrier").size()
    share = sites / sites.sum() * counts.sum()
    for carrier, n in counts.items():
        assert abs(n - share[carrier]) <= 1


def _xlsx_ids(data: bytes) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(wb["Ranked"].iter_rows(values_only=True))
    col = rows[1].index(S.ID)
    return [str(r[col]) for r in rows[2:]]


def test_each_carrier_pack_rereads_with_exactly_its_villages(plan_dir, demo_plan):
    from lxml import etree

    out, paths = plan_dir
    packs = {k.split(":", 1)[1]: v for k, v in paths.items() if k.startswith("pack:")}
    v = demo_plan.villages
    gap_ids = v.loc[v[SIGNAL_GAP], S.ID].astype(str)
    assert set(packs) == set(v.loc[v[SIGNAL_GAP], CARRIER])
    seen: list[str] = []
    for carrier, path in packs.items():
        stem = path.stem
        want = set(v.loc[v[SIGNAL_GAP] & (v[CARRIER] == carrier), S.ID].astype(str))
        with zipfile.ZipFile(path) as zf:
            names = sorted(zf.namelist())
            assert names == sorted([f"{stem}_villages.xlsx", f"{stem}_villages.geojson",
                                    f"{stem}_villages.kml", f"{stem}.gpkg", "columns.csv",
                                    f"{stem}_disputes.xlsx", f"{stem}_disputes.csv",
                                    "manifest.json"])
            xlsx_ids = _xlsx_ids(zf.read(f"{stem}_villages.xlsx"))
            gj = json.loads(zf.read(f"{stem}_villages.geojson"))
            kml = etree.fromstring(zf.read(f"{stem}_villages.kml"))
            manifest = json.loads(zf.read("manifest.json"))
            gpkg = out / f"_reread_{stem}.gpkg"
            gpkg.write_bytes(zf.read(f"{stem}.gpkg"))
        assert set(xlsx_ids) == want and len(xlsx_ids) == len(want)
        assert {str(f["properties"][S.ID]) for f in gj["features"]} == want
        ns = {"k": "http://www.opengis.net/kml/2.2"}
        folders = kml.findall(".//k:Folder", ns)
        communes = set(v.loc[v[S.ID].astype(str).isin(want), S.COMMUNE])
        assert {f.findtext("k:name", namespaces=ns) for f in folders} == communes
        assert len(kml.findall(".//k:Placemark", ns)) == len(want)
        con = sqlite3.connect(gpkg)
        try:
            ids = [r[0] for r in con.execute(f"SELECT {S.ID} FROM villages")]
            n_sites = con.execute("SELECT count(*) FROM proposed_sites").fetchone()[0]
        finally:
            con.close()
        assert set(map(str, ids)) == want and len(ids) == len(want)
        assert n_sites == int((demo_plan.sites[CARRIER] == carrier).sum())
        assert manifest["carrier"] == carrier and set(manifest["carrier_villages"]) == want
        seen.extend(want)
    # every signal-gap village in exactly one pack
    assert sorted(seen) == sorted(gap_ids)
    for name in ("costs.csv", "costs.xlsx", "sites.gpkg", "sites.geojson", "sites.csv",
                 "manifest.json"):
        assert (out / name).is_file()
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert len(sites) == len(demo_plan.sites)


def test_four_g_only_has_at_least_as_many_no_signal_villages(demo_measured, demo_result):
    cfg = apply_scenario(demo_result.config, {"name": "4G only", "thresholds.technologies": ["4G"]})
    assert cfg.thresholds.technologies == ("4G",)
    assert demo_result.config.thresholds.technologies != ("4G",)      # base unchanged
    res = assess(demo_measured, cfg)
    n_base = int((demo_result.villages[S.SIGNAL_CLASS] == "no_signal").sum())
    n_4g = int((res.villages[S.SIGNAL_CLASS] == "no_signal").sum())
    assert n_4g >= n_base


def test_apply_scenario_dotted_overrides(demo_result):
    cfg = apply_scenario(demo_result.config, {
        "name": "strict", "thresholds.dbm.4G": -105, "weights.preset": "people_first",
        "siting.n_sites": 3, "siting.budget_usd": 1e6})
    assert cfg.thresholds.dbm["4G"] == -105 and cfg.thresholds.dbm["2G"] == -100
    assert cfg.weights.population == 0.7
    assert cfg.siting.n_sites == 3 and cfg.siting.budget_usd == 1e6
    assert cfg.options.name.endswith("— strict")


def test_apply_scenario_rejects_an_unknown_key(demo_result):
    with pytest.raises(ConfigError, match=r"^scenario 'bad': unknown setting 'thresholds\.colour'; "
                                          r"\[thresholds\] has dbm, pocket_share"):
        apply_scenario(demo_result.config, {"name": "bad", "thresholds.colour": "red"})
    with pytest.raises(ConfigError, match=r"^scenario 'bad': unknown setting 'towers\.path'"):
        apply_scenario(demo_result.config, {"name": "bad", "towers.path": "x.csv"})
    with pytest.raises(ConfigError, match=r"technology '6G' is not one of 2G, 3G, 4G, 5G"):
        apply_scenario(demo_result.config, {"name": "bad", "thresholds.technologies": ["6G"]})


def test_compare_cli_writes_its_files(demo_config_path, tmp_path):
    from gisapp.cli import main
    from gisapp.config import load_config, save_config

    cfg = load_config(demo_config_path).replace(scenarios=(
        {"name": "4G only", "thresholds.technologies": ["4G"], "siting.n_sites": 5},))
    path = save_config(cfg, tmp_path / "scenarios.toml")
    out = tmp_path / "cmp"
    assert main(["compare", str(path), "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert list(table["scenario"]) == ["base", "4G only"]
    assert list(table["measured_once"]) == [False, True]
    assert table.loc[1, "villages_no_signal"] + table.loc[1, "villages_no_power_no_signal"] >= \
        table.loc[0, "villages_no_signal"] + table.loc[0, "villages_no_power_no_signal"]
    changes = pd.read_csv(out / "changes.csv", encoding="utf-8-sig")
    assert len(changes) > 0 and set(changes["scenario"]) == {"4G only"}
    assert (changes["gap_class_from"] != changes["gap_class_to"]).all()
    assert (out / "comparison.xlsx").is_file()


def test_compare_cli_error_is_plain(tmp_path, capsys):
    from gisapp.cli import main

    assert main(["compare", str(tmp_path / "missing.toml"), "--out", str(tmp_path), "-q"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_apps_viettel_pack_is_the_one_gisapp_plan_writes(demo_config_path, demo_result,
                                                             tmp_path):
    """One carrier pack: the app's download and ``gisapp plan``'s zip for Viettel hold the
    same villages, and the same bytes in every member whose format is deterministic."""
    pytest.importorskip("streamlit")
    from gisapp.cli import main
    from gisapp.ui import components
    from gisapp.i18n import t

    out = tmp_path / "plan"
    assert main(["plan", str(demo_config_path), "--out", str(out), "-q"]) == 0
    app_zip = components.carrier_pack("Viettel", demo_result, demo_result.config)
    with zipfile.ZipFile(out / "viettel.zip") as cli, zipfile.ZipFile(io.BytesIO(app_zip)) as app:
        assert cli.namelist() == app.namelist()
        ids = {}
        for name, zf in (("cli", cli), ("app", app)):
            manifest = json.loads(zf.read("manifest.json"))
            gj = json.loads(zf.read("viettel_villages.geojson"))
            assert [str(f["properties"][S.ID]) for f in gj["features"]] == manifest["carrier_villages"]
            assert _xlsx_ids(zf.read("viettel_villages.xlsx")) == manifest["carrier_villages"]
            ids[name] = manifest["carrier_villages"]
        assert ids["cli"] == ids["app"] and len(ids["app"]) > 0
        for member in ("viettel_villages.geojson", "viettel_villages.kml"):
            assert cli.read(member) == app.read(member)
    # the app says what the file is: that carrier's priority list
    assert "priority list" in t("dl_carrier", "en", carrier="Viettel")
    assert "danh sách ưu tiên" in t("dl_carrier", "vi", carrier="Viettel")
    assert t("dl_carrier_file", "en", slug="viettel") == "viettel_priority_list.zip"


def test_a_pack_for_a_carrier_without_gaps_is_an_empty_priority_list(demo_plan, demo_result):
    from gisapp.planning import carrier_pack_bytes, pack_carrier

    assert pack_carrier(demo_plan, "viettel") == pack_carrier(demo_plan, "Viettel")
    data = carrier_pack_bytes(demo_plan, demo_result, "Nobody Telecom")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert json.loads(zf.read("manifest.json"))["carrier_villages"] == []
        assert json.loads(zf.read("nobody_telecom_villages.geojson"))["features"] == []
