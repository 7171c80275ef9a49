"""The disputes layer of the map: one dot per disputed village, coloured by the kind of
dispute, with a legend entry in the reader's language; nothing without disputes."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from gisapp import schema as S
from gisapp.ui.assets import MapAssets
from gisapp.ui.map import build_map
from gisapp.ui.map.style import DISPUTE_COLOURS


def _villages(disputes):
    n = len(disputes)
    return gpd.GeoDataFrame({
        S.ID: [f"V{i}" for i in range(n)], S.NAME: [f"Thôn {i}" for i in range(n)],
        S.COMMUNE: "Xã A", S.POP: 100.0, S.GAP_CLASS: "served", S.WHY: "",
        S.LON: [104.0 + 0.01 * i for i in range(n)], S.LAT: 21.0,
        "dispute__viettel_4g": disputes,
    }, geometry=[box(104.0 + 0.01 * i, 21.0, 104.005 + 0.01 * i, 21.005) for i in range(n)],
        crs=4326)


@pytest.mark.parametrize("lang, title, words", [
    ("vi", "Công bố – đo kiểm", "Công bố có sóng, đo không có"),
    ("en", "Declared vs measured", "Measured covered, not declared"),
])
def test_disputed_villages_are_drawn_with_a_legend_entry(lang, title, words):
    v = _villages(["declared_not_measured", "", "measured_not_declared", "declared_not_measured"])
    html = build_map(v, assets=MapAssets.streamlit(), lang=lang).get_root().render()
    assert title in html and words in html
    for colour in DISPUTE_COLOURS.values():
        assert colour in html
    assert html.count("Viettel 4G: ") == 3          # one tooltip text per disputed village


def test_no_disputes_no_layer():
    html = build_map(_villages(["", ""]), assets=MapAssets.streamlit(), lang="en").get_root().render()
    assert "Declared vs measured" not in html
