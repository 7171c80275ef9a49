"""Exports a person opens: Excel in the reader's language with number formats and a
column dictionary (read back by openpyxl and by LibreOffice), KML named in words."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import openpyxl
import pandas as pd
import pytest
from lxml import etree

from gisapp import schema as S
from gisapp.i18n.columns import column_label
from gisapp.io.export import write_all, write_kml, write_xlsx
from gisapp.io.export.xlsx import NUMBER_FORMATS

KML = "{http://www.opengis.net/kml/2.2}"
SOFFICE = shutil.which("soffice")


@pytest.fixture(scope="module", params=["vi", "en"])
def book(request, demo_result, tmp_path_factory):
    lang = request.param
    path = tmp_path_factory.mktemp(f"xlsx_{lang}") / "villages.xlsx"
    write_xlsx(demo_result.villages, demo_result.summary, path, title="demo", lang=lang)
    return lang, path, openpyxl.load_workbook(path)


def test_headers_in_the_language_over_the_stable_names(book, demo_result):
    lang, _, wb = book
    ws = wb["Ranked"]
    labels = [c.value for c in ws[1]]
    names = [c.value for c in ws[2]]
    cols = [c for c in demo_result.villages.columns if c != "geometry"]
    assert [n for n in names if not n.endswith("_words")] == cols
    assert labels[names.index(S.POP)] == column_label(S.POP, lang)
    assert labels[names.index(S.POP)] == {"vi": "Dân số", "en": "People"}[lang]
    assert all(lab != name for lab, name in zip(labels, names))      # every column labelled
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:")
    s = wb["Summary"]
    assert s.freeze_panes == "A5" and s.auto_filter.ref.startswith("A4:")


def test_dictionary_sheet(book, demo_result):
    lang, _, wb = book
    ws = wb[{"vi": "Giải thích cột", "en": "Columns"}[lang]]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows[0]) == 5
    documented = {r[0]: r for r in rows[1:]}
    for c in demo_result.villages.columns.drop("geometry"):
        assert documented[c][2], c                                     # a meaning
    assert documented[S.POP][3] == {"vi": "người", "en": "people"}[lang]


def test_values_are_the_data_and_numbers_are_formatted(book, demo_result):
    lang, _, wb = book
    ws = wb["Ranked"]
    names = [c.value for c in ws[2]]
    rows = list(ws.iter_rows(min_row=3))
    v = demo_result.villages.set_index(S.ID)
    first = {n: c for n, c in zip(names, rows[0])}
    vid = first[S.ID].value
    assert first[S.POP].value == v.loc[vid, S.POP]                     # exact, not rounded
    assert first[S.POP].number_format == "#,##0"
    assert first[S.DIST_GRID_M].number_format == "#,##0.0"
    assert first[S.POP_SHARE_ANY].number_format == "0.0%"
    assert first[S.GAP_CLASS].value == v.loc[vid, S.GAP_CLASS]        # the code stays
    assert first[S.GAP_CLASS + "_words"].value not in (None, v.loc[vid, S.GAP_CLASS])
    general = {n for row in rows[:50] for n, c in zip(names, row)
               if isinstance(c.value, float) and c.number_format == "General"}
    assert not general                                                 # no General floats
    assert set(NUMBER_FORMATS.values()) >= {"#,##0", "0.0%", "#,##0.0"}


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it_and_the_values_round_trip(book, demo_result, tmp_path):
    lang, path, _ = book
    if lang != "vi":
        pytest.skip("one language is enough for LibreOffice (slow to start)")
    out = tmp_path / "lo"
    # token 8 false: raw values, not "as shown"; token 12: sheet 2 (Ranked)
    filt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,false,false,false,false,2"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", filt, "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    got = pd.read_csv(next(out.glob("*.csv")), header=1, dtype={S.ID: str})
    want = pd.DataFrame(demo_result.villages.drop(columns="geometry"))
    got = got.set_index(S.ID).loc[want[S.ID]]
    assert np.allclose(got[S.POP].to_numpy(float), want[S.POP].to_numpy(float), rtol=1e-12)
    for c in (S.DIST_GRID_M, S.POP_SHARE_ANY, S.PRIORITY_SCORE):
        raw = got[c].astype(str)
        share = raw.str.endswith("%")             # LibreOffice writes shares as "12.3456…%"
        a = pd.to_numeric(raw.str.rstrip("%"), errors="coerce").to_numpy(float).copy()
        a[share.to_numpy()] /= 100
        b = want[c].to_numpy(float)
        assert np.allclose(a, b, rtol=1e-12, equal_nan=True), c
    assert (got[S.GAP_CLASS].astype(str).to_numpy() == want[S.GAP_CLASS].astype(str).to_numpy()).all()


@pytest.mark.parametrize("lang,words", [("vi", "Chưa có sóng"), ("en", "No signal")])
def test_kml_folders_and_descriptions_in_words(demo_result, tmp_path, lang, words):
    p = write_kml(demo_result.villages, tmp_path / f"v_{lang}.kml", lang=lang)
    root = etree.parse(str(p)).getroot()
    names = [f.findtext(f"{KML}name") for f in root.iter(f"{KML}Folder")]
    assert words in names and not set(names) & {str(g) for g in S.GapClass}
    pm = next(root.iter(f"{KML}Placemark"))
    assert pm.findtext(f"{KML}styleUrl").startswith("#gap_")
    table = etree.fromstring(pm.findtext(f"{KML}description"), etree.HTMLParser())
    heads = [th.text for th in table.iter("th")]
    assert column_label(S.POP, lang) in heads
    pop = table.xpath("//tr[th='%s']/td/text()" % column_label(S.POP, lang))[0]
    assert "." not in pop if lang == "en" else "," not in pop           # whole people
    ids = {d.findtext(f"{KML}value") for d in root.iter(f"{KML}Data") if d.get("name") == S.ID}
    assert ids == set(demo_result.villages[S.ID].astype(str))         # machines keep codes


def test_dictionary_beside_the_machine_formats(demo_result, tmp_path):
    out = write_all(demo_result.villages, demo_result.summary, {}, tmp_path, formats=("csv",))
    d = pd.read_csv(out["columns"], encoding="utf-8-sig")
    assert {"table", "column", "label_vi", "label_en", "meaning_vi", "meaning_en", "unit_vi",
            "unit_en", "source_vi", "source_en"} == set(d.columns)
    assert not d["meaning_vi"].isna().any() and not d["label_en"].isna().any()
    assert not math.isnan(len(d))
