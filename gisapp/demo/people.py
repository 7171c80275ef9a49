"""The demo's population raster: each village's people spread over its pixels (~0.001°)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import Transformer
from rasterio.features import rasterize

from gisapp.demo.grid import _H, _RES, _W, _X0, _Y0, WGS84, WORK_CRS
from gisapp.demo.places import Places
from gisapp.crs import pixel_index


@dataclass(frozen=True)
class WgsBox:
    """The DEM box in lon/lat, rounded out to 0.01°, with the transformers both ways."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float
    to_wgs: Transformer
    to_utm: Transformer


def wgs_box() -> WgsBox:
    to_wgs = Transformer.from_crs(WORK_CRS, WGS84, always_xy=True)
    to_utm = Transformer.from_crs(WGS84, WORK_CRS, always_xy=True)
    lon0, lat0 = to_wgs.transform(_X0, _Y0)
    lon1, lat1 = to_wgs.transform(_X0 + _W * _RES, _Y0 - _H * _RES)
    lon_min, lat_max = np.floor(min(lon0, lon1) * 100) / 100, np.ceil(max(lat0, lat1) * 100) / 100
    lon_max, lat_min = np.ceil(max(lon0, lon1) * 100) / 100, np.floor(min(lat0, lat1) * 100) / 100
    return WgsBox(lon_min, lat_min, lon_max, lat_max, to_wgs, to_utm)


def population_raster(places: Places, box: WgsBox) -> tuple[np.ndarray, Affine]:
    """People per pixel (float32) and its transform; the raster sums to the village total."""
    villages, pop, n_villages = places.villages, places.pop, len(places.villages)
    lon_min, lat_max = box.lon_min, box.lat_max
    pres = 0.001
    pop_t = Affine(pres, 0, lon_min, 0, -pres, lat_max)
    pshape = (int(round((lat_max - box.lat_min) / pres)), int(round((box.lon_max - lon_min) / pres)))
    v_wgs = villages.geometry.to_crs(WGS84)
    ids = rasterize(((g, i + 1) for i, g in enumerate(v_wgs.values)), out_shape=pshape,
                    transform=pop_t, fill=0, dtype="int32")
    npix = np.bincount(ids.ravel(), minlength=n_villages + 1)
    per_pix = np.zeros(n_villages + 1)
    has_pix = npix[1:] > 0
    per_pix[1:][has_pix] = pop[has_pix] / npix[1:][has_pix]
    popr = per_pix[ids]
    lon_v, lat_v = box.to_wgs.transform(places.vx, places.vy)
    if (~has_pix).any():   # tiny villages with no pixel centre: all people on the centre pixel
        r, c, _ = pixel_index(pop_t, lon_v, lat_v)
        r, c = np.clip(r, 0, pshape[0] - 1), np.clip(c, 0, pshape[1] - 1)
        np.add.at(popr, (r[~has_pix], c[~has_pix]), pop[~has_pix])
    return popr.astype(np.float32), pop_t
