"""The weekly progress report as a DOCX (python-docx) and an XLSX annex with the same tables.

::

    from gisapp.tracking import open_store
    from gisapp.tracking.report import write_report
    paths = write_report(open_store("lai_chau.gpkg"), "2025-07-01", "2025-07-07", "out/week27")

Shaped as a provincial progress report: the period and data cut-off; the headline table
(villages and people by gap class, change since the last period); the ``[tracking]``
targets and deadlines; a map and the burn-down chart (PNG, drawn offline by
:mod:`gisapp.tracking.charts`); a table per commune; what each carrier and EVN have due,
overdue and done; the villages closed, new and reopened; the source and date of every
layer. Words in Vietnamese (``lang="vi"``, the default) or English (:mod:`gisapp.i18n.report`).
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd

from gisapp.i18n import numbers as N
from gisapp.i18n.report import rt
from gisapp.tracking.charts import burndown_png, map_png
from gisapp.tracking.store import SnapshotStore
from gisapp.tracking.weekly import Weekly, weekly

__all__ = ["write_report", "report_tables", "REPORT_FILES"]

log = logging.getLogger(__name__)

#: the files :func:`write_report` writes (``{stem}`` = ``bao_cao_<to>`` / ``report_<to>``)
REPORT_FILES = ("{stem}.docx", "{stem}_annex.xlsx", "{stem}_map.png", "{stem}_burndown.png")
_BD_SERIES = ("any_no_signal", "any_no_power", "any_gap")


def _gap(code: str, lang: str) -> str:
    return rt("total" if code == "total" else f"gap_{code}", lang)


def _series(code: str, lang: str) -> str:
    key = f"s_{code}"
    return rt(key, lang) if key in _series_keys() else _gap(code, lang)


def _series_keys() -> set[str]:
    from gisapp.i18n.report import REPORT_LABELS

    return {k for k in REPORT_LABELS if k.startswith("s_")}


def report_tables(w: Weekly, lang: str = "vi") -> dict[str, pd.DataFrame]:
    """The report's tables with headers and codes in words (what the DOCX and XLSX show)."""
    L = lambda k: rt(k, lang)  # noqa: E731
    head = pd.DataFrame({
        L("class"): [_gap(c, lang) for c in w.headline["gap_class"]],
        L("villages"): w.headline["villages"], L("people"): w.headline["pop"].round(0),
        L("villages_prev"): w.headline["villages_prev"],
        L("people_prev"): w.headline["pop_prev"].round(0), L("change"): w.headline["change"]})
    targets = pd.DataFrame({
        L("series"): [_series(s, lang) for s in w.targets["series"]],
        L("deadline"): [d.isoformat() for d in w.targets["deadline"]],
        L("max_remaining"): w.targets["max_remaining"], L("remaining"): w.targets["remaining"],
        L("planned"): w.targets["planned"].round(0), L("status"): [L(s) for s in w.targets["status"]]})
    communes = w.communes.rename(columns={
        "commune": L("commune"), "villages": L("villages"), "pop": L("people"),
        "closed_period": L("closed_period"),
        **{c: _gap(c, lang) for c in w.communes.columns if f"gap_{c}" in _gap_keys()}})
    communes[L("commune")] = [L("total") if c == "total" else c for c in communes[L("commune")]]
    communes[L("people")] = communes[L("people")].round(0)
    owners = pd.DataFrame({
        L("owner"): [L("unassigned") if o is None or pd.isna(o) else o for o in w.owners["owner"]],
        L("gap"): [L(f"gap_{g}") for g in w.owners["gap"]],
        L("due"): w.owners["due"], L("overdue"): w.owners["overdue"],
        L("done_period"): w.owners["done_period"], L("done_total"): w.owners["done_total"],
        L("awaiting"): w.owners["awaiting"]})
    changes = pd.DataFrame({
        L("village_id"): w.changes["village_id"], L("name"): w.changes["name"],
        L("commune"): w.changes["commune"], L("what"): [L(x) for x in w.changes["what"]],
        L("before"): [_gap(x, lang) if x else "" for x in w.changes["before"]],
        L("after"): [_gap(x, lang) for x in w.changes["after"]]})
    sources = pd.DataFrame({
        L("layer"): w.sources["layer"], L("file"): w.sources["file"],
        L("date"): [d or L("not_given") for d in w.sources["date"]],
        L("sha256"): [s[:16] for s in w.sources["sha256"]]})
    bd = w.burndown[w.burndown["series"].isin(_BD_SERIES)]
    burn = pd.DataFrame({
        L("series"): [_series(s, lang) for s in bd["series"]],
        L("date"): [d.isoformat() for d in bd["date"]], "label": bd["label"],
        L("remaining"): bd["remaining"], L("planned"): bd["target"].round(1)})
    return {"headline": head, "targets": targets, "communes": communes, "owners": owners,
            "changes": changes, "sources": sources, "burndown": burn}


def _gap_keys() -> set[str]:
    from gisapp.i18n.report import REPORT_LABELS

    return {k for k in REPORT_LABELS if k.startswith("gap_")}


def _cell(value, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "" if N.is_missing(value) else N.number(value, lang)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _table(doc, frame: pd.DataFrame, lang: str) -> None:
    from docx.shared import Pt

    if frame.empty:
        doc.add_paragraph(rt("none", lang))
        return
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = _cell(value, lang)
    for r in table.rows:
        for cell in r.cells:
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)


def _fit(png: bytes, width, height) -> dict:
    """``add_picture`` size keeping the picture inside ``width`` × ``height``."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        pw, ph = img.size
    return {"width": width} if pw / ph >= width / height else {"height": height}


def _docx(w: Weekly, tables: dict[str, pd.DataFrame], pictures: dict[str, bytes],
          annex_name: str, lang: str, path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(10)
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2)
    title = doc.add_heading(rt("title", lang), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if w.name:
        doc.add_paragraph(f"{rt('province', lang)}: {w.name}")
    doc.add_paragraph(rt("period", lang, a=w.date_from.isoformat(), b=w.date_to.isoformat()))
    doc.add_paragraph(rt("cutoff", lang, cut=w.cutoff, label=w.snapshot_label,
                         date=w.snapshot_date.isoformat(), n=w.n_confirmed))
    if w.synthetic:
        doc.add_paragraph(rt("synthetic", lang)).runs[0].italic = True
    doc.add_heading(rt("h_headline", lang), level=1)
    _table(doc, tables["headline"], lang)
    doc.add_heading(rt("h_targets", lang), level=1)
    if tables["targets"].empty:
        doc.add_paragraph(rt("no_targets", lang))
    else:
        _table(doc, tables["targets"], lang)
    doc.add_heading(rt("h_map", lang), level=1)
    doc.add_picture(io.BytesIO(pictures["map"]), **_fit(pictures["map"], Cm(17), Cm(18)))
    doc.add_paragraph(rt("map_caption", lang, date=w.date_to.isoformat())).runs[0].italic = True
    doc.add_heading(rt("h_burndown", lang), level=1)
    doc.add_picture(io.BytesIO(pictures["burndown"]), width=Cm(17))
    doc.add_paragraph(rt("bd_caption", lang)).runs[0].italic = True
    for key, frame in (("h_communes", "communes"), ("h_owners", "owners"),
                       ("h_changes", "changes"), ("h_sources", "sources")):
        doc.add_heading(rt(key, lang), level=1)
        _table(doc, tables[frame], lang)
    doc.add_paragraph(rt("annex", lang, name=annex_name))
    doc.core_properties.title = rt("title", lang)
    doc.core_properties.created = _dt.datetime(w.date_to.year, w.date_to.month, w.date_to.day)
    doc.save(str(path))


def _xlsx(tables: dict[str, pd.DataFrame], lang: str, path: Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for key, frame in tables.items():
            frame.to_excel(xw, sheet_name=rt(f"sheet_{key}", lang)[:31], index=False)


def write_report(store: SnapshotStore, date_from: str | _dt.date, date_to: str | _dt.date,
                 out_dir: str | Path, *, lang: str = "vi") -> dict[str, Path]:
    """Write the report for the period into ``out_dir`` (created); return ``kind → path``.

    Every file is written aside and renamed into place, so a failed report leaves no half
    file. See :data:`REPORT_FILES`.
    """
    if lang not in ("vi", "en"):
        from gisapp.errors import ConfigError

        raise ConfigError(f"report language '{lang}' is not vi or en")
    w = weekly(store, date_from, date_to)
    tables = report_tables(w, lang)
    gap_names = {c: rt(f"gap_{c}", lang) for c in w.headline["gap_class"] if c != "total"}
    pictures = {
        "map": map_png(w.villages, gap_names),
        "burndown": burndown_png(w.burndown, _BD_SERIES,
                                 {s: rt(f"s_{s}", lang) for s in _BD_SERIES}),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{'bao_cao' if lang == 'vi' else 'report'}_{w.date_to.isoformat()}"
    names = {k: out / f.format(stem=stem) for k, f in zip(("docx", "xlsx", "map", "burndown"),
                                                            REPORT_FILES)}
    writers = {
        "docx": lambda p: _docx(w, tables, pictures, names["xlsx"].name, lang, p),
        "xlsx": lambda p: _xlsx(tables, lang, p),
        "map": lambda p: p.write_bytes(pictures["map"]),
        "burndown": lambda p: p.write_bytes(pictures["burndown"]),
    }
    for kind, target in names.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=out)
        os.close(fd)
        try:
            writers[kind](Path(tmp))
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    log.info("wrote the report for %s..%s to %s", w.date_from, w.date_to, out)
    return names
