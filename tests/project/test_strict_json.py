"""Issue 12, finding 4: every .json the project writes is strict JSON (no NaN/Infinity)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from gisapp.cli import main
from gisapp.io import export


def _refuse(name: str):
    raise ValueError(f"not JSON: {name}")


def _strict_load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse)


@pytest.fixture(scope="module")
def demo_outputs(demo_config_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("strict")
    assert main(["run", str(demo_config_path), "--out", str(out / "run")]) == 0
    assert main(["plan", str(demo_config_path), "--out", str(out / "plan")]) == 0
    return out


def test_every_json_of_the_demo_run_and_plan_is_strict(demo_outputs):
    files = sorted(p for p in demo_outputs.rglob("*") if p.suffix in (".json", ".geojson"))
    names = {p.relative_to(demo_outputs).as_posix() for p in files}
    assert {"run/manifest.json", "plan/manifest.json"} <= names, names
    for p in files:
        _strict_load(p)                   # raises on NaN / Infinity / -Infinity


def test_manifest_writes_non_finite_numbers_as_null(tmp_path):
    target = export.write_manifest(
        {"a": math.inf, "b": [1.0, -math.inf, float("nan")], "c": {"d": np.float32("nan")},
         "e": np.float64(2.5), "f": (np.int64(3), np.inf)}, tmp_path / "manifest.json")
    doc = _strict_load(target)
    assert doc == {"a": None, "b": [1.0, None, None], "c": {"d": None}, "e": 2.5,
                   "f": [3, None]}


def test_geojson_properties_write_infinity_as_null(tmp_path):
    gdf = gpd.GeoDataFrame({"village_id": ["A", "B"], "ratio": [np.inf, 1.5],
                            "mixed": [-np.inf, "x"]},
                           geometry=[Point(105, 21), Point(105.1, 21)], crs=4326)
    doc = _strict_load(export.write_geojson(gdf, tmp_path / "v.geojson"))
    props = [f["properties"] for f in doc["features"]]
    assert props[0]["ratio"] is None and props[1]["ratio"] == 1.5
    assert props[0]["mixed"] is None
