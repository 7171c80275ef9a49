"""The demo's lines: roads along the valleys, the 22 kV grid along fewer of them, fibre."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
import shapely.ops

from gisapp.demo.grid import _H, _W, WORK_CRS, _dem_transform, _distance_m
from gisapp.demo.terrain import Terrain


@dataclass(frozen=True)
class Lines:
    """Roads, grid and fibre (work CRS) and the distance rasters the later steps use."""

    roads: gpd.GeoDataFrame
    grid: gpd.GeoDataFrame
    fibre: gpd.GeoDataFrame
    d_road: np.ndarray          # metres to the nearest road, DEM grid
    d_town: np.ndarray          # metres to the town, DEM grid


def _substring(line: shapely.LineString, fraction: float) -> shapely.Geometry | None:
    if fraction <= 0:
        return None
    return shapely.ops.substring(line, 0.0, fraction, normalized=True)


def make_lines(rng: np.random.Generator, land: Terrain) -> Lines:
    """Roads follow the main river and part of some tributaries; the grid the main road and
    fewer, shorter branches, so remote valleys are far from it."""
    main_river, tribs = land.main_river, land.tribs
    has_road = rng.random(len(tribs)) > 0.3
    road_frac = np.where(has_road, rng.uniform(0.5, 1.0, len(tribs)), 0.0)
    grid_frac = np.where(rng.random(len(tribs)) < 0.75, road_frac * rng.uniform(0.6, 1.0, len(tribs)),
                         0.0)
    road_geoms = [main_river] + [
        _substring(line, f) for line, f in zip(tribs, road_frac)]
    road_kind = ["provincial road"] + ["commune road"] * len(tribs)
    roads = gpd.GeoDataFrame({"kind": road_kind}, geometry=road_geoms, crs=WORK_CRS)
    roads = roads[~roads.geometry.isna()].reset_index(drop=True)
    main_grid = shapely.ops.substring(main_river, 0.04, 0.96, normalized=True)
    grid_geoms = [main_grid] + [_substring(line, f) for line, f in zip(tribs, grid_frac)]
    grid_geoms = [shapely.offset_curve(g, 150.0) for g in grid_geoms if g is not None]
    grid = gpd.GeoDataFrame({"voltage_kv": np.full(len(grid_geoms), 22, dtype=np.int64),
                             "owner": "EVN (synthetic)"}, geometry=grid_geoms, crs=WORK_CRS)
    order = np.argsort(-road_frac)
    fibre_geoms = [main_river] + [_substring(tribs[i], road_frac[i]) for i in order[:3]]
    fibre = gpd.GeoDataFrame({"operator": ["Viettel", "VNPT", "Viettel", "VNPT"][: len(fibre_geoms)]},
                             geometry=[g for g in fibre_geoms], crs=WORK_CRS)
    fibre = fibre[~fibre.geometry.isna()].reset_index(drop=True)
    d_road = _distance_m(list(roads.geometry), _dem_transform(), (_H, _W))
    d_town = np.hypot(land.X - land.town.x, land.Y - land.town.y)
    return Lines(roads, grid, fibre, d_road, d_town)
