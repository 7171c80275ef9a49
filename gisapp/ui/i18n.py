"""Vietnamese and English labels for every string the app shows.

Every label is a key of :data:`LABELS` with both languages; :func:`t` looks one up and
formats it. A test checks that no key lacks a language, so adding a label in one
language only fails loudly.
"""

from __future__ import annotations

from gisapp.schema import GapClass

__all__ = ["LANGS", "LABELS", "t", "gap_label", "GAP_LABELS"]

LANGS = ("vi", "en")

#: key -> (Vietnamese, English)
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Thôn chưa có điện, chưa có sóng", "Villages without power or signal"),
    "subtitle": (
        "Bản đồ, xếp hạng ưu tiên và danh sách cho từng nhà mạng",
        "Map, priority ranking and lists for each carrier",
    ),
    "synthetic_note": (
        "Dữ liệu minh hoạ (tổng hợp), không phải số liệu thật.",
        "Demonstration data (synthetic), not real figures.",
    ),
    "language": ("Ngôn ngữ", "Language"),
    "data": ("Dữ liệu", "Data"),
    "source": ("Nguồn dữ liệu", "Data source"),
    "source_demo": ("Tỉnh minh hoạ", "Demo province"),
    "source_upload": ("Tải tệp lên", "Upload files"),
    "source_config": ("Tệp cấu hình đã lưu", "Saved config file"),
    "upload_files": ("Tệp dữ liệu", "Data files"),
    "upload_help": (
        "GPKG, Shapefile nén zip, GeoJSON, GeoParquet, CSV/XLSX, GeoTIFF; tối đa {mb:.0f} MB mỗi tệp",
        "GPKG, zipped Shapefile, GeoJSON, GeoParquet, CSV/XLSX, GeoTIFF; at most {mb:.0f} MB per file",
    ),
    "role": ("Vai trò", "Role"),
    "role_villages": ("Thôn (vùng hoặc điểm)", "Villages (polygons or points)"),
    "role_coverage": ("Vùng phủ sóng (nhà mạng × công nghệ)", "Coverage (carrier × technology)"),
    "role_signal": ("Ảnh cường độ tín hiệu (dBm)", "Signal raster (dBm)"),
    "role_towers": ("Trạm BTS", "Tower sites"),
    "role_electricity": ("Danh sách điện", "Electricity list"),
    "role_grid": ("Đường dây trung thế", "Grid lines"),
    "role_lights": ("Ánh sáng ban đêm", "Night-time lights"),
    "role_population": ("Ảnh dân số", "Population raster"),
    "role_ignore": ("Bỏ qua", "Ignore"),
    "carrier": ("Nhà mạng", "Carrier"),
    "technology": ("Công nghệ", "Technology"),
    "kind": ("Loại bằng chứng", "Evidence kind"),
    "kind_measured": ("đo đạc", "measured"),
    "kind_declared": ("công bố", "declared"),
    "kind_modelled": ("mô phỏng", "modelled"),
    "col_id": ("Cột mã thôn", "Village id column"),
    "col_name": ("Cột tên thôn", "Village name column"),
    "col_commune": ("Cột xã/phường", "Commune column"),
    "col_population": ("Cột dân số", "Population column"),
    "col_lon": ("Cột kinh độ (CSV/XLSX)", "Longitude column (CSV/XLSX)"),
    "col_lat": ("Cột vĩ độ (CSV/XLSX)", "Latitude column (CSV/XLSX)"),
    "col_status": ("Cột tình trạng điện", "Power status column"),
    "run": ("Chạy phân tích", "Run the analysis"),
    "config_file": ("Tệp cấu hình (TOML)", "Config file (TOML)"),
    "need_villages": (
        "Hãy chọn đúng một tệp có vai trò “Thôn”.",
        "Choose exactly one file with the role “Villages”.",
    ),
    "upload_first": (
        "Tải tệp lên, gán vai trò rồi bấm “Chạy phân tích”.",
        "Upload files, assign their roles, then press “Run the analysis”.",
    ),
    "settings": ("Ngưỡng và quy tắc", "Thresholds and rules"),
    "threshold": ("Ngưỡng {tech} (dBm)", "{tech} threshold (dBm)"),
    "pocket_share": ("Tỷ lệ dân không có sóng để coi là lõm sóng", "Share of people unserved for a pocket"),
    "grid_max_m": ("Có điện nếu cách lưới ≤ (m)", "Powered within this distance of the grid (m)"),
    "grid_unknown_m": ("Không có điện nếu cách lưới > (m)", "Unpowered beyond this distance (m)"),
    "lights_min": ("Ngưỡng ánh sáng đêm (nW/cm²/sr)", "Night-lights threshold (nW/cm²/sr)"),
    "weights": ("Trọng số ưu tiên", "Priority weights"),
    "preset": ("Bộ trọng số", "Weight preset"),
    "preset_balanced": ("Cân bằng", "Balanced"),
    "preset_people_first": ("Ưu tiên dân số", "People first"),
    "preset_remote_first": ("Ưu tiên vùng xa", "Remote first"),
    "preset_services_first": ("Ưu tiên công trình công cộng", "Services first"),
    "preset_custom": ("Tuỳ chỉnh", "Custom"),
    "w_population": ("Dân số", "Population"),
    "w_dist_grid": ("Khoảng cách tới lưới điện", "Distance to grid"),
    "w_dist_site": ("Khoảng cách tới trạm", "Distance to a tower"),
    "w_facilities": ("Trường học, trạm y tế", "Schools, health stations"),
    "filters": ("Bộ lọc", "Filters"),
    "f_commune": ("Xã/phường", "Commune"),
    "f_gap": ("Nhóm thiếu hụt", "Gap class"),
    "f_carrier": ("Nhà mạng (lớp bản đồ, cột bảng)", "Carrier (map layers, table columns)"),
    "f_technology": ("Công nghệ (lớp bản đồ, cột bảng)", "Technology (map layers, table columns)"),
    "all": ("Tất cả", "All"),
    "basemap": ("Bản đồ nền", "Basemap"),
    "basemap_none": ("Không (nền trơn)", "None (plain background)"),
    "basemap_osm": ("OpenStreetMap (cần mạng)", "OpenStreetMap (needs internet)"),
    "headline": ("Số liệu chính", "Headline figures"),
    "m_villages": ("Thôn", "Villages"),
    "m_people": ("người", "people"),
    "m_share_4g": ("Dân có 4G", "People with 4G"),
    "m_share_signal": ("Thôn có sóng", "Villages with signal"),
    "map": ("Bản đồ", "Map"),
    "legend": ("Nhóm thiếu hụt", "Gap class"),
    "villages_layer": ("Thôn", "Villages"),
    "towers_layer": ("Trạm {carrier}", "{carrier} towers"),
    "grid_layer": ("Lưới điện", "Grid lines"),
    "fibre_layer": ("Cáp quang", "Fibre"),
    "facilities_layer": ("Công trình công cộng", "Public facilities"),
    "coverage_layer": ("Phủ sóng {key} ({kind})", "Coverage {key} ({kind})"),
    "selected_layer": ("Thôn đang chọn", "Selected village"),
    "t_name": ("Tên", "Name"),
    "t_commune": ("Xã/phường", "Commune"),
    "t_people": ("Dân số", "People"),
    "t_gap": ("Nhóm", "Gap class"),
    "t_why": ("Lý do", "Why"),
    "t_rank": ("Hạng", "Rank"),
    "t_score": ("Điểm", "Score"),
    "t_tier": ("Mức", "Tier"),
    "selected": ("Thôn đang chọn: {name} ({commune})", "Selected village: {name} ({commune})"),
    "click_hint": (
        "Bấm vào một thôn trên bản đồ để chọn nó trong bảng.",
        "Click a village on the map to select it in the table.",
    ),
    "top": ("10 thôn ưu tiên nhất", "Top 10 priority villages"),
    "table": ("Bảng xếp hạng thôn", "Ranked villages"),
    "chart": ("Theo xã/phường", "By commune"),
    "chart_villages": ("Số thôn theo nhóm", "Villages per gap class"),
    "chart_people": ("Số dân theo nhóm", "People per gap class"),
    "downloads": ("Tải về (theo bộ lọc hiện tại)", "Downloads (current filter)"),
    "dl_csv": ("CSV", "CSV"),
    "dl_xlsx": ("Excel", "Excel"),
    "dl_geojson": ("GeoJSON", "GeoJSON"),
    "dl_kml": ("KML", "KML"),
    "dl_gpkg": ("GeoPackage", "GeoPackage"),
    "dl_carrier": ("Gói cho {carrier} (zip)", "Pack for {carrier} (zip)"),
    "dl_config": ("Tải cấu hình hiện tại (TOML)", "Download the current config (TOML)"),
    "no_rows": ("Không có thôn nào khớp bộ lọc.", "No village matches the filter."),
    "computing": ("Đang đọc và ghép dữ liệu…", "Reading and joining the data…"),
    "error_unexpected": (
        "Lỗi không mong đợi; chi tiết đã được ghi vào nhật ký máy chủ. Hãy kiểm tra dữ liệu đầu vào.",
        "Unexpected error; the details are in the server log. Check the input files.",
    ),
    "report_warnings": ("Cảnh báo của lần chạy", "Warnings of the run"),
    "unmatched": ("Tên không khớp", "Names that did not match"),
    "t_change": ("Thay đổi", "Change"),
    "changes_layer": ("Thay đổi giữa hai lần khảo sát", "Changes between two surveys"),
    "change_legend": ("Thay đổi", "Change"),
    "change_newly_found_gap": ("Mới phát hiện thiếu hụt", "Newly found gap"),
    "change_still_open": ("Vẫn còn thiếu hụt", "Still open"),
    "change_newly_covered": ("Mới có sóng", "Newly covered"),
    "change_newly_powered": ("Mới có điện", "Newly powered"),
    "change_resolved": ("Đã giải quyết", "Resolved"),
    "change_judged_served": ("Nay xác định đã có điện và sóng", "Now judged served"),
    "change_unchanged_served": ("Vẫn có điện và sóng", "Served in both"),
    "change_unknown": ("Chưa xác định", "Unknown"),
    "change_appeared": ("Thôn mới", "New village"),
    "change_disappeared": ("Không còn trong khảo sát mới", "Not in the new survey"),
    "sites_layer": ("Trạm mới đề xuất", "Proposed new sites"),
    "s_rank": ("Trạm số", "Site no."),
    "s_candidate": ("Vị trí (thôn)", "Location (village)"),
    "s_n_villages": ("Số thôn được phục vụ", "Villages served"),
    "s_villages": ("Các thôn", "Villages"),
    "s_people": ("Số dân được phục vụ", "People served"),
    "s_cost": ("Chi phí", "Cost"),
    "s_cost_person": ("Chi phí mỗi người", "Cost per person"),
    "s_breakdown": ("Chi tiết chi phí", "Cost breakdown"),
    "and_more": ("và {n} thôn khác", "and {n} more"),
    "gap_no_power_no_signal": ("Chưa điện, chưa sóng", "No power, no signal"),
    "gap_no_signal": ("Chưa có sóng", "No signal"),
    "gap_no_power": ("Chưa có điện", "No power"),
    "gap_served": ("Đã có điện và sóng", "Served"),
    "gap_unknown": ("Chưa xác định", "Unknown"),
}


def t(key: str, lang: str = "vi", /, **fmt: object) -> str:
    """The label ``key`` in ``lang`` (``"vi"`` or ``"en"``), formatted with ``fmt``.

    An unknown key returns the key itself (and a test keeps that from happening).
    """
    pair = LABELS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**fmt) if fmt else text


def gap_label(gap: str, lang: str = "vi") -> str:
    """Label of a gap class value (``"no_signal"`` → "Chưa có sóng")."""
    return t(f"gap_{gap}", lang)


GAP_LABELS = {g.value: (LABELS[f"gap_{g.value}"]) for g in GapClass}
