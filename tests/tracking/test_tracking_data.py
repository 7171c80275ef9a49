"""Two synthetic surveys of one province with known transitions, for the tracking tests.

200 square villages (about 1 km², on a 20 × 10 grid near 104° E, 22° N) in 10 communes
of 20. Between survey 1 (2024-06-30) and survey 2 (2025-06-30):

============  ==  =====================================================  ==================
set           n   what happens                                           expected change
============  ==  =====================================================  ==================
RESOLVED      10  no_signal → served                                     resolved
COVERED        8  no_power_no_signal → no_power                          newly_covered
POWERED        6  no_power_no_signal → no_signal                         newly_powered
WORSE          5  served → no_signal                                     newly_found_gap
OPEN          12  no_signal → no_signal                                  still_open
UNKNOWN        2  served → unknown                                       unknown
RENAMED        4  served, new id *and* name respelled (prefix/diacritics) unchanged_served (name)
MERGED        40  communes 9 and 10 merged into "Phường Hợp Nhất" (new    by geometry
              code, new village ids); shapes shrunk by 4 %; three of
              them no_power_no_signal → served, the rest served
GONE           3  only in survey 1                                       disappeared
NEW            4  only in survey 2 (2 no_signal, 2 served)               2 newly_found_gap,
                                                                         2 appeared
rest           —  served in both                                         unchanged_served
============  ==  =====================================================  ==================
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from gisapp import schema as S

LON0, LAT0 = 104.0, 22.0
STEP = 0.01  # degrees, about 1 km


def _square(col: int, row: int, shrink: float = 0.0) -> shapely.Polygon:
    x0, y0 = LON0 + col * STEP, LAT0 + row * STEP
    box = shapely.box(x0, y0, x0 + STEP * 0.98, y0 + STEP * 0.98)
    if shrink:
        box = shapely.affinity.scale(box, 1 - shrink, 1 - shrink)
    return box


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    df[S.POP] = df[S.POP].astype("int64")
    df[S.PRIORITY_RANK] = pd.array(df[S.PRIORITY_RANK], dtype="Int64")
    df[S.CENTRE_ANY] = pd.array(df[S.CENTRE_ANY], dtype="boolean")
    return gpd.GeoDataFrame(df, geometry=geoms, crs=4326)


def _signal(gap: str) -> str:
    return "no_signal" if gap in ("no_signal", "no_power_no_signal") else (
        "unknown" if gap == "unknown" else "covered")


def _power(gap: str) -> str:
    return "no" if gap in ("no_power", "no_power_no_signal") else (
        "unknown" if gap == "unknown" else "yes")


SETS = {
    "RESOLVED": range(0, 10), "COVERED": range(10, 18), "POWERED": range(18, 24),
    "WORSE": range(24, 29), "OPEN": range(29, 41), "UNKNOWN": range(41, 43),
    "RENAMED": range(43, 47), "GONE": range(47, 50),
    "MERGED": range(160, 200),   # communes 9 and 10 (0-based 8 and 9)
}
MERGED_RESOLVED = (160, 175, 199)
BEFORE = {**{i: "no_signal" for i in SETS["RESOLVED"]},
          **{i: "no_power_no_signal" for i in SETS["COVERED"]},
          **{i: "no_power_no_signal" for i in SETS["POWERED"]},
          **{i: "no_signal" for i in SETS["OPEN"]},
          **{i: "no_power_no_signal" for i in MERGED_RESOLVED}}
AFTER = {**{i: "no_power" for i in SETS["COVERED"]},
         **{i: "no_signal" for i in SETS["POWERED"]},
         **{i: "no_signal" for i in SETS["WORSE"]},
         **{i: "no_signal" for i in SETS["OPEN"]},
         **{i: "unknown" for i in SETS["UNKNOWN"]}}
RENAMES = {43: ("Thôn Nà Xạ", "Bản Nà Xạ"), 44: ("Bản Khuổi Lừa", "Khuoi Lua"),
           45: ("Xóm Pác Nặm", "xóm  Pác  Nặm"), 46: ("Thôn 03", "Thôn 3")}

EXPECTED = {
    "resolved": 10 + 3, "newly_covered": 8, "newly_powered": 6, "newly_found_gap": 5 + 2,
    "still_open": 12, "unknown": 2, "disappeared": 3, "appeared": 2,
    "unchanged_served": 200 - 3 - 10 - 8 - 6 - 5 - 12 - 2 - 3, "judged_served": 0,
}


def _commune(i: int) -> tuple[str, str]:
    c = i // 20
    return f"{c + 1:02d}", f"Xã Thử {c + 1}"


def surveys() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(survey 1, survey 2): two village tables in EPSG:4326 with schema columns."""
    rows1, geoms1, rows2, geoms2 = [], [], [], []
    for i in range(200):
        col, row = i % 20, i // 20
        code, commune = _commune(i)
        name = RENAMES.get(i, (f"Bản Thử {i}", None))[0]
        pop = 100 + i
        g1 = BEFORE.get(i, "served")
        rows1.append({
            S.ID: f"{code}-{i:03d}", S.NAME: name, S.COMMUNE: commune, S.PROVINCE: "Tỉnh Thử",
            S.POP: pop, S.GAP_CLASS: g1, S.SIGNAL_CLASS: _signal(g1), S.POWER_STATUS: _power(g1),
            S.SIGNAL_EVIDENCE: "coverage viettel_4g (declared, 2024-06-01)",
            S.POWER_EVIDENCE: "EVN list (declared, 2024-05-01)", S.WHY: f"survey 1: {g1}",
            S.PRIORITY_RANK: i + 1 if g1 != "served" else None,
            S.CENTRE_ANY: g1 in ("served", "no_power"),
        })
        geoms1.append(_square(col, row))
        if i in SETS["GONE"]:
            continue
        g2 = AFTER.get(i, "served")
        if i in SETS["MERGED"]:
            vid, commune2, shrink = f"NEW-{i:03d}", "Phường Hợp Nhất", 0.04
        elif i in SETS["RENAMED"]:
            vid, commune2, shrink = f"R{i:03d}", commune, 0.0
        else:
            vid, commune2, shrink = f"{code}-{i:03d}", commune, 0.0
        name2 = RENAMES[i][1] if i in RENAMES else name
        rows2.append({
            S.ID: vid, S.NAME: name2, S.COMMUNE: commune2, S.PROVINCE: "Tỉnh Thử",
            S.POP: pop + 5, S.GAP_CLASS: g2, S.SIGNAL_CLASS: _signal(g2),
            S.POWER_STATUS: _power(g2),
            S.SIGNAL_EVIDENCE: "drive test viettel_4g (measured, 2025-06-01)",
            S.POWER_EVIDENCE: "EVN list (declared, 2025-05-01)", S.WHY: f"survey 2: {g2}",
            S.PRIORITY_RANK: i + 1 if g2 != "served" else None,
            S.CENTRE_ANY: g2 in ("served", "no_power"),
        })
        geoms2.append(_square(col, row, shrink))
    for k, gap in enumerate(("no_signal", "no_signal", "served", "served")):
        rows2.append({
            S.ID: f"NEW-X{k}", S.NAME: f"Bản Mới {k}", S.COMMUNE: "Xã Thử 1",
            S.PROVINCE: "Tỉnh Thử", S.POP: 50, S.GAP_CLASS: gap, S.SIGNAL_CLASS: _signal(gap),
            S.POWER_STATUS: _power(gap), S.SIGNAL_EVIDENCE: "drive test (measured, 2025-06-01)",
            S.POWER_EVIDENCE: "EVN list (declared, 2025-05-01)", S.WHY: "new village",
            S.PRIORITY_RANK: 500 + k if gap != "served" else None,
            S.CENTRE_ANY: gap == "served",
        })
        geoms2.append(_square(-2 - k, 0))
    return _frame(rows1, geoms1), _frame(rows2, geoms2)


# --- the generator's own invariants -----------------------------------------------------
def test_surveys_have_the_documented_sizes_and_unique_ids():
    one, two = surveys()
    assert len(one) == 200 and len(two) == 200 - 3 + 4
    assert one[S.ID].is_unique and two[S.ID].is_unique
    assert sum(EXPECTED.values()) == 200 + 4
    assert (two[S.COMMUNE] == "Phường Hợp Nhất").sum() == 40
