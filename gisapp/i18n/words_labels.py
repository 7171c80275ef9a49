"""Catalogue keys of the words below the UI (helper "words", issue 13): values as words,
the ``why`` sentence, error and warning messages. Merged into
:data:`gisapp.i18n.labels.LABELS`; every key has its Vietnamese and English text.
"""

from __future__ import annotations

#: key -> (Vietnamese, English)
WORDS: dict[str, tuple[str, str]] = {
    # --- values as words (gisapp.i18n.values) ------------------------------------
    "v_missing": ("–", "–"),
    "v_bool_true": ("Có", "Yes"),
    "v_bool_false": ("Không", "No"),
    "v_tier_high": ("Cao", "High"),
    "v_tier_medium": ("Trung bình", "Medium"),
    "v_tier_low": ("Thấp", "Low"),
    "v_tier_none": ("Không xếp hạng (đã có điện và sóng)", "Not ranked (served)"),
    "v_signal_no_signal": ("Trắng sóng", "No signal"),
    "v_signal_pocket": ("Lõm sóng", "Signal pocket"),
    "v_signal_covered": ("Có sóng", "Covered"),
    "v_signal_unknown": ("Chưa rõ sóng", "Signal unknown"),
    "v_power_yes": ("Có điện", "Has electricity"),
    "v_power_no": ("Chưa có điện", "No electricity"),
    "v_power_unknown": ("Chưa rõ điện", "Electricity unknown"),
    "v_kind_measured": ("Đo đạc", "Measured"),
    "v_kind_declared": ("Công bố", "Declared"),
    "v_kind_modelled": ("Mô phỏng", "Modelled"),
    "v_kind_distance": ("Khoảng cách tới lưới điện", "Distance to the grid"),
    "v_kind_lights": ("Ánh sáng ban đêm", "Night-time lights"),
    "v_kind_population": ("Số dân", "Population"),
    "w_kind_measured": ("đo đạc", "measured"),
    "w_kind_declared": ("công bố", "declared"),
    "w_kind_modelled": ("mô phỏng", "modelled"),
    "w_kind_distance": ("khoảng cách tới lưới điện", "distance to the grid"),
    "w_kind_lights": ("ánh sáng ban đêm", "night-time lights"),
    "w_kind_population": ("số dân", "population"),
    "v_pop_source_declared": ("Theo số liệu khai báo", "Declared in the village file"),
    "v_pop_source_raster": ("Ước tính từ ảnh dân số", "Estimated from the population raster"),
    "v_pop_source_none": ("Chưa biết", "Unknown"),
    "v_geometry_polygon": ("Vùng", "Polygon"),
    "v_geometry_point": ("Điểm", "Point"),
    "v_geometry_none": ("Không có hình", "No geometry"),
    "v_part_score_pop": ("Điểm dân số", "Population score"),
    "v_part_score_grid": ("Điểm khoảng cách tới lưới điện", "Distance-to-grid score"),
    "v_part_score_site": ("Điểm khoảng cách tới trạm", "Distance-to-tower score"),
    "v_part_score_facilities": ("Điểm công trình công cộng", "Public facilities score"),
    "v_signal_option_upgrade_existing": ("nâng cấp trạm hiện có", "upgrade an existing tower"),
    "v_signal_option_new_site": ("trạm mới", "new tower"),
    "v_signal_option_satellite": ("vệ tinh (VSAT)", "satellite (VSAT)"),
    "v_power_option_grid_extension": ("kéo lưới điện", "grid extension"),
    "v_power_option_solar_home_systems": ("điện mặt trời hộ gia đình", "solar home systems"),
    "v_backhaul_microwave": ("truyền dẫn vi ba", "microwave backhaul"),
    "v_backhaul_fibre": ("truyền dẫn cáp quang", "fibre backhaul"),
    "v_site_power_grid": ("điện lưới", "grid power"),
    "v_site_power_solar": ("điện mặt trời", "solar power"),
    "v_new_site_with": ("trạm mới ({backhaul}, {power})", "new tower ({backhaul}, {power})"),
    "v_no_gap_option": ("không cần đầu tư", "nothing needed"),
    "v_level_commune": ("Xã/phường", "Commune"),
    "v_level_province": ("Tỉnh", "Province"),
    "v_method_exact": ("Chính xác (MILP)", "Exact (MILP)"),
    "v_method_greedy": ("Tham lam (kèm cận trên)", "Greedy (with its bound)"),
    "v_method_auto": ("Tự động", "Automatic"),
    "v_method_none": ("Không chọn trạm", "No siting"),
    "v_layer": ("{carrier} {tech}", "{carrier} {tech}"),
    "v_layer_kind": ("{carrier} {tech} ({kind})", "{carrier} {tech} ({kind})"),
    "v_kind_snapshot": ("Ảnh chụp", "Snapshot"),
    "v_kind_target": ("Mục tiêu", "Target"),
    "v_method_exact_time_limit": ("Chính xác (MILP, dừng khi hết thời gian)", "Exact (MILP, stopped at the time limit)"),
    # --- the why sentence (gisapp.i18n.why) ----------------------------------------
    "w_people": ("{n} người", "{n} people"),
    "w_sig_no_signal": ("không có sóng dùng được tại trung tâm thôn ({ev})",
                        "no usable signal at the village centre ({ev})"),
    "w_sig_pocket": ("có sóng tại trung tâm thôn ({carriers}) nhưng {pct} số dân chưa được phủ sóng "
                     "(ngưỡng lõm sóng {thr})",
                     "signal at the centre ({carriers}) but {pct} of the people are not covered "
                     "(pocket threshold {thr})"),
    "w_sig_pocket_nothr": ("có sóng tại trung tâm thôn ({carriers}) nhưng {pct} số dân chưa được phủ sóng",
                           "signal at the centre ({carriers}) but {pct} of the people are not covered"),
    "w_sig_covered": ("có sóng tại trung tâm thôn: {carriers}", "covered at the centre by {carriers}"),
    "w_sig_unknown": ("chưa rõ có sóng không ({ev})", "signal unknown ({ev})"),
    "w_pow_no": ("chưa có điện: {ev}", "no electricity: {ev}"),
    "w_pow_yes": ("có điện: {ev}", "electricity: {ev}"),
    "w_pow_unknown": ("chưa rõ có điện không: {ev}", "electricity unknown: {ev}"),
    "w_note": ("Ghi chú: {notes}.", "Note: {notes}."),
    "w_ev_layer": ("{source} {layer} ({kind})", "{source} {layer} ({kind})"),
    "w_ev_layer_date": ("{source} {layer} ({kind}, {date})", "{source} {layer} ({kind}, {date})"),
    "w_src_coverage": ("vùng phủ", "coverage"),
    "w_src_signal": ("ảnh tín hiệu", "signal"),
    "w_src_towers": ("bán kính trạm", "towers"),
    "w_ev_none_covers": ("không lớp nào trong {n} lớp phủ tới trung tâm ({checked})",
                         "none of {n} layers covers the centre ({checked})"),
    "w_ev_checked": ("{n} {kind}", "{n} {kind}"),
    "w_ev_none_judged": ("không lớp nào trong {n} lớp vùng phủ đánh giá được trung tâm "
                         "(nằm ngoài các lớp, hoặc không có dữ liệu ở đó)",
                         "none of the {n} coverage layers could judge the centre (outside "
                         "them, or no data there)"),
    "w_ev_no_layer": ("không có lớp vùng phủ nào", "no coverage layer"),
    "w_ev_declared": ("{source} (công bố)", "{source} (declared)"),
    "w_ev_declared_date": ("{source} (công bố, {date})", "{source} (declared, {date})"),
    "w_ev_list": ("danh sách điện {name}", "electricity list {name}"),
    "w_ev_list_plain": ("danh sách điện", "electricity list"),
    "w_ev_grid": ("cách đường dây trung thế {d}", "{d} from MV grid line"),
    "w_ev_grid_cmp": ("cách đường dây trung thế {d} {op} {thr}", "{d} from MV grid line {op} {thr}"),
    "w_ev_grid_between": ("cách đường dây trung thế {d} (giữa {a} và {b})",
                          "{d} from MV grid line (between {a} and {b})"),
    "w_ev_lights": ("ánh sáng ban đêm {x} {op} {thr} nW/cm²/sr",
                    "night lights {x} {op} {thr} nW/cm²/sr"),
    "w_ev_no_lights_value": ("không có giá trị ánh sáng ban đêm", "no night lights value"),
    "w_ev_no_lights_layer": ("không có lớp ánh sáng ban đêm", "no night lights layer"),
    "w_ev_no_grid": ("không có khoảng cách tới lưới điện", "no grid distance"),
    "w_ev_pop": ("{p} người", "{p} people"),
    "w_ev_pop_cmp": ("{p} người {op} {thr}", "{p} people {op} {thr}"),
    "w_ev_pop_few": ("{p} người {op} {thr} (quá ít theo quy tắc)", "{p} people {op} {thr} (too few for the rule)"),
    "w_ev_pop_unknown_rule": ("chưa biết số dân (quy tắc cần {n} người)",
                              "population unknown (the rule needs {n} people)"),
    "w_ev_pop_unknown": ("chưa biết số dân", "population unknown"),
    "w_ev_rule_fails": ("không đạt quy tắc: {ev}", "fails the rule: {ev}"),
    "w_ev_rule_all": ("đạt mọi điều kiện của quy tắc: {ev}", "all of the rule: {ev}"),
    "w_ev_rule_undecided": ("quy tắc chưa quyết định được: {ev}", "rule undecided: {ev}"),
    "w_ev_no_power_layer": ("không có lớp dữ liệu điện nào", "no electricity layer given"),
    "w_ev_no_evidence": ("không có bằng chứng cho thôn này: {ev}", "no evidence for this village: {ev}"),
    "w_ev_not_listed": ("không có trong danh sách điện", "not on the electricity list"),
    "w_ev_unreadable": ("bằng chứng khác", "other evidence"),
    "w_note_no_geometry": ("thôn không có hình trong dữ liệu đầu vào nên không đo được gì",
                           "the village has no geometry in the input, so nothing could be measured"),
    "w_note_other_geometry": ("hình của thôn là {gtype}, không phải vùng hay điểm, nên không được đo",
                              "the geometry is a {gtype}, not a polygon or point, so it was not measured"),
    "w_note_repaired": ("ranh giới lỗi của thôn đã được tự động sửa",
                        "its invalid geometry was repaired (make_valid)"),
    "w_note_pop_unknown": ("số dân trong dữ liệu đầu vào bị trống hoặc sai",
                           "population unknown in the input"),
    "w_note_raster_empty": ("ảnh dân số không có điểm ảnh hợp lệ ở đây nên chưa biết số dân",
                            "the population raster has no valid pixel here, so the population is unknown"),
}

# --- errors and warnings (gisapp.i18n.errors) --------------------------------------
WORDS.update({
    "err_where_layer": ("Lớp “{layer}”", "Layer “{layer}”"),
    "err_where_file": ("tệp “{name}”", "file “{name}”"),
    "err_role_config": ("Tệp cấu hình", "Config file"),
    "err_role_coverage": ("Vùng phủ sóng {layer}", "Coverage {layer}"),
    "err_role_signal": ("Ảnh cường độ tín hiệu {layer}", "Signal raster {layer}"),
    "err_class_GisappError": ("Không xử lý được dữ liệu này. Hãy kiểm tra tệp và cấu hình.",
                              "This data cannot be processed. Check the files and the config."),
    "err_class_ConfigError": ("Cấu hình không hợp lệ (khoá lạ, giá trị sai hoặc thiếu lớp dữ liệu). "
                              "Hãy kiểm tra tệp cấu hình.",
                              "The configuration is invalid (unknown key, bad value or missing layer). "
                              "Check the config file."),
    "err_class_InputError": ("Không dùng được lớp dữ liệu này như hiện tại. Hãy kiểm tra tệp.",
                             "This layer cannot be used as it is. Check the file."),
    "err_class_UnreadableFileError": ("Không đọc được tệp: tệp không tồn tại, rỗng hoặc không đúng định dạng. "
                                      "Hãy lưu lại tệp ở định dạng GPKG, GeoJSON, Shapefile (zip), CSV hoặc XLSX.",
                                      "The file cannot be read: it is missing, empty or of an unknown format. "
                                      "Save it again as GPKG, GeoJSON, zipped Shapefile, CSV or XLSX."),
    "err_class_MissingCRSError": ("Lớp dữ liệu không có hệ toạ độ. Hãy gán hệ toạ độ (ví dụ EPSG:4326) "
                                  "trong GIS hoặc trong cấu hình.",
                                  "The layer has no coordinate reference system. Set one (e.g. EPSG:4326) "
                                  "in a GIS or in the config."),
    "err_class_CRSMismatchError": ("Toạ độ không khớp với hệ toạ độ đã khai báo (ví dụ mét ghi là độ). "
                                   "Hãy kiểm tra hệ toạ độ của tệp.",
                                   "The coordinates do not fit the declared CRS (e.g. metres labelled as "
                                   "degrees). Check the file's CRS."),
    "err_class_NoOverlapError": ("Lớp dữ liệu không chồng lên vùng các thôn. Hãy kiểm tra đúng tỉnh và hệ toạ độ.",
                                 "The layer does not overlap the villages. Check the province and the CRS."),
    "err_class_MissingColumnError": ("Không có cột đã chọn trong tệp. Hãy chọn cột có trong tệp.",
                                     "A chosen column is not in the file. Choose one of the file's columns."),
    "err_class_InvalidGeometryError": ("Có ranh giới lỗi và cấu hình yêu cầu từ chối. Hãy sửa trong GIS "
                                       "hoặc cho phép tự sửa.",
                                       "Invalid geometries were found and the config refuses them. Repair "
                                       "them in a GIS or allow repair."),
    "err_class_DuplicateIdError": ("Mã thôn bị trùng. Hãy làm cho mã là duy nhất.",
                                   "Village ids are not unique. Make them unique."),
    "err_class_UnsafeArchiveError": ("Tệp zip không an toàn hoặc quá lớn. Hãy nén lại chỉ các tệp dữ liệu.",
                                     "The zip archive is unsafe or too large. Zip only the data files again."),
    "err_class_FileTooLargeError": ("Tệp lớn hơn giới hạn cho phép. Hãy cắt bớt hoặc tăng giới hạn trong cấu hình.",
                                    "The file is larger than the limit. Clip it or raise the limit in the config."),
    "err_class_StoreError": ("Kho ảnh chụp không dùng được như yêu cầu.", "The snapshot store cannot do this."),
    "err_class_StoreUnavailableError": ("Không mở được kho ảnh chụp. Hãy kiểm tra đường dẫn.",
                                        "The snapshot store cannot be opened. Check its path."),
    "err_class_ExportProcessError": ("Không ghi được tệp xuất. Hãy thử lại.", "The export could not be written. Try again."),
    "warn_generic": ("Có một cảnh báo của lần chạy (chi tiết trong manifest).",
                     "A warning of the run (details in the manifest)."),
    "warn_generic_layer": ("Cảnh báo về lớp “{layer}” (chi tiết trong manifest).",
                           "A warning about the layer “{layer}” (details in the manifest)."),
})

# --- keyed error messages (err_<key>; the raise sites in io, pipeline, config) ---------
WORDS.update({
    "err_zip_ratio": ("Tệp zip ({packed_mb} MB) khai báo giải nén ra {mb} MB, vượt giới hạn {ratio} lần "
                      "(có thể là “bom zip”); không giải nén. Hãy nén trực tiếp các tệp của lớp dữ liệu, "
                      "hoặc gửi không nén.",
                      "The archive ({packed_mb} MB) says it expands to {mb} MB, over the limit of {ratio} "
                      "times (a zip bomb?); not extracted. Zip the layer's files themselves, or send them unzipped."),
    "err_zip_outside": ("Mục “{entry}” trỏ ra ngoài thư mục của tệp zip; không giải nén. Hãy tạo lại tệp "
                        "zip từ chính thư mục dữ liệu.",
                        "Entry “{entry}” points outside the archive's folder; not extracted. Re-create the "
                        "zip from the data folder itself."),
    "err_zip_unreadable": ("Không phải tệp zip đọc được. Hãy nén lại tệp.",
                           "Not a readable zip archive. Zip the files again."),
    "err_zip_too_many": ("Tệp zip có {n} mục, vượt giới hạn {limit}; chỉ nén các tệp của lớp dữ liệu.",
                         "The archive has {n} entries, over the limit of {limit}; zip only the layer's files."),
    "err_zip_link": ("Mục “{entry}” là liên kết tượng trưng; không giải nén.",
                     "Entry “{entry}” is a symbolic link; not extracted."),
    "err_zip_too_big": ("Mục “{entry}” làm tổng dung lượng giải nén vượt giới hạn {mb} MB; không giải nén.",
                        "Entry “{entry}” takes the uncompressed size over the limit of {mb} MB; not extracted."),
    "err_zip_expands": ("Mục “{entry}” giải nén ra nhiều hơn kích thước khai báo, vượt giới hạn {mb} MB "
                        "(có thể là “bom zip”); không giải nén.",
                        "Entry “{entry}” expands beyond its declared size, over the limit of {mb} MB "
                        "(a zip bomb?); not extracted."),
    "err_zip_corrupt": ("Mục “{entry}” trong tệp zip bị hỏng. Hãy nén lại.",
                        "Entry “{entry}” of the archive is corrupt. Zip the files again."),
    "err_ocid_unreadable": ("Không đọc được tệp như CSV của OpenCelliD. Hãy xuất lại dưới dạng văn bản "
                            "phân tách bằng dấu phẩy.",
                            "Cannot read it as an OpenCelliD CSV. Export it again as comma-separated text."),
    "err_ocid_no_header": ("Tệp không có dòng tiêu đề và có {n} cột; tệp OpenCelliD không có tiêu đề phải có "
                           "{expected} cột.",
                           "The file has no header and {n} columns; an OpenCelliD file without a header has "
                           "{expected} columns."),
    "err_ocid_columns": ("Thiếu các cột OpenCelliD: {missing} (tệp có: {found}).",
                         "The OpenCelliD columns {missing} are missing (found: {found})."),
    "err_file_missing": ("Tệp không tồn tại. Hãy kiểm tra đường dẫn (đường dẫn tương đối trong cấu hình "
                         "tính từ thư mục của tệp cấu hình).",
                         "The file does not exist. Check the path (relative paths in a config are relative "
                         "to the config file's folder)."),
    "err_file_is_folder": ("Đây là thư mục, không phải tệp; hãy chọn chính tệp đó.",
                           "This is a folder, not a file; give the file itself."),
    "err_file_empty": ("Tệp rỗng (0 byte); hãy xuất lại.", "The file is empty (0 bytes); export it again."),
    "err_file_too_large": ("Tệp nặng {mb} MB, vượt giới hạn {limit} MB; hãy chia nhỏ, đơn giản hoá "
                           "hoặc nâng giới hạn.",
                           "The file is {mb} MB, over the limit of {limit} MB; split it, simplify it, or "
                           "raise the limit."),
    "err_encoding": ("Không giải mã được tệp theo bảng mã {encoding}; hãy kiểm tra thiết lập bảng mã.",
                     "Cannot decode the file as {encoding}; check the encoding setting."),
    "err_utf16": ("Tệp trông như văn bản UTF-16 nhưng không giải mã được; hãy lưu lại dưới dạng CSV UTF-8.",
                  "The file looks like UTF-16 text but cannot be decoded; save it again as UTF-8 CSV."),
    "err_xls_needs_xlrd": ("Tệp .xls cũ cần gói xlrd chưa được cài; hãy lưu bảng dưới dạng .xlsx hoặc CSV.",
                           "Old .xls workbooks need the xlrd package, which is not installed; save the "
                           "sheet as .xlsx or CSV."),
    "err_workbook_unreadable": ("Không đọc được sổ tính; hãy lưu lại dưới dạng .xlsx.",
                                "Cannot read the workbook; save it again as .xlsx."),
    "err_no_sheet": ("Không có trang tính “{sheet}”; sổ tính có: {sheets}.",
                     "No sheet “{sheet}”; the workbook has: {sheets}."),
    "err_missing_column": ("Không có cột “{column}”. Các cột có trong tệp: {columns}.",
                           "No column “{column}”. The file's columns: {columns}."),
    "err_missing_column_hint": ("Không có cột “{column}”. Các cột có trong tệp: {columns}. Có phải là "
                                "“{suggestion}”?",
                                "No column “{column}”. The file's columns: {columns}. Did you mean "
                                "“{suggestion}”?"),
    "err_gdal_unreadable": ("GDAL không đọc được tệp; hãy kiểm tra tệp đầy đủ (Shapefile cần .shp, .shx "
                            "và .dbf) và xuất lại.",
                            "GDAL cannot read the file; check that it is complete (a Shapefile needs its "
                            ".shp, .shx and .dbf) and export it again."),
    "err_table_format": ("Định dạng bảng “{suffix}” không được hỗ trợ; hãy dùng CSV, XLSX, DBF hoặc GPKG.",
                         "Unknown table format “{suffix}”; use CSV, XLSX, DBF or GPKG."),
    "err_table_empty": ("Bảng không có dòng tiêu đề và không có dòng nào.", "The table has no header and no rows."),
    "err_vector_format": ("Định dạng “{suffix}” không được hỗ trợ; hãy dùng GPKG, Shapefile (.shp hoặc .zip), "
                          "GeoJSON, GeoParquet, hoặc CSV/XLSX có cột kinh độ và vĩ độ.",
                          "Unknown vector format “{suffix}”; use GPKG, Shapefile (.shp or .zip), GeoJSON, "
                          "GeoParquet, or CSV/XLSX with longitude and latitude columns."),
    "err_swapped_coords": ("Toạ độ có vẻ bị đảo (vĩ độ, kinh độ); hãy ghi theo thứ tự kinh độ, vĩ độ "
                           "(x = kinh độ).",
                           "The coordinates look swapped (lat, lon); write them as lon, lat (x = longitude)."),
    "err_gpkg_layers": ("Tệp GeoPackage có {n} lớp ({layers}); hãy chọn một lớp.",
                        "The GeoPackage has {n} layers ({layers}); choose one."),
    "err_no_geometry": ("Lớp không có hình học (vùng, điểm, đường); có phải đây là một bảng thường?",
                        "The layer has no geometry; is it a plain table?"),
    "err_geojson_invalid": ("Tệp không phải GeoJSON hợp lệ; hãy mở bằng trình soạn thảo văn bản hoặc xuất lại "
                            "từ GIS.",
                            "Not valid GeoJSON; open it in a text editor or export it again from the GIS."),
    "err_geojson_not": ("Tệp là JSON hợp lệ nhưng không phải GeoJSON; hãy xuất lớp dữ liệu dưới dạng GeoJSON.",
                        "Valid JSON but not GeoJSON; export the layer as GeoJSON."),
    "err_geoparquet": ("Không đọc được tệp GeoParquet; hãy ghi lại bằng geopandas hoặc GDAL.",
                       "Cannot read it as GeoParquet; write it again with geopandas or GDAL."),
    "err_zip_no_layer": ("Tệp zip không chứa Shapefile (.shp kèm .shx và .dbf), GeoPackage hay GeoJSON nào.",
                         "The zip holds no Shapefile (.shp with .shx and .dbf), GeoPackage or GeoJSON."),
    "err_zip_layer_missing": ("Không có lớp “{layer}” trong tệp zip; tệp có: {layers}.",
                              "No layer “{layer}” in the zip; it holds: {layers}."),
    "err_zip_layers": ("Tệp zip có {n} lớp ({layers}); hãy chọn một lớp.",
                       "The zip holds {n} layers ({layers}); choose one."),
    "err_no_lon": ("Không tìm thấy cột kinh độ. Các cột có trong tệp: {columns}. Hãy chọn cột kinh độ và vĩ độ.",
                   "No longitude column found. The file's columns: {columns}. Choose the longitude and "
                   "latitude columns."),
    "err_no_lat": ("Không tìm thấy cột vĩ độ. Các cột có trong tệp: {columns}. Hãy chọn cột kinh độ và vĩ độ.",
                   "No latitude column found. The file's columns: {columns}. Choose the longitude and "
                   "latitude columns."),
    "err_ids_missing": ("{n} thôn không có mã trong cột “{column}” (dòng {rows}); hãy điền mã, hoặc bỏ chọn "
                        "cột mã để đánh số theo dòng.",
                        "{n} villages have no id in column “{column}” (rows {rows}); fill them in, or leave "
                        "the id column out to number the rows."),
    "err_ids_duplicate": ("{n} mã thôn xuất hiện nhiều lần trong cột “{column}” (ví dụ {examples}); hãy làm "
                          "cho mã là duy nhất, hoặc bỏ chọn cột mã để đánh số theo dòng.",
                          "{n} village ids appear more than once in column “{column}” (e.g. {examples}); "
                          "make them unique, or leave the id column out to number the rows."),
    "err_invalid_geometries": ("{n} thôn có ranh giới lỗi (ví dụ mã {examples}); hãy sửa trong GIS, hoặc cho "
                               "phép tự sửa ranh giới trong cấu hình.",
                               "{n} invalid geometries (e.g. village ids {examples}); repair them in a GIS, "
                               "or allow repair in the config."),
    "err_villages_empty": ("Lớp thôn không có dòng nào; không có gì để phân tích. Hãy kiểm tra đúng tệp "
                           "(và lớp) và tệp đã được lưu cùng các đối tượng.",
                           "The village layer has no rows; nothing to analyse. Check that this is the right "
                           "file (and layer) and that it was saved with its features."),
    "err_layer_no_overlap": ("Lớp này hoàn toàn không chồng lên các thôn (không có gì trong phạm vi {km} km); "
                             "hãy kiểm tra hai lớp cùng một vùng và đúng hệ toạ độ.",
                             "This layer does not overlap the villages at all (nothing within {km} km); "
                             "check that both are in the same area and have the right CRS."),
    "err_raster_unreadable": ("GDAL không đọc được ảnh này. Hãy dùng GeoTIFF hoặc ảnh khác GDAL đọc được.",
                              "Not a raster GDAL can read. Give a GeoTIFF or another GDAL raster."),
    "err_raster_no_crs": ("Ảnh không có hệ toạ độ. Hãy ghi hệ toạ độ vào tệp (ví dụ EPSG:4326) hoặc dùng "
                          "GeoTIFF có hệ toạ độ.",
                          "The raster has no coordinate reference system. Write one into the file "
                          "(e.g. EPSG:4326) or use a GeoTIFF with its CRS."),
    "err_raster_no_overlap": ("Ảnh không nằm trên vùng các thôn. Hãy kiểm tra phạm vi và hệ toạ độ của ảnh.",
                              "The raster does not overlap the villages. Check its extent and CRS."),
    "err_cfg_technology": ("Lớp vùng phủ {file}: công nghệ “{value}” không thuộc {choices}.",
                           "Coverage layer {file}: technology “{value}” is not one of {choices}."),
    "err_cfg_kind": ("Lớp vùng phủ {file}: loại bằng chứng “{value}” không thuộc {choices}.",
                     "Coverage layer {file}: kind “{value}” is not one of {choices}."),
    "err_cfg_dbm_tech": ("Ngưỡng tín hiệu có công nghệ “{value}”; hãy dùng một trong {choices}.",
                         "The signal thresholds have technology “{value}”; use one of {choices}."),
    "err_cfg_tech": ("Công nghệ được tính “{value}” không thuộc {choices}.",
                     "Counted technology “{value}” is not one of {choices}."),
    "err_cfg_pocket": ("Tỷ lệ lõm sóng phải từ 0 đến 1, không phải {value}.",
                       "The pocket share must be between 0 and 1, not {value}."),
    "err_cfg_combine": ("Cách kết hợp quy tắc điện phải là “any” hoặc “all”, không phải “{value}”.",
                        "The power rule combination must be “any” or “all”, not “{value}”."),
    "err_cfg_calibrate": ("Tỷ lệ hiệu chỉnh điện là tỷ lệ dân từ 0 đến 1 (0,6 là 60 %), không phải {value}.",
                          "The power calibration is a share of people between 0 and 1 (0.6 for 60 %), "
                          "not {value}."),
    "err_cfg_weight_negative": ("Trọng số “{name}” không được âm.", "The weight “{name}” must not be negative."),
    "err_cfg_invalid_geometry": ("Cách xử lý ranh giới lỗi phải là “repair” (tự sửa) hoặc “refuse” (từ chối).",
                                 "Invalid geometries must be “repair” or “refuse”."),
    "err_cfg_engine": ("Bộ máy tính phải là “local” hoặc “dask”.", "The engine must be “local” or “dask”."),
    "err_cfg_type": ("Mục [{name}] của cấu hình có kiểu sai.", "The [{name}] section of the config has the wrong type."),
    "err_cfg_siting_tech": ("Công nghệ trạm mới “{value}” chưa có giá thiết bị vô tuyến; hãy thêm giá hoặc chọn "
                            "công nghệ khác.",
                            "The new-site technology “{value}” has no radio cost; add it or choose another "
                            "technology."),
    "err_cfg_preset": ("{where}: “{value}” không có; hãy chọn một trong {choices}.",
                       "{where}: “{value}” is unknown; choose one of {choices}."),
    "err_detail": ("Chi tiết (tiếng Anh): {detail}", "Details: {detail}"),
})

# --- keyed run warnings (warn_<key>; RunReport.warn(..., key=...)) -------------------
WORDS.update({
    "warn_layer_far": ("{role} ({file}): không có gì trong phạm vi {km} km quanh các thôn nên mọi khoảng cách "
                       "tới lớp này đều lớn; hãy kiểm tra hệ toạ độ của lớp nếu điều đó không đúng.",
                       "{role} ({file}): nothing within {km} km of the villages, so every distance to it is "
                       "large; check the layer's CRS if that is not true."),
    "warn_filter_empty": ("{role}: không có đối tượng nào có {column} = {value}.",
                          "{role}: no feature has {column} = {value}."),
    "warn_raster_no_pixel": ("Ảnh dân số: {n} thôn không có điểm ảnh hợp lệ (không có dữ liệu hoặc nằm ngoài ảnh, "
                             "ví dụ mã {examples}); chưa biết số dân của các thôn này.",
                             "Population raster: {n} villages have no valid pixel (nodata or outside the "
                             "raster, e.g. ids {examples}); their population is unknown."),
    "warn_unmatched_names": ("Danh sách điện: {n} tên không khớp thôn nào trong cùng xã (xem bảng tên không khớp).",
                             "Electricity list: {n} names did not match any village in their commune (see the "
                             "unmatched names)."),
    "warn_repaired_geometries": ("Thôn: đã tự động sửa {n} ranh giới lỗi (ví dụ mã {examples}).",
                                 "Villages: repaired {n} invalid geometries (e.g. ids {examples})."),
    "warn_bad_population": ("Thôn: {n} giá trị dân số trong cột “{column}” bị trống, âm hoặc không phải số "
                            "(ví dụ dòng {rows}); coi là chưa biết.",
                            "Villages: {n} population values in “{column}” are missing, negative or not "
                            "numbers (e.g. rows {rows}); counted as unknown."),
})

# --- measurements against declared coverage, complaints (issue 14) ---------------------
WORDS.update({
    "w_meas_overrules": ("Đo kiểm được ưu tiên hơn vùng phủ công bố của {layer}: {n} mẫu gần đây, {pct} "
                         "dưới ngưỡng, nên {verdict}.",
                         "Measurements outrank declared coverage for {layer}: {n} recent samples, {pct} "
                         "below the threshold, so {verdict}."),
    "w_verdict_covered": ("có sóng", "covered"),
    "w_verdict_not_covered": ("không có sóng", "not covered"),
    "v_verdict_covered": ("Có sóng (đo kiểm)", "Covered (measured)"),
    "v_verdict_not_covered": ("Không có sóng (đo kiểm)", "Not covered (measured)"),
    "v_verdict_insufficient": ("Chưa đủ mẫu đo", "Too few samples"),
    "v_dispute_declared_not_measured": ("Công bố có sóng, đo không có", "Declared covered, measured not"),
    "v_dispute_measured_not_declared": ("Đo có sóng, công bố không có", "Measured covered, not declared"),
    "warn_meas_no_time": ("Đo kiểm ({file}): bỏ qua {n} dòng không có thời gian (ví dụ dòng {rows}).",
                          "Measurements ({file}): skipped {n} row(s) with no time (e.g. rows {rows})."),
    "warn_meas_unknown_carrier": ("Đo kiểm ({file}): bỏ qua {n} dòng có nhà mạng không biết (ví dụ dòng {rows}); "
                                  "thêm tên vào [measurement_rules] carriers nếu đúng.",
                                  "Measurements ({file}): skipped {n} row(s) with an unknown carrier (e.g. rows "
                                  "{rows}); add the name to [measurement_rules] carriers if it is right."),
    "warn_meas_unknown_technology": ("Đo kiểm ({file}): bỏ qua {n} dòng có công nghệ không phải 2G–5G "
                                     "(ví dụ dòng {rows}).",
                                     "Measurements ({file}): skipped {n} row(s) whose technology is not "
                                     "2G–5G (e.g. rows {rows})."),
    "warn_meas_no_signal": ("Đo kiểm ({file}): bỏ qua {n} dòng không có giá trị tín hiệu (ví dụ dòng {rows}).",
                            "Measurements ({file}): skipped {n} row(s) with no signal value (e.g. rows {rows})."),
    "warn_meas_impossible_dbm": ("Đo kiểm ({file}): bỏ qua {n} dòng có tín hiệu không thể có (trên −20 hoặc "
                                 "dưới −150 dBm; ví dụ dòng {rows}); kiểm tra đơn vị của cột.",
                                 "Measurements ({file}): skipped {n} row(s) with an impossible signal (above "
                                 "−20 or below −150 dBm; e.g. rows {rows}); check the column's unit."),
    "warn_complaints_outside": ("Phản ánh ({file}): {n} trong {total} phản ánh không nằm trong thôn nào.",
                                "Complaints ({file}): {n} of {total} complaint(s) are in no village."),
    "err_cfg_meas_min": ("Số mẫu đo tối thiểu phải từ 1 trở lên, không phải {value}.",
                         "The minimum number of samples must be at least 1, not {value}."),
    "err_cfg_meas_age": ("Tuổi tối đa của mẫu đo (ngày) phải dương, không phải {value}.",
                         "The maximum sample age (days) must be positive, not {value}."),
    "err_cfg_meas_share": ("Tỷ lệ mẫu đạt ngưỡng để kết luận có sóng phải lớn hơn 0 và tối đa 1, không phải "
                           "{value}.",
                           "The share of samples at the threshold that means covered must be above 0 and "
                           "at most 1, not {value}."),
})
