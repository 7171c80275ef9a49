"""The weekly report on the demo: two snapshots, assignments, a few confirmed updates.

python-docx reads the tables back (totals equal the store's); the XLSX annex holds the same
tables; LibreOffice converts the DOCX to PDF and pdftoppm renders its pages (skipped, with
the reason, when either is missing). ``GISAPP_REPORT_PAGES=folder`` keeps the page PNGs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.cli import main
from gisapp.tracking import events as E
from gisapp.tracking.store import open_store

docx = pytest.importorskip("docx", reason="the report needs python-docx (pip install "
                           "python-docx, or the [report] extra)")

TODAY = dt.date.today()
TARGETS = f"""
[tracking]
targets = [
  {{ date = {(TODAY + dt.timedelta(days=60)).isoformat()}, series = "any_no_signal", max_remaining = 0 }},
  {{ date = {(TODAY - dt.timedelta(days=1)).isoformat()}, series = "any_no_power", max_remaining = 0 }},
]
"""


@pytest.fixture(scope="module")
def demo_store(demo_result, tmp_path_factory):
    """Survey 1 (90 days ago) and survey 2 (20 days ago: 5 no_signal villages served),
    Viettel and VNPT assigned, three closures confirmed this week, one rejected, one pending."""
    path = tmp_path_factory.mktemp("report") / "demo.gpkg"
    store = open_store(path)
    v1 = demo_result.villages
    store.save(v1, label="survey-1", date=TODAY - dt.timedelta(days=90),
               config_toml=TARGETS, manifest=demo_result.manifest)
    v2 = v1.copy()
    ns = v2.index[v2[S.GAP_CLASS].astype(str) == "no_signal"]
    v2.loc[ns[:5], S.GAP_CLASS] = "served"
    store.save(v2, label="survey-2", date=TODAY - dt.timedelta(days=20),
               config_toml=TARGETS, manifest=demo_result.manifest)
    gaps = v2[S.GAP_CLASS].astype(str)
    signal = list(v2.loc[gaps.isin(["no_signal", "no_power_no_signal"]), S.ID].astype(str))
    power = list(v2.loc[gaps == "no_power", S.ID].astype(str))
    E.assign(store, signal[: len(signal) // 2], "Viettel", actor="planner")
    E.assign(store, signal[len(signal) // 2:], "VNPT", actor="planner")
    day = TODAY - dt.timedelta(days=2)
    subs = [E.submit(store, actor="lan", role="carrier_liaison", carrier="Viettel",
                     village_id=signal[i], closed_by="site_on_air", closed_on=day)
            for i in range(3)]
    subs.append(E.submit(store, actor="evn", role="evn_liaison", carrier="EVN",
                         village_id=power[0], closed_by="grid_connection", closed_on=day))
    for s in subs[:2] + subs[3:]:
        E.confirm(store, s["seq"], actor="planner")
    E.reject(store, subs[2]["seq"], actor="planner", note="no evidence")
    E.submit(store, actor="vnpt", role="carrier_liaison", carrier="VNPT",
             village_id=signal[-1], closed_by="site_on_air", closed_on=day)
    yield store, signal, power
    store.close()


def _tables(path: Path) -> list[list[list[str]]]:
    doc = docx.Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def _num(text: str) -> float:
    return float(text.replace(".", "").replace(",", "").replace("\u202f", "").replace(" ", "")
                 or 0)


def test_report_tables_add_up_to_the_store(demo_store, tmp_path):
    store, signal, power = demo_store
    paths = main(["report", "--store", str(store.path), "--from",
                  (TODAY - dt.timedelta(days=6)).isoformat(), "--to", TODAY.isoformat(),
                  "--out", str(tmp_path), "--lang", "en"])
    assert paths == 0
    docx_path = tmp_path / f"report_{TODAY.isoformat()}.docx"
    tables = _tables(docx_path)
    head = tables[0]
    assert head[0][:2] == ["Gap class", "Villages"]
    now, _ = E.current_villages(store)
    counts = now[S.GAP_CLASS].astype(str).value_counts()
    by_label = {r[0]: r for r in head[1:]}
    assert _num(by_label["Total"][1]) == len(now)
    assert _num(by_label["No signal"][1]) == counts["no_signal"]
    assert _num(by_label["Total"][2]) == round(float(now[S.POP].sum()))
    # last period is survey 2 alone; the confirmed closures are the only change
    prev, _ = store.load("survey-2")
    pc = prev[S.GAP_CLASS].astype(str).value_counts()
    for cls, label in (("no_signal", "No signal"), ("served", "Served")):
        assert _num(by_label[label][3]) == pc.get(cls, 0)
        assert int(by_label[label][5].replace("−", "-")) == counts.get(cls, 0) - pc.get(cls, 0)
    assert _num(by_label["Total"][5]) == 0
    communes = next(t for t in tables if t[0][0] == "Commune")
    assert _num(communes[-1][1]) == len(now)
    assert sum(_num(r[1]) for r in communes[1:-1]) == len(now)
    owners = {(r[0], r[1]): r for r in next(t for t in tables if t[0][0] == "Owner")[1:]}
    assert _num(owners[("Viettel", "signal")][4]) == 2      # done this period
    assert _num(owners[("VNPT", "signal")][6]) == 1         # awaiting confirmation
    assert _num(owners[("EVN", "power")][4]) == 1
    assert _num(owners[("EVN", "power")][3]) == _num(owners[("EVN", "power")][2]) > 0  # past due
    changes = next(t for t in tables if t[0][0] == "Village id")
    closed = [r[0] for r in changes[1:] if r[3] == "closed"]
    assert sorted(closed) == sorted([signal[0], signal[1], power[0]])
    sources = next(t for t in tables if t[0][0] == "Layer")
    assert any("coverage_viettel_4g" in r[1] and r[2] == "2025-06-01" for r in sources[1:])
    annex = pd.read_excel(tmp_path / f"report_{TODAY.isoformat()}_annex.xlsx", sheet_name=None)
    assert int(annex["Headline"]["Villages"].iloc[-1]) == len(now)
    assert set(annex) >= {"Headline", "Targets", "Communes", "Carriers - EVN", "Changes",
                          "Sources", "Burn-down"}


def test_report_in_vietnamese_converts_to_pdf_and_pages(demo_store, tmp_path):
    store, _, _ = demo_store
    from gisapp.tracking.report import write_report

    paths = write_report(store, TODAY - dt.timedelta(days=6), TODAY, tmp_path)
    assert _tables(paths["docx"])[0][0][0] == "Phân loại"
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.skip("LibreOffice (soffice) or poppler-utils (pdftoppm) is not installed: "
                    "apt-get install libreoffice-writer poppler-utils")
    home = tmp_path / "lo-home"
    home.mkdir()
    r = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{home}",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(paths["docx"])],
                       capture_output=True, text=True, timeout=300)
    pdf = paths["docx"].with_suffix(".pdf")
    assert pdf.exists(), r.stderr
    pages = Path(os.environ.get("GISAPP_REPORT_PAGES") or tmp_path / "pages")
    pages.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(pages / "page")], check=True,
                   timeout=300)
    pngs = sorted(pages.glob("page*.png"))
    assert len(pngs) >= 3
