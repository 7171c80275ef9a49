"""Synthetic inputs for the benchmarks, at province (``small``) or national size.

Everything is generated in code from a seed and cached under ``benchmarks/out/<size>/``
(gitignored); a second call with the same size reuses the files. The layout mirrors a
real run: villages as polygons in EPSG:4326 (so the run reprojects them), signal rasters
per carrier × technology as tiled, deflate-compressed float32 GeoTIFF on a 100 m grid in
UTM 48N, a population raster (people per pixel, 500 m grid), coverage polygons per
carrier (discs around towers, ragged edges), medium-voltage grid lines, and drive-test
measurement points (CSV: lon, lat, carrier, technology, RSRP, time; issue 14). A
``config.toml`` beside the files lets :func:`gisapp.pipeline.run` read them.

Sizes (:data:`SIZES`): ``small`` is a province (2,000 villages, 2,000 × 2,000 px),
``national`` the country (100,000 villages, 16,000 × 6,000 px per layer).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

__all__ = ["Size", "SIZES", "OUT", "generate", "write_measurements"]

log = logging.getLogger(__name__)

OUT = Path(__file__).resolve().parent / "out"
UTM = "EPSG:32648"
_VERSION = 2   # bump when the generated data change, so caches are rebuilt


@dataclass(frozen=True)
class Size:
    """One benchmark size."""

    n_villages: int
    rows: int
    cols: int
    res_m: float
    layers: tuple[tuple[str, str], ...]          # signal rasters, (carrier, technology)
    coverage_carriers: tuple[str, ...]           # coverage polygon layers, 4G per carrier
    n_towers: int                                # coverage discs per carrier
    n_grid_lines: int
    pop_res_m: float = 500.0
    seed: int = 7
    n_measurements: int = 0                      # drive-test points over the whole grid


_CARRIERS = ("Viettel", "VNPT", "MobiFone")
SIZES: dict[str, Size] = {
    "small": Size(2_000, 2_000, 2_000, 100.0,
                  tuple((c, t) for c in _CARRIERS for t in ("4G", "2G")),
                  _CARRIERS, 300, 200, n_measurements=20_000),
    # national: 2 signal layers by default (each 9.6e7 px, 384 MB as float32 in memory);
    # the first pays for indexing the villages, the second shows the cost of a further one
    "national": Size(100_000, 6_000, 16_000, 100.0,
                     (("Viettel", "4G"), ("VNPT", "4G")),
                     ("Viettel",), 15_000, 10_000, n_measurements=1_000_000),
}

_X0, _YTOP = 100_000.0, 2_600_000.0      # upper-left corner of the grid, UTM 48N


def _villages(size: Size, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Star-shaped (always valid) irregular polygons; 3 % are slivers under one pixel."""
    n = size.n_villages
    w, h = size.cols * size.res_m, size.rows * size.res_m
    cx = _X0 + rng.uniform(0.01, 0.99, n) * w
    cy = _YTOP - rng.uniform(0.01, 0.99, n) * h
    # typical hamlets 0.1–6 km²; a few tiny ones to exercise sub-pixel fractions
    r = np.exp(rng.uniform(np.log(180), np.log(1400), n))
    tiny = rng.random(n) < 0.03
    r[tiny] = rng.uniform(8, 45, tiny.sum())
    k = 16
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False) + rng.uniform(0, 2 * np.pi, (n, 1))
    ang.sort(axis=1)
    rad = r[:, None] * rng.uniform(0.6, 1.3, (n, k))
    ring = np.stack([cx[:, None] + rad * np.cos(ang), cy[:, None] + rad * np.sin(ang)], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    n_communes = max(2, n // 60)
    commune = rng.integers(0, n_communes, n)
    gdf = gpd.GeoDataFrame(
        {
            "village_id": [f"V{i:06d}" for i in range(n)],
            "name": [f"Thôn {i}" for i in range(n)],
            "commune": [f"Xã {c}" for c in commune],
            "province": [f"Tỉnh {c // 30}" for c in commune],
        },
        geometry=geoms, crs=UTM,
    )
    return gdf.to_crs(4326)


def write_measurements(size: Size, path: Path, villages: gpd.GeoDataFrame) -> Path:
    """``size.n_measurements`` drive-test points (EPSG:4326 CSV): 80 % within about 400 m
    of a random village's centre (drive tests go where people live), 20 % anywhere on the
    grid; three carriers, 4G/3G/2G, RSRP N(−100, 12) dBm, times over the year before
    2025-06-01; from their own generator (``[seed, 14]``), so the other inputs are the same
    with or without them."""
    rng = np.random.default_rng([size.seed, 14])
    n = size.n_measurements
    x = _X0 + rng.uniform(0, 1, n) * size.cols * size.res_m
    y = _YTOP - rng.uniform(0, 1, n) * size.rows * size.res_m
    near = rng.random(n) < 0.8
    c = villages.to_crs(UTM).geometry.centroid.get_coordinates().to_numpy()
    pick = rng.integers(0, len(c), int(near.sum()))
    x[near] = c[pick, 0] + rng.normal(0, 400.0, len(pick))
    y[near] = c[pick, 1] + rng.normal(0, 400.0, len(pick))
    lon, lat = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=UTM).to_crs(4326).get_coordinates().to_numpy().T
    day = np.datetime64("2025-06-01") - rng.integers(0, 365, n).astype("timedelta64[D]")
    import pandas as pd
    pd.DataFrame({
        "lon": np.round(lon, 6), "lat": np.round(lat, 6),
        "carrier": np.array(_CARRIERS, dtype=object)[rng.integers(0, 3, n)],
        "technology": np.array(["4G", "3G", "2G"], dtype=object)[rng.choice(3, n, p=[0.6, 0.2, 0.2])],
        "rsrp_dbm": np.round(rng.normal(-100.0, 12.0, n), 1),
        "time": np.datetime_as_string(day, unit="D"),
    }).to_csv(path, index=False)
    return path


def _bilinear(coarse: np.ndarray, rows: slice, n_rows: int, n_cols: int) -> np.ndarray:
    """Rows ``rows`` of ``coarse`` bilinearly upsampled to (n_rows, n_cols), float32."""
    cy, cx = coarse.shape

    def weights(n: int, m: int, idx: np.ndarray) -> np.ndarray:
        pos = (idx + 0.5) * (m - 1) / n
        i0 = np.clip(np.floor(pos).astype(int), 0, m - 2)
        f = pos - i0
        wmat = np.zeros((len(idx), m), dtype=np.float32)
        wmat[np.arange(len(idx)), i0] = 1 - f
        wmat[np.arange(len(idx)), i0 + 1] = f
        return wmat

    wy = weights(n_rows, cy, np.arange(rows.start, rows.stop))
    wx = weights(n_cols, cx, np.arange(n_cols))
    return (wy @ coarse.astype(np.float32)) @ wx.T


def _write_raster(path: Path, size: Size, rng: np.random.Generator, *, kind: str) -> None:
    """A smooth field written block-row by block-row (never the whole grid at once)."""
    if kind == "signal":
        rows, cols, res = size.rows, size.cols, size.res_m
        coarse = rng.uniform(0, 1, (max(4, rows // 60), max(4, cols // 60)))
    else:
        rows = int(size.rows * size.res_m / size.pop_res_m)
        cols = int(size.cols * size.res_m / size.pop_res_m)
        res = size.pop_res_m
        coarse = rng.gamma(0.6, 1.0, (max(4, rows // 12), max(4, cols // 12)))
    profile = dict(driver="GTiff", width=cols, height=rows, count=1, dtype="float32",
                   crs=UTM, transform=from_origin(_X0, _YTOP, res, res), nodata=np.nan,
                   tiled=True, blockxsize=512, blockysize=512, compress="deflate", predictor=3,
                   BIGTIFF="IF_SAFER")
    tmp = path.with_suffix(".tmp")
    with rasterio.open(tmp, "w", **profile) as dst:
        for r0 in range(0, rows, 512):
            sl = slice(r0, min(rows, r0 + 512))
            f = _bilinear(coarse, sl, rows, cols)
            if kind == "signal":
                # -130 … -55 dBm, quantised to 0.25 dB like planning-tool output
                block = np.round((-130.0 + 75.0 * f) * 4) / 4
                # nodata: a triangle in the upper-left corner (sea / outside the model)
                rr = np.arange(sl.start, sl.stop)[:, None]
                cc = np.arange(cols)[None, :]
                block[(rr / rows + cc / cols) < 0.05] = np.nan
            else:
                block = np.round(f * 40.0 * (res / 100.0) ** 2 / 25.0, 1)
            dst.write(block.astype(np.float32), 1, window=((sl.start, sl.stop), (0, cols)))
    tmp.rename(path)


def _coverage(size: Size, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Ragged discs (48 vertices, radius 2–8 km ± 15 %) around random towers."""
    n, k = size.n_towers, 48
    w, h = size.cols * size.res_m, size.rows * size.res_m
    cx = _X0 + rng.uniform(0, w, (n, 1))
    cy = _YTOP - rng.uniform(0, h, (n, 1))
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)
    rad = rng.uniform(2000, 8000, (n, 1)) * np.clip(1 + 0.15 * rng.standard_normal((n, k)), 0.5, 1.5)
    ring = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return gpd.GeoDataFrame(geometry=shapely.polygons(ring), crs=UTM)


def _grid_lines(size: Size, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Random-walk medium-voltage lines of 10 vertices, 2–20 km long."""
    n, k = size.n_grid_lines, 10
    w, h = size.cols * size.res_m, size.rows * size.res_m
    start = np.stack([_X0 + rng.uniform(0, w, n), _YTOP - rng.uniform(0, h, n)], axis=-1)
    steps = rng.normal(0, 1500, (n, k - 1, 2))
    coords = np.concatenate([start[:, None, :], start[:, None, :] + np.cumsum(steps, axis=1)], axis=1)
    return gpd.GeoDataFrame(geometry=shapely.linestrings(coords), crs=UTM)


def _config(size: Size) -> str:
    lines = [
        '[villages]', 'path = "villages.gpkg"', 'layer = "villages"', 'id = "village_id"',
        'name = "name"', 'commune = "commune"', 'province = "province"', '',
        '[options]', 'name = "benchmark (synthetic data)"', f'crs = "{UTM}"', 'synthetic = true', '',
        '[population_raster]', 'path = "population.tif"', '',
    ]
    for c in size.coverage_carriers:
        lines += ['[[coverage]]', f'path = "coverage_{c.lower()}_4g.gpkg"', f'carrier = "{c}"',
                  'technology = "4G"', 'kind = "declared"', '']
    for c, t in size.layers:
        lines += ['[[signal_rasters]]', f'path = "signal_{c.lower()}_{t.lower()}.tif"',
                  f'carrier = "{c}"', f'technology = "{t}"', 'kind = "modelled"', '']
    lines += ['[electricity.grid]', 'path = "grid.gpkg"', '']
    if size.n_measurements:
        lines += ['[[measurements]]', 'path = "measurements.csv"', 'lon = "lon"', 'lat = "lat"',
                  'crs = "EPSG:4326"', 'signal = "rsrp_dbm"', 'time = "time"', '',
                  '[measurement_rules]', 'as_of = "2025-06-01"', '']
    return "\n".join(lines)


def generate(size_name: str, *, out: Path = OUT, force: bool = False) -> Path:
    """Generate (or reuse) the inputs of one size; returns the folder's ``config.toml``.

    Parameters
    ----------
    size_name
        A key of :data:`SIZES`.
    out
        Cache root; the files go in ``out/<size_name>/``.
    force
        Regenerate even when a complete cache with the same parameters exists.
    """
    size = SIZES[size_name]
    folder = out / size_name
    stamp = folder / "generated.json"
    want = {"version": _VERSION, **asdict(size)}
    if not force and stamp.is_file() and json.loads(stamp.read_text()) == json.loads(json.dumps(want)):
        return folder / "config.toml"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(size.seed)
    t0 = time.perf_counter()
    villages = _villages(size, rng)
    villages.to_file(folder / "villages.gpkg", layer="villages", engine="pyogrio")
    log.info("villages written (%.1f s)", time.perf_counter() - t0)
    for c, t in size.layers:
        _write_raster(folder / f"signal_{c.lower()}_{t.lower()}.tif", size, rng, kind="signal")
        log.info("signal %s %s written (%.1f s)", c, t, time.perf_counter() - t0)
    _write_raster(folder / "population.tif", size, rng, kind="population")
    for c in size.coverage_carriers:
        _coverage(size, rng).to_file(folder / f"coverage_{c.lower()}_4g.gpkg", engine="pyogrio")
    _grid_lines(size, rng).to_file(folder / "grid.gpkg", engine="pyogrio")
    if size.n_measurements:
        write_measurements(size, folder / "measurements.csv", villages)
    (folder / "config.toml").write_text(_config(size), encoding="utf-8")
    stamp.write_text(json.dumps(want))
    log.info("%s inputs generated in %.1f s", size_name, time.perf_counter() - t0)
    return folder / "config.toml"
