"""Messages of ``gisapp check`` (:mod:`gisapp.checks`), in Vietnamese and English.

Part of the one catalogue: :mod:`gisapp.i18n.labels` holds them under ``chk_<key>``.
"""

from __future__ import annotations

__all__ = ["CHECK_MESSAGES"]

#: key -> (Vietnamese, English)
CHECK_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_id": ("thiếu mã ở cột {col}: ghi mã duy nhất (ví dụ mã xã + số thứ tự)",
                   "no id in column {col}: write a unique code (e.g. commune code + number)"),
    "duplicate_id": ("mã '{value}' ở cột {col} trùng với dòng {other}: mỗi dòng một mã riêng",
                     "id '{value}' in column {col} repeats row {other}: give each row its own id"),
    "missing_value": ("cột {col} bắt buộc nhưng đang trống: điền giá trị (xem trang Hướng dẫn)",
                      "column {col} is required but empty: fill it in (see the Guide sheet)"),
    "missing_coords": ("thiếu toạ độ (lon, lat): đo bằng GPS điện thoại, ghi độ thập phân WGS84",
                       "no coordinates (lon, lat): take them with a phone GPS, WGS84 decimal degrees"),
    "not_a_number": ("cột {col} có '{value}', không phải số: chỉ ghi số (dấu chấm thập phân) "
                     "hoặc để trống",
                     "column {col} holds '{value}', not a number: write digits only (decimal "
                     "point) or leave it empty"),
    "negative": ("cột {col} có số âm '{value}': ghi số 0 trở lên hoặc để trống",
                 "column {col} holds a negative number '{value}': write 0 or more, or leave it empty"),
    "swapped": ("toạ độ bị đảo (lon={value}): kinh độ (102–110) ghi ở cột lon, vĩ độ (8–24) ở "
                "cột lat; đổi chỗ hai cột",
                "coordinates swapped (lon={value}): longitude (102–110) goes in lon, latitude "
                "(8–24) in lat; exchange the two cells"),
    "outside_vietnam": ("toạ độ ({value}) nằm ngoài Việt Nam: kiểm tra độ thập phân WGS84 "
                        "(không phải VN-2000 mét, không ghi 0)",
                        "coordinates ({value}) are outside Vietnam: check they are WGS84 decimal "
                        "degrees (not VN-2000 metres, never 0)"),
    "unknown_commune": ("xã '{value}' không có trong danh sách xã{other}: viết đúng tên xã sau "
                        "sắp xếp 2025",
                        "commune '{value}' is not in the commune list{other}: write the commune's "
                        "name after the 2025 reform"),
    "duplicate_name": ("tên '{value}' trùng với dòng {other} trong cùng xã: thêm số hoặc tên "
                       "phân biệt, hoặc xoá dòng lặp",
                       "name '{value}' repeats row {other} in the same commune: add a number or "
                       "a distinguishing name, or delete the repeated row"),
    "bad_yes_no": ("cột {col} có '{value}': ghi có hoặc không",
                   "column {col} holds '{value}': write có (yes) or không (no)"),
    "bad_technology": ("cột {col} có '{value}': ghi một trong {other}",
                       "column {col} holds '{value}': write one of {other}"),
    "did_you_mean": (" (gần nhất: '{value}')", " (closest: '{value}')"),
    "clean": ("{file}: {rows} dòng, không có lỗi ({template})",
              "{file}: {rows} row(s), no problems ({template})"),
    "found": ("{file}: {rows} dòng, {n} lỗi ({template})",
              "{file}: {rows} row(s), {n} problem(s) ({template})"),
    "row": ("dòng {row}", "row {row}"),
    "not_template": ("không nhận ra mẫu: cần một dòng tiêu đề có các tên cột của một mẫu "
                     "trong data/templates ({names})",
                     "not a template: no header row holds the column keys of one of the "
                     "templates in data/templates ({names})"),
}
