"""Input templates a province hands out: XLSX with Vietnamese and English header rows,
and a CSV twin of each.

Each template is a :class:`Template` (a list of :class:`Column`). Its workbook has the
data sheet first (row 1 Vietnamese headers, row 2 the column keys the tool reads, data
from row 3) and a guide sheet that explains every column: meaning, unit, and what to
write when the value is unknown. The readers of a run (:mod:`gisapp.io.tables`,
:mod:`gisapp.io.vector`) skip the Vietnamese row as a title row and take the key row as
the header, so a filled-in template is read as it is.

Regenerate the committed files with ``python -m gisapp.templates data/templates``;
a test checks that the committed files equal what this module writes.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Column", "Template", "TEMPLATES", "template", "write_template", "write_templates",
           "GUIDE_SHEET", "DATA_SHEET", "HEADER_ROWS"]

DATA_SHEET = "Du lieu - Data"
GUIDE_SHEET = "Huong dan - Guide"
#: rows above the data: Vietnamese headers, then the column keys
HEADER_ROWS = 2
_STAMP = (2025, 7, 1)


@dataclass(frozen=True)
class Column:
    """One column of a template."""

    key: str                 # the header the tool reads (row 2)
    vi: str                  # the Vietnamese header (row 1)
    meaning_vi: str
    meaning_en: str
    unit: str = ""
    required: bool = False
    unknown_vi: str = "để trống"
    unknown_en: str = "leave empty"


@dataclass(frozen=True)
class Template:
    """A template: its file stem, titles and columns."""

    name: str
    title_vi: str
    title_en: str
    columns: tuple[Column, ...]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


_ID = Column("village_id", "Mã thôn/bản", "Mã thôn/bản, duy nhất trong tỉnh (mã của xã + số thứ tự)",
             "Village code, unique in the province (commune code + number)", required=True,
             unknown_vi="không để trống: đặt mã tạm như XA01-001",
             unknown_en="never empty: make a provisional code such as XA01-001")
_NAME = Column("name", "Tên thôn/bản", "Tên thôn/bản, viết đủ dấu, như trong quyết định của tỉnh",
               "Village name with Vietnamese diacritics, as in the province's decision",
               required=True, unknown_vi="không để trống", unknown_en="never empty")
_COMMUNE = Column("commune", "Xã/phường", "Tên xã/phường sau sắp xếp 1/7/2025, ví dụ 'Xã Mường Bú'",
                  "Commune or ward after the 1 July 2025 reform, e.g. 'Xã Mường Bú'",
                  required=True, unknown_vi="không để trống", unknown_en="never empty")
_LON = Column("lon", "Kinh độ (°E)", "Kinh độ WGS84, độ thập phân (Việt Nam: 102–110)",
              "Longitude, WGS84 decimal degrees (Vietnam: 102–110)", unit="°",
              unknown_vi="để trống; không ghi 0", unknown_en="leave empty; never write 0")
_LAT = Column("lat", "Vĩ độ (°N)", "Vĩ độ WGS84, độ thập phân (Việt Nam: 8–24)",
              "Latitude, WGS84 decimal degrees (Vietnam: 8–24)", unit="°",
              unknown_vi="để trống; không ghi 0", unknown_en="leave empty; never write 0")
_CARRIER = Column("carrier", "Nhà mạng", "Nhà mạng: Viettel, VNPT, MobiFone, Vietnamobile ...",
                  "Carrier: Viettel, VNPT, MobiFone, Vietnamobile ...", required=True,
                  unknown_vi="không để trống", unknown_en="never empty")
_TECH = Column("technology", "Công nghệ", "Công nghệ: 2G, 3G, 4G hoặc 5G (mỗi công nghệ một dòng)",
               "Technology: 2G, 3G, 4G or 5G (one row per technology)", required=True,
               unknown_vi="không để trống", unknown_en="never empty")
_NOTE = Column("note", "Ghi chú", "Ghi chú tự do", "Free note")

TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("villages", "Danh sách thôn/bản", "Village list", (
        _ID, _NAME, _COMMUNE,
        Column("province", "Tỉnh", "Tên tỉnh", "Province"),
        Column("population", "Dân số (người)", "Số nhân khẩu thường trú", "Resident population",
               unit="người / people", unknown_vi="để trống (tool dùng ảnh dân số)",
               unknown_en="leave empty (the tool uses the population raster)"),
        Column("households", "Số hộ", "Số hộ gia đình", "Number of households",
               unit="hộ / households"),
        _LON, _LAT, _NOTE,
    )),
    Template("evn_villages_without_power", "Danh sách thôn/bản chưa có điện lưới (EVN)",
             "EVN list of villages without grid power", (
        Column("village_id", "Mã thôn/bản", "Mã thôn/bản như trong danh sách thôn của tỉnh",
               "Village code as in the province's village list",
               unknown_vi="để trống: tool ghép theo tên trong xã",
               unknown_en="leave empty: the tool matches by name within the commune"),
        _NAME, _COMMUNE,
        Column("has_power", "Có điện lưới", "Thôn đã có điện lưới quốc gia: có / không",
               "Village on the national grid: có (yes) / không (no)", required=True,
               unknown_vi="không ghi dòng này", unknown_en="leave the row out"),
        Column("households_without_power", "Số hộ chưa có điện", "Số hộ chưa có điện lưới",
               "Households without grid power", unit="hộ / households"),
        Column("date", "Ngày cập nhật", "Ngày số liệu, YYYY-MM-DD", "Date of the figure, YYYY-MM-DD",
               unit="YYYY-MM-DD"),
        _NOTE,
    )),
    Template("towers", "Danh sách trạm BTS của nhà mạng", "Tower list of one carrier", (
        Column("site_id", "Mã trạm", "Mã trạm của nhà mạng", "The carrier's site code",
               required=True, unknown_vi="không để trống", unknown_en="never empty"),
        _CARRIER, _TECH, _LON, _LAT,
        Column("height_m", "Độ cao anten (m)", "Độ cao anten so với mặt đất", "Antenna height above ground",
               unit="m", unknown_vi="để trống (tool dùng 30 m)", unknown_en="leave empty (the tool uses 30 m)"),
        Column("backup_power", "Nguồn dự phòng", "Nguồn điện dự phòng: không / ắc quy / máy phát / mặt trời",
               "Backup power: none / battery / generator / solar"),
        Column("mcc_mnc", "MCC-MNC", "Mã mạng, ví dụ 452-04 (Viettel)", "Network code, e.g. 452-04 (Viettel)"),
        _NOTE,
    )),
    Template("measurements", "Nhật ký đo sóng", "Signal measurement log", (
        Column("time", "Thời gian", "Thời điểm đo, YYYY-MM-DD HH:MM", "Time of the measurement, YYYY-MM-DD HH:MM",
               unit="YYYY-MM-DD HH:MM", required=True, unknown_vi="ghi ít nhất ngày",
               unknown_en="write at least the date"),
        _LON, _LAT, _CARRIER, _TECH,
        Column("signal_dbm", "Cường độ (dBm)", "Cường độ tín hiệu: RxLev 2G, RSCP 3G, RSRP 4G/5G",
               "Signal strength: 2G RxLev, 3G RSCP, 4G/5G RSRP", unit="dBm",
               unknown_vi="để trống; không có sóng thì ghi -140",
               unknown_en="leave empty; no signal at all: write -140"),
        Column("download_mbps", "Tốc độ tải xuống (Mbps)", "Tốc độ tải xuống đo được",
               "Measured download speed", unit="Mbps"),
        _NOTE,
    )),
    Template("complaints", "Sổ phản ánh của người dân", "Complaint log", (
        Column("complaint_id", "Số phản ánh", "Số thứ tự phản ánh", "Complaint number", required=True,
               unknown_vi="không để trống", unknown_en="never empty"),
        Column("date", "Ngày", "Ngày nhận phản ánh, YYYY-MM-DD", "Date received, YYYY-MM-DD",
               unit="YYYY-MM-DD", required=True),
        Column("village_id", "Mã thôn/bản", "Mã thôn/bản nơi phản ánh", "Village code of the complaint"),
        _NAME, _COMMUNE, _LON, _LAT,
        Column("carrier", "Nhà mạng", "Nhà mạng bị phản ánh", "Carrier complained about",
               unknown_vi="để trống nếu phản ánh về điện", unknown_en="leave empty for a power complaint"),
        Column("problem", "Vấn đề", "mất sóng / sóng yếu / mạng chậm / mất điện / khác",
               "no_signal / weak_signal / slow / no_power / other", required=True),
        _NOTE,
    )),
)}


def template(name: str) -> Template:
    """The template called ``name`` (a key of :data:`TEMPLATES`)."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise KeyError(f"no template '{name}'; templates: {', '.join(TEMPLATES)}") from None


def _guide_rows(t: Template) -> list[list[str]]:
    rows = [[f"{t.title_vi} — {t.title_en}"], [],
            ["Cột (key)", "Tiêu đề", "Ý nghĩa", "Meaning", "Đơn vị / unit", "Bắt buộc / required",
             "Khi không biết", "When unknown"]]
    for c in t.columns:
        rows.append([c.key, c.vi, c.meaning_vi, c.meaning_en, c.unit, "x" if c.required else "",
                     c.unknown_vi, c.unknown_en])
    rows += [[], ["Dòng 1: tiêu đề tiếng Việt; dòng 2: tên cột tool đọc, đừng sửa; "
                  "dữ liệu từ dòng 3."],
             ["Row 1: Vietnamese headers; row 2: the column keys the tool reads, do not "
              "change them; data from row 3."],
             ["Kiểm tra trước khi gửi / check before sending: gisapp check <file>"]]
    return rows


def write_template(t: Template, out_dir: str | Path,
                   rows: Iterable[Sequence[Any]] = ()) -> tuple[Path, Path]:
    """Write ``<name>.xlsx`` and ``<name>.csv`` for ``t`` into ``out_dir``, with ``rows``
    (values in the order of ``t.columns``) as data; empty templates by default."""
    import datetime as _dt

    from openpyxl import Workbook
    from openpyxl.styles import Font

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [list(r) for r in rows]
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.vi for c in t.columns])
    ws.append(t.keys)
    for cell in (*ws[1], *ws[2]):
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(r)
    ws.freeze_panes = "A3"
    for j, c in enumerate(t.columns):
        ws.column_dimensions[ws.cell(1, j + 1).column_letter].width = max(12, len(c.vi) + 2)
    guide = wb.create_sheet(GUIDE_SHEET)
    for r in _guide_rows(t):
        guide.append(r)
    stamp = _dt.datetime(*_STAMP)
    wb.properties.creator = "gisapp"
    wb.properties.title = f"{t.title_vi} — {t.title_en}"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    xlsx = out / f"{t.name}.xlsx"
    wb.save(xlsx)
    path_csv = out / f"{t.name}.csv"
    with path_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([c.vi for c in t.columns])
        w.writerow(t.keys)
        w.writerows(rows)
    return xlsx, path_csv


def write_templates(out_dir: str | Path) -> list[Path]:
    """Write every empty template (XLSX and CSV) into ``out_dir``."""
    paths: list[Path] = []
    for t in TEMPLATES.values():
        paths.extend(write_template(t, out_dir))
    return paths


if __name__ == "__main__":  # pragma: no cover - python -m gisapp.templates DIR
    target = sys.argv[1] if len(sys.argv) > 1 else "data/templates"
    for p in write_templates(target):
        print(p)
