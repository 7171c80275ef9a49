"""The templates in data/templates: equal to what gisapp.templates writes, readable by a
run, and filled with the demo's own data they give the demo's classes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import rasterio

from gisapp.checks import check_template
from gisapp.config import MeasurementLayer, TowerLayer, VillagesLayer, load_config
from gisapp.io.tables import read_table
from gisapp.templates import DATA_SHEET, GUIDE_SHEET, TEMPLATES, write_template, write_templates

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "data" / "templates"


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {s: [tuple(r) for r in wb[s].iter_rows(values_only=True)] for s in wb.sheetnames}
    finally:
        wb.close()


def test_committed_templates_equal_the_generated_ones(tmp_path):
    # Committed so that a province can download them from the repository; regenerated
    # here so that they cannot drift from gisapp.templates (xlsx compared by cell, since
    # the zip stores the time it was written).
    written = write_templates(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in COMMITTED.iterdir())
    for p in written:
        mine = COMMITTED / p.name
        if p.suffix == ".csv":
            assert mine.read_bytes() == p.read_bytes(), f"{mine}: run python -m gisapp.templates"
        else:
            assert _cells(mine) == _cells(p), f"{mine}: run python -m gisapp.templates data/templates"


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_column_is_explained(name):
    t = TEMPLATES[name]
    sheets = _cells(COMMITTED / f"{name}.xlsx")
    assert list(sheets) == [DATA_SHEET, GUIDE_SHEET]
    assert [list(r) for r in sheets[DATA_SHEET][:2]] == [[c.vi for c in t.columns], t.keys]
    guide = {r[0]: r for r in sheets[GUIDE_SHEET] if r and r[0] in t.keys}
    assert set(guide) == set(t.keys)
    for key, row in guide.items():
        _, vi, meaning_vi, meaning_en, unit, required, unknown_vi, unknown_en = row
        assert vi and meaning_vi and meaning_en and unknown_vi and unknown_en, key
    # the readers of a run skip the Vietnamese row and take the keys as the header
    for suffix in ("xlsx", "csv"):
        frame = read_table(COMMITTED / f"{name}.{suffix}", required=t.keys[:2])
        assert list(frame.columns) == t.keys and frame.empty


def _fill(result, cfg, out: Path) -> dict[str, tuple[Path, Path]]:
    """Every template filled with the demo's own data."""
    v = result.villages
    files = {"villages": write_template(TEMPLATES["villages"], out, [
        [r.village_id, r.name, r.commune, r.province, r.pop, None, r.lon, r.lat, None]
        for r in v.itertuples()])}
    ev = read_table(cfg.electricity.list_path, sheet=cfg.electricity.list_sheet)
    files["evn_villages_without_power"] = write_template(
        TEMPLATES["evn_villages_without_power"], out,
        [[None, r.thon_ban, r.xa, r.co_dien, None, cfg.electricity.list_date, None]
         for r in ev.itertuples()])
    tw = pd.read_csv(cfg.towers.path)
    files["towers"] = write_template(TEMPLATES["towers"], out, [
        [r.site_id, r.carrier, r.technology, r.lon, r.lat, r.height_m, None, r.mcc_mnc, None]
        for r in tw.itertuples()])
    # measurements: the demo's modelled Viettel 4G signal read at the centres of villages
    # that the declared Viettel 4G map already covers, as a drive test would find it
    raster = cfg.signal_rasters[0]
    covered = v[v["centre__viettel_4g"].astype(bool)].head(40)
    pts = gpd.GeoSeries(gpd.points_from_xy(covered.lon, covered.lat), crs=4326)
    with rasterio.open(raster.path) as src:
        xy = pts.to_crs(src.crs)
        dbm = np.array([s[0] for s in src.sample(zip(xy.x, xy.y))], dtype=float)
    keep = dbm > -100
    assert keep.sum() >= 10
    files["measurements"] = write_template(TEMPLATES["measurements"], out, [
        ["2025-06-01 09:00", lon, lat, "Viettel", "4G", round(float(d), 1), None, None]
        for lon, lat, d in zip(covered.lon[keep], covered.lat[keep], dbm[keep])])
    gaps = v[v.gap_class.astype(str) == "no_signal"].head(5)
    files["complaints"] = write_template(TEMPLATES["complaints"], out, [
        [f"PA-{i + 1:03d}", "2025-06-15", r.village_id, r.name, r.commune, r.lon, r.lat,
         "Viettel", "no_signal", None] for i, r in enumerate(gaps.itertuples())])
    return files


def _point_config(cfg, villages: Path, evn: Path | None = None, towers: Path | None = None,
                  measurements: Path | None = None):
    cols = dict(id="village_id", name="name", commune="commune", province="province",
                population="population", lon="lon", lat="lat")
    out = cfg.replace(villages=VillagesLayer(path=villages, **cols))
    if evn is not None:
        out = out.replace(electricity=dataclasses.replace(
            cfg.electricity, list_path=evn, list_sheet=None, list_name="name",
            list_commune="commune", list_status="has_power"))
    if towers is not None:
        out = out.replace(towers=TowerLayer(path=towers, lon="lon", lat="lat", mcc_mnc="mcc_mnc"))
    if measurements is not None:
        # beside the demo's own drive tests (issue 14), which the reference run has too
        out = out.replace(measurements=(*cfg.measurements, MeasurementLayer(
            path=measurements, lon="lon", lat="lat", date="2025-06-01")))
    return out


@pytest.mark.slow
def test_templates_filled_with_the_demo_give_the_demo_classes(demo_result, tmp_path):
    from gisapp.pipeline import run

    cfg = demo_result.config
    files = _fill(demo_result, cfg, tmp_path / "filled")
    for name, (xlsx, csv) in files.items():
        for p in (xlsx, csv):
            assert check_template(p).ok, (p, check_template(p).lines("en"))
    # the reference: the demo's own inputs, its villages as their centre points in a
    # GeoPackage (a table holds points, not the demo's polygons)
    v = demo_result.villages
    ref_path = tmp_path / "centres.gpkg"
    gpd.GeoDataFrame(v[["village_id", "name", "commune", "province"]].assign(population=v["pop"]),
                     geometry=gpd.points_from_xy(v.lon, v.lat), crs=4326).to_file(ref_path)
    ref = run(cfg.replace(villages=VillagesLayer(
        path=ref_path, id="village_id", name="name", commune="commune", province="province",
        population="population"))).villages
    expected = ref.set_index("village_id")["gap_class"].astype(str)
    for i, suffix in enumerate(("xlsx", "csv")):
        got = run(_point_config(cfg, *(files[n][i] for n in (
            "villages", "evn_villages_without_power", "towers", "measurements")))).villages
        got = got.set_index("village_id")["gap_class"].astype(str)
        pd.testing.assert_series_equal(got, expected, check_names=False)
        assert got.to_numpy().tolist() == expected.to_numpy().tolist()
    # and against the demo run on polygons: only villages whose night lights or grid
    # distance differ between the polygon and its centre may change class
    same = (expected.to_numpy() == v["gap_class"].astype(str).to_numpy()).mean()
    assert same > 0.99


def test_config_template_uses_every_section_and_loads_when_filled(demo_config_path, tmp_path):
    import re
    import tomllib

    text = (ROOT / "data" / "config_template.toml").read_text(encoding="utf-8")
    sections = set(tomllib.loads(text))
    every = {f.name for f in dataclasses.fields(load_config(demo_config_path)) if f.name != "base_dir"}
    assert sections == every
    # fill every path with a file of the demo (same role)
    demo = demo_config_path.parent
    fills = {
        "templates/villages.xlsx": "villages.gpkg",
        "layers/worldpop_2020_1km.tif": "population.tif",
        "layers/coverage_viettel_4g.gpkg": "coverage_viettel_4g.geojson",
        "layers/signal_vnpt_4g.tif": "signal_viettel_4g.tif",
        "templates/measurements.xlsx": "towers.csv",
        "templates/towers.xlsx": "towers.csv",
        "templates/evn_villages_without_power.xlsx": "evn_thon_chua_dien.xlsx",
        "layers/grid_mv.gpkg": "grid.gpkg",
        "layers/viirs_2024.tif": "lights.tif",
        "layers/fibre.gpkg": "fibre.geojson",
        "layers/facilities.gpkg": "facilities.gpkg",
        "layers/dem.tif": "dem.tif",
        "templates/complaints.xlsx": "complaints.csv",
    }
    assert set(re.findall(r'path = "([^"]+)"\s+# FILL', text)) == set(fills)
    for old, new in fills.items():
        text = text.replace(f'"{old}"', f'"{(demo / new).as_posix()}"')
    filled = tmp_path / "config.toml"
    filled.write_text(text, encoding="utf-8")
    cfg = load_config(filled)
    assert all(p.is_file() for p in cfg.input_paths())
    assert len(cfg.input_paths()) == len(fills)
    assert [s["name"] for s in cfg.scenarios] == ["4G only", "people first"]
    assert len(cfg.tracking.targets) == 2
