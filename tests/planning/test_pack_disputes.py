"""Each carrier pack holds its dispute list: the demo's Viettel drive tests give
Viettel's pack its disputed villages with the evidence; the other packs list none."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.planning import plan
from gisapp.planning.disputes import carrier_disputes, dispute_summary
from gisapp.planning.packs import carrier_pack_bytes


@pytest.fixture(scope="module")
def demo_plan_for_packs(demo_result):
    return plan(demo_result)


def test_viettel_pack_lists_exactly_its_disputed_villages_with_evidence(demo_result,
                                                                        demo_plan_for_packs):
    v = demo_result.villages
    want = set(v.loc[v["dispute__viettel_4g"] != "", S.ID].astype(str))
    assert len(want) == 12
    data = carrier_pack_bytes(demo_plan_for_packs, demo_result, "Viettel", lang="en")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        table = pd.read_csv(io.BytesIO(zf.read("viettel_disputes.csv")), encoding="utf-8-sig",
                            dtype={S.ID: str}, keep_default_na=False)
        wb = openpyxl.load_workbook(io.BytesIO(zf.read("viettel_disputes.xlsx")), read_only=True)
        manifest = json.loads(zf.read("manifest.json"))
        dictionary = pd.read_csv(io.BytesIO(zf.read("columns.csv")), encoding="utf-8-sig")
    assert set(table[S.ID]) == want and len(table) == len(want)
    assert set(manifest["carrier_disputed_villages"]) == want
    assert {"dispute__viettel_4g", "meas_samples__viettel_4g", "meas_share_below__viettel_4g",
            "meas_verdict__viettel_4g", "meas_age_days__viettel_4g", "centre__viettel_4g",
            "complaints__viettel"} <= set(table.columns)
    assert (table["meas_samples__viettel_4g"].astype(int) >= 10).all()
    declared = table["centre__viettel_4g"].astype(str).str.lower() == "true"
    assert (table.loc[declared, "dispute__viettel_4g"] == "declared_not_measured").all()
    summary = list(wb["Summary"].iter_rows(values_only=True))
    assert ("viettel_4g", 6, 6) in [tuple(r[:3]) for r in summary]
    assert "dispute__viettel_4g" in set(dictionary.iloc[:, 1]) | set(dictionary.iloc[:, 0])


def test_a_carrier_without_measurements_has_an_empty_dispute_list(demo_result, demo_plan_for_packs):
    assert carrier_disputes(demo_result.villages, "VNPT").empty
    data = carrier_pack_bytes(demo_plan_for_packs, demo_result, "VNPT")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        table = pd.read_csv(io.BytesIO(zf.read("vnpt_disputes.csv")), encoding="utf-8-sig")
    assert len(table) == 0 and S.ID in table.columns
    assert dispute_summary(carrier_disputes(demo_result.villages, "VNPT"), "VNPT").empty
