"""The demo's electricity: who has power, the night-time lights that follow it, the utility's list."""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy import ndimage

from gisapp.demo.grid import _W, _H, _dem_transform, _pixel_centres, _sample
from gisapp.demo.lines import Lines
from gisapp.demo.people import WgsBox
from gisapp.demo.places import Places
from gisapp.text import nfc as _nfc
from gisapp.crs import pixel_index

#: names on the utility's list that match no village (second syllable not in places._S2)
_UNMATCHED = ("Bản Hoa Ngọc 12", "Thôn Suối Tiên 9", "Xóm Bờ Rào 4", "Bản Pù Ban 15")


def _strip_diacritics(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).replace("đ", "d").replace("Đ", "D")
    return _nfc("".join(c for c in s if not unicodedata.combining(c)))


def no_power(rng: np.random.Generator, places: Places, grid: gpd.GeoDataFrame) -> np.ndarray:
    """About 6.5 % of villages have no power, mostly those far from the grid or high up."""
    villages, n_villages = places.villages, len(places.villages)
    grid_union = shapely.union_all(grid.geometry.values)
    d_grid_v = shapely.distance(places.pts, grid_union)
    n_no = max(3, int(round(0.065 * n_villages)))
    score = d_grid_v / 1000 + rng.normal(0, 1.2, n_villages) + (villages["elevation_m"] > 1300) * 1.0
    out = np.zeros(n_villages, dtype=bool)
    out[np.argsort(-score, kind="stable")[:n_no]] = True
    return out


def night_lights(rng: np.random.Generator, places: Places, dark: np.ndarray, lines: Lines,
                 box: WgsBox) -> tuple[np.ndarray, Affine]:
    """Radiance (float32, VIIRS-like 15″ pixels) from powered villages, the town and the roads."""
    vx, vy, pop = places.vx, places.vy, places.pop
    d_town, d_road = lines.d_town, lines.d_road
    light = np.zeros((_H, _W))
    lr, lc, _ = pixel_index(_dem_transform(), vx, vy)
    lr, lc = np.clip(lr, 0, _H - 1), np.clip(lc, 0, _W - 1)
    np.add.at(light, (lr[~dark], lc[~dark]), pop[~dark] * 0.25)
    light = ndimage.gaussian_filter(light, 3.0) + 45 * np.exp(-(d_town / 1800) ** 2) \
        + 0.4 * np.exp(-d_road / 300) * (d_town < 15_000)
    lres = 1 / 240          # VIIRS-like 15 arc-seconds
    lights_t = Affine(lres, 0, box.lon_min, 0, -lres, box.lat_max)
    lshape = (int(np.ceil((box.lat_max - box.lat_min) / lres)),
              int(np.ceil((box.lon_max - box.lon_min) / lres)))
    llon, llat = _pixel_centres(lights_t, lshape)
    lx, ly = box.to_utm.transform(llon, llat)
    lights = _sample(light, _dem_transform(), lx, ly) + np.abs(rng.normal(0.08, 0.05, lshape))
    return lights.astype(np.float32), lights_t


def electricity_list(villages: gpd.GeoDataFrame, dark: np.ndarray,
                     rng: np.random.Generator) -> pd.DataFrame:
    """The utility's list: all villages without power, a quarter of the others, typed loosely."""
    n = len(villages)
    listed = dark | (rng.random(n) < 0.25)
    sub = villages.loc[listed, ["commune", "name"]].reset_index(drop=True)
    status = np.where(dark[listed], "không", "có")
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
