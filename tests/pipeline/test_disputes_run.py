"""Declared against measured coverage through gisapp's pipeline: three 1 km villages,
Viettel 4G declared over the first two, drive tests that contradict it both ways, bad
rows of every kind and complaints, worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from gisapp import pipeline
from gisapp import schema as S
from gisapp.config import config_from_dict
from gisapp.i18n.why import why_text

UTM = "EPSG:32648"
X0, Y0 = 500_000.0, 2_300_000.0       # northern Vietnam, UTM 48N
TO_LL = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def _sq(i: int):
    return box(X0 + 2000 * i, Y0, X0 + 2000 * i + 1000, Y0 + 1000)


def _ll(x, y):
    return TO_LL.transform(np.asarray(x, float), np.asarray(y, float))


def _project(tmp_path, *, extra: str = "") -> object:
    gpd.GeoDataFrame({"vid": ["A", "B", "C"], "pop": [100, 200, 300]},
                     geometry=[_sq(0), _sq(1), _sq(2)], crs=UTM).to_file(tmp_path / "v.gpkg")
    gpd.GeoDataFrame(geometry=[box(X0 - 500, Y0 - 500, X0 + 3500, Y0 + 1500)], crs=UTM
                     ).to_file(tmp_path / "viettel_4g.gpkg")
    rows = []
    # A (declared): 20 samples below -110 dBm, one outlier far above -> not covered
    rows += [(X0 + 100 + 40 * i, Y0 + 500, "Viettel", "LTE", -121.0, "2025-05-20")
             for i in range(20)] + [(X0 + 500, Y0 + 520, "Viettel", "4G", -70.0, "2025-05-20")]
    # B (declared): 3 samples only -> insufficient, no dispute
    rows += [(X0 + 2100 + 100 * i, Y0 + 500, "Viettel", "4G", -125.0, "2025-05-20")
             for i in range(3)]
    # C (not declared): 12 strong recent samples -> covered; 15 weak but 2 years old
    rows += [(X0 + 4100 + 50 * i, Y0 + 500, "452-04", "4G", -95.0, "2025-05-31")
             for i in range(12)]
    rows += [(X0 + 4100 + 50 * i, Y0 + 600, "Viettel", "4G", -130.0, "2023-05-31")
             for i in range(15)]
    # bad rows, one reason each (twice no time)
    rows += [(X0 + 4200, Y0 + 500, "Viettel", "4G", -95.0, ""),
             (X0 + 4200, Y0 + 500, "Viettel", "4G", -95.0, None),
             (X0 + 4200, Y0 + 500, "NoSuchNet", "4G", -95.0, "2025-05-31"),
             (X0 + 4200, Y0 + 500, "Viettel", "6G", -95.0, "2025-05-31"),
             (X0 + 4200, Y0 + 500, "Viettel", "4G", np.nan, "2025-05-31"),
             (X0 + 4200, Y0 + 500, "Viettel", "4G", -5.0, "2025-05-31"),
             (X0 + 4200, Y0 + 500, "Viettel", "4G", -170.0, "2025-05-31")]
    x, y, carrier, tech, dbm, when = zip(*rows)
    lon, lat = _ll(x, y)
    pd.DataFrame({"lon": lon, "lat": lat, "op": carrier, "rat": tech, "rsrp": dbm,
                  "ts": when, "dl": 12.5}).to_csv(tmp_path / "drive.csv", index=False)
    clon, clat = _ll([X0 + 10, X0 + 20, X0 + 4500, X0 + 50_000], [Y0 + 10] * 3 + [Y0])
    pd.DataFrame({"lon": clon, "lat": clat, "carrier": ["Viettel", "Viettel", "VNPT", "Viettel"],
                  "date": "2025-05-01"}).to_csv(tmp_path / "complaints.csv", index=False)
    text = f"""
[villages]
path = "v.gpkg"
id = "vid"
population = "pop"
[[coverage]]
path = "viettel_4g.gpkg"
carrier = "Viettel"
technology = "4G"
date = "2025-01-01"
[[measurements]]
path = "drive.csv"
lon = "lon"
lat = "lat"
crs = "EPSG:4326"
carrier = "op"
technology = "rat"
signal = "rsrp"
time = "ts"
download = "dl"
[complaints]
path = "complaints.csv"
lon = "lon"
lat = "lat"
crs = "EPSG:4326"
[measurement_rules]
as_of = "2025-06-01"
{extra}
"""
    import tomllib
    return config_from_dict(tomllib.loads(text), base_dir=tmp_path)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disputes")
    measured = pipeline.measure(_project(tmp))
    return measured, pipeline.assess(measured)


def test_disputes_both_ways_and_none_without_enough_samples(run):
    _, result = run
    v = result.villages.set_index(S.ID)
    assert v["dispute__viettel_4g"].tolist() == ["declared_not_measured", "", "measured_not_declared"]
    assert v["meas_verdict__viettel_4g"].tolist() == ["not_covered", "insufficient", "covered"]
    assert v["meas_samples__viettel_4g"].tolist() == [21, 3, 12]     # the 15 old ones left out
    assert v.loc["A", "meas_share_below__viettel_4g"] == pytest.approx(20 / 21)
    assert v.loc["C", "meas_age_days__viettel_4g"] == pytest.approx(1.0)
    assert v.loc["C", "meas_download_mbps__viettel_4g"] == pytest.approx(12.5)


def test_sufficient_measurements_outrank_declared_coverage(run):
    _, result = run
    v = result.villages.set_index(S.ID)
    # A: declared covered, measured not -> no signal; B: declared stands; C: measured covers
    assert v[S.SIGNAL_CLASS].tolist() == ["no_signal", "covered", "covered"]
    # the declared layer's own column still says what was declared
    assert v["centre__viettel_4g"].tolist() == [True, True, False]
    assert v[S.CENTRE_ANY].tolist() == [False, True, True]
    assert "Measurements outrank declared coverage for Viettel 4G: 21 recent samples, 95% " \
           "below the threshold, so not covered." in v.loc["A", S.WHY]
    assert "so covered." in v.loc["C", S.WHY] and "outrank" not in v.loc["B", S.WHY]
    vi = why_text(result.villages, "vi")
    assert "Đo kiểm được ưu tiên hơn vùng phủ công bố của Viettel 4G: 21 mẫu gần đây, 95" in vi.iloc[0]


def test_each_bad_row_is_counted_with_its_reason_and_no_village_is_lost(run):
    measured, result = run
    assert result.villages[S.ID].tolist() == ["A", "B", "C"]
    assert measured.report.details["measurements"] == {
        "used": 51, "skipped": {"no_time": 2, "unknown_carrier": 1, "unknown_technology": 1,
                                "no_signal": 1, "impossible_dbm": 2}}
    keys = {w.key for w in measured.report.warnings if getattr(w, "key", None)}
    assert {"meas_no_time", "meas_unknown_carrier", "meas_unknown_technology",
            "meas_no_signal", "meas_impossible_dbm"} <= keys


def test_complaints_counted_per_village_and_carrier_and_outside_in_the_report(run):
    measured, result = run
    v = result.villages.set_index(S.ID)
    assert v[S.COMPLAINTS].tolist() == [2, 0, 1]
    assert v["complaints__viettel"].tolist() == [2, 0, 0]
    assert v["complaints__vnpt"].tolist() == [0, 0, 1]
    assert measured.report.details["complaints"] == {"read": 4, "outside": 1, "unknown_carrier": 0}
    assert result.manifest["complaints"]["outside"] == 1


def test_thresholds_of_the_rules_apply_per_technology(run):
    measured, _ = run
    rules = measured.config.measurement_rules.__class__(as_of="2025-06-01", dbm={"4G": -96.0})
    v = pipeline.assess(measured, measured.config.replace(measurement_rules=rules)
                        ).villages.set_index(S.ID)
    # C's 12 samples are at -95 dBm: still covered at -96; A's outlier alone is not enough
    assert v["meas_verdict__viettel_4g"].tolist() == ["not_covered", "insufficient", "covered"]
    rules = measured.config.measurement_rules.__class__(as_of="2025-06-01", dbm={"4G": -94.0})
    v = pipeline.assess(measured, measured.config.replace(measurement_rules=rules)
                        ).villages.set_index(S.ID)
    assert v.loc["C", "meas_verdict__viettel_4g"] == "not_covered"
    assert v.loc["C", "dispute__viettel_4g"] == ""          # both say no signal


def test_fewer_minimum_samples_turn_insufficient_into_a_dispute_without_measuring_again(run):
    measured, _ = run
    cfg = measured.config.replace(measurement_rules=measured.config.measurement_rules.__class__(
        as_of="2025-06-01", min_samples=3))
    v = pipeline.assess(measured, cfg).villages.set_index(S.ID)
    assert v["dispute__viettel_4g"].tolist() == ["declared_not_measured", "declared_not_measured",
                                                 "measured_not_declared"]
