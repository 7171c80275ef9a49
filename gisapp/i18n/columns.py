"""The column dictionary: what each stable column name means, in the reader's language.

Files for machines (CSV, GeoPackage, GeoJSON) keep the stable schema names of
:mod:`gisapp.schema`; people read :func:`column_label`. :func:`column_doc` gives the
label, meaning, unit and source of a column for the dictionary shipped beside every
export (:func:`dictionary_frame`); :func:`column_kind` says how a spreadsheet shows its
numbers. Fixed columns are in :data:`_FIXED`; per-layer, per-carrier, per-class and
``*_old`` columns are built from their patterns, so every column the tool writes has
an entry in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from gisapp import schema as S
from gisapp.i18n.labels import t

__all__ = ["ColumnDoc", "UNITS", "WORDS_SUFFIX", "column_doc", "column_kind", "column_label",
           "dictionary_frame", "dictionary_frame_both"]


class ColumnDoc(NamedTuple):
    """One column explained: the header a person reads, what it means, unit, source."""

    label: str
    meaning: str
    unit: str
    source: str


#: kind of column → its unit (Vietnamese, English); the kind also picks the number format
UNITS: dict[str, tuple[str, str]] = {
    "text": ("", ""), "id": ("", ""), "bool": ("đúng/sai", "true/false"),
    "people": ("người", "people"), "count": ("số lượng", "count"), "rank": ("thứ hạng", "rank"),
    "m": ("mét", "metres"), "km2": ("km²", "km²"), "share": ("tỷ lệ 0–1 (hiện là %)", "share 0–1 (shown as %)"),
    "dbm": ("dBm", "dBm"), "usd": ("USD", "USD"), "deg": ("độ (WGS84)", "degrees (WGS84)"),
    "score100": ("điểm 0–100", "points 0–100"), "score1": ("điểm 0–1", "points 0–1"),
    "radiance": ("nW/cm²/sr", "nW/cm²/sr"), "date": ("ngày", "date"), "ratio": ("0–1", "0–1"),
    "days": ("ngày", "days"), "mbps": ("Mbit/s", "Mbit/s"),
}

#: source key → (Vietnamese, English)
_SOURCES: dict[str, tuple[str, str]] = {
    "villages": ("Lớp thôn đầu vào", "Input villages layer"),
    "pop": ("Dân số khai báo trong lớp thôn, hoặc cộng từ raster dân số",
            "Declared in the villages layer, or summed from the population raster"),
    "geom": ("Tính từ hình thôn (gisapp)", "Computed from the village shape (gisapp)"),
    "coverage": ("Tính từ các lớp vùng phủ sóng và raster tín hiệu (gisapp)",
                 "Computed from the coverage layers and signal rasters (gisapp)"),
    "power": ("Danh sách điện lực, khoảng cách tới lưới điện, ánh sáng ban đêm (gisapp)",
              "Electricity list, distance to the grid, night-time lights (gisapp)"),
    "infra": ("Tính từ lớp cáp quang, trạm phát sóng, cơ sở công cộng (gisapp)",
              "Computed from the fibre, towers and facilities layers (gisapp)"),
    "gap": ("Phân loại của gisapp theo ngưỡng trong tệp cấu hình",
            "gisapp's classification with the thresholds of the config"),
    "priority": ("Xếp hạng của gisapp theo trọng số trong tệp cấu hình",
                 "gisapp's ranking with the weights of the config"),
    "summary": ("Cộng từ bảng thôn (gisapp)", "Summed from the village table (gisapp)"),
    "measured": ("Tính từ các bảng đo kiểm (đo lái xe, ứng dụng đo tốc độ) theo [measurement_rules]",
                 "Computed from the measurement tables (drive tests, speed tests) by [measurement_rules]"),
    "complaints": ("Đếm từ lớp phản ánh của người dân", "Counted from the complaint points layer"),
    "costs": ("Ước tính của gisapp theo đơn giá trong tệp cấu hình",
              "gisapp's estimate with the unit costs of the config"),
    "plan": ("Kế hoạch đầu tư của gisapp (chọn trạm mới)", "gisapp's investment plan (site choice)"),
    "tracking": ("So sánh hai lần khảo sát (gisapp)", "Comparison of two surveys (gisapp)"),
}

#: suffix of the Excel column giving a coded column's values in words (``gap_class_words``)
WORDS_SUFFIX = "_words"

_E = tuple[str, str, str, str, str, str]   # label vi, label en, meaning vi, meaning en, kind, source

#: every fixed column: (label vi, label en, meaning vi, meaning en, kind, source key)
_FIXED: dict[str, _E] = {
    S.ID: ("Mã thôn", "Village id", "Mã định danh của thôn", "Identifier of the village", "id", "villages"),
    S.NAME: ("Tên thôn", "Village name", "Tên thôn/bản", "Name of the village", "text", "villages"),
    S.COMMUNE: ("Xã/phường", "Commune", "Xã/phường của thôn", "Commune of the village", "text", "villages"),
    S.PROVINCE: ("Tỉnh", "Province", "Tỉnh của thôn", "Province of the village", "text", "villages"),
    S.POP: ("Dân số", "People", "Số người sống trong thôn", "People living in the village", "people", "pop"),
    S.POP_SOURCE: ("Nguồn dân số", "Population source", "Dân số lấy từ đâu: khai báo, raster hay không có",
                   "Where the population comes from: declared, raster or none", "text", "pop"),
    S.AREA_KM2: ("Diện tích", "Area", "Diện tích thôn", "Area of the village", "km2", "geom"),
    S.LON: ("Kinh độ", "Longitude", "Kinh độ tâm thôn", "Longitude of the village centre", "deg", "geom"),
    S.LAT: ("Vĩ độ", "Latitude", "Vĩ độ tâm thôn", "Latitude of the village centre", "deg", "geom"),
    S.GEOMETRY_TYPE: ("Loại hình", "Shape type", "Thôn là vùng hay điểm", "Whether the village is a polygon or a point", "text", "geom"),
    S.GAP_CLASS: ("Nhóm thiếu hụt", "Gap class", "Thôn thiếu điện, thiếu sóng, cả hai, hay đã có",
                  "Whether the village lacks power, signal, both, or is served", "text", "gap"),
    S.WHY: ("Lý do", "Why", "Giải thích vì sao thôn thuộc nhóm này", "Why the village is in its gap class", "text", "gap"),
    S.WHY + "_words": ("Lý do (tiếng Việt)", "Why (in English)", "Lý do, viết bằng ngôn ngữ của bảng",
                       "Why, written in the workbook's language", "text", "gap"),
    S.PRIORITY_RANK: ("Hạng ưu tiên", "Priority rank", "Thứ tự ưu tiên (1 là cao nhất); thôn đã có điện và sóng không xếp hạng",
                      "Order of priority (1 first); served villages are not ranked", "rank", "priority"),
    S.PRIORITY_TIER: ("Mức ưu tiên", "Priority tier", "Mức ưu tiên: cao, trung bình, thấp, không",
                      "Priority tier: high, medium, low, none", "text", "priority"),
    S.PRIORITY_SCORE: ("Điểm ưu tiên", "Priority score", "Tổng điểm có trọng số của các thành phần",
                       "Weighted sum of the score parts", "score100", "priority"),
    "score_pop": ("Điểm dân số", "Score: people", "Thành phần điểm theo số dân", "Score part from the number of people", "score1", "priority"),
    "score_grid": ("Điểm xa lưới điện", "Score: grid distance", "Thành phần điểm theo khoảng cách tới lưới điện",
                   "Score part from the distance to the grid", "score1", "priority"),
    "score_site": ("Điểm xa trạm", "Score: tower distance", "Thành phần điểm theo khoảng cách tới trạm gần nhất",
                   "Score part from the distance to the nearest tower", "score1", "priority"),
    "score_facilities": ("Điểm cơ sở công cộng", "Score: facilities", "Thành phần điểm theo số trường học, trạm y tế…",
                         "Score part from the schools, health stations … in the village", "score1", "priority"),
    S.SIGNAL_CLASS: ("Tình trạng sóng", "Signal class", "Trắng sóng, lõm sóng, có sóng hay chưa rõ",
                     "No signal, pocket, covered or unknown", "text", "coverage"),
    S.CENTRE_ANY: ("Tâm thôn có sóng", "Centre covered", "Tâm thôn có sóng của ít nhất một nhà mạng",
                   "The village centre is covered by at least one carrier", "bool", "coverage"),
    S.CARRIERS_AT_CENTRE: ("Nhà mạng tại tâm thôn", "Carriers at centre", "Các nhà mạng phủ sóng tâm thôn",
                           "Carriers covering the village centre", "text", "coverage"),
    S.POP_SHARE_ANY: ("Tỷ lệ dân có sóng", "People covered", "Phần dân số có sóng của bất kỳ nhà mạng nào",
                      "Share of the people covered by any carrier", "share", "coverage"),
    S.AREA_SHARE_ANY: ("Tỷ lệ diện tích có sóng", "Area covered", "Phần diện tích có sóng của bất kỳ nhà mạng nào",
                       "Share of the area covered by any carrier", "share", "coverage"),
    S.POP_SHARE_4G: ("Tỷ lệ dân có 4G", "People with 4G", "Phần dân số có 4G trở lên", "Share of the people with 4G or better", "share", "coverage"),
    S.BEST_SIGNAL_DBM: ("Tín hiệu mạnh nhất", "Best signal", "Tín hiệu mạnh nhất tại tâm thôn trên mọi raster",
                        "Best signal at the village centre over all rasters", "dbm", "coverage"),
    S.BEST_LAYER: ("Lớp phủ tốt nhất", "Best layer", "Lớp (nhà mạng × công nghệ) phủ tâm thôn tốt nhất",
                   "Layer (carrier × technology) covering the centre best", "text", "coverage"),
    S.N_LAYERS: ("Số lớp phủ sóng", "Coverage layers", "Số lớp vùng phủ đã đánh giá thôn", "How many coverage layers judged the village", "count", "coverage"),
    S.SIGNAL_EVIDENCE: ("Căn cứ về sóng", "Signal evidence", "Dữ liệu nào cho kết luận về sóng", "Which data gave the signal finding", "text", "coverage"),
    S.SIGNAL_KIND: ("Loại căn cứ sóng", "Signal evidence kind", "Đo đạc, khai báo hay mô hình", "Measured, declared or modelled", "text", "coverage"),
    S.POWER_STATUS: ("Có điện", "Power", "Thôn có điện lưới hay chưa", "Whether the village has grid power", "text", "power"),
    S.DIST_GRID_M: ("Cách lưới điện", "Distance to grid", "Khoảng cách từ thôn tới đường dây điện gần nhất",
                    "Distance from the village to the nearest power line", "m", "power"),
    S.LIGHTS: ("Ánh sáng ban đêm", "Night-time lights", "Độ sáng ban đêm trung bình trên thôn",
               "Mean night-time radiance over the village", "radiance", "power"),
    S.POWER_EVIDENCE: ("Căn cứ về điện", "Power evidence", "Dữ liệu nào cho kết luận về điện", "Which data gave the power finding", "text", "power"),
    S.POWER_KIND: ("Loại căn cứ điện", "Power evidence kind", "Khai báo, khoảng cách hay ánh sáng ban đêm",
                   "Declared, distance or night-time lights", "text", "power"),
    S.DIST_FIBRE_M: ("Cách cáp quang", "Distance to fibre", "Khoảng cách tới tuyến cáp quang gần nhất", "Distance to the nearest fibre line", "m", "infra"),
    S.FIBRE_REACHED: ("Có cáp quang", "Fibre reached", "Cáp quang đi tới thôn", "Fibre reaches the village", "bool", "infra"),
    S.DIST_SITE_M: ("Cách trạm gần nhất", "Distance to tower", "Khoảng cách tới trạm phát sóng gần nhất của mọi nhà mạng",
                    "Distance to the nearest existing tower of any carrier", "m", "infra"),
    S.N_FACILITIES: ("Số cơ sở công cộng", "Facilities", "Số trường học, trạm y tế… trong thôn",
                     "Schools, health stations … within the village", "count", "infra"),
    # summary.csv
    "level": ("Cấp", "Level", "Dòng của một xã hay của cả tỉnh", "Row of a commune or of the whole province", "text", "summary"),
    "villages": ("Số thôn", "Villages", "Số thôn", "Number of villages", "count", "summary"),
    "share_pop_4g": ("Tỷ lệ dân có 4G", "People with 4G", "Phần dân số có 4G trở lên", "Share of the people with 4G or better", "share", "summary"),
    "share_villages_with_signal": ("Tỷ lệ thôn có sóng", "Villages with signal", "Phần số thôn có sóng tại tâm thôn",
                                   "Share of villages with signal at the centre", "share", "summary"),
    "share_villages_fibre": ("Tỷ lệ thôn có cáp quang", "Villages with fibre", "Phần số thôn có cáp quang", "Share of villages reached by fibre", "share", "summary"),
    "villages_without_power": ("Số thôn chưa có điện", "Villages without power", "Số thôn chưa có điện lưới",
                               "Number of villages without grid power", "count", "summary"),
    # costs (gisapp.analysis.costs) and the plan (gisapp.planning)
    "signal_option": ("Phương án sóng", "Signal option", "Cách rẻ nhất để có sóng: nâng cấp trạm, trạm mới, vệ tinh",
                      "Cheapest way to bring signal: upgrade, new site, satellite", "text", "costs"),
    "signal_cost_usd": ("Chi phí sóng", "Signal cost", "Chi phí phương án sóng", "Cost of the signal option", "usd", "costs"),
    "power_option": ("Phương án điện", "Power option", "Cách rẻ nhất để có điện: kéo lưới hay điện mặt trời",
                     "Cheapest way to bring power: grid extension or solar home systems", "text", "costs"),
    "power_cost_usd": ("Chi phí điện", "Power cost", "Chi phí phương án điện", "Cost of the power option", "usd", "costs"),
    "cost_option": ("Phương án", "Option", "Phương án sóng và điện được chọn", "The chosen signal and power options", "text", "costs"),
    "cost_usd": ("Chi phí", "Cost", "Tổng chi phí (sóng + điện, hoặc của trạm)", "Total cost (signal + power, or of the site)", "usd", "costs"),
    "cost_per_person_usd": ("Chi phí mỗi người", "Cost per person", "Chi phí chia cho số người được phục vụ",
                            "Cost divided by the people served", "usd", "costs"),
    "cost_breakdown": ("Chi tiết chi phí", "Cost breakdown", "Các hạng mục cộng thành chi phí", "Items adding up to the cost", "text", "costs"),
    "signal_gap": ("Thiếu sóng", "Signal gap", "Thôn chưa có sóng (trắng sóng)", "The village has no signal", "bool", "plan"),
    "pop_unserved": ("Dân chưa có sóng", "People without signal", "Số người chưa có sóng", "People without signal", "people", "plan"),
    "carrier": ("Nhà mạng", "Carrier", "Nhà mạng được đề nghị phục vụ (gần nhất)", "Carrier asked to serve (the nearest)", "text", "plan"),
    "carrier_dist_m": ("Cách trạm nhà mạng", "Distance to carrier", "Khoảng cách tới trạm gần nhất của nhà mạng đó",
                       "Distance to that carrier's nearest tower", "m", "plan"),
    "site_rank": ("Số trạm mới", "New site no.", "Thứ tự chọn trạm mới phục vụ thôn (trống: không có)",
                  "Order in which the new site serving it was chosen (empty: none)", "rank", "plan"),
    "candidate": ("Mã điểm đề xuất", "Candidate", "Mã điểm đặt trạm được xét", "Id of the candidate site", "id", "plan"),
    "source": ("Nguồn điểm đặt", "Site source", "Điểm đặt lấy từ tâm thôn hay đỉnh địa hình", "Site from a village centre or a terrain peak", "text", "plan"),
    "n_villages": ("Số thôn được phục vụ", "Villages served", "Số thôn trạm mới phủ sóng", "Villages the new site covers", "count", "plan"),
    "villages_served": ("Các thôn được phục vụ", "Villages served (ids)", "Mã các thôn trạm mới phủ sóng", "Ids of the villages the new site covers", "text", "plan"),
    # changes / progress (gisapp.tracking)
    # update events (gisapp.tracking.events): who reported what, and the planner's decision
    "seq": ("Số cập nhật", "Update no.", "Số thứ tự của sự kiện trong sổ", "Order of the event in the log", "rank", "events"),
    "at": ("Thời điểm", "Time", "Thời điểm ghi sự kiện (UTC)", "When the event was written (UTC)", "text", "events"),
    "actor": ("Người thực hiện", "By", "Người gửi hoặc quyết định", "Who submitted or decided", "text", "events"),
    "role": ("Vai trò", "Role", "Vai trò của người đó", "That person's role", "text", "events"),
    "ref": ("Cập nhật liên quan", "Refers to", "Số cập nhật được xác nhận hoặc từ chối", "The update confirmed or rejected", "rank", "events"),
    "gap": ("Thiếu hụt", "Gap", "Thiếu sóng hay thiếu điện", "Signal or power", "text", "events"),
    "closed_by": ("Đã xoá bằng", "Closed by", "Điều đã xoá thiếu hụt (trạm phát sóng, đấu nối lưới)",
                  "What closed the gap (a site on air, a grid connection)", "text", "events"),
    "closed_on": ("Ngày xoá", "Closed on", "Ngày thiếu hụt được xoá", "The date the gap closed", "text", "events"),
    "note": ("Ghi chú", "Note", "Ghi chú của người gửi hoặc người duyệt", "The note of the sender or the checker", "text", "events"),
    "before": ("Trước", "Before", "Phân loại trước cập nhật", "Class before the update", "text", "events"),
    "after": ("Sau", "After", "Phân loại sau cập nhật", "Class after the update", "text", "events"),
    "evidence_name": ("Tệp minh chứng", "Evidence file", "Tên tệp minh chứng gửi kèm", "Name of the evidence file", "text", "events"),
    "evidence_type": ("Loại minh chứng", "Evidence type", "Loại tệp minh chứng", "Type of the evidence file", "text", "events"),
    "evidence_size": ("Cỡ minh chứng (byte)", "Evidence size (bytes)", "Kích thước tệp minh chứng", "Size of the evidence file", "count", "events"),
    "created_at": ("Lưu lúc", "Saved at", "Thời điểm lưu ảnh chụp", "When the snapshot was saved", "text", "tracking"),
    "change": ("Thay đổi", "Change", "Điều gì thay đổi giữa hai lần khảo sát", "What changed between the two surveys", "text", "tracking"),
    "signal_gap_closed": ("Đã có sóng", "Signal gap closed", "Thôn thiếu sóng nay đã có sóng", "A village without signal now has it", "bool", "tracking"),
    "power_gap_closed": ("Đã có điện", "Power gap closed", "Thôn thiếu điện nay đã có điện", "A village without power now has it", "bool", "tracking"),
    "match_method": ("Cách ghép thôn", "Match method", "Thôn hai lần khảo sát được ghép theo mã, tên hay hình",
                     "How the village was matched across surveys: id, name or shape", "text", "tracking"),
    "iou": ("Độ trùng hình", "Shape overlap", "Giao chia hợp của hai hình thôn", "Intersection over union of the two shapes", "ratio", "tracking"),
    "renamed": ("Đổi tên", "Renamed", "Tên thôn đã đổi", "The village name changed", "bool", "tracking"),
    "id_changed": ("Đổi mã", "Id changed", "Mã thôn đã đổi", "The village id changed", "bool", "tracking"),
    "snapshot_id": ("Mã lần khảo sát", "Snapshot id", "Mã của lần khảo sát", "Id of the survey snapshot", "id", "tracking"),
    "label": ("Nhãn", "Label", "Tên của lần khảo sát hoặc mốc", "Name of the snapshot or milestone", "text", "tracking"),
    "date": ("Ngày", "Date", "Ngày của lần khảo sát", "Date of the snapshot", "date", "tracking"),
    "series": ("Chuỗi", "Series", "Chỉ tiêu được theo dõi", "The tracked quantity", "text", "tracking"),
    "kind": ("Loại", "Kind", "Số đo thực hay mục tiêu", "Measured value or target", "text", "tracking"),
    "remaining": ("Còn lại", "Remaining", "Số còn lại chưa giải quyết", "How many are still open", "count", "tracking"),
    "target": ("Mục tiêu", "Target", "Số còn lại theo kế hoạch", "What should remain by the plan", "count", "tracking"),
    "on_track": ("Đúng tiến độ", "On track", "Số còn lại không vượt mục tiêu", "Remaining is not above the target", "bool", "tracking"),
    S.COMPLAINTS: ("Số phản ánh", "Complaints", "Số phản ánh về sóng trong thôn (mọi nhà mạng)",
                   "Signal complaints in the village (all carriers)", "count", "complaints"),
    "villages_declared_not_measured": ("Số thôn công bố có sóng, đo không có",
                                       "Villages declared covered, measured not",
                                       "Số thôn mà vùng phủ công bố có sóng nhưng đo kiểm đủ mẫu không có",
                                       "Villages declared covered where sufficient measurements say not",
                                       "count", "measured"),
    "villages_measured_not_declared": ("Số thôn đo có sóng, công bố không có",
                                       "Villages measured covered, not declared",
                                       "Số thôn mà đo kiểm đủ mẫu có sóng nhưng vùng phủ công bố không có",
                                       "Villages sufficient measurements cover where none is declared",
                                       "count", "measured"),
    "layer": ("Lớp (nhà mạng – công nghệ)", "Layer (carrier – technology)",
              "Nhà mạng và công nghệ của dòng", "The carrier and technology of the row", "text",
              "measured"),
}

#: columns whose meaning differs in one table: table → column → entry
_IN_TABLE: dict[str, dict[str, _E]] = {
    "sites": {
        "pop_served": ("Dân được phục vụ", "People served", "Số người trạm mới phủ sóng",
                       "People the new site covers", "people", "plan"),
        "village_id": ("Mã thôn đặt trạm", "Site's village id", "Thôn có tâm là điểm đặt trạm",
                       "The village whose centre is the site", "id", "plan"),
    },
}

_GAP_WORDS = {  # gap class → (vi, en), for villages_<gap> / pop_<gap>
    "no_power_no_signal": ("chưa điện, chưa sóng", "no power, no signal"),
    "no_signal": ("chưa có sóng", "no signal"), "no_power": ("chưa có điện", "no power"),
    "served": ("đã có điện và sóng", "served"), "unknown": ("chưa rõ", "unknown"),
}

_LAYER_STEMS = {  # per-layer stem → (label vi, label en, meaning vi, meaning en, kind)
    "area_share": ("Tỷ lệ diện tích có sóng", "Area covered", "Phần diện tích thôn được lớp {k} phủ sóng",
                   "Share of the village area covered by layer {k}", "share"),
    "pop_share": ("Tỷ lệ dân có sóng", "People covered", "Phần dân số thôn được lớp {k} phủ sóng",
                  "Share of the village people covered by layer {k}", "share"),
    "centre": ("Tâm thôn có sóng", "Centre covered", "Tâm thôn được lớp {k} phủ sóng",
               "The village centre is covered by layer {k}", "bool"),
    "signal_dbm": ("Tín hiệu", "Signal", "Tín hiệu tại tâm thôn theo lớp {k}", "Signal at the village centre in layer {k}", "dbm"),
    "dist_m": ("Cách trạm", "Distance to tower", "Khoảng cách tới trạm gần nhất của {k}",
               "Distance to the nearest tower of {k}", "m"),
    S.DIST_SITE_M: ("Cách trạm", "Distance to tower", "Khoảng cách tới trạm gần nhất của {k}",
                    "Distance to the nearest tower of {k}", "m"),
    # measurements against declared coverage (issue 14), per carrier × technology
    "meas_samples": ("Số mẫu đo", "Samples", "Số mẫu đo kiểm gần đây của {k} trong thôn (không tính mẫu "
                     "quá cũ)", "Recent measurement samples of {k} in the village (too old ones left out)",
                     "count"),
    "meas_age_days": ("Tuổi mẫu đo", "Sample age", "Tuổi trung vị của các mẫu đo {k} được tính, so với ngày "
                      "của lần chạy hoặc mẫu mới nhất", "Median age of the counted samples of {k}, "
                      "against the run's date or the newest sample", "days"),
    "meas_share_below": ("Tỷ lệ mẫu dưới ngưỡng", "Samples below threshold", "Phần mẫu đo {k} có tín hiệu "
                         "dưới ngưỡng của công nghệ", "Share of the samples of {k} below the "
                         "technology's threshold", "share"),
    "meas_verdict": ("Kết luận đo kiểm", "Measured verdict", "Kết luận từ mẫu đo {k} theo quy tắc đa số "
                     "trong [measurement_rules] (có sóng / không có sóng / chưa đủ mẫu)", "What the samples "
                     "of {k} say by the majority rule of [measurement_rules] (covered / not covered / "
                     "insufficient)", "text"),
    "meas_download_mbps": ("Tốc độ tải xuống", "Download speed", "Tốc độ tải xuống trung vị của các mẫu "
                           "đo {k}", "Median download speed of the samples of {k}", "mbps"),
    "dispute": ("Bất đồng công bố – đo kiểm", "Declared vs measured", "Vùng phủ công bố của {k} trái với đo "
                "kiểm đủ mẫu; trống khi khớp hoặc chưa đủ mẫu", "Declared coverage of {k} against "
                "sufficient measurements; empty when they agree or evidence is insufficient", "text"),
}


_CARRIER_WORDS = {"viettel": "Viettel", "vnpt": "VNPT", "mobifone": "MobiFone",
                  "vietnamobile": "Vietnamobile", "gmobile": "Gmobile", "itel": "iTel"}
_KEY_WORDS = {"modelled": ("mô hình", "modelled"), "measured": ("đo đạc", "measured")}
_FACILITY_WORDS = {"school": ("trường học", "schools"), "health_station": ("trạm y tế", "health stations"),
                   "commune_centre": ("trụ sở xã", "commune centres")}


def _layer_words(key: str) -> tuple[str, str]:
    """``"viettel_4g_modelled"`` → ``("Viettel 4G (mô hình)", "Viettel 4G (modelled)")``."""
    parts = key.split("_")
    head = " ".join([_CARRIER_WORDS.get(parts[0], parts[0].capitalize())]
                    + [p.upper() for p in parts[1:2]])
    extra = [_KEY_WORDS.get(p, (p, p)) for p in parts[2:]]
    return tuple(head + (f" ({' '.join(e[i] for e in extra)})" if extra else "")
                 for i in (0, 1))


def _entry(col: str, table: str | None = None) -> _E | None:
    """The dictionary entry of any column the tool writes (None: unknown); ``table``
    names the table where a name means something else there (``"sites"``)."""
    if table and col in _IN_TABLE.get(table, {}):
        return _IN_TABLE[table][col]
    if col in _FIXED:
        return _FIXED[col]
    split = S.split_layer_col(col)
    if split and split[0] in _LAYER_STEMS:
        lvi, len_, mvi, men, kind = _LAYER_STEMS[split[0]]
        kv, ke = _layer_words(split[1])
        src = ("infra" if split[0] in ("dist_m", S.DIST_SITE_M) else
               "measured" if split[0] in S.EVIDENCE_STEMS else "coverage")
        return (f"{lvi} – {kv}", f"{len_} – {ke}", mvi.format(k=kv), men.format(k=ke), kind, src)
    if split and split[0] == S.COMPLAINTS:
        cv = _CARRIER_WORDS.get(split[1], split[1])
        return (f"Số phản ánh – {cv}", f"Complaints – {cv}", f"Số phản ánh về sóng của {cv} trong thôn",
                f"Signal complaints about {cv} in the village", "count", "complaints")
    for prefix, kind, (lvi, len_) in (("villages_", "count", ("Số thôn", "Villages")),
                                      ("pop_", "people", ("Dân số", "People"))):
        gap = col.removeprefix(prefix)
        if col.startswith(prefix) and gap in _GAP_WORDS:
            gvi, gen = _GAP_WORDS[gap]
            return (f"{lvi} {gvi}", f"{len_}: {gen}", f"{lvi} thuộc nhóm “{gvi}”",
                    f"{len_} in the class “{gen}”", kind, "summary")
    if col.endswith("_old") and col[:-4] in _FIXED:
        lvi, len_, mvi, men, kind, src = _FIXED[col[:-4]]
        return (f"{lvi} (lần trước)", f"{len_} (before)", f"{mvi}, theo lần khảo sát trước",
                f"{men}, in the earlier survey", kind, "tracking")
    if col.endswith(WORDS_SUFFIX) and (base := _entry(col[:-len(WORDS_SUFFIX)], table)):
        return (t("col_words", "vi", label=base[0]), t("col_words", "en", label=base[1]),
                t("col_words_meaning", "vi", meaning=base[2]),
                t("col_words_meaning", "en", meaning=base[3]), "text", base[5])
    if col.startswith("n_") and len(col) > 2:
        wv, we = _FACILITY_WORDS.get(col[2:], (col[2:].replace("_", " "),) * 2)
        return (f"Số {wv}", f"Number of {we}", f"Số {wv} trong thôn",
                f"Number of {we} within the village", "count", "infra")
    return None


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "vi" else pair[1]


def column_kind(column: str, table: str | None = None) -> str:
    """How the column's values are read: a key of :data:`UNITS` (``"text"`` when unknown)."""
    e = _entry(str(column), table)
    return e[4] if e else "text"


def column_label(column: str, lang: str, table: str | None = None) -> str:
    """The header a person reads for ``column`` (the stable name when it is unknown)."""
    e = _entry(str(column), table)
    return _pick((e[0], e[1]), lang) if e else str(column)


def column_doc(column: str, lang: str, table: str | None = None) -> ColumnDoc:
    """Label, meaning, unit and source of ``column`` in ``lang`` (``"vi"`` / ``"en"``).
    A column the dictionary does not know gets its own name and an explicit "no entry";
    ``table="sites"`` for the columns of the plan's sites, whose ``pop_served`` and
    ``village_id`` mean something of their own."""
    e = _entry(str(column), table)
    if e is None:
        return ColumnDoc(str(column), t("col_unknown", lang), "", "")
    return ColumnDoc(_pick((e[0], e[1]), lang), _pick((e[2], e[3]), lang),
                     _pick(UNITS[e[4]], lang), _pick(_SOURCES[e[5]], lang))


def dictionary_frame(columns: Iterable[str], lang: str, table: str | None = None
                     ) -> pd.DataFrame:
    """The dictionary of ``columns`` (each once, in order): column, label, meaning, unit,
    source in ``lang``."""
    cols = list(dict.fromkeys(str(c) for c in columns))
    docs = [column_doc(c, lang, table) for c in cols]
    return pd.DataFrame({"column": cols, "label": [d.label for d in docs],
                         "meaning": [d.meaning for d in docs], "unit": [d.unit for d in docs],
                         "source": [d.source for d in docs]})


def dictionary_frame_both(columns: Iterable[str], table: str | None = None) -> pd.DataFrame:
    """The dictionary of ``columns`` in both languages, for the ``columns.csv`` beside
    machine formats (the same file whatever the run's language): column, then label,
    meaning, unit, source with ``_vi`` and ``_en`` suffixes."""
    columns = list(columns)
    vi, en = dictionary_frame(columns, "vi", table), dictionary_frame(columns, "en", table)
    out = pd.DataFrame({"column": vi["column"]})
    for field in ("label", "meaning", "unit", "source"):
        out[f"{field}_vi"] = vi[field]
        out[f"{field}_en"] = en[field]
    return out
