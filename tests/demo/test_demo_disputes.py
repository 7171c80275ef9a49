"""The demo's synthetic Viettel drive tests and complaints reach the village table."""

from __future__ import annotations

import csv

from gisapp import pipeline
from gisapp import schema as S


def test_demo_villages_csv_carries_disputes_both_ways_and_complaints(demo_config_path, tmp_path):
    result, paths = pipeline.run_to_dir(demo_config_path, tmp_path)
    with open(paths["csv"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1500
    disputes = [r["dispute__viettel_4g"] for r in rows]
    # the generator plants 6 weak villages inside the declaration and 5 strong ones
    # outside it; one more agreeing village has its centre just outside it
    assert disputes.count("declared_not_measured") == 6
    assert disputes.count("measured_not_declared") == 6
    assert disputes.count("") == 1488
    verdicts = [r["meas_verdict__viettel_4g"] for r in rows]
    assert verdicts.count("covered") + verdicts.count("not_covered") == 45 + 21
    assert sum(int(r[S.COMPLAINTS]) for r in rows) == 37
    details = result.manifest
    assert details["complaints"] == {"read": 40, "outside": 3, "unknown_carrier": 0}
    assert details["measurements"]["skipped"] == {"no_time": 1, "unknown_carrier": 1,
                                                  "unknown_technology": 1, "no_signal": 0,
                                                  "impossible_dbm": 2}
    disputed = [r for r in rows if r["dispute__viettel_4g"]]
    assert all("Measurements outrank declared coverage for Viettel 4G" in r[S.WHY] for r in disputed)
