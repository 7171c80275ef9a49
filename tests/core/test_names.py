"""Vietnamese name normalisation and matching (gisapp.names)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gisapp.names import fold, match_by_name, name_key, normalise_name, slug

REAL = os.environ.get("GISAPP_REAL_DATA")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bản Nà Xạ", "na xa"),
        ("ban na xa", "na xa"),
        ("Nà Xạ", "na xa"),
        ("NA XA", "na xa"),
        ("  Bản   Nà-Xạ. ", "na xa"),
        ("Thôn 3", "3"),
        ("Thôn 03", "3"),
        ("thon 3", "3"),
        ("Thôn 11", "11"),
        ("Tổ dân phố 5", "5"),
        ("TDP 05", "5"),
        ("tổ 7", "7"),
        ("Xóm Đồng Tâm", "dong tam"),
        ("Ấp 3A", "3a"),
        ("Buôn Đôn", "don"),
        ("Plây Ku", "ku"),
        ("Xã Mường Lạn", "muong lan"),
        ("Phường 1", "1"),
        ("Thị trấn Mường Tè", "muong te"),
        ("TT. Mường Tè", "muong te"),
        ("Đắk Lắk", "dak lak"),
        # decomposed (NFD) input gives the same key as composed
        ("Ba\u0309n Na\u0300 Xa\u0323", "na xa"),
        # a prefix alone is a name, not a prefix
        ("Bản", "ban"),
        # "Tô" (not "Tổ") and "Bàn" (not "Bản") are words of the name
        ("Tô Múa", "to mua"),
        ("Bàn Cờ", "ban co"),
        (None, ""),
        (np.nan, ""),
        (pd.NA, ""),
        (12, "12"),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("Bản Nà Xạ", "NA XA"), ("Nà Xạ", "NàXạ"), ("Thôn 3", "Thôn 03"), ("Tổ dân phố 2", "TDP 2")],
)
def test_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Thôn 1", "Thôn 11"), ("Nà Xạ", "Nà Xa Trên"), ("Bản 1", "Bản 10")])
def test_different_names_keep_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_slug():
    assert slug("Trạm y tế") == "tram_y_te"
    assert slug("Viettel") == "viettel"
    assert slug(None) == ""


@pytest.fixture()
def tables():
    villages = pd.DataFrame(
        {
            "name": ["Bản Nà Xạ", "Thôn 1", "Thôn 11", "Nà Xạ", "Huổi Lếch", "Thôn 5", "Pa Vệ"],
            "commune": ["Xã Mường Lạn", "Xã Mường Lạn", "Xã Mường Lạn", "Xã Chiềng Sơ",
                        "Xã Mường Lạn", "Xã Mường Lạn", "Xã Mường Lạn"],
        },
        index=[101, 102, 103, 104, 105, 106, 107],
    )
    listed = pd.DataFrame(
        {
            "ten": ["NA XA", "thon 01", "ban na xa", "Thon 5", "Thôn 05", "Huoi Lech", "Pa Ve Moi"],
            "xa": ["Mường Lạn", "muong lan", "Chiềng Sơ", "Mường Lạn", "Mường Lạn", "Chiềng Sơ",
                   "Mường Lạn"],
        }
    )
    return villages, listed


def test_match_by_name_pairs_within_commune(tables):
    villages, listed = tables
    m = match_by_name(villages, listed, left_name="name", right_name="ten",
                      left_commune="commune", right_commune="xa")
    got = sorted(zip(m.pairs["left_index"], m.pairs["right_index"]))
    # Nà Xạ in Mường Lạn ↔ row 0, in Chiềng Sơ ↔ row 2 (same name, two villages);
    # Thôn 1 ↔ "thon 01" (never Thôn 11)
    assert got == [(101, 0), (102, 1), (104, 2)]
    method = dict(zip(m.pairs["left_index"], m.pairs["method"]))
    # "thon 01" ↔ "Thôn 1" is equal with diacritics kept; "NA XA" only without them
    assert method == {101: "folded", 102: "exact", 104: "folded"}


def test_tone_marks_separate_places_when_both_sides_have_them():
    # the 2019 census has both Hoằng Đồng and Hoằng Đông in one district
    left = pd.DataFrame({"n": ["Xã Hoằng Đồng", "Xã Hoằng Đông"], "c": ["Hoằng Hóa"] * 2})
    right = pd.DataFrame({"n": ["Hoằng Đông", "HOANG DONG"], "c": ["Hoang Hoa", "Hoằng Hoá"]})
    m = match_by_name(left, right.iloc[:1], left_name="n", right_name="n",
                      left_commune="c", right_commune="c")
    assert list(zip(m.pairs["left_index"], m.pairs["right_index"], m.pairs["method"])) == [
        (1, 0, "exact")
    ]
    assert list(m.unmatched_left.index) == [0] and m.ambiguous.empty
    # written without diacritics, the name could be either: reported, not guessed
    m = match_by_name(left, right.iloc[1:], left_name="n", right_name="n",
                      left_commune="c", right_commune="c")
    assert m.pairs.empty
    assert sorted(zip(m.ambiguous["side"], m.ambiguous["index"])) == [
        ("left", 0), ("left", 1), ("right", 1)
    ]


def test_match_by_name_reports_unmatched_and_ambiguous(tables):
    villages, listed = tables
    m = match_by_name(villages, listed, left_name="name", right_name="ten",
                      left_commune="commune", right_commune="xa")
    # "Thon 5" and "Thôn 05" are the same key twice in Mường Lạn: reported, not guessed,
    # together with the village Thôn 5 they would both match
    amb = sorted(zip(m.ambiguous["side"], m.ambiguous["index"]))
    assert amb == [("left", 106), ("right", 3), ("right", 4)]
    assert sorted(m.unmatched_left.index) == [103, 105, 107]
    # Huổi Lếch is listed under the wrong commune: unmatched, not matched across communes
    assert sorted(m.unmatched_right.index) == [5, 6]
    assert list(m.unmatched_left.columns[:2]) == ["name", "commune"]
    # the closest unmatched name in the same commune is suggested
    assert m.unmatched_right.loc[6, "suggestion"] == "Pa Vệ"
    assert pd.isna(m.unmatched_right.loc[5, "suggestion"])


def test_match_by_name_does_not_mutate(tables):
    villages, listed = tables
    before_v, before_l = villages.copy(), listed.copy()
    match_by_name(villages, listed, left_name="name", right_name="ten",
                  left_commune="commune", right_commune="xa")
    pd.testing.assert_frame_equal(villages, before_v)
    pd.testing.assert_frame_equal(listed, before_l)


def test_match_without_commune_makes_repeated_names_ambiguous(tables):
    villages, listed = tables
    m = match_by_name(villages, listed, left_name="name", right_name="ten")
    assert {101, 104} <= set(m.ambiguous.loc[m.ambiguous["side"] == "left", "index"])
    assert 101 not in set(m.pairs["left_index"])


def test_empty_names_never_match():
    left = pd.DataFrame({"n": [None, "", "A"]})
    right = pd.DataFrame({"n": [np.nan, "", "a"]})
    m = match_by_name(left, right, left_name="n", right_name="n")
    assert list(zip(m.pairs["left_index"], m.pairs["right_index"])) == [(2, 2)]
    assert len(m.unmatched_left) == 2 and len(m.unmatched_right) == 2
    assert m.ambiguous.empty


def test_empty_tables():
    e = pd.DataFrame({"n": pd.Series([], dtype=object), "c": pd.Series([], dtype=object)})
    m = match_by_name(e, e, left_name="n", right_name="n", left_commune="c", right_commune="c")
    assert m.pairs.empty and list(m.pairs.columns) == ["left_index", "right_index", "method"]
    assert m.unmatched_left.empty and m.ambiguous.empty


@pytest.mark.skipif(not REAL, reason="GISAPP_REAL_DATA not set (real census names)")
def test_census_2019_names():
    """11,165 real commune names (GSO 2019 census, via hgscarlette/vn-demographic).

    The file writes names without spaces and titles apart ("ThịTrấn", "QuangMinh").
    """
    df = pd.read_csv(Path(REAL) / "vietnam" / "census2019_commune_population.csv")
    full = df["ward_title"].astype(str) + " " + df["ward"].astype(str)
    keys = full.map(normalise_name)
    assert len(keys) == 11165
    # every name gives a non-empty key; the commune titles never survive, glued or not
    assert (keys != "").all()
    assert not keys.str.match(r"^(xa|phuong|thi ?tran) ").any()
    titled = df["ward_title"].isin(["Xã", "Phường", "ThịTrấn"])
    assert titled.sum() == 11162
    assert (keys[titled] == df.loc[titled, "ward"].map(normalise_name)).all()

    # Match titled names against bare, upper-case, diacritic-free ones within the
    # district: every commune finds itself, except (a) the 3 island districts titled
    # "Huyện" (not a commune prefix), (b) names that repeat within a district once the
    # title is gone (Thị trấn X / Xã X: 56 rows) or the diacritics are gone
    # (Hoằng Đồng / Hoằng Đông ...): reported as ambiguous, never paired wrongly.
    district = df["city"] + " " + df["district"]
    left = pd.DataFrame({"n": full, "c": district})
    right = pd.DataFrame({"n": df["ward"].map(fold).str.upper(), "c": district.map(fold)})
    m = match_by_name(left, right, left_name="n", right_name="n", left_commune="c",
                      right_commune="c", suggest=False)
    assert (m.pairs["left_index"] == m.pairs["right_index"]).all()
    assert len(m.pairs) == 11056
    assert sorted(m.unmatched_left["n"]) == ["Huyện BạchLongVĩ", "Huyện CônĐảo", "Huyện CồnCỏ"]
    assert (m.ambiguous["side"] == "left").sum() == 106
    assert len(m.pairs) + 106 + 3 == len(df)
