"""One colour table (issue 11): the KML export and the map both colour gap classes from
:data:`gisapp.schema.GAP_COLOURS`, so Google Earth and the app show the same colours."""

from __future__ import annotations

import re

import geopandas as gpd
import shapely
from lxml import etree

from gisapp import schema as S
from gisapp.io import export
from gisapp.io.export.kml import KML_NS, kml_colour
from gisapp.ui import map as ui_map
from gisapp.ui.assets import MapAssets


def _villages() -> gpd.GeoDataFrame:
    gaps = [str(g) for g in S.GapClass]
    n = range(len(gaps))
    return gpd.GeoDataFrame(
        {S.ID: [f"v{i}" for i in n], S.NAME: [f"Thôn {i}" for i in n],
         S.COMMUNE: "Xã A", S.POP: 10.0, S.GAP_CLASS: gaps, S.WHY: "why"},
        geometry=[shapely.box(105 + i / 100, 22, 105.008 + i / 100, 22.008) for i in n],
        crs="EPSG:4326")


def test_one_table_for_every_gap_class():
    assert set(S.GAP_COLOURS) == set(S.GapClass)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in S.GAP_COLOURS.values())
    assert ui_map.GAP_COLOURS is S.GAP_COLOURS                  # the map reads the table
    assert export.GAP_COLOURS == {g: kml_colour(c) for g, c in S.GAP_COLOURS.items()}


def test_kml_colour_is_the_same_colour_as_aabbggrr():
    assert kml_colour("#e31c1c") == "ff1c1ce3"
    assert kml_colour("#2CA03C", "80") == "803ca02c"


def test_kml_file_and_map_draw_the_same_colours(tmp_path):
    v = _villages()
    doc = etree.parse(str(export.write_kml(v, tmp_path / "v.kml")))
    ns = {"k": KML_NS}
    for gap, rgb in S.GAP_COLOURS.items():
        style = doc.find(f".//k:Style[@id='gap_{gap}']", ns)
        assert style.findtext("k:IconStyle/k:color", namespaces=ns) == kml_colour(rgb)
        assert style.findtext("k:LineStyle/k:color", namespaces=ns) == kml_colour(rgb)
        assert style.findtext("k:PolyStyle/k:color", namespaces=ns) == kml_colour(rgb, "80")
    html = ui_map.build_map(v, assets=MapAssets.streamlit()).get_root().render()
    for rgb in S.GAP_COLOURS.values():
        assert f"background:{rgb}" in html                      # the legend swatch
    fills = re.search(r"var K = (\[[^\]]*\])", html).group(1)   # the villages' fill colours
    assert fills == "[" + ",".join(f'"{S.GAP_COLOURS[g]}"' for g in S.GapClass) + "]"
