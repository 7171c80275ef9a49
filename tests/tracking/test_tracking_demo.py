"""Two surveys of the demo province through the real pipeline, with known transitions.

Survey 1 is the demo run. Survey 2 is the pipeline run again with one more coverage
layer: a (made-up) new Vietnamobile 4G site whose measured coverage is exactly the union of
12 ``no_signal`` and 6 ``no_power_no_signal`` villages of survey 1. Then, as an office
would deliver it, survey 2's table gets 15 villages with new ids (5 of them also
respelled: prefix dropped, diacritics stripped), the two smallest communes merged
under a new name with new village codes (as in the 2025 reform), and 3 served villages
missing. Expected: 12 resolved, 6 newly covered, 3 disappeared, everything else
unchanged; every village matched to its true predecessor.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest

from gisapp import schema as S
from gisapp.config import CoverageLayer
from gisapp.names import fold
from gisapp.tracking.changes import Change, diff
from gisapp.tracking.store import open_store


@pytest.fixture(scope="module")
def demo_two(demo_result, tmp_path_factory):
    from gisapp.pipeline import run

    v1 = demo_result.villages
    gaps = v1[S.GAP_CLASS].astype(str)
    covered_ns = v1.index[gaps == "no_signal"][:12]
    covered_npns = v1.index[gaps == "no_power_no_signal"][:6]
    chosen = covered_ns.append(covered_npns)
    area = gpd.GeoDataFrame(
        {"carrier": ["Viettel"]},
        geometry=[v1.geometry.loc[chosen].to_crs(32648).union_all().buffer(1.0)], crs=32648,
    ).to_crs(4326)
    folder = tmp_path_factory.mktemp("newsite")
    path = folder / "coverage_new_site.geojson"
    area.to_file(path, driver="GeoJSON")
    cfg = demo_result.config
    cfg2 = dataclasses.replace(cfg, coverage=(*cfg.coverage, CoverageLayer(
        path=path, carrier="Vietnamobile", technology="4G", kind="measured", date="2025-06-01")))
    v2 = run(cfg2).villages.copy()
    # the office's table: new ids, respellings, a commune merger, missing villages
    truth = dict(zip(v2[S.ID].astype(str), v1[S.ID].astype(str)))   # new id → old id
    served = v2.index[(v2[S.GAP_CLASS].astype(str) == "served") & ~v2.index.isin(chosen)]
    sizes = v2[S.COMMUNE].value_counts()
    small = list(sizes.index[-2:])
    in_small = v2[S.COMMUNE].isin(small).to_numpy()
    candidates = [i for i in served if not in_small[v2.index.get_loc(i)]]
    gone, new_ids = candidates[:3], candidates[3:18]
    ids = v2[S.ID].astype(str).to_numpy(dtype=object)
    names = v2[S.NAME].astype(str).to_numpy(dtype=object)
    for k, i in enumerate(new_ids):
        pos = v2.index.get_loc(i)
        ids[pos] = f"X{k:04d}"
        if k < 5:   # "Bản Pắc Hồi 1" → "pac hoi 1"
            names[pos] = fold(names[pos].split(" ", 1)[1])
    merged = np.flatnonzero(in_small)
    ids[merged] = [f"HN-{k:04d}" for k in range(len(merged))]
    truth = {new: truth[old] for new, old in zip(ids, v2[S.ID].astype(str))}
    v2[S.ID] = ids
    v2[S.NAME] = names
    v2.loc[in_small, S.COMMUNE] = "Phường Hợp Nhất"
    v2 = v2.drop(index=gone)
    store = open_store(folder / "demo.gpkg")
    store.save(v1, label="survey-1", date="2024-06-30", manifest=demo_result.manifest)
    store.save(v2, label="survey-2", date="2025-06-30")
    return store, v1, truth, len(merged), gaps


def test_demo_surveys_diff_has_the_known_transitions(demo_two):
    store, v1, truth, n_merged, gaps = demo_two
    ch = diff(store, "survey-1", "survey-2")
    n_gap = int(gaps.isin(["no_signal", "no_power_no_signal", "no_power"]).sum())
    n_served = int((gaps == "served").sum())
    expected = {c: 0 for c in map(str, Change)}
    expected.update(resolved=12, newly_covered=6, disappeared=3, still_open=n_gap - 18,
                    unchanged_served=n_served - 3)
    assert {str(c): ch.count(c) for c in Change} == expected
    assert ch.matching["unmatched_old"] == 3 and ch.matching["unmatched_new"] == 0
    assert ch.matching["geometry"] + ch.matching["name"] == 15 + n_merged
    assert ch.matching["geometry"] >= n_merged - 5   # merged villages: ids and commune changed
    v = ch.villages[ch.villages["change"] != "disappeared"]
    assert (v[f"{S.ID}_old"].to_numpy() == v[S.ID].map(truth).to_numpy()).all()
    assert int(v["renamed"].sum()) == 5
    newly = v[v["change"] == "newly_covered"]
    assert (newly[S.GAP_CLASS] == "no_power").all()
    assert newly[S.SIGNAL_EVIDENCE].str.contains("measured").all()


def test_cli_snapshot_save_runs_the_pipeline(demo_config_path, tmp_path, capsys):
    from gisapp.cli import main

    store = tmp_path / "cli.gpkg"
    assert main(["snapshot", "save", str(demo_config_path), "--store", str(store),
                 "--label", "demo-1", "--date", "2025-06-30"]) == 0
    assert "saved snapshot 1 'demo-1' (2025-06-30, 1500 villages)" in capsys.readouterr().out
    assert main(["snapshot", "save", str(demo_config_path), "--store", str(store),
                 "--label", "demo-1"]) == 2
    assert "a snapshot labelled 'demo-1' is already in store" in capsys.readouterr().err
    assert main(["snapshot", "save", str(demo_config_path), "--store", str(store),
                 "--label", "demo-2", "--date", "June 2025"]) == 2
    assert "snapshot date 'June 2025' is not a date" in capsys.readouterr().err
    _, info = open_store(store).load("demo-1")
    assert info.config_toml == demo_config_path.read_text(encoding="utf-8")
    assert info.manifest["villages"] == 1500
