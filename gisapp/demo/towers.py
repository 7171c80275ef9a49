"""The demo's towers and their declared coverage (terrain line of sight on a 200 m grid)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from affine import Affine
from rasterio.features import shapes
from scipy import ndimage

from gisapp.demo.folder import _write_tif, _write_vector
from gisapp.demo.grid import (
    _COARSE, _H, _RES, _W, CARRIERS, COVERAGE_DATE, RADIUS_M, VN2000_UTM, WORK_CRS,
    _coarse_transform, _dem_transform, _pixel_centres, _sample,
)
from gisapp.demo.lines import Lines
from gisapp.demo.terrain import Terrain


def _coverage_grid(dem: np.ndarray, dem_t: Affine, ct: Affine, cshape: tuple[int, int],
                   tx: np.ndarray, ty: np.ndarray, height: np.ndarray, radius: float,
                   want_signal: bool, *, n_samples: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Coverage mask (within radius, line of sight clear) and best signal on the coarse grid.

    Line of sight is tested on ``n_samples`` DEM samples along the ray from the antenna
    (ground + height) to a receiver 2 m above ground; obstruction is how far the terrain
    pokes above that ray (m). Covered: distance ≤ radius and obstruction ≤ 35 m. Signal:
    ``-87.5 - 37.6 log10(d_km) - min(0.3 × obstruction, 40)`` dBm within 1.6 × radius.
    """
    mask = np.zeros(cshape, dtype=bool)
    sig = np.full(cshape, -140.0)
    reach = radius * (1.6 if want_signal else 1.0)
    t = np.linspace(0.04, 0.96, n_samples)
    for x, y, h in zip(tx, ty, height):
        c0 = max(int((x - reach - ct.c) / ct.a), 0)
        c1 = min(int((x + reach - ct.c) / ct.a) + 1, cshape[1])
        r0 = max(int((y + reach - ct.f) / ct.e), 0)
        r1 = min(int((y - reach - ct.f) / ct.e) + 1, cshape[0])
        if c0 >= c1 or r0 >= r1:
            continue
        cols = ct.c + (np.arange(c0, c1) + 0.5) * ct.a
        rows = ct.f + (np.arange(r0, r1) + 0.5) * ct.e
        gx, gy = np.meshgrid(cols, rows)
        d = np.hypot(gx - x, gy - y)
        z_tx = float(_sample(dem, dem_t, np.array([x]), np.array([y]))[0]) + h
        z_rx = _sample(dem, dem_t, gx, gy) + 2.0
        sx = x + (gx - x)[..., None] * t
        sy = y + (gy - y)[..., None] * t
        terrain = _sample(dem, dem_t, sx, sy)
        ray = z_tx + (z_rx - z_tx)[..., None] * t
        obstruction = np.clip((terrain - ray).max(axis=-1), 0, None)
        covered = (d <= radius) & (obstruction <= 35.0)
        mask[r0:r1, c0:c1] |= covered
        if want_signal:
            s = -87.5 - 37.6 * np.log10(np.maximum(d, 50.0) / 1000) - np.minimum(0.3 * obstruction, 40)
            s = np.where(d <= reach, s, -140.0)
            np.maximum(sig[r0:r1, c0:c1], s, out=sig[r0:r1, c0:c1])
    return mask, sig


def _coarse_grid() -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    cshape = (int(_H * _RES / _COARSE), int(_W * _RES / _COARSE))
    cX, cY = _pixel_centres(_coarse_transform(), cshape)
    return cshape, cX, cY


def make_towers(rng: np.random.Generator, land: Terrain, lines: Lines,
                n_villages: int) -> pd.DataFrame:
    """Sites near roads and the town, on local high points; 4G more likely near the town.

    Columns ``site_id, carrier, technology, mcc_mnc, height_m, x, y`` (work CRS), one row
    per site and technology.
    """
    dem, dem_t, d_road, d_town, town = land.dem, _dem_transform(), lines.d_road, lines.d_town, land.town
    _, cX, cY = _coarse_grid()
    c_in = shapely.contains_xy(land.province, cX, cY)
    c_elev = _sample(dem, dem_t, cX, cY)
    prominence = c_elev - ndimage.uniform_filter(c_elev, 9)
    tw = (np.exp(-_sample(d_road, dem_t, cX, cY) / 1500) * (1 + 3 * np.exp(-_sample(d_town, dem_t, cX, cY) / 5000))
          * np.exp(np.clip(prominence, -200, 200) / 80) * c_in)
    tw = tw.ravel() / tw.sum()
    n_sites = {"Viettel": n_villages / 11, "VNPT": n_villages / 24, "MobiFone": n_villages / 30}
    tower_rows = []
    for ci, (carrier, mcc) in enumerate(CARRIERS.items()):
        k = max(4, int(round(n_sites[carrier])))
        cells_k = np.sort(rng.choice(tw.size, size=k, replace=False, p=tw))
        sx = cX.ravel()[cells_k] + rng.uniform(-80, 80, k)
        sy = cY.ravel()[cells_k] + rng.uniform(-80, 80, k)
        height = rng.integers(20, 46, k)
        dt = np.hypot(sx - town.x, sy - town.y)
        p4 = np.exp(-dt / 12_000) + 0.25
        is4g = rng.random(k) < np.clip(p4 * 0.75, 0, 0.95)
        for j in range(k):
            sid = f"{carrier[:2].upper()}{j + 1:03d}"
            for tech in ("2G", "4G") if is4g[j] else ("2G",):
                tower_rows.append((sid, carrier, tech, mcc, int(height[j]), sx[j], sy[j]))
    return pd.DataFrame(tower_rows, columns=["site_id", "carrier", "technology", "mcc_mnc",
                                             "height_m", "x", "y"])


def write_coverage(out: Path, land: Terrain, towers: pd.DataFrame) -> list[tuple[str, str, Path]]:
    """Write each carrier's declared 2G/4G coverage and the Viettel 4G signal raster.

    Returns ``(carrier, technology, path)`` of each coverage file, in config order.
    """
    dem, dem_t, ct = land.dem, _dem_transform(), _coarse_transform()
    cshape, cX, cY = _coarse_grid()
    c_in = shapely.contains_xy(land.province, cX, cY)
    coverage_files: list[tuple[str, str, Path]] = []
    signal = None
    for carrier in CARRIERS:
        for tech in ("2G", "4G"):
            sel = towers[(towers.carrier == carrier) & (towers.technology == tech)]
            want_signal = carrier == "Viettel" and tech == "4G"
            mask, sig = _coverage_grid(dem, dem_t, ct, cshape, sel.x.to_numpy(), sel.y.to_numpy(),
                                       sel.height_m.to_numpy(), RADIUS_M[tech], want_signal)
            mask &= c_in
            polys = [shapely.geometry.shape(g) for g, v in
                     shapes(mask.astype(np.uint8), mask=mask, transform=ct) if v == 1]
            geom = shapely.union_all(polys) if polys else shapely.MultiPolygon()
            geom = shapely.simplify(geom, 20.0)
            gdf = gpd.GeoDataFrame({"carrier": [carrier], "technology": [tech],
                                    "mcc_mnc": [CARRIERS[carrier]], "kind": ["declared"],
                                    "date": [COVERAGE_DATE]}, geometry=[geom], crs=WORK_CRS)
            key = f"{carrier.lower()}_{tech.lower()}"
            if carrier == "MobiFone":
                path = out / f"coverage_{key}.gpkg"
                _write_vector(gdf.to_crs(VN2000_UTM), path, layer="coverage")
            else:
                path = out / f"coverage_{key}.geojson"
                _write_vector(gdf, path)
            coverage_files.append((carrier, tech, path))
            if want_signal:
                signal = np.where(c_in, sig, -9999.0).astype(np.float32)
    assert signal is not None
    _write_tif(out / "signal_viettel_4g.tif", signal, ct, WORK_CRS, nodata=-9999.0,
               description="modelled RSRP dBm, Viettel 4G")
    return coverage_files
