"""Issue 12, finding 2: distance layers obey the overlap rule, and distances are right
wherever the villages are (per UTM zone when one zone's projection is off scale)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point

import gisapp
from gisapp import schema as S
from gisapp.config import config_from_dict
from gisapp.errors import NoOverlapError

GEOD = Geod(ellps="WGS84")


def _villages(folder, lonlat) -> None:
    gpd.GeoDataFrame({"vid": [f"V{i}" for i in range(len(lonlat))]},
                     geometry=[Point(x, y) for x, y in lonlat], crs=4326).to_file(
        folder / "villages.gpkg")


def test_villages_near_paris_with_a_vietnamese_grid_are_refused(tmp_path):
    _villages(tmp_path, [(2.35, 48.85), (2.40, 48.80), (2.30, 48.90)])
    gpd.GeoDataFrame(geometry=[LineString([(105.0, 21.0), (105.5, 21.2)])], crs=4326).to_file(
        tmp_path / "luoi_dien.gpkg")
    cfg = config_from_dict({"villages": {"path": "villages.gpkg", "id": "vid"},
                            "electricity": {"grid": {"path": "luoi_dien.gpkg"}}},
                           base_dir=tmp_path)
    with pytest.raises(NoOverlapError, match=r"layer 'grid' / file '.*luoi_dien\.gpkg'.*"
                                             r"does not overlap the villages"):
        gisapp.run(cfg)


def _geodesic_to_line(lon, lat, line: LineString) -> float:
    """Geodesic metres from a point to a lon/lat polyline, densified along geodesics."""
    pts = []
    xy = list(line.coords)
    for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:]):
        pts += [(x0, y0), *GEOD.npts(x0, y0, x1, y1, 2000), (x1, y1)]
    lo, la = np.array(pts).T
    _, _, d = GEOD.inv(np.full(len(lo), lon), np.full(len(la), lat), lo, la)
    return float(d.min())


def test_villages_spanning_three_utm_zones_get_geodesic_distances(tmp_path):
    """Villages in zones 31N, 32N and 33N (0.2°E … 17.8°E): one UTM zone is 1 % off
    scale at the edges; measured per zone, each distance is within 0.5 % of pyproj.Geod."""
    villages = [(0.2, 10.0), (9.0, 10.3), (17.8, 10.1), (3.1, 9.8), (14.9, 10.4)]
    _villages(tmp_path, villages)
    # a grid line 20-40 km north-east of every village
    lines = [LineString([(x + 0.15, y + 0.2), (x + 0.35, y + 0.3), (x + 0.5, y + 0.1)])
             for x, y in villages]
    gpd.GeoDataFrame(geometry=lines, crs=4326).to_file(tmp_path / "grid.gpkg")
    cfg = config_from_dict({"villages": {"path": "villages.gpkg", "id": "vid"},
                            "electricity": {"grid": {"path": "grid.gpkg"}}},
                           base_dir=tmp_path)
    r = gisapp.run(cfg)
    got = r.villages.set_index(S.ID)[S.DIST_GRID_M]
    for i, (x, y) in enumerate(villages):
        want = min(_geodesic_to_line(x, y, ln) for ln in lines)
        assert abs(got[f"V{i}"] - want) / want < 0.005, (i, got[f"V{i}"], want)
    d = json.loads(json.dumps(r.manifest["distances"]))
    assert d["method"] == "utm_zones"
    assert set(d["zones"]) == {"EPSG:32631", "EPSG:32632", "EPSG:32633"}
    assert d["max_scale_error_pct"] > 0.3 and "UTM zone" in d["why"]


def test_villages_in_one_zone_keep_the_run_crs(tmp_path):
    _villages(tmp_path, [(105.0, 21.0), (105.3, 21.2)])
    gpd.GeoDataFrame(geometry=[LineString([(105.1, 21.1), (105.2, 21.3)])], crs=4326).to_file(
        tmp_path / "grid.gpkg")
    r = gisapp.run(config_from_dict({"villages": {"path": "villages.gpkg", "id": "vid"},
                                     "electricity": {"grid": {"path": "grid.gpkg"}}},
                                    base_dir=tmp_path))
    assert r.manifest["distances"]["method"] == "crs"
    assert r.manifest["distances"]["crs"] == "EPSG:32648"
