"""The demo's drive tests (Viettel 4G) and complaint points: synthetic, from the seed.

The drive tests visit some villages inside Viettel's declared 4G coverage and some
outside it. Most agree with the declaration; a few contradict it on purpose, both ways
(weak samples inside it, strong ones outside it), some villages get too few samples to
judge, some samples are too old to count, and one row of each kind of bad input is
there for the run report. Complaints fall mostly in villages, a few outside them all.
Every draw uses its own generator (``[seed, 14]``), so the rest of the demo is unchanged.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp.demo.grid import CARRIERS, COVERAGE_DATE, SOURCE, WGS84

__all__ = ["DRIVE_CARRIER", "drive_tests", "complaints"]

DRIVE_CARRIER = "Viettel"
#: (villages, samples per village, mean RSRP dBm, declared inside?) for each purpose
_PLAN = (
    (40, 18, -92.0, True),      # agree: declared and measured covered
    (6, 20, -123.0, True),      # dispute: declared covered, measured not (one outlier each)
    (4, 5, -90.0, True),        # too few samples: no dispute
    (15, 14, -124.0, False),    # agree: neither
    (5, 16, -94.0, False),      # dispute: measured covered, not declared
)


def _inside(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """``n`` points uniformly inside ``geom`` (rejection in its bounding box)."""
    x0, y0, x1, y1 = geom.bounds
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        xy = np.column_stack([rng.uniform(x0, x1, 4 * n), rng.uniform(y0, y1, 4 * n)])
        out.append(xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])])
    return np.concatenate(out)[:n]


def drive_tests(seed: int, villages: gpd.GeoDataFrame, declared: gpd.GeoDataFrame) -> pd.DataFrame:
    """Drive-test rows (lon, lat, carrier, technology, rsrp_dbm, time, download_mbps,
    source) for Viettel 4G over ``villages`` (metric CRS) and its ``declared`` coverage."""
    rng = np.random.default_rng([seed, 14])
    zone = shapely.union_all(declared.to_crs(villages.crs).geometry.to_numpy())
    centres = villages.geometry.representative_point()
    inside = np.asarray(shapely.contains(zone, centres.to_numpy()))
    pools = {True: rng.permutation(np.flatnonzero(inside)),
             False: rng.permutation(np.flatnonzero(~inside))}
    taken = {True: 0, False: 0}
    end = pd.Timestamp(COVERAGE_DATE)
    rows = []
    for n_villages, n_samples, mean, declared_in in _PLAN:
        pick = pools[declared_in][taken[declared_in]:taken[declared_in] + n_villages]
        taken[declared_in] += n_villages
        for i in pick:
            xy = _inside(rng, villages.geometry.iloc[i], n_samples + 4)
            dbm = np.round(rng.normal(mean, 4.0, n_samples + 4), 1)
            dbm[0] = -75.0 if mean < -110 else -135.0            # one outlier the other way
            days = rng.uniform(1, 150, n_samples + 4)
            days[-4:] = rng.uniform(500, 700, 4)                   # four too old to count
            dbm[-4:] = -75.0 if mean < -110 else -135.0            # and they say the opposite
            for (x, y), d, age in zip(xy, dbm, days):
                rows.append((x, y, DRIVE_CARRIER, "LTE", d, end - pd.Timedelta(days=float(age))))
    frame = pd.DataFrame(rows, columns=["x", "y", "carrier", "technology", "rsrp_dbm", "when"])
    frame["time"] = frame["when"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    # one row of each bad kind, in an agreeing village, for the run report
    bad = frame.iloc[[0] * 5].copy()
    bad["time"] = ["", frame["time"].iloc[0], frame["time"].iloc[0], frame["time"].iloc[0],
                   frame["time"].iloc[0]]
    bad["carrier"] = [DRIVE_CARRIER, "Viettell", DRIVE_CARRIER, DRIVE_CARRIER, DRIVE_CARRIER]
    bad["technology"] = ["LTE", "LTE", "6G", "LTE", "LTE"]
    bad["rsrp_dbm"] = [-90.0, -90.0, -90.0, -7.0, -180.0]
    frame = pd.concat([frame, bad], ignore_index=True)
    lonlat = gpd.GeoSeries(gpd.points_from_xy(frame.x, frame.y), crs=villages.crs).to_crs(WGS84)
    speed = np.clip(np.round(rng.normal(0.55 * (frame["rsrp_dbm"] + 130), 3.0), 1), 0.1, None)
    return pd.DataFrame({
        "lon": np.round(lonlat.x, 6), "lat": np.round(lonlat.y, 6), "carrier": frame["carrier"],
        "technology": frame["technology"], "rsrp_dbm": frame["rsrp_dbm"], "time": frame["time"],
        "download_mbps": speed, "source": SOURCE,
    })


def complaints(seed: int, villages: gpd.GeoDataFrame, n: int = 40) -> pd.DataFrame:
    """Complaint rows (lon, lat, carrier, date, source): ``n - 3`` in villages, 3 outside
    every village (beyond the province's edge)."""
    rng = np.random.default_rng([seed, 15])
    where = rng.choice(len(villages), n - 3, replace=True)
    xy = np.concatenate([_inside(rng, villages.geometry.iloc[i], 1) for i in where])
    x0, y0, x1, y1 = villages.total_bounds
    xy = np.concatenate([xy, [[x0 - 5000, y0 - 5000], [x1 + 5000, y1 + 5000], [x0 - 8000, y1]]])
    lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=villages.crs).to_crs(WGS84)
    end = pd.Timestamp(COVERAGE_DATE)
    when = [end - pd.Timedelta(days=float(d)) for d in rng.uniform(1, 200, n)]
    return pd.DataFrame({
        "lon": np.round(lonlat.x, 6), "lat": np.round(lonlat.y, 6),
        "carrier": np.array(list(CARRIERS), dtype=object)[rng.choice(len(CARRIERS), n)],
        "date": [w.strftime("%Y-%m-%d") for w in when], "source": SOURCE,
    })
