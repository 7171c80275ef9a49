"""Vietnamese and English labels for every string the app shows.

Every label is a key of :data:`LABELS` with both languages; :func:`t` looks one up and
formats it. A test checks that no key lacks a language, so adding a label in one
language only fails loudly.
"""

from __future__ import annotations

from gisapp.i18n.checks_labels import CHECK_MESSAGES
from gisapp.i18n.report import REPORT_LABELS
from gisapp.i18n.words_labels import WORDS
from gisapp.schema import GapClass

__all__ = ["LANGS", "LABELS", "t", "gap_label", "GAP_LABELS", "compare_column_label"]

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
    # --- helper "upload" (issue 13, item 8): layers, columns, OpenCelliD, saved config, project
    "layer": ("Lớp dữ liệu", "Layer"),
    "layer_help": ("Tệp này có {n} lớp; chọn lớp cần dùng.", "This file has {n} layers; choose the one to use."),
    "col_none": ("— không có —", "— none —"),
    "col_guess_help": (
        "Đã đoán theo tên cột của tệp; chọn cột khác nếu sai.",
        "Guessed from the file's column names; choose another column if it is wrong.",
    ),
    "col_carrier": ("Cột nhà mạng", "Carrier column"),
    "col_technology": ("Cột công nghệ (2G/3G/4G/5G)", "Technology column (2G/3G/4G/5G)"),
    "col_mcc_mnc": ("Cột mã mạng MCC-MNC (vd. 452-04)", "MCC-MNC column (e.g. 452-04)"),
    "col_mcc": ("Cột MCC (mã quốc gia)", "MCC column (country code)"),
    "col_mnc": ("Cột MNC (mã mạng; OpenCelliD: net)", "MNC column (network code; OpenCelliD: net)"),
    "preview": ("{n} dòng đầu của “{file}”", "The first {n} rows of “{file}”"),
    "opencellid_found": (
        "“{file}” là danh sách trạm OpenCelliD: nhà mạng lấy từ mã MCC-MNC (452-04 Viettel, "
        "452-01 MobiFone, 452-02 VinaPhone …), công nghệ lấy từ cột radio.",
        "“{file}” is an OpenCelliD cell list: carriers come from MCC-MNC (452-04 Viettel, "
        "452-01 MobiFone, 452-02 VinaPhone …), technologies from the radio column.",
    ),
    "config_files": (
        "Tệp dự án (.zip), hoặc tệp cấu hình (.toml) cùng các tệp dữ liệu của nó",
        "Project file (.zip), or a config file (.toml) with its data files",
    ),
    "config_files_help": (
        "Đường dẫn tương đối trong tệp cấu hình được tìm trong thư mục của chính nó: tải các tệp "
        "dữ liệu lên cùng lúc. Tệp dự án đã chứa sẵn chúng.",
        "Relative paths in a config are found in the config's own folder: upload its data files "
        "with it. A project file already holds them.",
    ),
    "config_first": (
        "Tải lên tệp dự án (.zip), hoặc tệp cấu hình (.toml) cùng các tệp dữ liệu của nó.",
        "Upload a project file (.zip), or a config file (.toml) with its data files.",
    ),
    "config_need_one": (
        "Cần đúng một tệp cấu hình (.toml) hoặc một tệp dự án (.zip); đã tải lên {n}.",
        "Exactly one config file (.toml) or one project file (.zip) is needed; {n} were uploaded.",
    ),
    "config_missing": (
        "Tệp cấu hình “{file}” cần các tệp chưa được tải lên: {files}. Hãy tải chúng lên cùng tệp "
        "cấu hình (đường dẫn tương đối tính từ thư mục của tệp cấu hình), hoặc dùng tệp dự án.",
        "The config “{file}” needs files that were not uploaded: {files}. Upload them together "
        "with the config (relative paths start at the config's own folder), or use a project file.",
    ),
    "config_relative_note": (
        "Tệp cấu hình ghi các tệp dữ liệu bằng tên tương đối: đặt {files} cạnh nó. Muốn có tất cả "
        "trong một tệp, hãy lưu dự án.",
        "The config names its data files by relative name: put {files} beside it. To get "
        "everything in one file, save the project.",
    ),
    "dl_project": ("Lưu dự án (.zip)", "Save the project (.zip)"),
    "dl_project_help": (
        "Một tệp gồm cấu hình, các tệp dữ liệu và manifest; mở lại bằng nguồn “Tệp cấu hình đã lưu”.",
        "One file with the config, the data files and a manifest; reopen it with the “Saved "
        "config file” source.",
    ),
    # --- end of helper "upload"
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
    "dl_carrier": ("Gói cho {carrier}: danh sách ưu tiên (zip)", "Pack for {carrier}: priority list (zip)"),
    "dl_carrier_file": ("{slug}_danh_sach_uu_tien.zip", "{slug}_priority_list.zip"),
    "dl_config": ("Tải cấu hình hiện tại (TOML)", "Download the current config (TOML)"),
    "no_rows": ("Không có thôn nào khớp bộ lọc.", "No village matches the filter."),
    "computing": ("Đang đọc và ghép dữ liệu…", "Reading and joining the data…"),
    "error_unexpected": (
        "Lỗi không mong đợi; chi tiết đã được ghi vào nhật ký máy chủ. Hãy kiểm tra dữ liệu đầu vào.",
        "Unexpected error; the details are in the server log. Check the input files.",
    ),
    "report_title": ("Dữ liệu đã sửa, thiếu hoặc không khớp ({n})", "Data repaired, missing or unmatched ({n})"),
    "report_intro": (
        "Không thôn nào bị bỏ: thôn không đánh giá được có nhóm “Chưa xác định” kèm lý do.",
        "No village was dropped: a village that could not be judged is “Unknown”, with the reason.",
    ),
    "report_repaired_geometries": (
        "{n} thôn có ranh giới lỗi (tự cắt nhau…) đã được tự động sửa; nên kiểm tra lại tệp gốc.",
        "{n} village boundaries were invalid (self-intersecting…) and were repaired; check the source file.",
    ),
    "report_missing_geometries": (
        "{n} thôn không có ranh giới hay toạ độ: vẫn có trong bảng, nhóm “Chưa xác định”, không có trên bản đồ.",
        "{n} villages have no boundary or coordinates: they stay in the table as “Unknown”, not on the map.",
    ),
    "report_bad_population": (
        "{n} thôn có số dân trống, âm hoặc không phải số: coi là chưa biết số dân.",
        "{n} villages have a blank, negative or non-numeric population: treated as unknown.",
    ),
    "report_warnings": ("Cảnh báo của lần chạy", "Warnings of the run"),
    "unmatched": (
        "{n} tên trong danh sách không khớp thôn nào trong cùng xã (kiểm tra chính tả, tên xã)",
        "{n} names in a list matched no village in their commune (check spelling and commune)",
    ),
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
    "page": ("Trang", "Page"),
    "page_explore": ("Bản đồ và xếp hạng", "Map and ranking"),
    "page_planning": ("Kế hoạch đầu tư", "Planning"),
    "page_progress": ("Tiến độ", "Progress"),
    "planning": ("Đang lập kế hoạch…", "Planning…"),
    "p_n_sites": ("Số trạm mới tối đa (0 = không giới hạn)", "New sites at most (0 = no limit)"),
    "p_budget": ("Ngân sách trạm mới (USD, 0 = không giới hạn)", "Budget for new sites (USD, 0 = no limit)"),
    "p_zero_help": ("Cần ít nhất một trong hai: số trạm hoặc ngân sách.",
                    "At least one of the two is needed: number of sites or budget."),
    "p_method": ("Phương pháp chọn trạm", "Site selection method"),
    "p_method_auto": ("Tự động (chính xác khi đủ nhỏ)", "Automatic (exact when small enough)"),
    "p_method_exact": ("Chính xác (MILP)", "Exact (MILP)"),
    "p_method_greedy": ("Tham lam (kèm cận trên)", "Greedy (with its bound)"),
    "p_gap_villages": ("Thôn chưa có sóng", "Villages without signal"),
    "p_cost_total": ("Xoá mọi thiếu hụt", "Closing every gap"),
    "p_cost_signal": ("Phần phủ sóng", "Signal part"),
    "p_cost_power": ("Phần cấp điện", "Power part"),
    "p_sites": ("Trạm mới được chọn", "New sites chosen"),
    "p_musd": ("triệu USD", "million USD"),
    "p_served": ("Dân được phục vụ", "People served"),
    "p_method_was": ("{method}, cận trên {bound}", "{method}, bound {bound}"),
    "p_per_carrier": ("Thôn giao cho từng nhà mạng", "Villages per carrier"),
    "p_map": ("Bản đồ trạm mới đề xuất", "Map of the proposed new sites"),
    "p_sites_table": ("Trạm mới được chọn", "Chosen new sites"),
    "p_no_sites": ("Không có trạm mới nào được chọn.", "No new site was chosen."),
    "p_costs": ("Chi phí xoá thiếu hụt từng thôn (USD)", "Cost of closing each village's gaps (USD)"),
    "p_scenarios": ("So sánh kịch bản", "Scenarios compared"),
    "p_ex_4g_only": ("Chỉ 4G", "4G only"),
    "p_ex_sites": ("{n} trạm", "{n} sites"),
    "p_scenario_base": ("Cấu hình gốc", "Base"),
    "p_examples": (
        "Cấu hình chưa có kịch bản ([[scenarios]]); so sánh hai kịch bản mẫu: chỉ tính 4G, gấp đôi số trạm.",
        "The config has no [[scenarios]]; comparing two examples: 4G only, twice the sites.",
    ),
    "c_scenario": ("Kịch bản", "Scenario"),
    "c_villages": ("Số thôn", "Villages"),
    "c_villages_gap": ("Số thôn: {gap}", "Villages: {gap}"),
    "c_pop_gap": ("Dân số: {gap}", "People: {gap}"),
    "c_signal_gap_villages": ("Thôn chưa có sóng", "Villages without signal"),
    "c_pop_unserved": ("Dân chưa có sóng", "People without signal"),
    "c_cost_total_usd": ("Chi phí xoá mọi thiếu hụt (USD)", "Cost of closing every gap (USD)"),
    "c_sites_selected": ("Trạm mới được chọn", "New sites chosen"),
    "c_pop_served_by_sites": ("Dân được trạm mới phục vụ", "People served by new sites"),
    "c_sites_cost_usd": ("Chi phí trạm mới (USD)", "Cost of new sites (USD)"),
    "c_siting_method": ("Phương pháp chọn trạm", "Site selection method"),
    "c_siting_bound": ("Cận trên số dân được phục vụ", "Upper bound of people served"),
    "c_technologies": ("Công nghệ được tính", "Technologies counted"),
    "p_changes": ("Thôn đổi nhóm so với “{first}”: {n}", "Villages changing class against “{first}”: {n}"),
    "p_downloads": ("Tải về kế hoạch", "Plan downloads"),
    "p_prepare": ("Chuẩn bị tệp tải về", "Prepare the files"),
    "p_prepare_help": (
        "Tạo bảng chi phí, trạm mới và một gói zip cho mỗi nhà mạng (vài giây).",
        "Writes the cost table, the new sites and one zip per carrier (a few seconds).",
    ),
    "p_preparing": ("Đang ghi tệp…", "Writing the files…"),
    "p_dl_plan": ("Kế hoạch (zip: chi phí, trạm mới, manifest)", "Plan (zip: costs, new sites, manifest)"),
    "g_store": ("Kho ảnh chụp", "Snapshot store"),
    "g_store_name": ("Kho của tỉnh (theo cấu hình máy chủ)", "The province's store (from the server config)"),
    "g_store_local": ("Kho trên máy này: {path}", "Store on this computer: {path}"),
    "serve_refused": ("Ứng dụng không phục vụ: {why}", "The app is not serving: {why}"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "sign_in_needed": ("Hãy đăng nhập để dùng ứng dụng.", "Sign in to use the app."),
    "sign_in_unknown": ("Tài khoản {email} chưa được cấp quyền; đề nghị cán bộ quy hoạch của tỉnh thêm vào [users].",
                        "{email} has no role here; ask the province's planner to add it to [users]."),
    "signed_in_as": ("Đăng nhập: {email} ({role})", "Signed in: {email} ({role})"),
    "role_planner": ("cán bộ quy hoạch", "planner"),
    "role_carrier_liaison": ("đầu mối nhà mạng", "carrier liaison"),
    "role_evn_liaison": ("đầu mối điện lực", "EVN liaison"),
    "role_viewer": ("chỉ xem", "viewer"),
    "u_title": ("Cập nhật tiến độ", "Progress updates"),
    "u_submit": ("Báo cáo thôn đã xoá thiếu hụt", "Report a village's gap closed"),
    "u_village": ("Mã thôn", "Village id"),
    "u_closed_by": ("Xoá nhờ", "Closed by"),
    "u_site_on_air": ("trạm phát sóng đã hoạt động", "a site on air"),
    # an update event's kind and gap, as the pending list and a village's history show them
    "v_kind_submitted": ("đã gửi", "submitted"),
    "v_kind_confirmed": ("đã xác nhận", "confirmed"),
    "v_kind_rejected": ("bị từ chối", "rejected"),
    "v_kind_assigned": ("giao cho nhà mạng", "assigned"),
    "v_gapkind_signal": ("sóng", "signal"),
    "v_gapkind_power": ("điện", "power"),
    "u_grid_connection": ("đã đấu nối lưới điện", "a grid connection"),
    "u_closed_on": ("Ngày hoàn thành", "Date closed"),
    "u_note": ("Ghi chú", "Note"),
    "u_evidence": ("Minh chứng (ảnh hoặc tệp đo, tối đa {mb:.0f} MB)", "Evidence (photo or measurement file, at most {mb:.0f} MB)"),
    "u_send": ("Gửi", "Send"),
    "u_sent": ("Đã gửi cập nhật {seq}; chờ xác nhận.", "Update {seq} sent; awaiting confirmation."),
    "u_update": ("Cập nhật", "Update"),
    "u_confirm": ("Xác nhận", "Confirm"),
    "u_reject": ("Từ chối", "Reject"),
    "u_confirmed": ("Đã xác nhận cập nhật {seq}.", "Update {seq} confirmed."),
    "u_rejected": ("Đã từ chối cập nhật {seq}.", "Update {seq} rejected."),
    "u_history": ("Lịch sử của thôn (mã thôn)", "A village's history (village id)"),
    "u_none_assigned": ("Chưa có thôn nào được giao.", "No village is assigned to you yet."),
    "r_title": ("Báo cáo tiến độ định kỳ", "Progress report"),
    "r_from": ("Từ ngày", "From"),
    "r_to": ("Đến ngày", "To"),
    "r_lang": ("Ngôn ngữ báo cáo", "Report language"),
    "r_make": ("Lập báo cáo", "Make the report"),
    "r_download": ("Tải báo cáo (DOCX, XLSX)", "Download the report (DOCX, XLSX)"),
    "g_store_path": ("Tệp GeoPackage (.gpkg) hoặc địa chỉ postgresql://", "GeoPackage file (.gpkg) or postgresql:// URL"),
    "g_store_help": (
        "Mỗi tỉnh một tệp; tệp được tạo khi lưu lần đầu.",
        "One file per province project; created on the first save.",
    ),
    "g_store_upload": ("…hoặc tải lên một kho .gpkg", "…or upload a .gpkg store"),
    "g_store_uploaded": ("Đang dùng kho vừa tải lên (bản sao tạm).", "Using the uploaded store (a temporary copy)."),
    "g_store_first": ("Nhập đường dẫn kho ảnh chụp.", "Type the path of a snapshot store."),
    "g_save": ("Lưu kết quả hiện tại làm ảnh chụp", "Save the current result as a snapshot"),
    "g_label": ("Tên ảnh chụp (duy nhất)", "Snapshot label (unique)"),
    "g_date": ("Ngày khảo sát", "Survey date"),
    "g_save_button": ("Lưu ảnh chụp", "Save snapshot"),
    "g_saved": ("Đã lưu “{label}” ({n} thôn).", "Saved “{label}” ({n} villages)."),
    "g_empty": ("Kho chưa có ảnh chụp nào.", "The store has no snapshot yet."),
    "g_need_two": ("Cần ít nhất hai ảnh chụp để xem thay đổi.", "At least two snapshots are needed to see changes."),
    "g_timeline": ("Số thôn theo nhóm qua các lần khảo sát", "Villages per gap class, survey by survey"),
    "g_snapshot": ("Ảnh chụp", "Snapshot"),
    "g_burndown": ("Tiến độ so với mục tiêu", "Burn-down against the targets"),
    "g_no_targets": (
        "Cấu hình chưa có mục tiêu ([tracking] targets): chỉ hiện số thôn còn lại.",
        "The config has no [tracking] targets: only the villages remaining are shown.",
    ),
    "g_series": ("Chuỗi", "Series"),
    "g_remaining": ("Còn lại", "Remaining"),
    "g_target": ("Mục tiêu", "Target"),
    "g_changes": ("Thay đổi giữa hai ảnh chụp", "Changes between two snapshots"),
    "g_from": ("Từ", "From"),
    "g_to": ("Đến", "To"),
    "g_pick_two": ("Chọn hai ảnh chụp khác nhau.", "Choose two different snapshots."),
    "g_changed_rows": ("Thôn có thay đổi hoặc còn thiếu hụt: {n}", "Villages that changed or are still open: {n}"),
    "g_unmatched": (
        "Không ghép được: {old} thôn cũ, {new} thôn mới (xem tệp tải về).",
        "Not matched: {old} old and {new} new villages (see the download).",
    ),
    "g_dl_changes": ("Tải danh sách thay đổi (zip)", "Download the change list (zip)"),
    "series_no_power_no_signal": ("Chưa điện, chưa sóng", "No power, no signal"),
    "series_no_signal": ("Chưa có sóng (điện: có hoặc chưa rõ)", "No signal (power: yes or unknown)"),
    "series_no_power": ("Chưa có điện (sóng: có hoặc chưa rõ)", "No power (signal: yes or unknown)"),
    "series_unknown": ("Chưa xác định", "Unknown"),
    "series_any_gap": ("Mọi thiếu hụt", "Any gap"),
    "series_any_no_signal": ("Chưa có sóng (điện: bất kỳ)", "No signal (power: any)"),
    "series_any_no_power": ("Chưa có điện (sóng: bất kỳ)", "No power (signal: any)"),
    "gap_no_power_no_signal": ("Chưa điện, chưa sóng", "No power, no signal"),
    "gap_no_signal": ("Chưa có sóng", "No signal"),
    "gap_no_power": ("Chưa có điện", "No power"),
    "gap_served": ("Đã có điện và sóng", "Served"),
    "gap_unknown": ("Chưa xác định", "Unknown"),
    # --- helper "exports" (issue 13 item 7): column dictionary, Excel, KML -------------
    "col_unknown": ("Chưa có giải thích cho cột này", "No entry for this column yet"),
    "col_words": ("{label} (bằng chữ)", "{label} (in words)"),
    "col_words_meaning": ("{meaning}, viết bằng chữ", "{meaning}, in words"),
    "xlsx_dictionary": ("Giải thích cột", "Columns"),
    "dict_column": ("Tên cột (cố định)", "Column (stable name)"),
    "dict_label": ("Tiêu đề", "Header"),
    "dict_meaning": ("Ý nghĩa", "Meaning"),
    "dict_unit": ("Đơn vị", "Unit"),
    "dict_source": ("Nguồn", "Source"),
    "kml_villages": ("Các thôn", "Villages"),
    "kml_no_value": ("(chưa rõ)", "(unknown)"),
    "kml_yes": ("Có", "Yes"),
    "kml_no": ("Không", "No"),
}

# helper "words" (issue 13): values as words, why, errors and warnings
LABELS.update(WORDS)
LABELS.update({f"rep_{k}": v for k, v in REPORT_LABELS.items()})   # the weekly report
LABELS.update({f"chk_{k}": v for k, v in CHECK_MESSAGES.items()})  # gisapp check


# ---- helper "app" (issue 13): help in place, map legend, table texts ----
LABELS.update({
    "help_threshold": (
        "Thôn có sóng {tech} khi tín hiệu ≥ ngưỡng này. Mặc định 2G/3G −100 dBm, 4G/5G −110 dBm: "
        "mép “sóng dùng được ngoài trời” trong đo kiểm của nhà mạng và phương pháp ITU/GSMA.",
        "A village has {tech} signal where the signal is at least this. Defaults 2G/3G −100 dBm, "
        "4G/5G −110 dBm: the usable-outdoor edge of operator drive tests and the ITU/GSMA methods.",
    ),
    "help_pocket_share": (
        "Thôn có sóng ở trung tâm vẫn là lõm sóng khi ít nhất tỷ lệ dân này không có sóng. "
        "Mặc định 0,2: lựa chọn của dự án (chương trình lõm sóng không quy định tỷ lệ).",
        "A village served at its centre is still a pocket when at least this share of its people "
        "is not. Default 0.2: this project's choice (the lõm sóng programmes fix no share).",
    ),
    "help_grid_max_m": (
        "Không có danh sách điện: thôn trong khoảng này quanh đường dây trung thế được coi là có điện. "
        "Mặc định 1.000 m, lựa chọn của dự án; OnSSET dùng 2–3 km.",
        "Without an electricity list, a village this close to a medium-voltage line counts as powered. "
        "Default 1,000 m, this project's choice; OnSSET uses 2–3 km.",
    ),
    "help_grid_unknown_m": (
        "Xa lưới hơn khoảng này và không có ánh sáng đêm: chưa có điện; ở giữa hai ngưỡng: chưa rõ. "
        "Mặc định 5.000 m, lựa chọn của dự án.",
        "Farther than this from the grid with no night lights: no power; between the two: unknown. "
        "Default 5,000 m, this project's choice.",
    ),
    "help_lights_min": (
        "Ánh sáng đêm VIIRS từ mức này trở lên được coi là có điện. Mặc định 0,3 nW/cm²/sr: "
        "mức nền của dự án (gridfinder, Arderne và cộng sự 2020, cũng lọc ánh sáng đêm).",
        "VIIRS night lights at least this bright count as powered. Default 0.3 nW/cm²/sr: this "
        "project's floor above background (gridfinder, Arderne et al. 2020, also thresholds lights).",
    ),
    "help_preset": (
        "Bộ trọng số có sẵn của điểm ưu tiên: cân bằng (dân số 0,4, còn lại 0,2 mỗi phần), "
        "ưu tiên dân đông, ưu tiên vùng xa, ưu tiên trường và trạm y tế.",
        "Ready-made weights of the priority score: balanced (population 0.4, the rest 0.2 each), "
        "people first, remote first, services first.",
    ),
    "help_w_population": (
        "Trọng số của số dân thôn trong điểm ưu tiên (mỗi phần quy về 0–1 trước khi nhân). Mặc định 0,4.",
        "Weight of the village's people in the priority score (each part scaled to 0–1 first). Default 0.4.",
    ),
    "help_w_dist_grid": (
        "Trọng số của khoảng cách tới lưới điện: xa hơn, ưu tiên hơn. Mặc định 0,2.",
        "Weight of the distance to the grid: farther ranks higher. Default 0.2.",
    ),
    "help_w_dist_site": (
        "Trọng số của khoảng cách tới trạm BTS gần nhất: xa hơn, ưu tiên hơn. Mặc định 0,2.",
        "Weight of the distance to the nearest tower: farther ranks higher. Default 0.2.",
    ),
    "help_w_facilities": (
        "Trọng số của trường học, trạm y tế trong thôn. Mặc định 0,2.",
        "Weight of the schools and health stations in the village. Default 0.2.",
    ),
    "help_m_gap": (
        "Số thôn thuộc nhóm này trong bộ lọc hiện tại; bên dưới là số dân của các thôn đó.",
        "Villages of this class in the current filter; below, the people living in them.",
    ),
    "help_m_share_4g": (
        "Phần dân trong bộ lọc sống nơi có sóng 4G theo ngưỡng đã chọn (vùng phủ hoặc ảnh tín hiệu).",
        "Share of the filtered people living where 4G reaches the chosen threshold (coverage or signal raster).",
    ),
    "help_m_share_signal": (
        "Phần thôn trong bộ lọc có sóng của ít nhất một nhà mạng, công nghệ bất kỳ.",
        "Share of the filtered villages with signal from at least one carrier, any technology.",
    ),
    "help_p_n_sites": (
        "Số trạm mới tối đa được chọn để phủ nhiều dân chưa có sóng nhất; 0 = không giới hạn.",
        "The most new sites to choose, covering the most unserved people; 0 = no limit.",
    ),
    "help_p_budget": (
        "Tổng chi phí tối đa của các trạm mới, theo đơn giá trong cấu hình ([costs]); 0 = không giới hạn.",
        "The most the new sites may cost in total, at the unit costs of the config ([costs]); 0 = no limit.",
    ),
    "help_p_method": (
        "Chính xác: tối ưu bằng quy hoạch nguyên; tham lam: nhanh, gần tối ưu; tự động chọn theo cỡ bài toán.",
        "Exact: integer programming optimum; greedy: fast, near optimal; auto picks by problem size.",
    ),
    "help_p_cost": (
        "Chi phí ước tính theo đơn giá trong cấu hình ([costs]), triệu USD.",
        "Estimated cost at the unit costs of the config ([costs]), million USD.",
    ),
    "help_p_served": (
        "Số dân chưa có sóng sẽ được phủ bởi các trạm mới đã chọn.",
        "Unserved people the chosen new sites would cover.",
    ),
    "lg_towers": ("Trạm BTS theo nhà mạng", "Towers by carrier"),
    "lg_cluster": ("Nhóm trạm (số = số trạm)", "Grouped towers (number = towers)"),
    "lg_other": ("Lớp khác", "Other layers"),
    "lg_coverage": ("Phủ sóng (nét)", "Coverage (outline)"),
    "lg_disputes": ("Công bố – đo kiểm", "Declared vs measured"),
    "dispute_village": ("Thôn", "Village"),
    "disputes_layer": ("Thôn có bất đồng công bố – đo kiểm", "Villages where declared and measured disagree"),
    "lg_site": ("Trạm mới đề xuất (số = thứ hạng)", "Proposed new site (number = rank)"),
    "t_id": ("Mã thôn", "Village id"),
    "t_site_rank": ("Thứ hạng trạm", "Site rank"),
    "t_detail": ("Chi tiết thôn đang chọn", "Selected village in detail"),
    "t_pick_why": ("Xem lý do của thôn", "See the reason for a village"),
})


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


def compare_column_label(column: str, lang: str = "vi") -> str:
    """Label of a column of :attr:`gisapp.planning.Comparison.table` (``villages_no_signal``
    → "Số thôn: Chưa có sóng"); a column without a label keeps its name."""
    gaps = {g.value for g in GapClass}
    for prefix in ("villages", "pop"):
        if column.startswith(prefix + "_") and column[len(prefix) + 1:] in gaps:
            return t(f"c_{prefix}_gap", lang, gap=gap_label(column[len(prefix) + 1:], lang))
    key = f"c_{column}"
    return t(key, lang) if key in LABELS else column


GAP_LABELS = {g.value: (LABELS[f"gap_{g.value}"]) for g in GapClass}
