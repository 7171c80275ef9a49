"""The built-in demo province: a fictional, clearly *synthetic* mountainous province.

Everything here is generated in code from one seed (:func:`generate_demo`), so the
demo is reproducible, needs no download, and carries no real place's facts. The
province, its communes and villages have invented names built from syllable pairs
plus a number ("Bản Khau Vân 3"); the geography sits at the latitude of Vietnam's
north-western mountains (about 21.4–22.0° N, 103.6–104.2° E) but the terrain,
rivers, roads, grid, towers and people are all made up.

What is written (all beside ``config.toml``; every vector file has a column
``source = "synthetic demo"``, every raster a ``SOURCE`` tag, and ``README.txt``
says how the data were made):

=========================  ===============================  ================
file                       content                          CRS
=========================  ===============================  ================
``dem.tif``                elevation, m (100 m pixels)      EPSG:32648
``villages.gpkg``          village polygons + attributes    EPSG:3405 (VN-2000)
``communes.gpkg``          commune polygons (display only)  EPSG:4326
``population.tif``         people per pixel (~0.001°)       EPSG:4326
``towers.csv``             sites, lon/lat columns           EPSG:4326
``coverage_*.geojson``     Viettel and VNPT 2G/4G           EPSG:4326
``coverage_mobifone_*.gpkg``  MobiFone 2G/4G                EPSG:3405
``signal_viettel_4g.tif``  modelled RSRP, dBm (200 m)       EPSG:32648
``lights.tif``             night-time lights radiance       EPSG:4326
``grid.gpkg``              22 kV lines                      EPSG:3405
``evn_thon_chua_dien.xlsx``  the utility's village list     —
``fibre.geojson``          fibre routes                     EPSG:4326
``facilities.gpkg``        schools, health stations ...     EPSG:32648
``roads.gpkg``             roads (display only)             EPSG:32648
=========================  ===============================  ================

How it is made (all vectorised with numpy; Python loops run only over the ~10
valleys, 15 communes and a few hundred towers):

* terrain: 1/f² fractal noise plus a few broad massifs, with a meandering main river
  and tributary valleys carved in (distance transform of the rasterised valley lines);
  rescaled to 200–2,400 m;
* roads follow the main river and some tributaries (part of the way); the 22 kV grid
  follows the main road and fewer, shorter branches, so remote valleys are far from it;
* villages are weighted draws of cells of a jittered lattice (more along valleys and
  roads, fewer high up), drawn as Voronoi cells clipped to a 0.3–1.6 km² disc and to
  their commune (Voronoi cells of 15 seeds clipped to the province outline);
* towers sit near roads and the town, on local high points; declared coverage is each
  tower's radius (2G 6 km, 4G 3.5 km) cut by a terrain line-of-sight test sampled along
  rays on a 200 m grid, polygonised and dissolved; the Viettel 4G signal raster uses
  ``-87.5 - 37.6 log10(d_km)`` minus an obstruction penalty;
* the utility's list names every village without power (about 6.5 %, mostly far from
  the grid) and a quarter of the others, typed the way offices type them (no prefix,
  other case, no diacritics), plus four names that match no village.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import shapely.geometry
import shapely.ops
from affine import Affine
from pyproj import Transformer
from rasterio.features import rasterize, shapes
from scipy import ndimage

from gisapp import __version__
from gisapp.crs import pixel_index
from gisapp.config import (
    CoverageLayer,
    ElectricityLayers,
    LineLayer,
    PointLayer,
    RasterLayer,
    RunConfig,
    RunOptions,
    SignalRaster,
    TowerLayer,
    VillagesLayer,
    load_config,
    save_config,
)

__all__ = [
    "generate_demo", "demo_config", "demo_cache_dir", "PROVINCE_NAME", "SOURCE", "CARRIERS",
    "RADIUS_M",
]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

#: the label every written vector file carries in its ``source`` column
SOURCE = "synthetic demo"
PROVINCE_NAME = "Tỉnh Mây Ngàn (synthetic demo)"
#: carriers of the demo, with their MCC-MNC codes
CARRIERS = {"Viettel": "452-04", "VNPT": "452-02", "MobiFone": "452-01"}
#: declared coverage radius per technology, metres
RADIUS_M = {"2G": 6000.0, "4G": 3500.0}
COVERAGE_DATE = "2025-06-01"
LIST_DATE = "2025-05-15"

WORK_CRS = "EPSG:32648"     # WGS84 / UTM 48N: generation happens here
VN2000_UTM = "EPSG:3405"    # VN-2000 / UTM 48N
WGS84 = "EPSG:4326"

# DEM grid: 600 × 700 pixels of 100 m, top-left corner in WORK_CRS
_X0, _Y0, _RES, _W, _H = 358_000.0, 2_436_000.0, 100.0, 600, 700
_COARSE = 200.0   # coverage / signal grid, metres
_MARKER = ".demo-complete"

# Invented syllables (Tày/Thái-flavoured first syllables, Kinh words second). Each list is
# unique after removing case and diacritics, so names stay distinct after normalising.
_S1 = ("Khau", "Pù", "Nà", "Nậm", "Phiêng", "Cốc", "Lũng", "Mường", "Tà", "Sán", "Pắc",
       "Huổi", "Kéo", "Khuổi", "Co", "Hát", "Thẳm", "Bó")
_S2 = ("Vân", "Mây", "Ngàn", "Lìn", "Sương", "Chè", "Đá", "Mận", "Khoai", "Lau", "Trúc",
       "Sao", "Gió", "Ráng", "Bưởi", "Quế", "Thông", "Sim", "Hồi", "Lựu", "Nghệ", "Tre")
_PREFIXES = ("Thôn", "Bản", "Xóm")
#: names on the utility's list that match no village (second syllable not in _S2)
_UNMATCHED = ("Bản Hoa Ngọc 12", "Thôn Suối Tiên 9", "Xóm Bờ Rào 4", "Bản Pù Ban 15")


# --- small helpers ------------------------------------------------------------------


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _strip_diacritics(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).replace("đ", "d").replace("Đ", "D")
    return _nfc("".join(c for c in s if not unicodedata.combining(c)))


def _dem_transform() -> Affine:
    return Affine(_RES, 0.0, _X0, 0.0, -_RES, _Y0)


def _coarse_transform() -> Affine:
    return Affine(_COARSE, 0.0, _X0, 0.0, -_COARSE, _Y0)


def _sample(arr: np.ndarray, transform: Affine, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Nearest-pixel values of ``arr`` at coordinates ``x``, ``y`` (clipped to the array)."""
    row, col, _ = pixel_index(transform, x, y)
    col = np.clip(col, 0, arr.shape[1] - 1)
    row = np.clip(row, 0, arr.shape[0] - 1)
    return arr[row, col]


def _pixel_centres(transform: Affine, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    return x, y


def _distance_m(geoms: list, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """Distance in metres from each pixel centre to the nearest of ``geoms``."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.full(shape, 1e9, dtype=np.float64)
    burned = rasterize(((g, 1) for g in geoms), out_shape=shape, transform=transform,
                       fill=0, all_touched=True, dtype="uint8")
    return ndimage.distance_transform_edt(burned == 0) * abs(transform.a)


def _fractal_noise(rng: np.random.Generator, shape: tuple[int, int], beta: float) -> np.ndarray:
    """Noise with a 1/f^beta power spectrum, scaled to [0, 1]."""
    white = rng.standard_normal(shape)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    spec = np.fft.rfft2(white) / f ** (beta / 2.0)
    spec[0, 0] = 0.0
    out = np.fft.irfft2(spec, s=shape)
    return (out - out.min()) / (out.max() - out.min())


def _meander(rng: np.random.Generator, start: np.ndarray, heading: float, length_m: float,
             *, step: float = 400.0, wiggle: float = 0.12) -> shapely.LineString:
    n = max(int(length_m / step), 2)
    turns = rng.normal(0.0, wiggle, n)
    turns -= turns.mean() * 0.5          # keep the general heading
    h = heading + np.cumsum(turns)
    xy = start + np.cumsum(np.c_[np.cos(h), np.sin(h)] * step, axis=0)
    return shapely.LineString(np.vstack([start, xy]))


def _substring(line: shapely.LineString, fraction: float) -> shapely.Geometry | None:
    if fraction <= 0:
        return None
    return shapely.ops.substring(line, 0.0, fraction, normalized=True)


def _write_tif(path: Path, arr: np.ndarray, transform: Affine, crs: str, *,
               nodata: float | None, description: str) -> None:
    profile = {
        "driver": "GTiff", "height": arr.shape[0], "width": arr.shape[1], "count": 1,
        "dtype": arr.dtype.name, "crs": crs, "transform": transform, "nodata": nodata,
        "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(SOURCE=SOURCE, DESCRIPTION=description,
                        NOTE="synthetic demo data generated by gisapp.demo; not a real place")
        dst.set_band_description(1, description)


def _write_vector(gdf: gpd.GeoDataFrame, path: Path, *, layer: str | None = None) -> None:
    gdf = gdf.copy()
    gdf["source"] = SOURCE
    if path.suffix == ".geojson":
        gdf.to_crs(WGS84).to_file(path, driver="GeoJSON", engine="pyogrio",
                                  layer_options={"COORDINATE_PRECISION": 6, "RFC7946": "YES"})
    else:
        gdf.to_file(path, driver="GPKG", layer=layer or path.stem, engine="pyogrio")


# --- the generator -------------------------------------------------------------------


def generate_demo(out_dir: str | Path, *, seed: int = 2025, n_villages: int = 1500,
                  n_communes: int = 15, progress: Progress | None = None) -> Path:
    """Write the synthetic demo province into ``out_dir`` and return its ``config.toml``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing; files of an earlier demo are replaced).
    seed
        Seed of the ``numpy.random.Generator``: the same seed gives the same data.
    n_villages
        Number of villages, 50–4,000.
    n_communes
        Number of communes tiling the province, 2–60.
    progress
        Optional ``progress(fraction, message)`` callback.

    Returns
    -------
    Path
        The ``config.toml`` beside the data; :func:`gisapp.config.load_config` reads it.
        Paths inside are relative, so the folder can be moved.

    Raises
    ------
    ValueError
        ``n_villages`` or ``n_communes`` out of range.
    """
    if not 50 <= n_villages <= 4000:
        raise ValueError(f"n_villages must be between 50 and 4000, not {n_villages}")
    if not 2 <= n_communes <= 60:
        raise ValueError(f"n_communes must be between 2 and 60, not {n_communes}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def step(frac: float, msg: str) -> None:
        log.info("demo: %s", msg)
        if progress is not None:
            progress(frac, msg)

    step(0.0, "terrain and valleys")
    dem_t = _dem_transform()
    shape = (_H, _W)
    X, Y = _pixel_centres(dem_t, shape)
    cx, cy = _X0 + _W * _RES / 2, _Y0 - _H * _RES / 2

    # province outline: a wobbly ellipse inside the DEM box
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    ph = rng.uniform(0, 2 * np.pi, 3)
    wob = 1 + 0.10 * np.sin(2 * theta + ph[0]) + 0.07 * np.sin(3 * theta + ph[1]) \
        + 0.04 * np.sin(5 * theta + ph[2])
    wob = wob / wob.max()
    province = shapely.Polygon(np.c_[cx + 28_500 * wob * np.cos(theta),
                                     cy + 33_500 * wob * np.sin(theta)])

    # valleys: a main river across the province and tributaries from it
    main_heading = rng.uniform(-0.9, -0.5)                 # towards ESE, in radians
    start = np.array([cx, cy]) - 36_000 * np.array([np.cos(main_heading), np.sin(main_heading)])
    main_river = _meander(rng, start, main_heading, 76_000, wiggle=0.08)
    main_river = shapely.intersection(main_river, province.buffer(2000))
    if main_river.geom_type != "LineString":   # keep the longest piece
        main_river = max(main_river.geoms, key=lambda g: g.length)
    town = shapely.ops.substring(main_river, 0.5, 0.5, normalized=True)
    n_trib = 10
    tribs = []
    for i, t in enumerate(np.linspace(0.08, 0.92, n_trib) + rng.uniform(-0.03, 0.03, n_trib)):
        p = shapely.ops.substring(main_river, t, t, normalized=True)
        q = shapely.ops.substring(main_river, min(t + 0.01, 1), min(t + 0.01, 1), normalized=True)
        along = np.arctan2(q.y - p.y, q.x - p.x)
        side = 1 if i % 2 == 0 else -1
        heading = along + side * rng.uniform(0.9, 1.6)
        line = _meander(rng, np.array([p.x, p.y]), heading, rng.uniform(9_000, 24_000))
        line = shapely.intersection(line, province)
        if line.geom_type != "LineString":
            parts = [g for g in getattr(line, "geoms", []) if g.geom_type == "LineString"]
            if not parts:
                continue
            line = max(parts, key=lambda g: g.length)
        if line.is_empty or line.length < 2_000:
            continue
        tribs.append(line)

    d_main = _distance_m([main_river], dem_t, shape)
    d_trib = _distance_m(tribs, dem_t, shape)
    d_valley = np.minimum(d_main, d_trib)
    relief = 0.65 * _fractal_noise(rng, shape, 2.4) + 0.35 * _fractal_noise(rng, shape, 3.2)
    ridged = 1 - np.abs(2 * _fractal_noise(rng, shape, 2.0) - 1)
    massif = np.zeros(shape)
    for mx, my, s in zip(rng.uniform(_X0, _X0 + _W * _RES, 6), rng.uniform(_Y0 - _H * _RES, _Y0, 6),
                         rng.uniform(6_000, 14_000, 6)):
        massif += np.exp(-((X - mx) ** 2 + (Y - my) ** 2) / (2 * s * s))
    h = 0.5 * relief + 0.2 * ridged + 0.3 * massif / massif.max()
    carve = (0.12 + 0.88 * (1 - np.exp(-((d_main / 3_000) ** 2)))) \
        * (0.35 + 0.65 * (1 - np.exp(-((d_trib / 1_400) ** 2))))
    h = h * carve
    dem = (200 + 2200 * (h - h.min()) / (h.max() - h.min())).astype(np.float32)
    _write_tif(out / "dem.tif", dem, dem_t, WORK_CRS, nodata=None, description="elevation_m")

    step(0.15, "roads, grid and fibre")
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
    d_road = _distance_m(list(roads.geometry), dem_t, shape)
    d_town = np.hypot(X - town.x, Y - town.y)

    step(0.25, "communes and villages")
    inner = province.buffer(-300)
    # communes: farthest-point seeds starting at the town, Voronoi clipped to the province
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
    communes = gpd.GeoDataFrame({
        "commune_code": [f"DM{i + 1:03d}" for i in range(n_communes)],
        "name": commune_names, "province": PROVINCE_NAME,
    }, geometry=commune_geoms, crs=WORK_CRS)

    # settlement points: weighted draw of jittered lattice cells
    cell = min(750.0, float(np.sqrt(province.area / (2.0 * n_villages))))
    gx, gy = np.meshgrid(np.arange(province.bounds[0], province.bounds[2], cell) + cell / 2,
                         np.arange(province.bounds[1], province.bounds[3], cell) + cell / 2)
    gx, gy = gx.ravel(), gy.ravel()
    ok = shapely.contains_xy(province.buffer(-cell / 2), gx, gy)
    gx, gy = gx[ok], gy[ok]
    elev_g = _sample(dem, dem_t, gx, gy)
    w = (0.04 + 2.0 * np.exp(-_sample(d_valley, dem_t, gx, gy) / 1200)
         + 1.0 * np.exp(-_sample(d_road, dem_t, gx, gy) / 2500)
         + 1.5 * np.exp(-_sample(d_town, dem_t, gx, gy) / 4000))
    w *= np.exp(-np.clip(elev_g - 1100, 0, None) / 350)
    idx = np.sort(rng.choice(len(gx), size=n_villages, replace=False, p=w / w.sum()))
    vx = gx[idx] + rng.uniform(-0.2, 0.2, n_villages) * cell
    vy = gy[idx] + rng.uniform(-0.2, 0.2, n_villages) * cell
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
        "elevation_m": np.round(_sample(dem, dem_t, vx, vy).astype(np.float64), 1),
    }, geometry=vgeom, crs=WORK_CRS)

    step(0.4, "population and night lights")
    to_wgs = Transformer.from_crs(WORK_CRS, WGS84, always_xy=True)
    to_utm = Transformer.from_crs(WGS84, WORK_CRS, always_xy=True)
    lon0, lat0 = to_wgs.transform(_X0, _Y0)
    lon1, lat1 = to_wgs.transform(_X0 + _W * _RES, _Y0 - _H * _RES)
    lon_min, lat_max = np.floor(min(lon0, lon1) * 100) / 100, np.ceil(max(lat0, lat1) * 100) / 100
    lon_max, lat_min = np.ceil(max(lon0, lon1) * 100) / 100, np.floor(min(lat0, lat1) * 100) / 100
    pres = 0.001
    pop_t = Affine(pres, 0, lon_min, 0, -pres, lat_max)
    pshape = (int(round((lat_max - lat_min) / pres)), int(round((lon_max - lon_min) / pres)))
    v_wgs = villages.geometry.to_crs(WGS84)
    ids = rasterize(((g, i + 1) for i, g in enumerate(v_wgs.values)), out_shape=pshape,
                    transform=pop_t, fill=0, dtype="int32")
    npix = np.bincount(ids.ravel(), minlength=n_villages + 1)
    per_pix = np.zeros(n_villages + 1)
    has_pix = npix[1:] > 0
    per_pix[1:][has_pix] = pop[has_pix] / npix[1:][has_pix]
    popr = per_pix[ids]
    lon_v, lat_v = to_wgs.transform(vx, vy)
    if (~has_pix).any():   # tiny villages with no pixel centre: all people on the centre pixel
        r, c, _ = pixel_index(pop_t, lon_v, lat_v)
        r, c = np.clip(r, 0, pshape[0] - 1), np.clip(c, 0, pshape[1] - 1)
        np.add.at(popr, (r[~has_pix], c[~has_pix]), pop[~has_pix])
    _write_tif(out / "population.tif", popr.astype(np.float32), pop_t, WGS84, nodata=None,
               description="people per pixel")

    # electricity: who has power (decided before the lights, which follow it)
    grid_union = shapely.union_all(grid.geometry.values)
    d_grid_v = shapely.distance(pts, grid_union)
    n_no = max(3, int(round(0.065 * n_villages)))
    score = d_grid_v / 1000 + rng.normal(0, 1.2, n_villages) + (villages["elevation_m"] > 1300) * 1.0
    no_power = np.zeros(n_villages, dtype=bool)
    no_power[np.argsort(-score, kind="stable")[:n_no]] = True

    light = np.zeros(shape)
    lr, lc, _ = pixel_index(dem_t, vx, vy)
    lr, lc = np.clip(lr, 0, _H - 1), np.clip(lc, 0, _W - 1)
    np.add.at(light, (lr[~no_power], lc[~no_power]), pop[~no_power] * 0.25)
    light = ndimage.gaussian_filter(light, 3.0) + 45 * np.exp(-(d_town / 1800) ** 2) \
        + 0.4 * np.exp(-d_road / 300) * (d_town < 15_000)
    lres = 1 / 240          # VIIRS-like 15 arc-seconds
    lights_t = Affine(lres, 0, lon_min, 0, -lres, lat_max)
    lshape = (int(np.ceil((lat_max - lat_min) / lres)), int(np.ceil((lon_max - lon_min) / lres)))
    llon, llat = _pixel_centres(lights_t, lshape)
    lx, ly = to_utm.transform(llon, llat)
    lights = _sample(light, dem_t, lx, ly) + np.abs(rng.normal(0.08, 0.05, lshape))
    _write_tif(out / "lights.tif", lights.astype(np.float32), lights_t, WGS84, nodata=None,
               description="radiance nW/cm2/sr")

    step(0.5, "towers and coverage")
    ct = _coarse_transform()
    cshape = (int(_H * _RES / _COARSE), int(_W * _RES / _COARSE))
    cX, cY = _pixel_centres(ct, cshape)
    c_in = shapely.contains_xy(province, cX, cY)
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
    towers = pd.DataFrame(tower_rows, columns=["site_id", "carrier", "technology", "mcc_mnc",
                                               "height_m", "x", "y"])

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

    step(0.8, "writing layers")
    _write_vector(villages.to_crs(VN2000_UTM), out / "villages.gpkg", layer="villages")
    _write_vector(communes.to_crs(WGS84), out / "communes.gpkg", layer="communes")
    _write_vector(roads, out / "roads.gpkg", layer="roads")
    _write_vector(grid.to_crs(VN2000_UTM), out / "grid.gpkg", layer="mv_lines")
    _write_vector(fibre, out / "fibre.geojson")

    tlon, tlat = to_wgs.transform(towers.x.to_numpy(), towers.y.to_numpy())
    towers_out = towers.drop(columns=["x", "y"]).assign(lon=np.round(tlon, 6),
                                                        lat=np.round(tlat, 6), source=SOURCE)
    towers_out.to_csv(out / "towers.csv", index=False, encoding="utf-8", lineterminator="\n")

    facilities = _facilities(villages, pts, rng)
    _write_vector(facilities, out / "facilities.gpkg", layer="facilities")

    elec = _electricity_list(villages, no_power, rng)
    _write_xlsx(elec, out / "evn_thon_chua_dien.xlsx")

    (out / "README.txt").write_text(_readme(seed, n_villages, n_communes), encoding="utf-8")

    step(0.95, "config")
    cfg = RunConfig(
        villages=VillagesLayer(path=out / "villages.gpkg", layer="villages", id="village_id",
                               name="name", commune="commune", province="province",
                               population="population"),
        options=RunOptions(name=f"{PROVINCE_NAME} — synthetic demo data, not a real place",
                           synthetic=True),
        population_raster=RasterLayer(path=out / "population.tif", date="2024-01-01"),
        coverage=tuple(CoverageLayer(path=p, carrier=c, technology=t, kind="declared",
                                     date=COVERAGE_DATE,
                                     layer="coverage" if p.suffix == ".gpkg" else None)
                       for c, t, p in coverage_files),
        signal_rasters=(SignalRaster(path=out / "signal_viettel_4g.tif", carrier="Viettel",
                                     technology="4G", kind="modelled", date=COVERAGE_DATE),),
        towers=TowerLayer(path=out / "towers.csv", carrier="carrier", technology="technology",
                          height_m="height_m", lon="lon", lat="lat", crs=WGS84, mcc_mnc="mcc_mnc"),
        electricity=ElectricityLayers(
            list_path=out / "evn_thon_chua_dien.xlsx", list_sheet="Danh sach",
            list_name="thon_ban", list_commune="xa", list_status="co_dien", list_date=LIST_DATE,
            grid=LineLayer(path=out / "grid.gpkg", layer="mv_lines"),
            lights=RasterLayer(path=out / "lights.tif", date="2024-12-01"),
        ),
        fibre=LineLayer(path=out / "fibre.geojson"),
        facilities=PointLayer(path=out / "facilities.gpkg", layer="facilities", type="type"),
        dem=RasterLayer(path=out / "dem.tif"),
    )
    path = save_config(cfg, out / "config.toml")
    step(1.0, "done")
    return path


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


def _facilities(villages: gpd.GeoDataFrame, pts: np.ndarray,
                rng: np.random.Generator) -> gpd.GeoDataFrame:
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


def _electricity_list(villages: gpd.GeoDataFrame, no_power: np.ndarray,
                      rng: np.random.Generator) -> pd.DataFrame:
    """The utility's list: all villages without power, a quarter of the others, typed loosely."""
    n = len(villages)
    listed = no_power | (rng.random(n) < 0.25)
    sub = villages.loc[listed, ["commune", "name"]].reset_index(drop=True)
    status = np.where(no_power[listed], "không", "có")
    variant = rng.choice(6, len(sub), p=[0.35, 0.3, 0.1, 0.07, 0.1, 0.08])
    typed = []
    for name, v in zip(sub["name"], variant):
        bare = name.split(" ", 1)[1]
        typed.append({0: name, 1: bare, 2: name.upper(), 3: bare.lower(),
                      4: _strip_diacritics(name), 5: f" {bare}  "}[int(v)])
    commune = [c if r < 0.6 else c.removeprefix("Xã ") for c, r in
               zip(sub["commune"], rng.random(len(sub)))]
    df = pd.DataFrame({"xa": commune, "thon_ban": typed, "co_dien": status})
    communes = sorted(villages["commune"].unique())
    extra = pd.DataFrame({"xa": [communes[i] for i in rng.integers(0, len(communes), len(_UNMATCHED))],
                          "thon_ban": list(_UNMATCHED), "co_dien": "không"})
    df = pd.concat([df, extra], ignore_index=True).sort_values(["xa", "thon_ban"], kind="stable")
    df.insert(0, "stt", np.arange(1, len(df) + 1))
    df["ghi_chu"] = "dữ liệu giả lập (synthetic demo)"
    return df.reset_index(drop=True)


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    import datetime as _dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sach"
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([x.item() if hasattr(x, "item") else x for x in row])
    stamp = _dt.datetime(2025, 5, 15)
    wb.properties.creator = "gisapp demo (synthetic)"
    wb.properties.title = "Danh sách thôn bản — dữ liệu giả lập (synthetic demo)"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)


_HOW = (__doc__ or "").split("How it is made", 1)[-1].strip()


def _readme(seed: int, n_villages: int, n_communes: int) -> str:
    return f"""SYNTHETIC DEMO DATA — {PROVINCE_NAME}
{'=' * 60}

Everything in this folder is synthetic: generated by gisapp {__version__}
(gisapp.demo.generate_demo, seed={seed}, n_villages={n_villages},
n_communes={n_communes}). The province, communes, villages, people, terrain,
roads, power grid, fibre, towers and coverage are invented. Names are built from
invented syllable pairs plus a number and do not describe real places. The area
lies at the latitude of Vietnam's north-western mountains only so that map tiles
and coordinate systems behave as they would for a real province.

Do not use these files as facts about any place.

How it was made
---------------
{_HOW}

Every vector file has a column source = "{SOURCE}"; every raster has the tag
SOURCE={SOURCE}. Run it with:

    gisapp run config.toml --out results
"""


# --- cached demo ---------------------------------------------------------------------


def demo_cache_dir(seed: int = 2025) -> Path:
    """``$XDG_CACHE_HOME/gisapp/demo-<version>-<seed>`` (default ``~/.cache/...``)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "gisapp" / f"demo-{__version__}-{seed}"


def demo_config(out_dir: str | Path | None = None, *, seed: int = 2025,
                n_villages: int = 1500, progress: Progress | None = None) -> RunConfig:
    """The demo's :class:`RunConfig`, generating the data only if not already there.

    Parameters
    ----------
    out_dir
        Folder of the demo; default :func:`demo_cache_dir`. Data already there (with
        its completion marker, for the same seed and size) are reused.
    seed, n_villages, progress
        As for :func:`generate_demo`.

    Returns
    -------
    RunConfig
        Loaded from the folder's ``config.toml`` (``options.synthetic`` is true).

    Notes
    -----
    Generation goes to a temporary sibling folder that is renamed into place when
    complete, so concurrent callers (tests, app sessions) never see half a demo.
    """
    target = Path(out_dir) if out_dir is not None else demo_cache_dir(seed)
    stamp = f"{__version__} seed={seed} villages={n_villages}\n"
    marker = target / _MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8") == stamp \
            and (target / "config.toml").is_file():
        return load_config(target / "config.toml")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        generate_demo(tmp, seed=seed, n_villages=n_villages, progress=progress)
        (tmp / _MARKER).write_text(stamp, encoding="utf-8")
        if target.exists():
            if not any(target.iterdir()) or (target / _MARKER).is_file():
                shutil.rmtree(target, ignore_errors=True)
            else:
                # a folder the user gave us with other content: write into it
                for p in tmp.iterdir():
                    os.replace(p, target / p.name)
        if not target.exists():
            try:
                os.replace(tmp, target)
            except OSError:
                log.info("demo: another process finished %s first; using it", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_config(target / "config.toml")
