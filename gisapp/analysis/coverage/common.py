"""What every kind of coverage evidence shares: the result columns and shape, the metric
CRS checks, the village centres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp.errors import InputError


AREA_SHARE = "area_share"
POP_SHARE = "pop_share"
CENTRE = "centre"
SIGNAL_DBM = "signal_dbm"

_POINT_TYPES = (0, 4)      # Point, MultiPoint
_AREA_TYPES = (3, 6)       # Polygon, MultiPolygon


def _geom_array(geoms: gpd.GeoSeries) -> np.ndarray:
    arr = np.asarray(geoms.array, dtype=object)
    return np.where(pd.isna(arr), None, arr) if len(arr) else arr


def _metric_crs_of(gdf: gpd.GeoDataFrame | gpd.GeoSeries, layer: str) -> CRS:
    if gdf.crs is None:
        raise InputError("the layer has no coordinate reference system; the coverage is "
                         "measured in a metric CRS, reproject both layers to it first "
                         "(gisapp.crs.to_metric)", layer=layer)
    crs = CRS.from_user_input(gdf.crs)
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        raise InputError(f"the layer is in {crs.name}, not a projected CRS in metres; "
                         "reproject it to the run's metric CRS first (gisapp.crs.to_metric)",
                         layer=layer)
    return crs


def _same_metric_crs(villages, other, other_layer: str, centre_pts=None) -> CRS:
    crs = _metric_crs_of(villages, "villages")
    ocrs = _metric_crs_of(other, other_layer)
    if not crs.equals(ocrs):
        raise InputError(f"the layer is in {ocrs.name} but the villages are in {crs.name}; "
                         "reproject both to the same metric CRS first (gisapp.crs.to_metric)",
                         layer=other_layer)
    if centre_pts is not None and getattr(centre_pts, "crs", None) is not None:
        if not CRS.from_user_input(centre_pts.crs).equals(crs):
            raise InputError(f"the village centres are in {CRS.from_user_input(centre_pts.crs).name} "
                             f"but the villages are in {crs.name}; compute them with "
                             "centres(villages) on the metric layer", layer="centres")
    return crs


def _centre_array(centres_: gpd.GeoSeries | np.ndarray, n: int) -> np.ndarray:
    arr = _geom_array(centres_) if isinstance(centres_, gpd.GeoSeries) else np.asarray(centres_, dtype=object)
    if len(arr) != n:
        raise InputError(f"{len(arr)} centres for {n} villages; pass centres(villages)",
                         layer="centres")
    return arr


def _result(index: pd.Index, area, pop, centre, signal=None) -> pd.DataFrame:
    data = {
        AREA_SHARE: pd.Series(np.asarray(area, dtype="float64"), index=index),
        POP_SHARE: pd.Series(np.asarray(pop, dtype="float64"), index=index),
        CENTRE: pd.Series(pd.array(centre, dtype="boolean"), index=index),
    }
    if signal is not None:
        data[SIGNAL_DBM] = pd.Series(np.asarray(signal, dtype="float64"), index=index)
    return pd.DataFrame(data, index=index)


def _bool_or_na(flag: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(flag, dtype=bool), ~np.asarray(known, dtype=bool))


# --- centres -------------------------------------------------------------------------


def centres(villages: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    """The centre of each village: the point itself, or a point surely inside the polygon.

    Returns
    -------
    geopandas.GeoSeries
        Points in the villages' CRS, aligned to their index; None for null/empty geometries.
        Polygons use ``representative_point`` (always inside, unlike the centroid).
    """
    geoms = villages.geometry if isinstance(villages, gpd.GeoDataFrame) else villages
    arr = _geom_array(geoms)
    out = np.full(len(arr), None, dtype=object)
    ok = ~(pd.isna(arr) | shapely.is_empty(arr)) if len(arr) else np.zeros(0, bool)
    if ok.any():
        out[ok] = shapely.point_on_surface(arr[ok])
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs, name="centre")
