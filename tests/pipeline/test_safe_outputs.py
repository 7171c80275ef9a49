"""Issue 4, safe outputs through a whole run (the writers alone are in test_io_export.py).

Here the hostile text comes from an *input file*, goes through :func:`gisapp.run` and
:func:`gisapp.pipeline.run_to_dir` (and the CLI), and must come out inert: text (never an
element) in KML, a leading apostrophe in CSV (village table and summary), a string cell
(never a formula) in Excel, the exact string in GeoJSON and GeoPackage. An interrupted run
leaves no half-written file and no manifest (a folder with a manifest is complete); a rerun
of the same config gives byte-identical tables.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from lxml import etree
from shapely.geometry import Point, box

from gisapp import pipeline
from gisapp import schema as S
from gisapp.cli import main
from gisapp.config import config_from_dict, save_config
from gisapp.io import export
from gisapp.io.export import formats as ex_formats, kml as ex_kml, process as ex_process

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
HOSTILE = [SCRIPT, FORMULA, "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3",
           "Bản Nà Xạ"]
KML = "{http://www.opengis.net/kml/2.2}"
UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_320_000.0


@pytest.fixture
def hostile(tmp_path) -> tuple[Path, dict]:
    """Six villages with hostile names (one commune too), a coverage layer, a null geometry."""
    n = len(HOSTILE)
    geoms = [box(X0 + i * 2000, Y0, X0 + i * 2000 + 1000, Y0 + 1000) for i in range(n)]
    geoms[4] = None                                           # an unknown village too
    geoms[5] = Point(X0 + 10_500, Y0 + 500)
    gpd.GeoDataFrame({"vid": [f"v{i}" for i in range(n)], "ten": HOSTILE,
                      "xa": [FORMULA, FORMULA, SCRIPT, SCRIPT, "Xã Một", "Xã Một"],
                      "dan_so": [10, 20, 30, 40, 50, 60]},
                     geometry=geoms, crs=UTM).to_file(tmp_path / "v.gpkg", layer="villages")
    gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 3000, Y0 + 1000)], crs=UTM).to_crs(4326).to_file(
        tmp_path / "cov.geojson")
    data = {"villages": {"path": "v.gpkg", "id": "vid", "name": "ten", "commune": "xa",
                         "population": "dan_so"},
            "coverage": [{"path": "cov.geojson", "carrier": "Viettel", "technology": "4G"}],
            "options": {"name": f"run {SCRIPT}"}}
    return tmp_path, data


def run_out(folder: Path, data: dict, out: str = "out"):
    return pipeline.run_to_dir(config_from_dict(data, base_dir=folder), folder / out)


def test_kml_text_never_element(hostile):
    folder, data = hostile
    _, paths = run_out(folder, data)
    raw = paths["kml"].read_bytes()
    assert b"<script>" not in raw and b"&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    root = etree.parse(str(paths["kml"])).getroot()
    assert not [el for el in root.iter() if etree.QName(el).localname == "script"]
    names = [pm.findtext(f"{KML}name") for pm in root.iter(f"{KML}Placemark")]
    assert sorted(names) == sorted(HOSTILE)                    # readable, unchanged
    communes = [d.findtext(f"{KML}value") for d in root.iter(f"{KML}Data")
                if d.get("name") == S.COMMUNE]
    assert communes.count(SCRIPT) == 2 and communes.count(FORMULA) == 2


def test_csv_cells_neutralised_and_readable(hostile):
    folder, data = hostile
    _, paths = run_out(folder, data)
    with open(paths["csv"], encoding="utf-8-sig", newline="") as fh:
        rows = {r[S.ID]: r for r in csv.DictReader(fh)}
    assert rows["v0"][S.NAME] == SCRIPT                       # not a formula: unchanged
    assert rows["v1"][S.NAME] == "'" + FORMULA
    assert rows["v2"][S.NAME] == "'" + HOSTILE[2]
    assert rows["v3"][S.NAME] == "'" + HOSTILE[3]
    assert rows["v4"][S.NAME] == "'-2+3"
    assert rows["v5"][S.NAME] == "Bản Nà Xạ"
    assert rows["v0"][S.COMMUNE] == "'" + FORMULA
    # every text cell of the table: nothing a spreadsheet would evaluate
    for r in rows.values():
        for k, v in r.items():
            assert not v.startswith(("=", "+", "@")), (k, v)
            assert not (v.startswith("-") and not _is_number(v)), (k, v)
    with open(paths["summary"], encoding="utf-8-sig", newline="") as fh:
        communes = [r[S.COMMUNE] for r in csv.DictReader(fh)]
    assert "'" + FORMULA in communes and FORMULA not in communes


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


def test_excel_string_cells_never_formulas(hostile):
    folder, data = hostile
    _, paths = run_out(folder, data)
    wb = openpyxl.load_workbook(paths["xlsx"])
    ws = wb["Ranked"]
    header = [c.value for c in ws[2]]              # row 1: the headers people read
    col = header.index(S.NAME) + 1
    cells = {ws.cell(row=i, column=col).value: ws.cell(row=i, column=col)
             for i in range(3, ws.max_row + 1)}
    assert set(cells) == set(HOSTILE)
    for text in (FORMULA, HOSTILE[2], HOSTILE[3], "-2+3"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert cells[SCRIPT].data_type == "s"
    # commune sheets named after hostile communes exist and are plain names
    assert any(name.startswith("=HYPERLINK") for name in wb.sheetnames)
    with zipfile.ZipFile(paths["xlsx"]) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml


def test_geojson_and_gpkg_keep_exact_text(hostile):
    folder, data = hostile
    _, paths = run_out(folder, data)
    feats = json.loads(paths["geojson"].read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"][S.NAME] for f in feats) == sorted(HOSTILE)
    with sqlite3.connect(paths["gpkg"]) as con:
        names = sorted(r[0] for r in con.execute(f"select {S.NAME} from villages"))
    assert names == sorted(HOSTILE)


def test_cli_run_with_hostile_names(hostile, capsys):
    folder, data = hostile
    toml = save_config(config_from_dict(data, base_dir=folder), folder / "run.toml")
    assert main(["run", str(toml), "--out", str(folder / "cli"), "-q"]) == 0
    assert (folder / "cli" / "villages.kml").read_bytes().count(b"<script>") == 0


# ------------------------------------------------------------------- atomic writes in a run


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


def test_interrupted_run_leaves_no_half_file_and_no_manifest(hostile, monkeypatch):
    folder, data = hostile
    real = ex_kml.ET.ElementTree.write

    def half_then_crash(self, file, *args, **kwargs):
        real(self, file, *args, **kwargs)                    # the whole KML is on disk …
        Path(file).write_bytes(Path(file).read_bytes()[:200])   # … then cut short
        raise OSError("No space left on device")

    monkeypatch.setattr(ex_kml.ET.ElementTree, "write", half_then_crash)
    with pytest.raises(OSError, match="No space left"):
        run_out(folder, data)
    out = folder / "out"
    assert not (out / "villages.kml").exists()
    assert not (out / "manifest.json").exists()               # a folder with a manifest is whole
    assert _leftovers(out) == []
    for name in ("villages.gpkg", "villages.geojson", "villages.csv", "villages.xlsx"):
        assert (out / name).stat().st_size > 0                 # the ones before are complete
    json.loads((out / "villages.geojson").read_text(encoding="utf-8"))


def test_interrupted_rerun_keeps_previous_complete_outputs(hostile, monkeypatch):
    folder, data = hostile
    _, paths = run_out(folder, data)
    before = {p.name: p.read_bytes() for p in paths.values()}

    def killed(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise KeyboardInterrupt

    monkeypatch.setattr(openpyxl.Workbook, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        run_out(folder, data)
    out = folder / "out"
    assert _leftovers(out) == []
    assert (out / "villages.xlsx").read_bytes() == before["villages.xlsx"]
    openpyxl.load_workbook(out / "villages.xlsx")             # still a whole workbook


def test_cli_interrupted_exit_130_no_partial(hostile, monkeypatch, capsys):
    folder, data = hostile
    toml = save_config(config_from_dict(data, base_dir=folder), folder / "run.toml")

    def killed(self, filename):
        Path(filename).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(openpyxl.Workbook, "save", killed)
    assert main(["run", str(toml), "--out", str(folder / "cli"), "-q"]) == 130
    assert "interrupted; no partial output was left behind" in capsys.readouterr().err
    out = folder / "cli"
    assert _leftovers(out) == [] and not (out / "villages.xlsx").exists()
    assert not (out / "manifest.json").exists()


# ------------------------------------------------------------------ reproducible reruns


def test_rerun_byte_identical_with_repairs_and_unknowns(hostile):
    """Beyond the demo (test_pipeline): a run with hostile text, a null geometry and a
    point gives the same bytes for every table; Excel and GPKG (which store their own
    timestamps) give the same cells and rows; the manifest differs only in its time."""
    folder, data = hostile
    _, a = run_out(folder, data, "a")
    _, b = run_out(folder, data, "b")
    for fmt in ("csv", "geojson", "kml", "summary"):
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt

    def cells(p):
        wb = openpyxl.load_workbook(p)
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}

    assert cells(a["xlsx"]) == cells(b["xlsx"])

    def rows(p):
        with sqlite3.connect(p) as con:
            return con.execute("select * from villages order by fid").fetchall()

    assert rows(a["gpkg"]) == rows(b["gpkg"])
    ma, mb = (json.loads(p["manifest"].read_text(encoding="utf-8")) for p in (a, b))
    for m in (ma, mb):
        m.pop("created")
        m.pop("outputs")      # hashes of xlsx/gpkg include their internal timestamps
    assert ma == mb


# --------------------------------------------- the Excel workbook in a second process


def _second_process(monkeypatch, then=None) -> list:
    """Make write_all hand the workbook to a second process even for six villages (as it
    does at national size); ``then(process)`` runs right after it started."""
    started = []

    class Spy(ex_process._Process):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)
            if then is not None:
                then(self)

    monkeypatch.setattr(ex_formats, "_Process", Spy)
    monkeypatch.setattr(ex_formats, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setenv("GISAPP_THREADS", "2")
    return started


def test_second_process_gives_the_same_outputs(hostile, monkeypatch):
    folder, data = hostile
    _, here = run_out(folder, data, "here")
    started = _second_process(monkeypatch)
    _, there = run_out(folder, data, "there")
    assert len(started) == 1
    for fmt in ("csv", "geojson", "kml", "summary"):
        assert there[fmt].read_bytes() == here[fmt].read_bytes(), fmt
    with zipfile.ZipFile(here["xlsx"]) as a, zipfile.ZipFile(there["xlsx"]) as b:
        assert a.namelist() == b.namelist()
        assert [n for n in a.namelist()
                if n != "docProps/core.xml" and a.read(n) != b.read(n)] == []
    assert _leftovers(folder / "there") == []


def test_second_process_killed_leaves_no_partial_and_no_manifest(hostile, monkeypatch):
    """The process writing the workbook dies (the OOM killer, say): the run fails with a
    plain message, the workbook is neither there nor half there, and no manifest."""
    folder, data = hostile
    _second_process(monkeypatch, then=lambda p: os.kill(p.pid, signal.SIGKILL))
    with pytest.raises(export.ExportProcessError, match="villages.xlsx ended without an answer"):
        run_out(folder, data)
    out = folder / "out"
    assert not (out / "villages.xlsx").exists() and not (out / "manifest.json").exists()
    assert _leftovers(out) == []
    for p in out.iterdir():
        assert p.stat().st_size > 0


def test_cli_interrupted_stops_second_process(hostile, monkeypatch, capsys):
    folder, data = hostile
    toml = save_config(config_from_dict(data, base_dir=folder), folder / "run.toml")
    started = _second_process(monkeypatch)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ex_formats, "write_kml", killed)
    assert main(["run", str(toml), "--out", str(folder / "cli"), "-q"]) == 130
    assert "interrupted; no partial output was left behind" in capsys.readouterr().err
    out = folder / "cli"
    assert _leftovers(out) == [] and not (out / "villages.xlsx").exists()
    assert not (out / "manifest.json").exists()
    assert started and started[0]._proc.returncode is not None
