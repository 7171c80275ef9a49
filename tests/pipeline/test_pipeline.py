"""End to end: the demo province and small hand-built runs through gisapp.run."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

import gisapp
from gisapp import pipeline
from gisapp import schema as S
from gisapp.analysis import zonal
from gisapp.config import WEIGHT_PRESETS, config_from_dict
from gisapp.errors import (
    DuplicateIdError, InvalidGeometryError, MissingColumnError, MissingCRSError, NoOverlapError,
    UnreadableFileError,
)

# ----------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_out(demo_config_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_out")
    result, paths = pipeline.run_to_dir(demo_config_path, out)
    return result, paths, out


def test_demo_every_village_once_in_every_output(demo_out):
    result, paths, out = demo_out
    ids = result.villages[S.ID]
    assert ids.is_unique
    source = gpd.read_file(result.config.villages.path, layer="villages")
    assert sorted(ids) == sorted(source["village_id"].astype(str))
    assert result.villages[S.GAP_CLASS].isin([g.value for g in S.GapClass]).all()
    # gpkg read with sqlite3 (not GDAL)
    with sqlite3.connect(paths["gpkg"]) as con:
        gpkg_ids = [r[0] for r in con.execute(f"select {S.ID} from villages")]
        gpkg_counts = dict(con.execute(f"select {S.GAP_CLASS}, count(*) from villages group by 1"))
    assert sorted(gpkg_ids) == sorted(ids)
    # geojson with json, csv with csv, xlsx with openpyxl, kml with lxml
    feats = json.loads(Path(paths["geojson"]).read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"][S.ID] for f in feats) == sorted(ids)
    with open(paths["csv"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r[S.ID] for r in rows) == sorted(ids)
    import openpyxl
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    ranked = list(wb["Ranked"].iter_rows(values_only=True))
    header_row = next(i for i, r in enumerate(ranked) if r and S.ID in r)
    col = ranked[header_row].index(S.ID)
    assert sorted(str(r[col]) for r in ranked[header_row + 1:] if r[col] is not None) == sorted(ids)
    from lxml import etree
    kml = etree.parse(str(paths["kml"]))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert len(kml.findall(".//k:Placemark", ns)) == len(ids)
    folders = {f.findtext("k:name", namespaces=ns): len(f.findall("k:Placemark", ns))
               for f in kml.findall(".//k:Folder", ns)}
    assert sum(folders.values()) == len(ids)
    # the summary's counts equal the village table's
    summ = pd.read_csv(paths["summary"])
    prov = summ[summ.level == "province"]
    for g in S.GapClass:
        assert int(prov[f"villages_{g.value}"].sum()) == gpkg_counts.get(g.value, 0)
    assert int(prov["villages"].sum()) == len(ids)
    communes = summ[summ.level == "commune"]
    assert int(communes["villages"].sum()) == len(ids)
    manifest = json.loads(Path(paths["manifest"]).read_text())
    assert manifest["gisapp_version"] == gisapp.__version__ and manifest["synthetic"] is True
    assert manifest["inputs"] and all(len(h) == 64 for h in manifest["inputs"].values())


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed")
def test_demo_gpkg_reads_with_ogrinfo(demo_out):
    result, paths, _ = demo_out
    txt = subprocess.run(["ogrinfo", "-so", "-al", str(paths["gpkg"])], capture_output=True,
                         text=True, check=True).stdout
    assert f"Feature Count: {len(result.villages)}" in txt


def test_demo_has_all_gap_kinds_and_sensible_facts(demo_result):
    v = demo_result.villages
    counts = v[S.GAP_CLASS].value_counts()
    for g in ("no_power_no_signal", "no_signal", "served"):
        assert counts.get(g, 0) > 0, g
    assert v[S.POP].notna().all() and (v[S.POP] > 0).all()
    for c in (S.POP_SHARE_ANY, S.AREA_SHARE_ANY, S.POP_SHARE_4G):
        s = v[c].dropna()
        assert ((s >= 0) & (s <= 1 + 1e-9)).all()
    # no-signal villages have no carrier at their centre; covered ones name at least one
    nos = v[v[S.SIGNAL_CLASS] == "no_signal"]
    assert (nos[S.CARRIERS_AT_CENTRE] == "").all()
    cov = v[v[S.SIGNAL_CLASS] == "covered"]
    assert (cov[S.CARRIERS_AT_CENTRE] != "").all()
    # gap villages are farther from existing towers than served ones (the demo's realism)
    assert nos[S.DIST_SITE_M].median() > cov[S.DIST_SITE_M].median()
    ranked = v[v[S.PRIORITY_RANK].notna()]
    assert sorted(ranked[S.PRIORITY_RANK].astype(int)) == list(range(1, len(ranked) + 1))
    assert v.crs.to_epsg() == 4326
    assert v[S.WHY].str.len().min() > 20


def test_assess_rereads_nothing_and_reranks(demo_measured, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("assess must not read files")

    # every place in the pipeline that reads a file
    monkeypatch.setattr(pipeline.normalise, "read_vector", boom)
    monkeypatch.setattr(pipeline.layers, "read_vector", boom)
    monkeypatch.setattr(pipeline.layers, "open_raster", boom)
    monkeypatch.setattr(pipeline.jobs, "read_table", boom)
    monkeypatch.setattr(pipeline.layers, "read_band", boom)
    cfg = demo_measured.config
    a = pipeline.assess(demo_measured, cfg.replace(weights=WEIGHT_PRESETS["people_first"]))
    b = pipeline.assess(demo_measured, cfg.replace(weights=WEIGHT_PRESETS["remote_first"]))
    ra = a.villages.sort_values(S.PRIORITY_RANK)[S.ID].head(20).tolist()
    rb = b.villages.sort_values(S.PRIORITY_RANK)[S.ID].head(20).tolist()
    assert ra != rb
    # a stricter 4G threshold can only lose covered villages
    strict = pipeline.assess(demo_measured, cfg.replace(thresholds=dataclasses.replace(
        cfg.thresholds, dbm={**cfg.thresholds.dbm, "4G": -80.0})))
    key = S.centre_col("viettel_4g")
    assert (strict.villages[key].fillna(False) <= a.villages[key].fillna(False)).all()


def test_rerun_is_byte_identical(demo_config_path, tmp_path):
    _, p1 = pipeline.run_to_dir(demo_config_path, tmp_path / "a")
    _, p2 = pipeline.run_to_dir(demo_config_path, tmp_path / "b")
    for fmt in ("csv", "geojson", "kml", "summary"):
        assert Path(p1[fmt]).read_bytes() == Path(p2[fmt]).read_bytes(), fmt


def test_cli_run_and_version(demo_config_path, tmp_path, capsys):
    from gisapp.cli import main

    assert main(["run", str(demo_config_path), "--out", str(tmp_path / "r"), "-q"]) == 0
    out = capsys.readouterr().out
    assert "villages analysed" in out and "(synthetic data)" in out
    assert (tmp_path / "r" / "villages.gpkg").exists()
    with pytest.raises(SystemExit):
        main(["--version"])
    assert gisapp.__version__ in capsys.readouterr().out


# ----------------------------------------------------------------- hand-built small runs

UTM = "EPSG:32648"   # WGS 84 / UTM 48N; the squares sit near 105°E, 21°N
X0, Y0 = 500_000.0, 2_320_000.0


def sq(i: int, size: float = 1000.0) -> Polygon:
    return box(X0 + i * 2000, Y0, X0 + i * 2000 + size, Y0 + size)


@pytest.fixture
def small(tmp_path):
    """Three square villages; coverage over all of A, the right half of B, nothing of C;
    the grid passes through A; the utility lists C as without power."""
    v = gpd.GeoDataFrame({"vid": ["A", "B", "C"], "ten": ["Thôn Nà Mây", "Bản Pù Lâu", "Xóm Khe Sâu"],
                          "xa": ["Xã Một", "Xã Một", "Xã Hai"], "dan_so": [100, 200, 300]},
                         geometry=[sq(0), sq(1), sq(2)], crs=UTM)
    v.to_file(tmp_path / "villages.gpkg", layer="villages")
    coverage = gpd.GeoDataFrame(geometry=[box(X0 - 10, Y0 - 10, X0 + 1010, Y0 + 1010),
                                          box(X0 + 2500, Y0 - 10, X0 + 3010, Y0 + 1010)], crs=UTM)
    coverage.to_crs(4326).to_file(tmp_path / "cov.geojson")
    grid = gpd.GeoDataFrame(geometry=[LineString([(X0 - 5000, Y0 + 500), (X0 + 500, Y0 + 500)])], crs=UTM)
    grid.to_file(tmp_path / "grid.gpkg")
    pd.DataFrame({"xa": ["xã hai"], "thon": ["KHE SAU"], "status": ["không"]}).to_csv(
        tmp_path / "list.csv", index=False)
    data = {
        "villages": {"path": "villages.gpkg", "id": "vid", "name": "ten", "commune": "xa",
                     "population": "dan_so"},
        "coverage": [{"path": "cov.geojson", "carrier": "Viettel", "technology": "4G"}],
        "electricity": {"list_path": "list.csv", "list_name": "thon", "list_commune": "xa",
                        "list_status": "status", "grid": {"path": "grid.gpkg"}},
    }
    return tmp_path, data


def test_small_hand_checked(small):
    folder, data = small
    r = gisapp.run(config_from_dict(data, base_dir=folder))
    v = r.villages.set_index(S.ID)
    key = "viettel_4g"
    assert v.loc["A", S.area_share_col(key)] == pytest.approx(1.0)
    assert v.loc["B", S.area_share_col(key)] == pytest.approx(0.5, abs=1e-6)
    assert v.loc["C", S.area_share_col(key)] == pytest.approx(0.0)
    assert v.loc["A", S.AREA_KM2] == pytest.approx(1.0)
    # B's centre (representative point of a square = its centre) is on the coverage edge's
    # left side? The covered half starts at x = 2500 of 2000..3000, so the centre is covered.
    assert v.loc["A", S.SIGNAL_CLASS] == "covered"
    assert v.loc["B", S.SIGNAL_CLASS] in ("pocket", "no_signal")
    assert v.loc["C", S.SIGNAL_CLASS] == "no_signal"
    assert v.loc["A", S.DIST_GRID_M] == pytest.approx(0.0)
    assert v.loc["B", S.DIST_GRID_M] == pytest.approx(1500.0)
    assert v.loc["A", S.POWER_STATUS] == "yes"
    assert v.loc["C", S.POWER_STATUS] == "no"          # declared, matched by name in its commune
    assert v.loc["C", S.GAP_CLASS] == "no_power_no_signal"
    assert v.loc["A", S.GAP_CLASS] == "served"
    assert "300 people" in v.loc["C", S.WHY]
    assert v.loc["C", S.PRIORITY_RANK] == 1


def test_coverage_display_is_built_on_demand_once(small):
    # the map's simplified copy of a coverage layer is not built by measuring or assessing,
    # but when the map asks for it, and then once per measure whatever the assessments
    folder, data = small
    m = pipeline.measure(config_from_dict(data, base_dir=folder))
    a, b = pipeline.assess(m), pipeline.assess(m)
    assert list(a.layers) == ["coverage:viettel_4g", "grid"]
    assert m.display_cache == {}
    shown = a.layers["coverage:viettel_4g"]
    assert b.layers["coverage:viettel_4g"] is shown
    assert shown.crs.to_epsg() == 4326 and len(shown) == 2
    assert shown[["carrier", "technology", "kind"]].drop_duplicates().values.tolist() == [
        ["Viettel", "4G", "declared"]]
    expected = m.coverage_geoms["viettel_4g"].geometry.simplify(
        pipeline.layers.DISPLAY_TOLERANCE_M).to_crs(4326)
    assert shown.geometry.geom_equals_exact(expected.reset_index(drop=True), 1e-9).all()
    with pytest.raises(TypeError):
        a.layers["grid"] = None                       # read-only


def test_small_missing_crs(small):
    folder, data = small
    gdf = gpd.read_file(folder / "villages.gpkg")
    gdf.to_file(folder / "v.shp")
    (folder / "v.prj").unlink()
    data["villages"]["path"] = "v.shp"
    with pytest.raises(MissingCRSError, match=r"v\.shp.*no coordinate reference system"):
        gisapp.run(config_from_dict(data, base_dir=folder))


def test_small_no_overlap(small):
    folder, data = small
    far = gpd.read_file(folder / "cov.geojson")
    far["geometry"] = far.translate(30, 0)   # 30 degrees east
    far.to_file(folder / "far.geojson")
    data["coverage"][0]["path"] = "far.geojson"
    with pytest.raises(NoOverlapError, match=r"far\.geojson.*does not overlap the villages"):
        gisapp.run(config_from_dict(data, base_dir=folder))


def test_small_unreadable_and_missing_column(small):
    folder, data = small
    (folder / "bad.geojson").write_text("{ this is not json", encoding="utf-8")
    data["coverage"][0]["path"] = "bad.geojson"
    with pytest.raises(UnreadableFileError, match=r"bad\.geojson"):
        gisapp.run(config_from_dict(data, base_dir=folder))
    data["coverage"][0]["path"] = "cov.geojson"
    data["villages"]["name"] = "tne"
    with pytest.raises(MissingColumnError, match=r"no column 'tne'.*Did you mean 'ten'"):
        gisapp.run(config_from_dict(data, base_dir=folder))


def test_small_invalid_geometry_repaired_or_refused(small):
    folder, data = small
    gdf = gpd.read_file(folder / "villages.gpkg")
    bowtie = Polygon([(X0 + 4000, Y0), (X0 + 5000, Y0 + 1000), (X0 + 5000, Y0), (X0 + 4000, Y0 + 1000)])
    gdf.loc[2, "geometry"] = bowtie
    gdf.to_file(folder / "villages.gpkg", layer="villages")
    r = gisapp.run(config_from_dict(data, base_dir=folder))
    assert r.report.repaired_geometries == 1 and len(r.villages) == 3
    assert "repaired" in r.villages.set_index(S.ID).loc["C", S.WHY]
    data["options"] = {"invalid_geometry": "refuse"}
    with pytest.raises(InvalidGeometryError, match=r"1 invalid geometries.*\['C'\]"):
        gisapp.run(config_from_dict(data, base_dir=folder))


def test_small_null_geometry_kept_as_unknown(small):
    folder, data = small
    gdf = gpd.read_file(folder / "villages.gpkg")
    gdf.loc[1, "geometry"] = None
    gdf.to_file(folder / "villages.gpkg", layer="villages")
    r = gisapp.run(config_from_dict(data, base_dir=folder))
    v = r.villages.set_index(S.ID)
    assert len(v) == 3 and v.loc["B", S.SIGNAL_CLASS] == "unknown"
    assert v.loc["B", S.GAP_CLASS] == "unknown" and "no geometry" in v.loc["B", S.WHY]


def test_small_duplicate_ids_refused(small):
    folder, data = small
    gdf = gpd.read_file(folder / "villages.gpkg")
    gdf.loc[2, "vid"] = "A"
    gdf.to_file(folder / "villages.gpkg", layer="villages")
    with pytest.raises(DuplicateIdError, match=r"appear more than once.*\['A'\]"):
        gisapp.run(config_from_dict(data, base_dir=folder))


def test_small_two_layers_same_carrier_technology_both_count(small):
    folder, data = small
    # a measured Viettel 4G layer covering C beside the declared one covering A and half of B
    gpd.GeoDataFrame(geometry=[box(X0 + 3990, Y0 - 10, X0 + 5010, Y0 + 1010)], crs=UTM).to_file(
        folder / "measured.gpkg")
    data["coverage"].append({"path": "measured.gpkg", "carrier": "Viettel", "technology": "4G",
                             "kind": "measured"})
    r = gisapp.run(config_from_dict(data, base_dir=folder))
    v = r.villages.set_index(S.ID)
    assert v.loc["A", S.centre_col("viettel_4g")] and not v.loc["C", S.centre_col("viettel_4g")]
    assert v.loc["C", S.centre_col("viettel_4g_measured")]
    assert v.loc["C", S.SIGNAL_CLASS] == "covered" and v.loc["C", S.N_LAYERS] == 2
    assert v.loc["C", S.SIGNAL_KIND] == "measured"


def test_small_far_grid_is_refused(small):
    """Issue 12: a distance layer is refused by the same overlap rule as every other
    layer (it used to be only a warning, and decided every village's power)."""
    folder, data = small
    grid = gpd.read_file(folder / "grid.gpkg")
    grid["geometry"] = grid.translate(0, 300_000)        # 300 km north: a wrong CRS, say
    grid.to_file(folder / "far_grid.gpkg")
    data["electricity"]["grid"] = {"path": "far_grid.gpkg"}
    with pytest.raises(NoOverlapError, match=r"layer 'grid' / file '.*far_grid\.gpkg': this "
                       r"layer does not overlap the villages at all \(nothing within 50 km"):
        gisapp.run(config_from_dict(data, base_dir=folder))
