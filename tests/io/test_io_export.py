"""Writers: every format re-read by a different library; injection stays inert; atomic."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from lxml import etree

from gisapp import schema
from gisapp.errors import InputError
from gisapp.io import export
from gisapp.io.export import (
    common as ex_common, formats as ex_formats, geojson as ex_geojson, kml as ex_kml,
    process as ex_process, xlsx as ex_xlsx,
)
from gisapp.io.export import (
    write_all, write_csv, write_geojson, write_gpkg, write_kml, write_manifest, write_xlsx,
)

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    square = shapely.box(105.0, 21.0, 105.01, 21.01)
    holed = shapely.Polygon(shapely.box(105.1, 21.0, 105.2, 21.1).exterior.coords,
                            [shapely.box(105.12, 21.02, 105.14, 21.04).exterior.coords])
    multi = shapely.MultiPolygon([shapely.box(105.3, 21.0, 105.31, 21.01),
                                  shapely.box(105.32, 21.0, 105.33, 21.01)])
    point = shapely.Point(105.123456789, 21.987654321)
    return gpd.GeoDataFrame(
        {
            schema.ID: ["v1", "v2", "v3", "v4"],
            schema.NAME: [SCRIPT, FORMULA, "Bản Nà Xạ", "-1+2"],
            schema.COMMUNE: ["Xã Mường Lạn", "Xã Mường Lạn", "Xã [A]/B:C*?", None],
            schema.POP: [120.0, np.nan, 80.0, 33.0],
            schema.GAP_CLASS: ["no_signal", "no_power_no_signal", "served", "no_signal"],
            schema.PRIORITY_RANK: [2.0, 1.0, np.nan, 3.0],
            schema.CENTRE_ANY: pd.array([True, None, False, False], dtype="boolean"),
        },
        geometry=[square, holed, multi, point], crs=4326,
    )


@pytest.fixture
def summary() -> pd.DataFrame:
    return pd.DataFrame({"level": ["commune", "province"], schema.COMMUNE: ["Xã Mường Lạn", None],
                         "villages": [2, 4]})


def test_gpkg_read_back_with_sqlite(tmp_path, villages):
    p = write_gpkg(villages, tmp_path / "v.gpkg")
    con = sqlite3.connect(p)
    try:
        (n,) = con.execute("SELECT count(*) FROM villages").fetchone()
        names = [r[0] for r in con.execute(f"SELECT {schema.NAME} FROM villages ORDER BY fid")]
        (srs,) = con.execute("SELECT srs_id FROM gpkg_geometry_columns "
                             "WHERE table_name='villages'").fetchone()
    finally:
        con.close()
    assert n == 4 and names == [SCRIPT, FORMULA, "Bản Nà Xạ", "-1+2"] and srs == 4326


def test_geojson_rfc7946(tmp_path, villages):
    p = write_geojson(villages.to_crs(3405), tmp_path / "v.geojson")
    doc = json.loads(p.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    feats = doc["features"]
    assert [f["properties"][schema.NAME] for f in feats] == [SCRIPT, FORMULA, "Bản Nà Xạ", "-1+2"]
    assert feats[1]["properties"][schema.POP] is None
    assert feats[1]["properties"][schema.CENTRE_ANY] is None
    lon, lat = feats[3]["geometry"]["coordinates"]
    assert (lon, lat) == pytest.approx((105.1234568, 21.9876543), abs=2e-7)  # lon first
    assert len(repr(lon).split(".")[1]) <= 7
    assert feats[1]["geometry"]["type"] == "Polygon" and len(feats[1]["geometry"]["coordinates"]) == 2
    assert feats[2]["geometry"]["type"] == "MultiPolygon"
    ring = shapely.LinearRing(feats[0]["geometry"]["coordinates"][0])
    assert ring.is_ccw                                        # RFC 7946 right-hand rule
    assert feats[0]["id"] == "v1"


def test_csv_bom_no_geometry_and_formula_neutralised(tmp_path, villages):
    p = write_csv(villages, tmp_path / "v.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(p, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "geometry" not in rows[0]
    assert rows[0][schema.NAME] == SCRIPT
    assert rows[1][schema.NAME] == "'" + FORMULA
    assert rows[3][schema.NAME] == "'-1+2"
    assert rows[2][schema.NAME] == "Bản Nà Xạ"
    assert rows[0][schema.POP] == "120.0"                   # numbers untouched
    neg = pd.DataFrame({"x": [-5.0], "s": ["@SUM(A1)"]})
    with open(write_csv(neg, tmp_path / "n.csv"), encoding="utf-8-sig") as fh:
        assert list(csv.reader(fh))[1] == ["-5.0", "'@SUM(A1)"]


def test_xlsx_sheets_and_inert_formulas(tmp_path, villages, summary):
    p = write_xlsx(villages, summary, tmp_path / "v.xlsx", title="Synthetic data — demo")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames[:2] == ["Summary", "Ranked"]
    communes = wb.sheetnames[2:-1]
    assert communes == ["Xã Mường Lạn", "Xã _A__B_C__", "(none)"]
    assert wb.sheetnames[-1] == "Giải thích cột"               # the column dictionary
    assert all(len(s) <= 31 for s in wb.sheetnames)
    s = wb["Summary"]
    assert s["A1"].value == "Synthetic data — demo" and s["A3"].value == "Cấp"
    assert s["A4"].value == "level"
    assert s.freeze_panes == "A5"
    r = wb["Ranked"]
    assert r.freeze_panes == "A3"
    header = [c.value for c in r[2]]
    assert "geometry" not in header
    name_col = header.index(schema.NAME) + 1
    assert r.cell(row=1, column=name_col).value == "Tên thôn"
    names = [r.cell(row=i, column=name_col).value for i in range(3, 7)]
    assert names == [FORMULA, SCRIPT, "-1+2", "Bản Nà Xạ"]   # by rank, unranked last
    cell = r.cell(row=3, column=name_col)
    assert cell.data_type == "s" and cell.quotePrefix          # text, not a formula
    assert r.column_dimensions["A"].width >= 8
    assert wb["Xã Mường Lạn"].max_row == 4
    # raw XML: the formula string never appears inside an <f> element
    import zipfile
    with zipfile.ZipFile(p) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml


def test_xlsx_sheet_names_unique_after_sanitising(tmp_path, villages, summary):
    v = villages.copy()
    v[schema.COMMUNE] = ["A" * 40, "A" * 41, "summary", "A/B"]
    wb = openpyxl.load_workbook(write_xlsx(v, summary, tmp_path / "u.xlsx"))
    names = wb.sheetnames
    assert len({n.lower() for n in names}) == len(names) == 7      # + the dictionary
    assert "A" * 31 in names and ("A" * 27 + " (2)") in names and "summary (2)" in names


def test_kml_structure_and_escaping(tmp_path, villages):
    p = write_kml(villages.to_crs(3405), tmp_path / "v.kml")
    raw = p.read_bytes()
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw
    root = etree.parse(str(p)).getroot()
    assert root.tag == f"{KML}kml"
    folders = root.findall(f"{KML}Document/{KML}Folder")
    counts = {f.findtext(f"{KML}name"): len(f.findall(f"{KML}Placemark")) for f in folders}
    assert counts == {"Chưa điện, chưa sóng": 1, "Chưa có sóng": 2, "Đã có điện và sóng": 1}
    assert not list(root.iter("script"))                  # text, never an element
    pms = {pm.findtext(f"{KML}name"): pm for pm in root.iter(f"{KML}Placemark")}
    assert set(pms) == {SCRIPT, FORMULA, "Bản Nà Xạ", "-1+2"}
    holed = pms[FORMULA]
    assert len(holed.findall(f"{KML}Polygon/{KML}innerBoundaryIs")) == 1
    assert len(pms["Bản Nà Xạ"].findall(f"{KML}MultiGeometry/{KML}Polygon")) == 2
    coords = pms["-1+2"].findtext(f"{KML}Point/{KML}coordinates")
    lon, lat = map(float, coords.split(","))
    assert (lon, lat) == pytest.approx((105.1234568, 21.9876543), abs=2e-7)
    assert pms[SCRIPT].findtext(f"{KML}styleUrl") == "#gap_no_signal"
    styles = {s.get("id") for s in root.findall(f"{KML}Document/{KML}Style")}
    assert {f"gap_{g}" for g in schema.GapClass} == styles
    data = {d.get("name"): d.findtext(f"{KML}value")
            for d in pms[SCRIPT].findall(f"{KML}ExtendedData/{KML}Data")}
    assert data[schema.COMMUNE] == "Xã Mường Lạn" and data[schema.POP] == "120.0"
    # child order inside Placemark follows the KML 2.2 schema
    order = [etree.QName(c).localname for c in holed]
    assert order == ["name", "description", "styleUrl", "ExtendedData", "Polygon"]


@pytest.mark.parametrize("writer,suffix", [(write_csv, "csv"), (write_geojson, "geojson"),
                                           (write_kml, "kml")])
def test_byte_identical_twice(tmp_path, villages, writer, suffix):
    a = writer(villages, tmp_path / f"a.{suffix}").read_bytes()
    b = writer(villages.copy(), tmp_path / f"b.{suffix}").read_bytes()
    assert a == b and len(a) > 100


def test_interrupted_write_leaves_nothing(tmp_path, villages, summary, monkeypatch):
    target = tmp_path / "v.csv"

    def broken_to_csv(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("half,a,row")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(OSError, match="disk full"):
        write_csv(villages, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_keeps_previous_file(tmp_path, villages, monkeypatch):
    target = tmp_path / "v.kml"
    write_kml(villages, target)
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("killed midway")

    monkeypatch.setattr(ex_kml.ET.ElementTree, "write", boom)
    with pytest.raises(RuntimeError, match="killed midway"):
        write_kml(villages.iloc[:1], target)
    assert target.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["v.kml"]


def test_interrupted_gpkg_write(tmp_path, villages, monkeypatch):
    import pyogrio

    real = pyogrio.write_dataframe

    def half(df, path, **kw):
        real(df.iloc[:1], path, **kw)
        raise RuntimeError("crash after the first row")

    monkeypatch.setattr(pyogrio, "write_dataframe", half)
    with pytest.raises(RuntimeError, match="crash after"):
        write_gpkg(villages, tmp_path / "v.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_caller_frame_unchanged(tmp_path, villages, summary):
    before = villages.copy()
    write_all(villages, summary, {"version": "x"}, tmp_path)
    pd.testing.assert_frame_equal(villages, before)


def test_write_all_and_manifest(tmp_path, villages, summary):
    manifest = {"version": "0.1", "config": {"a": 1}}
    out = write_all(villages.to_crs(3405), summary, manifest, tmp_path / "out", title="demo")
    assert set(out) == {"gpkg", "geojson", "csv", "xlsx", "kml", "summary", "columns",
                        "manifest"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "columns.csv", "manifest.json", "summary.csv", "villages.csv", "villages.geojson",
        "villages.gpkg", "villages.kml", "villages.xlsx"]
    m = json.loads(out["manifest"].read_text(encoding="utf-8"))
    assert m["config"] == {"a": 1} and "outputs" not in manifest
    assert m["outputs"]["villages.csv"] == export.file_sha256(out["csv"])
    assert m["column_dictionary"] == "columns.csv"
    assert len(m["outputs"]) == 7
    d = pd.read_csv(out["columns"], encoding="utf-8-sig")
    assert set(d["table"]) == {"villages", "summary"}
    assert set(villages.columns.drop("geometry")) <= set(d.loc[d["table"] == "villages", "column"])
    with pytest.raises(ValueError, match="unknown export format"):
        write_all(villages, summary, manifest, tmp_path / "x", formats=("shp",))


def test_empty_frame_writes_headers(tmp_path, villages, summary):
    empty = villages.iloc[:0]
    with open(write_csv(empty, tmp_path / "e.csv"), encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh))[0] == schema.ID
    assert json.loads(write_geojson(empty, tmp_path / "e.geojson").read_text())["features"] == []
    root = etree.parse(str(write_kml(empty, tmp_path / "e.kml"))).getroot()
    assert root.findall(f"{KML}Document/{KML}Folder") == []
    wb = openpyxl.load_workbook(write_xlsx(empty, summary, tmp_path / "e.xlsx", lang="en"))
    assert wb.sheetnames == ["Summary", "Ranked", "Columns"]


def test_manifest_and_sha(tmp_path):
    p = write_manifest({"b": 1, "a": "Đ"}, tmp_path / "m.json")
    assert p.read_text(encoding="utf-8") == '{\n  "a": "Đ",\n  "b": 1\n}\n'
    import hashlib
    assert export.file_sha256(p) == hashlib.sha256(p.read_bytes()).hexdigest()


# --- bulk writers give exactly what the one-object-per-cell writers gave ----------------

EDGE_TEXT = ["a\rb", "\tx", " lead", "&<>\"' q", "bad\x01\ufffechar", "", None, "=1+1", "-3"]


@pytest.fixture
def edge() -> gpd.GeoDataFrame:
    """Every kind of value and geometry the bulk writers treat separately."""
    n = len(EDGE_TEXT)
    geoms = [shapely.box(0, 0, 1, 1), None, shapely.Point(105.123456789, 21.1),
             shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)]),
             shapely.LineString([(0, 0), (1, 1)]), shapely.Polygon(),
             shapely.Polygon(shapely.box(0, 0, 10, 10).exterior.coords,
                             [shapely.box(1, 1, 2, 2).exterior.coords]),
             shapely.GeometryCollection([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])]),
             shapely.box(-1, -1, -0.5, -0.5)]
    return gpd.GeoDataFrame({
        schema.ID: [f"v{i}" for i in range(n)],
        schema.NAME: EDGE_TEXT,
        schema.COMMUNE: ["C1", "C1", None, "C/2", "C1", "A" * 40, "A" * 41, "C1", None],
        schema.POP: [1.0, np.nan, 1e300, -0.0, 1e20, 0.1, 1 / 3, 5.0, 2.5],
        schema.GAP_CLASS: ["no_signal", "served", None, "weird", "no_power", "no_signal",
                           "served", "unknown", "no_signal"],
        schema.PRIORITY_RANK: pd.array([3, None, 1, 1, 2, None, 5, 4, 2], dtype="Int64"),
        "mixed": pd.Series([True, 1, 1.0, "x", None, np.nan, "=A1", 2**60, False], dtype=object),
        "b": np.array([True, False] * 4 + [True]),
        "bb": pd.array([True, None, False] * 3, dtype="boolean"),
        "f32": np.arange(n, dtype=np.float32) / 3,
        "i64": np.arange(n, dtype=np.int64) * 10**12,
        schema.WHY: EDGE_TEXT[::-1],
    }, geometry=geoms, crs=4326)


def _cells(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: ([[(c.value, c.data_type, c.quotePrefix, c.number_format) for c in row]
                        for row in ws.iter_rows()], ws.freeze_panes,
                       {k: d.width for k, d in ws.column_dimensions.items()})
            for ws in wb}, wb.sheetnames


def test_xlsx_bulk_cells_equal_openpyxl_cells(tmp_path, edge, summary, monkeypatch):
    edge = edge.copy()
    edge.loc[2, schema.POP] = np.inf
    monkeypatch.setattr(ex_xlsx, "_XLSX_CHUNK", 2)             # rows across chunks
    fast = write_xlsx(edge, summary, tmp_path / "fast.xlsx", title="T & <t>")

    def refuse(*args, **kwargs):
        raise ex_xlsx._NeedsOpenpyxl("forced")

    monkeypatch.setattr(ex_xlsx, "_write_fast_sheets", refuse)
    slow = write_xlsx(edge, summary, tmp_path / "slow.xlsx", title="T & <t>")
    a, b = _cells(fast), _cells(slow)
    assert a == b
    ranked = a[0]["Ranked"][0]
    name = ranked[1].index((schema.NAME, "s", False, "General"))
    assert [r[name][0] for r in ranked[2:5]] == [" lead", "&<>\"' q", "badchar"]  # 1, 1, 2
    assert ("=1+1", "s", True, "General") in [r[name] for r in ranked]


def test_xlsx_dates_take_the_openpyxl_path(tmp_path, villages, summary):
    v = villages.assign(when=pd.date_range("2024-01-01", periods=4))
    wb = openpyxl.load_workbook(write_xlsx(v, summary, tmp_path / "d.xlsx"))
    ws = wb["Ranked"]
    col = [c.value for c in ws[2]].index("when") + 1
    assert ws.cell(row=3, column=col).value == pd.Timestamp("2024-01-02").to_pydatetime()


def _reference_kml(gdf: gpd.GeoDataFrame) -> bytes:
    """The KML as one ElementTree of the whole document (the writer before streaming)."""
    import io
    import xml.etree.ElementTree as ET

    from gisapp.i18n.columns import column_label
    from gisapp.io.export.words import display, why_in

    def k(tag):
        return f"{KML}{tag}"

    def sub(parent, tag, text=None, **attrib):
        el = ET.SubElement(parent, k(tag), attrib)
        if text is not None:
            el.text = ex_common._XML_ILLEGAL.sub("", str(text))
        return el

    def geom(parent, g):
        if g.geom_type in ("Point", "LineString"):
            sub(sub(parent, g.geom_type), "coordinates", ex_kml._coords(g))
        elif g.geom_type == "Polygon":
            poly = sub(parent, "Polygon")
            sub(sub(sub(poly, "outerBoundaryIs"), "LinearRing"), "coordinates",
                ex_kml._coords(g.exterior))
            for ring in g.interiors:
                sub(sub(sub(poly, "innerBoundaryIs"), "LinearRing"), "coordinates",
                    ex_kml._coords(ring))
        else:
            multi = sub(parent, "MultiGeometry")
            for part in shapely.get_parts(g):
                geom(multi, part)

    root = ET.Element(k("kml"))
    doc = sub(root, "Document")
    sub(doc, "name", "gisapp: Các thôn")
    for gap, colour in export.GAP_COLOURS.items():
        style = sub(doc, "Style", id=f"gap_{gap}")
        sub(sub(style, "IconStyle"), "color", colour)
        line = sub(style, "LineStyle")
        sub(line, "color", colour)
        sub(line, "width", "1.5")
        sub(sub(style, "PolyStyle"), "color", "80" + colour[2:])
    gaps = [ex_common._plain(v) for v in gdf[schema.GAP_CLASS]]
    keys = ["unknown" if v is None else str(v) for v in gaps]
    order = {str(g): i for i, g in enumerate(schema.GAP_ORDER)}
    desc = [schema.ID, schema.COMMUNE, schema.POP, schema.GAP_CLASS, schema.WHY,
            schema.PRIORITY_RANK]
    why_vi = why_in(gdf, "vi")          # the description's why is in the reader's language
    for fv in sorted(set(keys), key=lambda v: (order.get(v, len(order)), v)):
        folder = sub(doc, "Folder")
        sub(folder, "name", ex_kml.folder_name(schema.GAP_CLASS, fv, "vi"))
        for i in [i for i, key in enumerate(keys) if key == fv]:
            row = gdf.iloc[i]
            pm = sub(folder, "Placemark")
            label = ex_common._plain(row[schema.NAME])
            sub(pm, "name", "" if label is None else label)
            sub(pm, "description", ex_kml.description_html(
                [(column_label(c, "vi"), display(c, why_vi.iloc[i] if c == schema.WHY else row[c], "vi"))
                 for c in desc]))
            if str(gaps[i]) in set(map(str, export.GAP_COLOURS)):
                sub(pm, "styleUrl", f"#gap_{gaps[i]}")
            ext = sub(pm, "ExtendedData")
            for c in desc:
                v = ex_common._json_value(row[c])
                sub(sub(ext, "Data", name=c), "value", "" if v is None else v)
            g = gdf.geometry.iloc[i]
            if g is not None and not g.is_empty:
                geom(pm, g)
    tree = ET.ElementTree(root)
    ET.indent(tree, space=" ")
    buf = io.BytesIO()
    tree.write(buf, encoding="UTF-8", xml_declaration=True)
    return buf.getvalue()


def test_kml_stream_equals_one_elementtree(tmp_path, edge, monkeypatch):
    monkeypatch.setattr(ex_kml, "_KML_CHUNK", 2)
    got = write_kml(edge, tmp_path / "e.kml").read_bytes()
    assert got == _reference_kml(edge)
    assert b"&lt;&gt;\"' q" in got and b"\x01" not in got
    etree.fromstring(got)                                      # well-formed


def test_geojson_stream_equals_json_dumps(tmp_path, edge, monkeypatch):
    monkeypatch.setattr(ex_geojson, "_GEOJSON_CHUNK", 2)
    got = write_geojson(edge, tmp_path / "e.geojson").read_text(encoding="utf-8")
    feats = []
    for i in range(len(edge)):
        props = {c: ex_common._json_value(edge[c].iloc[i]) for c in edge.columns if c != "geometry"}
        f = {"type": "Feature", "id": props[schema.ID], "properties": props, "geometry": None}
        text = json.dumps(f, ensure_ascii=False, allow_nan=False, default=str)
        g = edge.geometry.iloc[i]
        if g is not None and not g.is_empty:
            g = shapely.orient_polygons(shapely.transform(g, lambda c: np.round(c, 7)),
                                        exterior_cw=False)
            text = text[:-len("null}")] + shapely.to_geojson(g) + "}"
        feats.append(text)
    assert got == '{"type":"FeatureCollection","features":[\n' + ",\n".join(feats) + "\n]}\n"
    assert json.loads(got)["features"][0]["properties"][schema.NAME] == "a\rb"


# --- the Excel workbook in a second process (write_all at national size) ---------------


class Processes(list):
    """The second processes ``write_formats`` starts; :meth:`force` starts one for any table."""

    def __init__(self, monkeypatch) -> None:
        super().__init__()
        self.monkeypatch = monkeypatch
        started = self

        class Spy(ex_process._Process):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                started.append(self)

        monkeypatch.setattr(ex_formats, "_Process", Spy)

    def force(self) -> None:
        self.monkeypatch.setattr(ex_formats, "PARALLEL_MIN_ROWS", 0)
        self.monkeypatch.setenv("GISAPP_THREADS", "2")


@pytest.fixture
def processes(monkeypatch) -> Processes:
    return Processes(monkeypatch)


class FailsElsewhere:
    """A cell value that is plain text in the test's process and misbehaves in any other
    (``busy``: a file it creates before it hangs)."""

    def __init__(self, how: str, busy: Path | None = None) -> None:
        self.how, self.pid, self.busy = how, os.getpid(), busy

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self.how == "die" and os.getpid() != self.pid:   # killed as it gets the job
            os.kill(os.getpid(), signal.SIGKILL)

    def __str__(self) -> str:
        if os.getpid() != self.pid:
            if self.how == "raise":
                raise InputError("a cell cannot be written", path="v.gpkg", layer="villages")
            if self.how == "hang":
                self.busy.touch()
                time.sleep(120)
        return "fine"


def _xlsx_parts(path) -> dict[str, bytes]:
    """Every part of a workbook but docProps/core.xml (which holds the time of writing)."""
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"}


def _gpkg_rows(path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT * FROM villages ORDER BY fid").fetchall()
    finally:
        con.close()


def _dot_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


def test_small_tables_stay_in_this_process(tmp_path, villages, summary, processes,
                                             monkeypatch):
    assert export.PARALLEL_MIN_ROWS > 4000             # the demo (at most 4,000) never forks
    write_all(villages, summary, {}, tmp_path)
    processes.force()
    write_all(villages, summary, {}, tmp_path, formats=("xlsx",))   # nothing to do meanwhile
    write_all(villages, summary, {}, tmp_path, formats=("csv", "kml"))     # no workbook
    monkeypatch.setenv("GISAPP_THREADS", "1")                 # one core: nothing to share
    write_all(villages, summary, {}, tmp_path)
    assert processes == []


def test_second_process_writes_the_same_files(tmp_path, edge, summary, processes):
    here = write_all(edge, summary, {"run": 1}, tmp_path / "here", title="T & <t>")
    processes.force()
    there = write_all(edge, summary, {"run": 1}, tmp_path / "there", title="T & <t>")
    assert len(processes) == 1 and processes[0].pid != os.getpid()
    assert list(there) == list(here)
    for fmt in ("csv", "geojson", "kml", "summary"):
        assert there[fmt].read_bytes() == here[fmt].read_bytes(), fmt
    assert _xlsx_parts(there["xlsx"]) == _xlsx_parts(here["xlsx"])  # sheets, cells, styles
    assert _cells(there["xlsx"]) == _cells(here["xlsx"])
    assert _gpkg_rows(there["gpkg"]) == _gpkg_rows(here["gpkg"])
    assert _dot_files(tmp_path / "there") == []
    m = json.loads(there["manifest"].read_text(encoding="utf-8"))
    assert m["outputs"]["villages.xlsx"] == export.file_sha256(there["xlsx"])


def test_error_in_second_process_raised_here_unchanged(tmp_path, edge, summary, processes):
    processes.force()
    v = edge.assign(odd=[FailsElsewhere("raise")] * len(edge))
    out = tmp_path / "out"
    with pytest.raises(InputError,
                       match=r"^layer 'villages' / file 'v.gpkg': a cell cannot be written") as e:
        write_all(v, summary, {}, out, formats=("csv", "geojson", "xlsx"))
    assert len(processes) == 1
    assert e.value.path == "v.gpkg" and e.value.layer == "villages"
    assert "raised in the export process" in "".join(e.value.__notes__)
    assert not (out / "villages.xlsx").exists() and not (out / "manifest.json").exists()
    assert _dot_files(out) == []
    if (out / "villages.geojson").exists():                 # written meanwhile: whole
        json.loads((out / "villages.geojson").read_text(encoding="utf-8"))


def test_second_process_killed(tmp_path, edge, summary, processes):
    processes.force()
    v = edge.assign(odd=[FailsElsewhere("die")] * len(edge))
    out = tmp_path / "out"
    with pytest.raises(export.ExportProcessError,
                       match=r"^the process writing villages.xlsx ended without an answer \(killed by signal 9; "):
        write_all(v, summary, {}, out, formats=("csv", "xlsx"))
    assert not (out / "villages.xlsx").exists() and not (out / "manifest.json").exists()
    assert _dot_files(out) == []


def test_interrupt_here_stops_second_process(tmp_path, edge, summary, processes, monkeypatch):
    """Ctrl-C while the second process is busy writing: it is stopped, nothing is left."""
    processes.force()
    busy = tmp_path / "busy"
    v = edge.assign(odd=[FailsElsewhere("hang", busy)] * len(edge))   # two minutes' work

    def interrupted(*args, **kwargs):
        for _ in range(300):                                 # until it is at work
            if busy.exists():
                raise KeyboardInterrupt
            time.sleep(0.1)
        raise AssertionError("the second process never started its work")

    monkeypatch.setattr(ex_formats, "write_csv", interrupted)
    out = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        write_all(v, summary, {}, out, formats=("csv", "xlsx"))
    assert time.monotonic() - start < 20                    # not the two minutes
    assert processes[0]._proc.returncode is not None         # ended, not left running
    assert list(out.iterdir()) == []


def test_unpicklable_table_written_in_this_process(tmp_path, edge, summary, processes):
    processes.force()
    v = edge.assign(odd=[lambda: 0] * len(edge))             # pickle cannot send a lambda
    paths = write_all(v, summary, {}, tmp_path, formats=("csv", "xlsx"))
    assert processes == [] and paths["xlsx"].exists()
