"""Measurement evidence per village: counts, age, share below, the majority verdict and
disputes, on hand-placed samples in a metric CRS (UTM 48N)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gisapp import schema as S
from gisapp.analysis.coverage.evidence import (
    clean_measurements, count_in_villages, disputes, measurement_evidence, village_pairs,
)

CRS = "EPSG:32648"


def _villages() -> gpd.GeoDataFrame:
    # two 1 km squares side by side, and a point village far away
    return gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(2000, 0, 3000, 1000),
                                      Point(10_000, 0)], crs=CRS)


def _samples(xy_dbm_days: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    x, y, dbm, days = map(np.asarray, zip(*xy_dbm_days))
    t0 = pd.Timestamp("2025-06-01")
    return gpd.GeoDataFrame({"signal_dbm": dbm.astype(float),
                             "time": t0 - pd.to_timedelta(days, unit="D")},
                            geometry=gpd.points_from_xy(x, y), crs=CRS)


def _evidence(v, pts, *, min_samples=10, max_age=365.0, share=0.5, thr=-110.0):
    return measurement_evidence(v, pts, pairs=village_pairs(v, pts.geometry, radius_m=500),
                                threshold_dbm=thr, min_samples=min_samples,
                                max_age_days=max_age, covered_share=share,
                                as_of=pd.Timestamp("2025-06-01"))


def test_one_outlier_cannot_overturn_twenty_samples():
    v = _villages()
    weak = [(100 + 10 * i, 500, -120.0, 10) for i in range(20)] + [(500, 500, -60.0, 10)]
    strong = [(2100 + 10 * i, 500, -90.0, 10) for i in range(20)] + [(2500, 500, -140.0, 10)]
    ev = _evidence(v, _samples(weak + strong))
    assert ev["meas_samples"].tolist() == [21, 21, 0]
    assert ev["meas_share_below"].iloc[0] == pytest.approx(20 / 21)
    assert ev["meas_share_below"].iloc[1] == pytest.approx(1 / 21)
    assert ev["meas_verdict"].tolist() == ["not_covered", "covered", "insufficient"]
    assert ev["centre"].tolist()[:2] == [False, True] and pd.isna(ev["centre"].iloc[2])


def test_too_few_samples_are_insufficient_and_judge_nothing():
    v = _villages()
    ev = _evidence(v, _samples([(100 + 10 * i, 500, -70.0, 1) for i in range(9)]))
    assert ev["meas_samples"].iloc[0] == 9
    assert ev["meas_verdict"].iloc[0] == "insufficient"
    assert pd.isna(ev["centre"].iloc[0]) and np.isnan(ev["area_share"].iloc[0])


def test_samples_older_than_the_limit_are_left_out():
    v = _villages()
    fresh = [(100 + 10 * i, 500, -120.0, 30) for i in range(10)]
    old = [(100 + 10 * i, 600, -70.0, 400) for i in range(30)]     # 400 days > 365
    ev = _evidence(v, _samples(fresh + old))
    assert ev["meas_samples"].iloc[0] == 10
    assert ev["meas_age_days"].iloc[0] == pytest.approx(30.0)
    assert ev["meas_verdict"].iloc[0] == "not_covered"
    # with a limit of 500 days the 30 strong old samples win the majority
    assert _evidence(v, _samples(fresh + old), max_age=500)["meas_verdict"].iloc[0] == "covered"


def test_the_share_rule_is_the_stated_one():
    v = _villages()
    # 10 samples, 8 at or above the threshold (one exactly at it)
    pts = [(100 + 10 * i, 500, -100.0, 1) for i in range(7)] + [(300, 300, -110.0, 1)] \
        + [(400, 400, -111.0, 1), (410, 400, -130.0, 1)]
    assert _evidence(v, _samples(pts), share=0.8)["meas_verdict"].iloc[0] == "covered"
    assert _evidence(v, _samples(pts), share=0.9)["meas_verdict"].iloc[0] == "not_covered"


def test_point_villages_take_samples_within_the_radius():
    v = _villages()
    near = [(10_000 + 400, 0, -80.0, 1)] * 10 + [(10_000 + 600, 0, -130.0, 1)] * 10
    ev = _evidence(v, _samples(near))
    assert ev["meas_samples"].iloc[2] == 10 and ev["meas_verdict"].iloc[2] == "covered"


def test_disputes_both_ways_and_none_when_agreeing_or_insufficient():
    declared = pd.Series([True, False, True, False, True, pd.NA], dtype="boolean")
    verdict = pd.Series(["not_covered", "covered", "covered", "not_covered", "insufficient",
                         "covered"])
    assert disputes(declared, verdict).tolist() == [
        S.Dispute.DECLARED_NOT_MEASURED, S.Dispute.MEASURED_NOT_DECLARED, "", "", "", ""]


def test_each_bad_row_gets_its_reason_and_good_rows_are_kept():
    frame = pd.DataFrame({
        "carrier": ["Viettel", "Viettel", "NoSuchNet", "452-04", "Viettel", "Viettel", "MobiFone"],
        "tech": ["LTE", "4G", "4G", "6G", "4G", "4G", "3g"],
        "dbm": [-95, -95, -95, -95, "n/a", -10, -151],
        "when": ["2025-05-01", None, "2025-05-01", "2025-05-01", "2025-05-01", "2025-05-01",
                 "2025-05-01 10:00"],
    })
    known = {"viettel": "Viettel", "mobifone": "MobiFone"}
    clean, reason = clean_measurements(frame, carrier="carrier", technology="tech", signal="dbm",
                                       time="when", known_carriers=known)
    assert reason.tolist() == ["", "no_time", "unknown_carrier", "unknown_technology",
                               "no_signal", "impossible_dbm", "impossible_dbm"]
    assert clean.index.tolist() == [0]
    assert clean.iloc[0][["carrier", "technology", "signal_dbm"]].tolist() == ["Viettel", "4G", -95.0]


def test_complaints_are_counted_per_village_and_outside():
    v = _villages()
    pts = gpd.GeoDataFrame({"carrier": ["Viettel", "Viettel", "VNPT", None, "Viettel"]},
                           geometry=[Point(10, 10), Point(20, 20), Point(2500, 500),
                                     Point(10_100, 0), Point(5000, 5000)], crs=CRS)
    counts, outside = count_in_villages(v, pts, radius_m=500, group="carrier")
    assert counts["total"].tolist() == [2, 1, 1]
    assert counts["Viettel"].tolist() == [2, 0, 0] and counts["VNPT"].tolist() == [0, 1, 0]
    assert outside == 1
