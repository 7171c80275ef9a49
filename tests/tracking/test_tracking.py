"""Tracking: matching, changes, the GeoPackage store, concurrency, history, burn-down, CLI.

The two surveys come from tests/tracking/test_tracking_data.py (a table there lists every set of
villages and the change expected for it).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import multiprocessing as mp
import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_tracking_data import EXPECTED, RENAMES, SETS, surveys

from gisapp import schema as S
from gisapp.errors import ConfigError, DuplicateIdError, GisappError
from gisapp.tracking.changes import (
    CHANGE_COLUMNS, HISTORY_COLUMNS, Change, Target, TrackingTargets, burndown, compare, diff,
    history, targets_from_toml, write_changes,
)
from gisapp.tracking.match import match_villages
from gisapp.tracking.store import (
    SnapshotExistsError, SnapshotNotFoundError, StoreBusyError, StoreError,
    StoreUnavailableError, open_store,
)


@pytest.fixture(scope="module")
def two():
    return surveys()


@pytest.fixture(scope="module")
def changes(two):
    return compare(*two)


# --- matching ---------------------------------------------------------------------------
def test_name_keys_are_gisapp_names_keys():
    # matching uses the one name folding of gisapp.names (no copy of its own)
    from gisapp.names import name_key, name_keys

    values = pd.Series(["Bản Nà Xạ", "Thôn 03", None, np.nan, "NàXạ", "Bản Nà Xạ"])
    keys = name_keys(values)
    assert keys.dtype == object and keys.tolist() == [
        "naxa", "3", "", "", "naxa", "naxa"]
    assert keys[0] == name_key("Bản Nà Xạ")


def test_store_package_keeps_its_names():
    from gisapp.tracking import store
    from gisapp.tracking.store.gpkg import GpkgStore
    from gisapp.tracking.store.postgis import PostgisStore

    assert set(store.__all__) <= set(dir(store))
    assert store.GpkgStore is GpkgStore and store.PostgisStore is PostgisStore


def test_matching_uses_id_then_name_then_geometry(two):
    old, new = two
    m = match_villages(old, new)
    assert m.counts() == {"id": 200 - 3 - 4 - 40, "name": 4, "geometry": 40,
                          "unmatched_old": 3, "unmatched_new": 4}
    by_name = m.pairs[m.pairs["method"] == "name"]
    assert sorted(by_name["id_new"]) == [f"R{i:03d}" for i in SETS["RENAMED"]]
    geo = m.pairs[m.pairs["method"] == "geometry"]
    assert (geo["id_old"].str[3:] == geo["id_new"].str[4:]).all()   # same village number
    # squares shrunk by 4 % in each direction: IoU = 0.96² = 0.9216
    assert geo["iou"].to_numpy() == pytest.approx(0.9216, abs=1e-3)
    assert sorted(old[S.ID].iloc[m.unmatched_old]) == [f"03-{i:03d}" for i in SETS["GONE"]]


def test_geometry_match_respects_iou_threshold(two):
    old, new = two
    m = match_villages(old, new, iou_min=0.95)
    assert m.counts()["geometry"] == 0
    assert m.counts()["unmatched_old"] == 43


def test_point_villages_match_within_tolerance():
    old = gpd.GeoDataFrame({S.ID: ["a", "b"], S.NAME: ["x", "y"], S.COMMUNE: ["c", "c"]},
                           geometry=[shapely.Point(104, 22), shapely.Point(104.1, 22)], crs=4326)
    new = gpd.GeoDataFrame({S.ID: ["A", "B"], S.NAME: ["p", "q"], S.COMMUNE: ["d", "d"]},
                           geometry=[shapely.Point(104.0005, 22), shapely.Point(104.2, 22)],
                           crs=4326)
    m = match_villages(old, new, point_tolerance_m=100)   # 0.0005° ≈ 52 m
    assert list(zip(m.pairs["id_old"], m.pairs["id_new"])) == [("a", "A")]
    assert m.pairs["iou"].isna().all()
    assert list(m.unmatched_old) == [1] and list(m.unmatched_new) == [1]


def test_name_match_skips_ambiguous_names():
    g = [shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)]
    old = gpd.GeoDataFrame({S.ID: ["1", "2"], S.NAME: ["Bản A", "Thôn A"], S.COMMUNE: ["X", "X"]},
                           geometry=g, crs=4326)
    new = gpd.GeoDataFrame({S.ID: ["9"], S.NAME: ["A"], S.COMMUNE: ["X"]},
                           geometry=[shapely.box(20, 20, 21, 21)], crs=4326)
    m = match_villages(old, new)
    assert m.counts()["name"] == 0 and m.counts()["unmatched_new"] == 1


# --- changes ----------------------------------------------------------------------------
def test_change_counts_are_the_constructed_ones(changes):
    got = {str(c): changes.count(c) for c in Change}
    assert got == EXPECTED
    assert len(changes.villages) == 204
    assert tuple(changes.villages.columns) == (*CHANGE_COLUMNS, "geometry")
    assert changes.villages.crs.to_epsg() == 4326


def test_changes_carry_both_surveys_evidence_and_flags(changes):
    v = changes.villages.set_index(S.ID)
    r = v.loc["01-010"]   # COVERED: npns → no_power
    assert r["change"] == "newly_covered" and r["gap_class_old"] == "no_power_no_signal"
    assert r[S.GAP_CLASS] == "no_power"
    assert r["signal_gap_closed"] and not r["power_gap_closed"]
    assert r["signal_evidence_old"] == "coverage viettel_4g (declared, 2024-06-01)"
    assert r[S.SIGNAL_EVIDENCE] == "drive test viettel_4g (measured, 2025-06-01)"
    m = v.loc["NEW-160"]  # merged commune, npns → served
    assert m["change"] == "resolved" and m["signal_gap_closed"] and m["power_gap_closed"]
    assert m["match_method"] == "geometry" and m["village_id_old"] == "09-160" and m["id_changed"]
    assert m["commune_old"] == "Xã Thử 9" and m[S.COMMUNE] == "Phường Hợp Nhất"
    gone = v.loc["03-047"]
    assert gone["change"] == "disappeared" and pd.isna(gone[S.GAP_CLASS])
    assert gone["match_method"] == "none"
    assert gone.geometry.equals(shapely.box(104.07, 22.02, 104.07 + 0.0098, 22.02 + 0.0098))


def test_renamed_villages_are_flagged(changes):
    v = changes.villages
    ren = v[v["renamed"]]
    assert sorted(ren["name_old"]) == sorted(o for o, _ in RENAMES.values())
    assert (ren["match_method"] == "name").all() and (ren["change"] == "unchanged_served").all()


def test_summary_adds_up_per_commune_and_province(changes):
    s = changes.summary
    prov = s[s["level"] == "province"].iloc[0]
    communes = s[s["level"] == "commune"]
    for c in Change:
        assert prov[str(c)] == EXPECTED[str(c)] == communes[str(c)].sum()
    assert prov["villages_old"] == 200 and prov["villages_new"] == 201
    assert prov["signal_gap_closed"] == 10 + 8 + 3 and prov["power_gap_closed"] == 6 + 3
    # gaps: survey 1 = 10 + 8 + 6 + 12 + 3 = 39; survey 2 = 8 + 6 + 5 + 12 + 2 = 33
    assert prov["gaps_old"] == 39 and prov["gaps_new"] == 33
    merged = communes.set_index(S.COMMUNE).loc["Phường Hợp Nhất"]
    assert merged["resolved"] == 3 and merged["unchanged_served"] == 37


def test_transition_table_by_hand():
    from gisapp.tracking.changes import _classify

    o = np.array(["served", "no_signal", "no_power_no_signal", "no_power", "unknown", "unknown",
                  None, None, "served", "no_signal", "no_signal", "served"], dtype=object)
    n = np.array(["served", "no_power", "no_signal", "no_power", "served", "no_signal",
                  "served", "no_signal", None, "unknown", "no_power_no_signal", "no_power"],
                 dtype=object)
    change, sig, pw = _classify(o, n)
    assert list(change) == ["unchanged_served", "newly_found_gap", "newly_powered", "still_open",
                            "judged_served", "newly_found_gap", "appeared", "newly_found_gap",
                            "disappeared", "unknown", "newly_found_gap", "newly_found_gap"]
    # no_signal → no_power: signal gap closed, power gap opened (counted as a new gap)
    assert sig[1] and not pw[1] and pw[2] and not sig[2]


def test_compare_does_not_change_its_inputs(two):
    old, new = two
    before = (old.copy(), new.copy())
    compare(old, new)
    pd.testing.assert_frame_equal(old, before[0])
    pd.testing.assert_frame_equal(new, before[1])


def test_empty_surveys_give_empty_changes_with_all_columns(two):
    old, _ = two
    ch = compare(old.iloc[:0], old.iloc[:0])
    assert len(ch.villages) == 0 and tuple(ch.villages.columns) == (*CHANGE_COLUMNS, "geometry")
    ch = compare(old.iloc[:0], old.iloc[150:152])
    assert list(ch.villages["change"]) == ["appeared", "appeared"]


# --- GeoPackage store --------------------------------------------------------------------
def test_gpkg_store_round_trip(tmp_path, two):
    old, new = two
    store = open_store(tmp_path / "p.gpkg")
    i1 = store.save(old, label="survey-2024", date="2024-06-30", config_toml="[villages]\n",
                    manifest={"inputs": {"v.gpkg": "abc"}})
    i2 = store.save(new, label="survey-2025", date=dt.date(2025, 6, 30))
    assert (i1.id, i1.n_villages, i2.id, i2.n_villages) == (1, 200, 2, 201)
    lst = store.list()
    assert list(lst["label"]) == ["survey-2024", "survey-2025"]
    assert list(lst["date"]) == [dt.date(2024, 6, 30), dt.date(2025, 6, 30)]
    back, info = store.load("survey-2024")
    assert info.manifest == {"inputs": {"v.gpkg": "abc"}} and info.config_toml == "[villages]\n"
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(old.drop(columns="geometry")))
    assert back.geometry.geom_equals_exact(old.geometry, tolerance=0).all()
    assert store.load(2)[1].label == "survey-2025" and store.load("2")[1].id == 2


def test_gpkg_store_is_readable_by_gdal(tmp_path, two):
    import pyogrio

    store = open_store(tmp_path / "p.gpkg")
    store.save(two[0], label="s1", date="2024-06-30")
    layers = dict(pyogrio.list_layers(tmp_path / "p.gpkg"))
    assert set(layers) == {"villages", "snapshots"}
    v = gpd.read_file(tmp_path / "p.gpkg", layer="villages")
    assert len(v) == 200 and v.crs.to_epsg() == 4326
    assert v.geometry.geom_equals_exact(two[0].geometry, tolerance=1e-12).all()
    assert set(v[S.GAP_CLASS]) == {"served", "no_signal", "no_power_no_signal"}
    snaps = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="snapshots")
    assert list(snaps["label"]) == ["s1"]


def test_gpkg_store_errors(tmp_path, two):
    store = open_store(tmp_path / "p.gpkg")
    store.save(two[0].iloc[:3], label="a", date="2024-01-01")
    with pytest.raises(SnapshotExistsError, match="a snapshot labelled 'a' is already in store"):
        store.save(two[0].iloc[:3], label="a")
    assert store.list()["n_villages"].tolist() == [3]
    with pytest.raises(SnapshotNotFoundError, match=r"no snapshot 'b' in store .*snapshots there: 'a'"):
        store.load("b")
    with pytest.raises(StoreError, match="snapshot date '30/06/2025' is not a date"):
        store.save(two[0], label="c", date="30/06/2025")
    with pytest.raises(StoreError, match="only digits"):
        store.save(two[0], label="2025")
    dup = pd.concat([two[0].iloc[:2], two[0].iloc[:1]])
    with pytest.raises(DuplicateIdError, match="1 village id"):
        store.save(dup, label="d")
    (tmp_path / "x.gpkg").write_text("not sqlite")
    with pytest.raises(StoreUnavailableError, match="is not a GeoPackage snapshot store"):
        open_store(tmp_path / "x.gpkg")
    with pytest.raises(StoreError, match=r"must be a \.gpkg file"):
        open_store(tmp_path / "x.shp")
    with pytest.raises(StoreUnavailableError, match="folder .* does not exist"):
        open_store(tmp_path / "nope" / "s.gpkg")
    assert issubclass(StoreUnavailableError, GisappError)


def test_save_reprojects_and_keeps_caller_frame(tmp_path, two):
    utm = two[0].iloc[:5].to_crs(32648)
    copy = utm.copy()
    store = open_store(tmp_path / "p.gpkg")
    store.save(utm, label="utm", date="2024-01-01")
    pd.testing.assert_frame_equal(utm, copy)
    back, _ = store.load("utm")
    assert back.crs.to_epsg() == 4326
    assert back.geometry.geom_equals_exact(two[0].geometry.iloc[:5], tolerance=1e-9).all()


def test_busy_store_fails_clearly(tmp_path, two):
    path = tmp_path / "p.gpkg"
    open_store(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = open_store(path, timeout_s=0.2)
        with pytest.raises(StoreBusyError, match="stayed locked by another save"):
            store.save(two[0].iloc[:2], label="x", date="2024-01-01")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert open_store(path).list().empty


def _save_five(path: str, worker: int, barrier) -> None:
    one, two = surveys()
    store = open_store(path)
    barrier.wait(60)   # both processes start saving at the same moment
    for k in range(5):
        frame = (one if k % 2 == 0 else two).iloc[: 50 + 10 * k + worker]
        store.save(frame, label=f"w{worker}-{k}", date=f"2025-0{k + 1}-01")


def test_concurrent_saves_from_two_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.gpkg")
    # "fork", not "spawn": spawn re-runs the parent's __main__, which inside a full test
    # session may be a Streamlit AppTest script rather than pytest (NameError: __args)
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_save_five, args=(path, w, barrier)) for w in (0, 1)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    store = open_store(path)
    lst = store.list()
    assert len(lst) == 10
    want = {f"w{w}-{k}": 50 + 10 * k + w for w in (0, 1) for k in range(5)}
    assert dict(zip(lst["label"], lst["n_villages"])) == want
    counts = store.counts().groupby("snapshot_id")["villages"].sum()
    assert sorted(counts.tolist()) == sorted(want.values())
    for label, n in want.items():
        assert len(store.load(label)[0]) == n


# --- history and burn-down ----------------------------------------------------------------
@pytest.fixture()
def store3(tmp_path, two):
    old, new = two
    store = open_store(tmp_path / "h.gpkg")
    store.save(old, label="s2024", date="2024-06-30")
    store.save(new, label="s2025", date="2025-06-30")
    mid = new.copy()
    mid.loc[mid[S.GAP_CLASS] == "no_power", S.GAP_CLASS] = "served"   # 8 more powered
    store.save(mid, label="s2025b", date="2025-09-30")
    return store


def test_history_counts_per_class_over_time(store3):
    h = history(store3)
    assert tuple(h.columns) == HISTORY_COLUMNS
    prov = h[h["level"] == "province"]
    assert list(prov["label"]) == ["s2024", "s2025", "s2025b"]
    assert list(prov["villages"]) == [200, 201, 201]
    assert list(prov["villages_no_signal"]) == [10 + 12, 6 + 5 + 12 + 2, 25]
    assert list(prov["villages_no_power_no_signal"]) == [8 + 6 + 3, 0, 0]
    assert list(prov["villages_no_power"]) == [0, 8, 0]
    communes = h[(h["level"] == "commune") & (h["label"] == "s2025")]
    assert communes["villages"].sum() == 201 and len(communes) == 9
    merged = communes.set_index(S.COMMUNE).loc["Phường Hợp Nhất"]
    assert merged["villages"] == 40 and merged["pop"] == sum(100 + i + 5 for i in range(160, 200))


def test_burndown_against_targets(store3):
    targets = TrackingTargets((Target(dt.date(2025, 8, 31), "any_no_signal", 20),
                               ("2025-11-30", "any_no_signal", 0)))
    b = burndown(history(store3), targets)
    s = b[b["series"] == "any_no_signal"].reset_index(drop=True)
    assert list(s["kind"]) == ["snapshot", "snapshot", "target", "snapshot", "target"]
    assert list(s["remaining"].iloc[[0, 1, 3]]) == [39, 25, 25]
    # planned line: 39 on 2024-06-30 → 20 on 2025-08-31 (427 days) → 0 on 2025-11-30
    assert s["target"][0] == 39
    assert s["target"][1] == pytest.approx(39 - 19 * 365 / 427)
    assert s["target"][2] == 20
    assert s["target"][3] == pytest.approx(20 - 20 * 30 / 91)
    assert s["target"][4] == 0
    assert list(s["on_track"]) == [True, False, pd.NA, False, pd.NA]
    other = b[b["series"] == "any_gap"]
    assert other["target"].isna().all() and list(other["remaining"]) == [39, 33, 25]


def test_targets_from_config_text():
    text = """
[villages]
path = "v.gpkg"

[tracking]
targets = [
  { date = 2025-08-31, series = "any_no_signal", max_remaining = 100 },
  { date = "2025-11-30", gap_class = "no_power_no_signal", max_remaining = 0 },
]
"""
    t = targets_from_toml(text)
    assert t.targets == (Target(dt.date(2025, 8, 31), "any_no_signal", 100),
                         Target(dt.date(2025, 11, 30), "no_power_no_signal", 0))
    assert targets_from_toml("[villages]\npath='x'\n").targets == ()
    with pytest.raises(ConfigError, match="series 'no_sig' is not one of"):
        TrackingTargets(((dt.date(2025, 1, 1), "no_sig", 0),))
    with pytest.raises(ConfigError, match=r"targets\[0\]: date '31/08/2025' is not YYYY-MM-DD"):
        targets_from_toml('[tracking]\ntargets = [{date="31/08/2025", series="any_gap", '
                          'max_remaining=1}]')


# --- diff and exports ----------------------------------------------------------------------
def test_diff_from_store_and_write_changes(tmp_path, store3):
    ch = diff(store3, "s2024", "s2025")
    assert {str(c): ch.count(c) for c in Change} == EXPECTED
    assert ch.a.label == "s2024" and ch.b.date == dt.date(2025, 6, 30)
    paths = write_changes(ch, tmp_path / "out")
    assert {p.name for p in paths.values()} == {
        "changes.gpkg", "changes.geojson", "changes.csv", "changes.xlsx", "changes.kml",
        "change_summary.csv", "unmatched_old.csv", "unmatched_new.csv", "manifest.json"}
    # read back with other libraries than the writers
    with open(paths["csv"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 204 and sum(r["change"] == "resolved" for r in rows) == 13
    gj = json.loads(paths["geojson"].read_text(encoding="utf-8"))
    assert len(gj["features"]) == 204
    g = gpd.read_file(paths["gpkg"], layer="changes")
    assert (g["change"] == "newly_found_gap").sum() == 7
    from lxml import etree

    kml = etree.parse(str(paths["kml"]))
    folders = kml.findall(".//{http://www.opengis.net/kml/2.2}Folder/{http://www.opengis.net/kml/2.2}name")
    assert {f.text for f in folders} == {k for k, v in EXPECTED.items() if v}
    man = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert man["a"]["label"] == "s2024" and man["changes"]["disappeared"] == 3
    assert set(man["outputs"]) >= {"changes.csv", "changes.gpkg"}
    with open(paths["unmatched_old"], newline="", encoding="utf-8-sig") as fh:
        assert [r[S.ID] for r in csv.DictReader(fh)] == ["03-047", "03-048", "03-049"]


# --- CLI ---------------------------------------------------------------------------------------
def test_cli_list_and_diff(tmp_path, store3, capsys):
    from gisapp.cli import main

    assert main(["snapshot", "list", "--store", store3.url]) == 0
    out = capsys.readouterr().out
    assert "s2024" in out and "2025-09-30" in out
    assert main(["snapshot", "diff", "s2024", "s2025", "--store", store3.url,
                 "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "resolved: 13" in out and "by shape 40" in out
    assert (tmp_path / "d" / "changes.xlsx").exists()
    assert main(["snapshot", "diff", "s2024", "nope", "--store", store3.url,
                 "--out", str(tmp_path / "e")]) == 2
    assert "gisapp: error: no snapshot 'nope'" in capsys.readouterr().err
    assert main(["snapshot", "list", "--store", str(tmp_path / "missing.gpkg")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "missing.gpkg").exists()
