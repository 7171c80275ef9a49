"""Distances that are right wherever the villages are.

The run measures in one metric CRS (:func:`gisapp.crs.metric_crs`: the UTM zone of the
villages' centre, unless the config names one). A transverse Mercator projection is
true to scale only near its central meridian: 3° of longitude away (the zone's edge)
a distance is 0.1 % long at the equator, 9° away already 1.2 %. So before measuring,
:func:`plan_for` checks the scale of the run's CRS at every village:

* if it is within :data:`MAX_SCALE_ERROR` (0.3 %) everywhere, distances are measured in
  the run's CRS (``method = "crs"``), as before;
* otherwise each village is measured in the WGS 84 / UTM zone it lies in, against the
  features reprojected into that zone (``method = "utm_zones"``), where the scale error
  is under 0.1 % for features within the zone and still under 0.5 % for features one
  zone further.

The plan is written to the run manifest (``distances``), so a reader can see how the
distances were measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp.analysis import infrastructure
from gisapp.crs import scale_error, utm_epsg

__all__ = ["MAX_SCALE_ERROR", "DistancePlan", "plan_for", "distance_to", "nearest_by_group"]

log = logging.getLogger(__name__)

#: largest scale error of the run's CRS at a village before distances go per UTM zone
MAX_SCALE_ERROR = 0.003


@dataclass(frozen=True)
class DistancePlan:
    """How distances from the villages are measured (see the module doc)."""

    crs: CRS
    method: str = "crs"                                 # "crs" or "utm_zones"
    max_scale_error: float = 0.0                        # of the run's CRS, at the villages
    #: EPSG code → positions of the villages measured in that UTM zone
    zones: dict[int, np.ndarray] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The plan in words and numbers, for the run report and manifest."""
        out: dict[str, Any] = {
            "method": self.method,
            "crs": self.crs.to_string(),
            "max_scale_error_pct": round(100.0 * self.max_scale_error, 4),
        }
        if self.method == "utm_zones":
            out["zones"] = {f"EPSG:{z}": int(len(i)) for z, i in sorted(self.zones.items())}
            out["why"] = (f"the villages reach where {self.crs.name} is off scale by "
                          f"{100 * self.max_scale_error:.2f} % (over "
                          f"{100 * MAX_SCALE_ERROR:.1f} %), so each village is measured in "
                          "its own UTM zone")
        return out


def _lonlat(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    pts = np.full(len(geoms), None, dtype=object)
    g = np.asarray(geoms.array, dtype=object)
    ok = ~(shapely.is_missing(g) | shapely.is_empty(g)) if len(g) else np.zeros(0, bool)
    pts[ok] = shapely.point_on_surface(g[ok])
    ll = gpd.GeoSeries(pts, crs=geoms.crs).to_crs(4326)
    x = np.asarray(ll.x, dtype=float) if len(ll) else np.zeros(0)
    y = np.asarray(ll.y, dtype=float) if len(ll) else np.zeros(0)
    return np.where(ok, x, np.nan), np.where(ok, y, np.nan)


def plan_for(geoms: gpd.GeoSeries, crs: CRS) -> DistancePlan:
    """Decide how distances from ``geoms`` (the villages, in ``crs``) are measured."""
    lon, lat = _lonlat(geoms)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return DistancePlan(crs=crs)
    err = scale_error(crs, lon[ok], lat[ok])
    worst = float(np.nanmax(err)) if np.isfinite(err).any() else 0.0
    if worst <= MAX_SCALE_ERROR:
        return DistancePlan(crs=crs, max_scale_error=worst)
    codes = np.full(len(geoms), -1, dtype=np.int64)
    codes[ok] = utm_epsg(lon[ok], lat[ok])
    zones = {int(z): np.flatnonzero(codes == z) for z in np.unique(codes[ok])}
    plan = DistancePlan(crs=crs, method="utm_zones", max_scale_error=worst, zones=zones)
    log.info("distances: %s", plan.describe()["why"])
    return plan


def _in_zone(features: gpd.GeoSeries, epsg: int) -> gpd.GeoSeries:
    """``features`` in the UTM zone ``epsg``, without those PROJ cannot place there."""
    out = features.to_crs(epsg)
    if len(out):
        b = out.bounds.to_numpy()
        out = out[np.isfinite(b).all(axis=1)]
    return out


def distance_to(geoms: gpd.GeoSeries, features: gpd.GeoDataFrame | gpd.GeoSeries, *,
                plan: DistancePlan | None = None, max_distance: float | None = None,
                what: str = "features") -> pd.Series:
    """Metres from each village to the nearest feature, measured as ``plan`` says
    (:func:`gisapp.analysis.infrastructure.distance_to` in the run's CRS without a plan)."""
    if plan is None or plan.method == "crs":
        return infrastructure.distance_to(geoms, features, max_distance=max_distance, what=what)
    g = infrastructure._geoseries(geoms)
    f = infrastructure._geoseries(features)
    infrastructure._check_metric(g, f, what=what)
    out = pd.Series(np.nan, index=g.index, name="dist_m", dtype=float)
    for epsg, pos in plan.zones.items():
        d = infrastructure.distance_to(g.iloc[pos].to_crs(epsg), _in_zone(f, epsg),
                                       max_distance=max_distance, what=what)
        out.iloc[pos] = d.to_numpy()
    return out


def nearest_by_group(geoms: gpd.GeoSeries, features: gpd.GeoDataFrame, *, group_col: str,
                     plan: DistancePlan | None = None,
                     max_distance: float | None = None) -> pd.DataFrame:
    """:func:`gisapp.analysis.infrastructure.nearest_by_group`, measured as ``plan`` says."""
    if plan is None or plan.method == "crs":
        return infrastructure.nearest_by_group(geoms, features, group_col=group_col,
                                               max_distance=max_distance)
    g = infrastructure._geoseries(geoms)
    parts = []
    for epsg, pos in plan.zones.items():
        f = features.to_crs(epsg)
        keep = np.isfinite(f.geometry.bounds.to_numpy()).all(axis=1) if len(f) else []
        parts.append(infrastructure.nearest_by_group(
            g.iloc[pos].to_crs(epsg), f[keep], group_col=group_col, max_distance=max_distance))
    out = pd.concat(parts).reindex(g.index) if parts else pd.DataFrame(index=g.index)
    return out[sorted(out.columns)]
