"""Values as words: every code of every enum of gisapp.schema reads as words in both languages."""

from __future__ import annotations

import pandas as pd
import pytest

from gisapp import schema as S
from gisapp.i18n.labels import LANGS
from gisapp.i18n.values import cost_option_label, layer_label, value_label, value_labels
from gisapp.tracking.changes import SERIES, Change

ENUMS = [
    (S.GAP_CLASS, S.GapClass), ("gap_class_from", S.GapClass), (S.SIGNAL_CLASS, S.SignalClass),
    (S.POWER_STATUS, S.PowerStatus), (S.PRIORITY_TIER, S.Tier),
]
VOCABS = [
    (S.SIGNAL_KIND, S.KINDS), (S.POWER_KIND, ("declared", "distance", "lights", "population")),
    (S.POP_SOURCE, ("declared", "raster", "none")), ("score_part", S.SCORE_PARTS),
    (S.GEOMETRY_TYPE, ("polygon", "point", "none")),
    ("signal_option", ("upgrade_existing", "new_site", "satellite")),
    ("power_option", ("grid_extension", "solar_home_systems")),
    ("level", ("commune", "province")), ("kind", ("snapshot", "target")),
    ("siting_method", ("exact", "exact_time_limit", "greedy", "auto")),
    ("change", tuple(c.value for c in Change)), ("series", tuple(SERIES)),
]


def _cases():
    for col, enum in ENUMS:
        for member in enum:
            yield col, member.value
    for col, values in VOCABS:
        for v in values:
            yield col, v


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("column, value", list(_cases()))
def test_every_code_has_words(column, value, lang):
    label = value_label(column, value, lang)
    assert label and label != value and label != "–"
    assert "_" not in label


def test_vietnamese_differs_from_english_for_classes():
    for member in S.Tier:
        assert value_label(S.PRIORITY_TIER, member, "vi") != value_label(S.PRIORITY_TIER, member, "en")


def test_layer_keys_read_as_carrier_and_technology():
    assert layer_label("mobifone_2g", "vi") == "MobiFone 2G"
    assert layer_label("viettel_4g_modelled", "vi") == "Viettel 4G (mô phỏng)"
    assert layer_label("vnpt_4g", "en", kind="declared") == "VNPT 4G (declared)"
    assert value_label(S.BEST_LAYER, "vnpt_4g", "en") == "VNPT 4G"


def test_cost_options_read_as_words():
    vi = cost_option_label("new_site(microwave, solar) + solar_home_systems", "vi")
    assert vi == "trạm mới (truyền dẫn vi ba, điện mặt trời) + điện mặt trời hộ gia đình"
    en = value_label("cost_option", "new_site(fibre, grid) + grid_extension", "en")
    assert en == "new tower (fibre backhaul, grid power) + grid extension"
    assert "_" not in value_label("cost_option", "satellite + solar_home_systems", "vi")
    assert value_label("cost_option", "", "vi") == "không cần đầu tư"


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_is_a_dash_never_none(missing):
    assert value_label(S.PRIORITY_TIER, missing, "vi") == "–"
    assert value_label("on_track", missing, "en") == "–"


def test_booleans_and_passthrough():
    assert value_label(S.CENTRE_ANY, True, "vi") == "Có"
    assert value_label("centre__viettel_4g", False, "en") == "No"
    assert value_label(S.NAME, "Bản Mòng", "vi") == "Bản Mòng"


def test_a_whole_column_at_once():
    codes = pd.Series(["high", None, "none", "high"], index=[5, 6, 7, 8])
    out = value_labels(S.PRIORITY_TIER, codes, "vi")
    assert out.tolist() == ["Cao", "–", "Không xếp hạng (đã có điện và sóng)", "Cao"]
    assert out.index.tolist() == [5, 6, 7, 8]
