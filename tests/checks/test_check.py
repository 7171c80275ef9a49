"""``gisapp check``: a village template with deliberately bad rows names each one."""

from __future__ import annotations

import pytest

from gisapp.checks import MESSAGES, check_template
from gisapp.cli import main
from gisapp.templates import TEMPLATES, write_template

GOOD = [
    ["V001", "Bản Nà Xạ", "Xã Mường Bú", "Sơn La", 320, 70, 103.85, 21.35, ""],
    ["V002", "Bản Co Muông", "Xã Mường Bú", "Sơn La", 210, 45, 103.86, 21.36, ""],
]
BAD = [
    # (row as written, spreadsheet row, column, message key)
    (["", "Bản Huổi Một", "Xã Mường Bú", "Sơn La", 100, 20, 103.80, 21.30, ""], 5, "village_id",
     "missing_id"),
    (["V004", "Bản Pá Công", "Xã Mường Bú", "Sơn La", 150, 30, 21.31, 103.81, ""], 6, "lon",
     "swapped"),
    (["V005", "Bản Lọng Sản", "Xã Mường Bú", "Sơn La", 150, 30, 0, 0, ""], 7, "lon",
     "outside_vietnam"),
    (["V006", "Bản Hua Pù", "Xã Không Có", "Sơn La", 90, 18, 103.82, 21.32, ""], 8, "commune",
     "unknown_commune"),
    (["V007", "Bản Tà Lại", "Xã Mường Bú", "Sơn La", "khoảng 200", 40, 103.83, 21.33, ""], 9,
     "population", "not_a_number"),
    (["V008", "Ban Na Xa", "Xã Mường Bú", "Sơn La", 300, 60, 103.84, 21.34, ""], 10, "name",
     "duplicate_name"),
    (["V002", "Bản Nậm Ét", "Xã Mường Bú", "Sơn La", 300, 60, 103.84, 21.34, ""], 11,
     "village_id", "duplicate_id"),
]
COMMUNES = ["Xã Mường Bú", "Xã Chiềng Lao"]


@pytest.fixture
def bad_files(tmp_path):
    t = TEMPLATES["villages"]
    return write_template(t, tmp_path, GOOD + [r for r, *_ in BAD])


@pytest.mark.parametrize("which", [0, 1], ids=["xlsx", "csv"])
def test_check_names_each_bad_row(bad_files, which):
    report = check_template(bad_files[which], communes=COMMUNES)
    got = {(p.row, p.column, p.code) for p in report.problems}
    assert got == {(row, col, code) for _, row, col, code in BAD}
    assert report.rows == len(GOOD) + len(BAD)
    text = "\n".join(report.lines("en"))
    assert "row 8, commune: commune 'Xã Không Có' is not in the commune list" in text
    assert "row 10, name: name 'Ban Na Xa' repeats row 3 in the same commune" in text
    assert "row 6, lon: coordinates swapped" in text
    assert "row 9, population: column population holds 'khoảng 200', not a number" in text
    vi = "\n".join(report.lines("vi"))
    assert "dòng 5, village_id: thiếu mã" in vi


def test_cli_exit_status_and_language(bad_files, tmp_path, capsys):
    communes = tmp_path / "communes.csv"
    communes.write_text("commune\n" + "\n".join(COMMUNES) + "\n", encoding="utf-8")
    assert main(["check", str(bad_files[0]), "--communes", str(communes), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f"{len(BAD)} problem(s)" in out and "row 7, lon: coordinates (0, 0) are outside" in out
    good = write_template(TEMPLATES["villages"], tmp_path / "good", GOOD)
    assert main(["check", str(good[0]), str(good[1]), "--communes", str(communes)]) == 0
    assert "không có lỗi" in capsys.readouterr().out


def test_without_a_commune_list_communes_are_not_checked(bad_files):
    codes = {p.code for p in check_template(bad_files[1]).problems}
    assert "unknown_commune" not in codes and "swapped" in codes


def test_other_templates_are_checked(tmp_path):
    towers = write_template(TEMPLATES["towers"], tmp_path, [
        ["S1", "Viettel", "4G", 103.9, 21.4, 30, "ắc quy", "452-04", ""],
        ["S1", "Viettel", "2G", 103.9, 21.4, 30, "", "452-04", ""],   # same site, other tech
        ["S1", "Viettel", "4G", 103.9, 21.4, "ba mươi", "", "", ""],
        ["S2", "VNPT", "6G", None, None, 25, "", "", ""],
    ])[0]
    got = {(p.row, p.column, p.code) for p in check_template(towers).problems}
    assert got == {(5, "site_id", "duplicate_id"), (5, "height_m", "not_a_number"),
                   (6, "technology", "bad_technology"), (6, "lon", "missing_coords")}
    evn = write_template(TEMPLATES["evn_villages_without_power"], tmp_path, [
        ["", "Bản Nà Xạ", "Mường Bú", "không", 12, "2025-05-01", ""],
        ["", "Bản Co Muông", "Mường Bú", "chắc là có", "", "", ""],
    ])[1]
    got = {(p.row, p.column, p.code) for p in check_template(evn, communes=COMMUNES).problems}
    assert got == {(4, "has_power", "bad_yes_no")}


def test_a_file_that_is_no_template_is_refused(tmp_path):
    from gisapp.errors import InputError

    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a template"):
        check_template(p)
    assert main(["check", str(p)]) == 2


def test_every_message_has_both_languages():
    for key, pair in MESSAGES.items():
        assert len(pair) == 2 and all(s.strip() for s in pair), key


def test_an_unreadable_workbook_is_reported_like_in_a_run(tmp_path, capsys):
    p = tmp_path / "villages.xlsx"
    p.write_bytes(b"not a zip")
    assert main(["check", str(p)]) == 2
    err = capsys.readouterr().err
    assert "villages.xlsx" in err and "save it again as .xlsx" in err
