"""Every column the tool writes has a label and a meaning in both languages."""

from __future__ import annotations

import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.i18n import columns as C
from gisapp.tracking import changes


@pytest.fixture(scope="module")
def demo_plan(demo_result):
    from gisapp.planning import plan

    return plan(demo_result)


def _known(col: str, lang: str, table: str | None = None) -> bool:
    doc = C.column_doc(col, lang, table)
    return doc.label != col and doc.meaning and doc.meaning != C.column_doc("zz", lang).meaning


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_schema_columns_are_in_the_dictionary(lang: str) -> None:
    layer_cols = [f(k) for k in ("viettel_4g", "vnpt_2g", "viettel_4g_modelled")
                  for f in (S.area_share_col, S.pop_share_col, S.centre_col, S.signal_col)]
    cols = [*S.VILLAGE_COLUMNS, *S.SUMMARY_COLUMNS, *layer_cols, *changes.CHANGE_COLUMNS,
            *changes.HISTORY_COLUMNS, *changes.BURNDOWN_COLUMNS, "dist_m__viettel",
            "n_school", "gap_class_words"]
    missing = [c for c in cols if not _known(c, lang)]
    assert not missing


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_demo_outputs_have_labels(demo_result, demo_plan, lang: str) -> None:
    from gisapp.planning.packs import _gap_rows

    frames = {"villages": (demo_result.villages, None), "summary": (demo_result.summary, None),
              "costs": (_gap_rows(demo_plan), None), "sites": (demo_plan.sites, "sites")}
    for name, (frame, table) in frames.items():
        cols = [c for c in frame.columns if c != "geometry"]
        missing = [c for c in cols if not _known(c, lang, table)]
        assert not missing, (name, missing)


def test_dictionary_frame_and_words() -> None:
    d = C.dictionary_frame([S.POP, S.POP, "pop_share__viettel_4g"], "vi")
    assert d.columns.tolist() == ["column", "label", "meaning", "unit", "source"]
    assert d["column"].tolist() == [S.POP, "pop_share__viettel_4g"]
    assert d.loc[0, "unit"] == "người"
    assert "Viettel 4G" in d.loc[1, "label"]
    assert C.column_label(S.GAP_CLASS, "en") == "Gap class"
    assert C.column_kind(S.DIST_GRID_M) == "m" and C.column_kind("nope") == "text"
    both = C.dictionary_frame_both([S.POP])
    assert {"label_vi", "label_en", "meaning_vi", "meaning_en"} <= set(both.columns)
    assert C.column_doc("pop_served", "en", "sites").meaning != C.column_doc("pop_served", "en").meaning
    assert isinstance(d, pd.DataFrame)
