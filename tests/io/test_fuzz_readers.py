"""Issue 4, fuzzing the readers: generated and mutated GeoJSON and CSV files.

:func:`gisapp.io.vector.read_vector` and :func:`gisapp.io.tables.read_table` must either
return a frame or raise a :class:`gisapp.errors.GisappError` (whose message names the
file); any other exception is a bug in the readers. Inputs are valid files built by
hypothesis and then broken: structurally (odd JSON values where geometry, coordinates or
properties belong) and byte-wise (truncation, deletion, insertion, replacement, random
encodings). Bounded: 200 examples per test, no per-example deadline, a few seconds each.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gisapp.errors import GisappError
from gisapp.io.tables import read_table
from gisapp.io.vector import read_vector

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# --------------------------------------------------------------------------- values

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=12)
lon = st.floats(102.0, 110.0)
lat = st.floats(8.0, 23.5)
position = st.tuples(lon, lat).map(list)


@st.composite
def good_geometry(draw):
    kind = draw(st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint"]))
    if kind == "Point":
        return {"type": kind, "coordinates": draw(position)}
    if kind in ("LineString", "MultiPoint"):
        return {"type": kind, "coordinates": draw(st.lists(position, min_size=2, max_size=5))}
    x, y = draw(lon), draw(lat)
    d = draw(st.floats(0.001, 0.1))
    return {"type": kind, "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d],
                                           [x, y]]]}


bad_geometry = st.one_of(
    st.none(), json_value,
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "Polygon", "MultiPolygon",
                                                     "GeometryCollection", "Circle", ""]),
                           "coordinates": json_value}),
    st.fixed_dictionaries({"type": st.just("Polygon"),
                           "coordinates": st.lists(st.lists(position, max_size=3), max_size=2)}),
    st.fixed_dictionaries({"type": st.just("Point"),
                           "coordinates": st.lists(st.floats(), min_size=0, max_size=4)}),
)


@st.composite
def feature(draw):
    geom = draw(st.one_of(good_geometry(), good_geometry(), bad_geometry))
    props = draw(st.one_of(
        st.fixed_dictionaries({"name": text, "pop": st.one_of(st.integers(-5, 10**6), text,
                                                               st.none())}),
        st.dictionaries(text, json_value, max_size=4), st.none(), json_value))
    f: dict = {"type": draw(st.sampled_from(["Feature", "Feature", "Feature", "feature", ""])),
               "geometry": geom, "properties": props}
    if draw(st.booleans()):
        f["id"] = draw(json_value)
    return f


@st.composite
def geojson_doc(draw) -> bytes:
    feats = draw(st.lists(feature(), max_size=6))
    doc: dict = {"type": draw(st.sampled_from(["FeatureCollection"] * 4 + ["Feature", "Topology"])),
                 "features": feats}
    if draw(st.booleans()):
        doc["crs"] = draw(st.one_of(
            json_value, st.just({"type": "name", "properties": {"name": "EPSG:3405"}}),
            st.just({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}})))
    return json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True).encode("utf-8")


@st.composite
def mutated(draw, base) -> bytes:
    """A valid-ish file, then 0-3 byte-level mutations."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["truncate", "delete", "insert", "replace", "dup"]))
        n = len(data)
        i = draw(st.integers(0, max(n - 1, 0)))
        if op == "truncate":
            data = data[:i]
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 8))]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "replace" and n:
            data[i] = draw(st.integers(0, 255))
        elif op == "dup":
            data[i:i] = data[i:i + draw(st.integers(1, 16))]
    return bytes(data)


@st.composite
def csv_doc(draw) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.sampled_from([["name", "lon", "lat", "pop"], ["Tên thôn", "Kinh độ", "Vĩ độ"],
                                   ["id", "x", "y"], ["a", "b"]]))
    cell = st.one_of(lon.map(lambda v: f"{v:.5f}"), lat.map(lambda v: f"{v:.5f}".replace(".", ",")),
                     st.integers(-10, 10**6).map(str), text, st.just(""), st.just("=1+1"),
                     st.just('"quoted, cell"'))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 2), max_size=8))
    titles = draw(st.lists(text, max_size=2))
    lines = [t for t in titles] + [sep.join(header)] + [sep.join(r) for r in rows]
    body = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin1"]))
    return body.encode(enc, errors="replace")


# --------------------------------------------------------------------------- tests


def _only_gisapp_errors(read, payload: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory(prefix="gisapp-fuzz-") as tmp:
        p = Path(tmp) / f"fuzz{suffix}"
        p.write_bytes(payload)
        try:
            out = read(p)
        except GisappError as exc:
            assert "fuzz" in str(exc), str(exc)          # the message names the file
            return
        assert isinstance(out, pd.DataFrame)
        if isinstance(out, gpd.GeoDataFrame):
            assert out.crs is not None
        assert out.index.equals(pd.RangeIndex(len(out)))


@FUZZ
@given(mutated(geojson_doc()))
def test_fuzz_geojson_read_vector(payload):
    _only_gisapp_errors(lambda p: read_vector(p, role="villages"), payload, ".geojson")


@FUZZ
@given(mutated(csv_doc()))
def test_fuzz_csv_read_vector(payload):
    _only_gisapp_errors(lambda p: read_vector(p, role="villages"), payload, ".csv")


@FUZZ
@given(mutated(csv_doc()))
def test_fuzz_csv_read_table(payload):
    _only_gisapp_errors(lambda p: read_table(p, role="electricity list"), payload, ".csv")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_fuzz_raw_bytes(payload):
    for suffix, read in ((".geojson", read_vector), (".csv", read_vector), (".csv", read_table),
                         (".json", read_vector), (".tsv", read_table)):
        _only_gisapp_errors(read, payload, suffix)


@pytest.mark.parametrize("payload", [
    b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point",'
    b'"coordinates":["a","b"]},"properties":{}}]}',
    b'{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon",'
    b'"coordinates":[[[105,21],[105,21]]]},"properties":{"name":null}}]}',
    b'{"type":"FeatureCollection","features":[null, 1, "x"]}',
    b'{"type":"FeatureCollection","features":{}}',
    b'{"type":"Feature","geometry":null,"properties":{"a":{"b":[1,2]}}}',
    b'{"type":"FeatureCollection","features":[]}',
    b"\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[]}",
    b'{"type":"Point","coordinates":[1e400, NaN]}',
], ids=["text-coordinates", "degenerate-ring", "non-object-features", "features-object",
        "nested-properties", "no-features", "bom", "nan-inf"])
def test_geojson_oddities(payload):
    """Hand-picked cases the fuzzer found or that are known to trip GDAL."""
    _only_gisapp_errors(lambda p: read_vector(p, role="villages"), payload, ".geojson")
