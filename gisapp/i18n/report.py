"""Words of the weekly progress report (:mod:`gisapp.tracking.report`), in Vietnamese and English.

Kept here, below the tracking package, because the report is written by the command line
as well as the app; part of the one catalogue: :mod:`gisapp.i18n.labels` holds them under
``rep_<key>``.
"""

from __future__ import annotations

__all__ = ["REPORT_LABELS", "rt"]

#: key -> (Vietnamese, English)
REPORT_LABELS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO TIẾN ĐỘ XOÁ THÔN LÕM SÓNG, THÔN CHƯA CÓ ĐIỆN",
              "PROGRESS REPORT: VILLAGES WITHOUT SIGNAL OR POWER"),
    "province": ("Tỉnh", "Province"),
    "period": ("Kỳ báo cáo: từ {a} đến {b}", "Reporting period: {a} to {b}"),
    "cutoff": ("Số liệu chốt đến: {cut} (khảo sát '{label}' ngày {date}; {n} cập nhật đã xác nhận)",
               "Data cut-off: {cut} (survey '{label}' of {date}; {n} confirmed updates)"),
    "synthetic": ("Dữ liệu minh hoạ (tổng hợp), không phải số liệu thật.",
                  "Demonstration data (synthetic), not real figures."),
    "h_headline": ("1. Tổng hợp theo phân loại", "1. Headline figures by gap class"),
    "h_targets": ("2. So với mục tiêu và thời hạn", "2. Against targets and deadlines"),
    "h_map": ("3. Bản đồ hiện trạng", "3. Map of the present state"),
    "h_burndown": ("4. Biểu đồ tiến độ (số thôn còn lại)", "4. Burn-down (villages remaining)"),
    "h_communes": ("5. Theo xã/phường", "5. By commune"),
    "h_owners": ("6. Theo nhà mạng và điện lực (EVN)", "6. By carrier and the power utility (EVN)"),
    "h_changes": ("7. Thôn đã xoá, thôn mới, thôn tái phát", "7. Villages closed, new and reopened"),
    "h_sources": ("8. Nguồn và ngày của các lớp dữ liệu", "8. Source and date of every layer"),
    "class": ("Phân loại", "Gap class"),
    "villages": ("Số thôn", "Villages"),
    "people": ("Số dân", "People"),
    "villages_prev": ("Số thôn kỳ trước", "Villages last period"),
    "change": ("Thay đổi", "Change"),
    "people_prev": ("Số dân kỳ trước", "People last period"),
    "total": ("Tổng cộng", "Total"),
    "series": ("Chỉ tiêu", "Series"),
    "deadline": ("Thời hạn", "Deadline"),
    "max_remaining": ("Tối đa còn lại", "At most remaining"),
    "remaining": ("Hiện còn", "Remaining now"),
    "planned": ("Theo kế hoạch hôm nay", "Planned for today"),
    "status": ("Đánh giá", "Status"),
    "on_track": ("Đúng tiến độ", "On track"),
    "behind": ("Chậm tiến độ", "Behind"),
    "met": ("Đã đạt", "Met"),
    "missed": ("Không đạt", "Missed"),
    "no_targets": ("Chưa đặt mục tiêu ([tracking] trong tệp cấu hình).",
                   "No targets set ([tracking] in the config file)."),
    "commune": ("Xã/phường", "Commune"),
    "closed_period": ("Xoá trong kỳ", "Closed this period"),
    "owner": ("Đơn vị", "Owner"),
    "gap": ("Loại", "Gap"),
    "gap_signal": ("sóng", "signal"),
    "gap_power": ("điện", "power"),
    "due": ("Phải làm", "Due"),
    "overdue": ("Quá hạn", "Overdue"),
    "done_period": ("Hoàn thành trong kỳ", "Done this period"),
    "done_total": ("Hoàn thành luỹ kế", "Done in total"),
    "awaiting": ("Chờ xác nhận", "Awaiting confirmation"),
    "unassigned": ("(chưa giao)", "(unassigned)"),
    "village_id": ("Mã thôn", "Village id"),
    "name": ("Tên thôn", "Village"),
    "what": ("Diễn biến", "What happened"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "closed": ("đã xoá", "closed"),
    "new": ("mới phát hiện", "new"),
    "reopened": ("tái phát", "reopened"),
    "none": ("Không có.", "None."),
    "layer": ("Lớp dữ liệu", "Layer"),
    "file": ("Tệp", "File"),
    "date": ("Ngày dữ liệu", "Data date"),
    "sha256": ("SHA-256", "SHA-256"),
    "not_given": ("không ghi", "not given"),
    "map_caption": ("Thôn theo phân loại, ngày {date}", "Villages by gap class, {date}"),
    "bd_caption": ("Số thôn còn lại theo thời gian; đường nét đứt: kế hoạch theo mục tiêu",
                   "Villages remaining over time; dashed: the plan to the targets"),
    "annex": ("Phụ lục Excel: {name}", "Excel annex: {name}"),
    "s_any_gap": ("Thôn còn thiếu (sóng hoặc điện)", "Villages with any gap"),
    "s_any_no_signal": ("Thôn lõm sóng (có hoặc chưa có điện)", "Villages without signal"),
    "s_any_no_power": ("Thôn chưa có điện", "Villages without power"),
    "gap_no_power_no_signal": ("Chưa có điện, chưa có sóng", "No power, no signal"),
    "gap_no_signal": ("Chưa có sóng", "No signal"),
    "gap_no_power": ("Chưa có điện", "No power"),
    "gap_served": ("Đã có điện và sóng", "Served"),
    "gap_unknown": ("Chưa xác định", "Unknown"),
    "sheet_headline": ("Tong hop", "Headline"),
    "sheet_targets": ("Muc tieu", "Targets"),
    "sheet_communes": ("Theo xa", "Communes"),
    "sheet_owners": ("Nha mang - EVN", "Carriers - EVN"),
    "sheet_changes": ("Bien dong", "Changes"),
    "sheet_sources": ("Nguon du lieu", "Sources"),
    "sheet_burndown": ("Tien do", "Burn-down"),
}


def rt(key: str, lang: str = "vi", **kw: object) -> str:
    """One report label in ``lang`` (``vi`` or ``en``), formatted with ``kw``."""
    from gisapp.i18n.labels import t

    return t(f"rep_{key}", lang, **kw)
