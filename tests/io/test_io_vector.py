"""read_vector / read_table: formats, encodings, header rows, CRS and error messages."""

from __future__ import annotations

import logging
import unicodedata
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from dbf_bytes import cp1258, write_dbf

from gisapp.errors import (
    CRSMismatchError, FileTooLargeError, InputError, MissingColumnError, MissingCRSError,
    UnreadableFileError,
)
from gisapp.io.tables import read_table
from gisapp.io.vector import read_vector

NAMES = ["Bản Nà Xạ", "Thôn Đồng Tâm", "Xóm Mường Lò"]
FIELD_VN = "TÊN_XÃ"            # 8 bytes in cp1258 (Ê precomposed, Ã = A + tilde)
FIELD_10 = "TENTHONXA1"        # exactly 10 characters, the DBF maximum


def cp1258_shapefile(folder, *, cpg: str | None):
    shp = folder / "villages.shp"
    pts = gpd.GeoDataFrame({"x": range(len(NAMES))},
                           geometry=shapely.points([[105 + i / 10, 21] for i in range(len(NAMES))]),
                           crs=4326)
    pts.to_file(shp)
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    write_dbf(shp.with_suffix(".dbf"), [(cp1258(FIELD_VN), 40), (FIELD_10.encode(), 40)],
              [[cp1258(n), cp1258(n)] for n in NAMES])
    if cpg is not None:
        shp.with_suffix(".cpg").write_text(cpg)
    return shp


@pytest.mark.parametrize("cpg", ["1258", "CP1258", "windows-1258"])
def test_cp1258_shapefile_with_cpg_keeps_last_character(tmp_path, cpg):
    shp = cp1258_shapefile(tmp_path, cpg=cpg)
    gdf = read_vector(shp)
    assert list(gdf.columns[:2]) == [FIELD_VN, FIELD_10]
    assert gdf[FIELD_VN].tolist() == NAMES
    assert gdf[FIELD_10].tolist() == NAMES
    assert all(unicodedata.is_normalized("NFC", n) for n in gdf[FIELD_VN])


def test_cp1258_shapefile_without_cpg_detected_and_logged(tmp_path, caplog):
    shp = cp1258_shapefile(tmp_path, cpg=None)
    with caplog.at_level(logging.WARNING):
        gdf = read_vector(shp)
    assert gdf[FIELD_VN].tolist() == NAMES
    assert list(gdf.columns[:2]) == [FIELD_VN, FIELD_10]
    assert "has no .cpg file; its text was decoded as cp1258" in caplog.text


def test_encoding_argument_for_shapefile_without_cpg(tmp_path):
    shp = cp1258_shapefile(tmp_path, cpg=None)
    assert read_vector(shp, encoding="windows-1258")[FIELD_10].tolist() == NAMES


def test_utf8_shapefile_roundtrip(tmp_path):
    gdf = gpd.GeoDataFrame({"ten": NAMES}, geometry=shapely.points([[105, 21]] * 3), crs=4326)
    gdf.to_file(tmp_path / "u.shp", encoding="utf-8")
    assert read_vector(tmp_path / "u.shp")["ten"].tolist() == NAMES


def test_read_table_dbf_cp1258(tmp_path):
    shp = cp1258_shapefile(tmp_path, cpg="1258")
    df = read_table(shp.with_suffix(".dbf"), required=[FIELD_10])
    assert df[FIELD_10].tolist() == NAMES and "geometry" not in df.columns


def test_zipped_shapefile(tmp_path):
    shp = cp1258_shapefile(tmp_path, cpg="1258")
    z = tmp_path / "villages.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in tmp_path.glob("villages.*"):
            if f.suffix != ".zip":
                zf.write(f, f"data/{f.name}")
    gdf = read_vector(z)
    assert gdf[FIELD_10].tolist() == NAMES and gdf.crs.to_epsg() == 4326 and len(gdf) == 3


def test_zip_with_two_layers_asks_which(tmp_path):
    pts = gpd.GeoDataFrame({"a": [1]}, geometry=shapely.points([[105, 21]]), crs=4326)
    pts.to_file(tmp_path / "one.geojson")
    pts.to_file(tmp_path / "two.geojson")
    z = tmp_path / "both.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(tmp_path / "one.geojson", "one.geojson")
        zf.write(tmp_path / "two.geojson", "two.geojson")
    with pytest.raises(InputError, match=r"the zip holds 2 layers \(one, two\)"):
        read_vector(z)
    assert len(read_vector(z, layer="two")) == 1


def test_zip_with_escaping_entry_is_refused(tmp_path):
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../x.geojson", "{}")
    with pytest.raises(InputError, match="points outside"):
        read_vector(z)


def test_geoparquet(tmp_path):
    gdf = gpd.GeoDataFrame({"ten": [unicodedata.normalize("NFD", NAMES[0])]},
                           geometry=shapely.points([[500000, 2300000]]), crs=3405)
    gdf.to_parquet(tmp_path / "v.parquet")
    out = read_vector(tmp_path / "v.parquet")
    assert out.crs.to_epsg() == 3405
    assert out["ten"].iloc[0] == NAMES[0]          # NFC-normalised


def test_gpkg_layer_choice(tmp_path):
    p = tmp_path / "m.gpkg"
    pts = gpd.GeoDataFrame({"a": [1]}, geometry=shapely.points([[105, 21]]), crs=4326)
    pts.to_file(p, layer="alpha")
    pts.to_file(p, layer="beta")
    with pytest.raises(InputError, match=r"has 2 layers \(alpha, beta\); say which one"):
        read_vector(p)
    assert len(read_vector(p, layer="beta")) == 1


def test_csv_semicolon_comma_decimals_bom(tmp_path):
    p = tmp_path / "v.csv"
    text = ("Tên thôn;Kinh_Do;Vi_Do;Dân số\n"
            "Bản Nà Xạ;105,23;21,5;120\n"
            "Thôn Đồng Tâm;;21,6;80\n"            # missing longitude: kept, no geometry
            "Xóm Mường Lò;abc;21,7;1.234,5\n")
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gdf = read_vector(p)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.columns[0] == "Tên thôn"             # BOM stripped
    assert len(gdf) == 3
    assert gdf.geometry.iloc[0].x == pytest.approx(105.23)
    assert gdf.geometry.iloc[0].y == pytest.approx(21.5)
    assert gdf.geometry.iloc[1] is None and gdf.geometry.iloc[2] is None
    assert gdf["Dân số"].tolist() == [120.0, 80.0, 1234.5]


def test_csv_cp1258_text_detected(tmp_path):
    p = tmp_path / "v.csv"
    p.write_bytes(b"name,lon,lat\n" + cp1258(NAMES[1]) + b",105.1,21.2\n")
    gdf = read_vector(p)
    assert gdf["name"].tolist() == [NAMES[1]]


def test_tsv_and_leading_zero_ids_stay_text(tmp_path):
    p = tmp_path / "v.tsv"
    p.write_text("id\tlng\tlatitude\n001\t105.1\t21.2\n002\t105.2\t21.3\n", encoding="utf-8")
    gdf = read_vector(p)
    assert gdf["id"].tolist() == ["001", "002"]
    assert gdf.geometry.x.tolist() == [105.1, 105.2]


def test_xlsx_with_three_title_rows(tmp_path):
    p = tmp_path / "v.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH THÔN BẢN TRẮNG SÓNG"])
    ws.append(["Tỉnh Sơn La, tháng 6/2025"])
    ws.append([None])
    ws.append(["STT", "Tên thôn", "Kinh độ", "Vĩ độ"])
    ws.append([1, "Bản Nà Xạ", 104.1, 21.3])
    ws.append([2, "Thôn Đồng Tâm", 104.2, 21.4])
    wb.save(p)
    gdf = read_vector(p, lon="Kinh độ", lat="Vĩ độ")
    assert gdf["Tên thôn"].tolist() == NAMES[:2]
    assert gdf.geometry.x.tolist() == [104.1, 104.2]
    # without naming the columns: first mostly-text row followed by data
    df = read_table(p)
    assert list(df.columns) == ["STT", "Tên thôn", "Kinh độ", "Vĩ độ"] and len(df) == 2


def test_xlsx_detects_lon_lat_names(tmp_path):
    p = tmp_path / "v.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Báo cáo"])
    ws.append(["name", "LONGITUDE", "Latitude"])
    ws.append(["a", "105,5", "21,25"])
    wb.save(p)
    gdf = read_vector(p)
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == (105.5, 21.25)


def test_csv_projected_with_crs(tmp_path):
    p = tmp_path / "l93.csv"
    p.write_text("x;y\n652000;6862000\n", encoding="utf-8")
    gdf = read_vector(p, crs="EPSG:2154")
    assert gdf.crs.to_epsg() == 2154


def test_metres_labelled_as_degrees(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("lon,lat\n500000,2300000\n", encoding="utf-8")
    with pytest.raises(CRSMismatchError, match=r"v\.csv.*not degrees"):
        read_vector(p, role="villages")


def test_missing_crs_message(tmp_path):
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=shapely.points([[500000, 2300000]]))
    gdf.to_file(tmp_path / "nocrs.shp")
    with pytest.raises(MissingCRSError,
                       match=r"layer 'villages' / file '.*nocrs\.shp': the layer has no coordinate"):
        read_vector(tmp_path / "nocrs.shp", role="villages")
    assert read_vector(tmp_path / "nocrs.shp", crs="EPSG:3405").crs.to_epsg() == 3405


def test_missing_and_empty_and_too_large(tmp_path):
    with pytest.raises(UnreadableFileError, match=r"nothere\.gpkg.*does not exist"):
        read_vector(tmp_path / "nothere.gpkg")
    (tmp_path / "empty.geojson").write_bytes(b"")
    with pytest.raises(UnreadableFileError, match=r"empty\.geojson.*empty \(0 bytes\)"):
        read_vector(tmp_path / "empty.geojson")
    big = tmp_path / "big.csv"
    big.write_bytes(b"lon,lat\n" + b"105,21\n" * 200_000)
    with pytest.raises(FileTooLargeError, match=r"1\.3 MB, over the limit of 1 MB"):
        read_vector(big, max_mb=1)


def test_malformed_geojson(tmp_path):
    p = tmp_path / "bad.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"bad\.geojson.*not valid GeoJSON"):
        read_vector(p)
    q = tmp_path / "list.json"
    q.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="valid JSON but not GeoJSON"):
        read_vector(q)


def test_unreadable_gpkg(tmp_path):
    p = tmp_path / "junk.gpkg"
    p.write_bytes(b"this is not sqlite" * 10)
    with pytest.raises(UnreadableFileError, match=r"junk\.gpkg.*GDAL cannot"):
        read_vector(p)


def test_missing_column_suggests_closest(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("name,longitude,latitude\na,105,21\n", encoding="utf-8")
    with pytest.raises(MissingColumnError,
                       match=r"no column 'longitud'\. Available columns: name, longitude, "
                             r"latitude\. Did you mean 'longitude'\?"):
        read_vector(p, lon="longitud", lat="latitude")
    with pytest.raises(MissingColumnError, match="Did you mean 'name'"):
        read_table(p, required=["nam"])


def test_caller_frame_not_needed_and_rangeindex(tmp_path):
    p = tmp_path / "v.geojson"
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=shapely.points([[105, 21], [106, 22]]),
                           crs=4326, index=[10, 20])
    gdf.to_file(p)
    out = read_vector(p)
    assert list(out.index) == [0, 1] and out["a"].tolist() == [1, 2]
    assert np.allclose(out.geometry.x, [105, 106])


def test_read_table_csv_pipe_separator(tmp_path):
    p = tmp_path / "list.txt"
    p.write_text("xã|thôn|điện\nA|B|có\nA|C|không\n", encoding="utf-8")
    df = read_table(p, required=["thôn"])
    assert list(df.columns) == ["xã", "thôn", "điện"] and df["điện"].tolist() == ["có", "không"]
    assert isinstance(df, pd.DataFrame)
