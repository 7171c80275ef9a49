"""The demo's places: communes tiling the province, villages in them, and their facilities."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp.demo.grid import PROVINCE_NAME, WORK_CRS, _dem_transform, _sample
from gisapp.demo.lines import Lines
from gisapp.demo.terrain import Terrain
from gisapp.text import nfc as _nfc

# Invented syllables (Tày/Thái-flavoured first syllables, Kinh words second). Each list is
# unique after removing case and diacritics, so names stay distinct after normalising.
_S1 = ("Khau", "Pù", "Nà", "Nậm", "Phiêng", "Cốc", "Lũng", "Mường", "Tà", "Sán", "Pắc",
       "Huổi", "Kéo", "Khuổi", "Co", "Hát", "Thẳm", "Bó")
_S2 = ("Vân", "Mây", "Ngàn", "Lìn", "Sương", "Chè", "Đá", "Mận", "Khoai", "Lau", "Trúc",
       "Sao", "Gió", "Ráng", "Bưởi", "Quế", "Thông", "Sim", "Hồi", "Lựu", "Nghệ", "Tre")
_PREFIXES = ("Thôn", "Bản", "Xóm")


@dataclass(frozen=True)
class Places:
    """Communes and villages (work CRS) with the villages' settlement points."""

    communes: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    pts: np.ndarray             # settlement points (shapely)
    vx: np.ndarray
    vy: np.ndarray
    pop: np.ndarray             # people per village, int64


def _communes(rng: np.random.Generator, land: Terrain, n_communes: int) -> gpd.GeoDataFrame:
    """Farthest-point seeds starting at the town, Voronoi cells clipped to the province."""
    province, town = land.province, land.town
    inner = province.buffer(-300)
    cand = shapely.points(rng.uniform(*province.bounds[::2], 4000),
                          rng.uniform(*province.bounds[1::2], 4000))
    cand = cand[shapely.contains(inner, cand)]
    cxy = shapely.get_coordinates(cand)
    seeds = [np.array([town.x, town.y])]
    dmin = np.hypot(*(cxy - seeds[0]).T)
    for _ in range(n_communes - 1):
        k = int(np.argmax(dmin))
        seeds.append(cxy[k])
        dmin = np.minimum(dmin, np.hypot(*(cxy - cxy[k]).T))
    seeds_xy = np.array(seeds)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds_xy), extend_to=province,
                                     ordered=True)
    commune_geoms = shapely.intersection(np.array(shapely.get_parts(cells)), province)
    pairs = [f"{a} {b}" for a in _S2 for b in _S2 if a != b]
    pick = rng.choice(len(pairs), n_communes, replace=False)
    commune_names = [_nfc(f"Xã {pairs[i]}") for i in pick]
    return gpd.GeoDataFrame({
        "commune_code": [f"DM{i + 1:03d}" for i in range(n_communes)],
        "name": commune_names, "province": PROVINCE_NAME,
    }, geometry=commune_geoms, crs=WORK_CRS)


def _settlements(rng: np.random.Generator, land: Terrain, lines: Lines,
                 n_villages: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Settlement points: a weighted draw of jittered lattice cells (valleys, roads, town)."""
    province, dem, dem_t = land.province, land.dem, _dem_transform()
    cell = min(750.0, float(np.sqrt(province.area / (2.0 * n_villages))))
    gx, gy = np.meshgrid(np.arange(province.bounds[0], province.bounds[2], cell) + cell / 2,
                         np.arange(province.bounds[1], province.bounds[3], cell) + cell / 2)
    gx, gy = gx.ravel(), gy.ravel()
    ok = shapely.contains_xy(province.buffer(-cell / 2), gx, gy)
    gx, gy = gx[ok], gy[ok]
    elev_g = _sample(dem, dem_t, gx, gy)
    w = (0.04 + 2.0 * np.exp(-_sample(land.d_valley, dem_t, gx, gy) / 1200)
         + 1.0 * np.exp(-_sample(lines.d_road, dem_t, gx, gy) / 2500)
         + 1.5 * np.exp(-_sample(lines.d_town, dem_t, gx, gy) / 4000))
    w *= np.exp(-np.clip(elev_g - 1100, 0, None) / 350)
    idx = np.sort(rng.choice(len(gx), size=n_villages, replace=False, p=w / w.sum()))
    vx = gx[idx] + rng.uniform(-0.2, 0.2, n_villages) * cell
    vy = gy[idx] + rng.uniform(-0.2, 0.2, n_villages) * cell
    return vx, vy, cell


def make_places(rng: np.random.Generator, land: Terrain, lines: Lines, *, n_villages: int,
                n_communes: int) -> Places:
    """Communes, then villages: Voronoi cells of the settlements clipped to a 0.3–1.6 km² disc
    and to their commune, with invented names numbered within commune and syllable pair."""
    province, town = land.province, land.town
    communes = _communes(rng, land, n_communes)
    commune_geoms = communes.geometry.to_numpy()
    commune_names = communes["name"].tolist()
    vx, vy, _ = _settlements(rng, land, lines, n_villages)
    pts = shapely.points(vx, vy)
    vcells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(np.c_[vx, vy]),
                                                        extend_to=province, ordered=True))
    radius = np.sqrt(rng.uniform(0.3e6, 1.6e6, n_villages) / np.pi)
    # commune of each village: the commune cell containing its settlement point
    tree = shapely.STRtree(commune_geoms)
    hit_v, hit_c = tree.query(pts, predicate="intersects")
    commune_of = np.full(n_villages, -1)
    commune_of[hit_v[::-1]] = hit_c[::-1]       # first hit wins on shared edges
    missing = commune_of < 0
    if missing.any():
        commune_of[missing] = tree.query_nearest(pts[missing], all_matches=False)[1]
    # a village lies in one commune: its Voronoi cell, within its disc, within its commune
    vgeom = shapely.intersection(shapely.intersection(vcells, shapely.buffer(pts, radius, quad_segs=16)),
                                 commune_geoms[commune_of])
    vgeom = shapely.make_valid(shapely.set_precision(vgeom, 0.01))

    d_town_v = np.hypot(vx - town.x, vy - town.y)
    pop = rng.lognormal(np.log(230), 0.55, n_villages) * (1 + 1.2 * np.exp(-d_town_v / 6000))
    pop = np.clip(np.round(pop), 80, 900).astype(np.int64)
    prefix = np.array(_PREFIXES)[rng.choice(3, n_villages, p=[0.45, 0.4, 0.15])]
    base = pd.Series([f"{_S1[a]} {_S2[b]}" for a, b in
                      zip(rng.integers(0, len(_S1), n_villages), rng.integers(0, len(_S2), n_villages))])
    # numbered within commune and syllable pair, so names are unique per commune
    number = base.to_frame("b").assign(c=commune_of).groupby(["c", "b"]).cumcount() + 1
    names = [_nfc(f"{p} {b} {n}") for p, b, n in zip(prefix, base, number)]
    villages = gpd.GeoDataFrame({
        "village_id": [f"V{i + 1:04d}" for i in range(n_villages)],
        "name": names,
        "commune": np.array(commune_names, dtype=object)[commune_of],
        "commune_code": communes["commune_code"].to_numpy()[commune_of],
        "province": PROVINCE_NAME,
        "population": pop,
        "elevation_m": np.round(_sample(land.dem, _dem_transform(), vx, vy).astype(np.float64), 1),
    }, geometry=vgeom, crs=WORK_CRS)
    return Places(communes, villages, pts, vx, vy, pop)


def facilities(villages: gpd.GeoDataFrame, pts: np.ndarray) -> gpd.GeoDataFrame:
    """Commune centres and health stations in each commune's largest village, schools in big ones."""
    centre_idx = villages.groupby("commune", sort=True)["population"].idxmax().to_numpy()
    xy = shapely.get_coordinates(pts)
    big = np.flatnonzero(villages["population"].to_numpy()
                         >= np.quantile(villages["population"], 0.8))
    school_idx = np.union1d(big, centre_idx)
    comm = villages["commune"].to_numpy()
    vname = villages["name"].to_numpy()
    rows = (
        [("commune_centre", f"UBND {comm[i]}", comm[i], *xy[i]) for i in centre_idx]
        + [("health_station", f"Trạm y tế {comm[i]}", comm[i], xy[i, 0] + 150, xy[i, 1])
           for i in centre_idx]
        + [("school", f"Trường tiểu học {vname[i].split(' ', 1)[1]}", comm[i],
            xy[i, 0] - 120, xy[i, 1] + 80) for i in school_idx]
    )
    df = pd.DataFrame(rows, columns=["type", "name", "commune", "x", "y"])
    return gpd.GeoDataFrame(df[["type", "name", "commune"]],
                            geometry=shapely.points(df.x, df.y), crs=WORK_CRS)
