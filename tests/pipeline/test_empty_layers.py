"""Issue 12, finding 3: an empty village layer gives the same clear message in every form
(GeoJSON, GeoPackage, CSV), with and without ``id`` set."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest

import gisapp
from gisapp.config import config_from_dict
from gisapp.errors import InputError, MissingColumnError


def _write(folder, form: str) -> str:
    if form == "geojson":
        (folder / "thon_rong.geojson").write_text('{"type": "FeatureCollection", "features": []}')
        return "thon_rong.geojson"
    if form == "gpkg":
        gpd.GeoDataFrame({"village_id": [], "name": []}, geometry=[], crs=4326).to_file(
            folder / "thon_rong.gpkg", layer="thon")
        return "thon_rong.gpkg"
    (folder / "thon_rong.csv").write_text("village_id,name,lon,lat\n", encoding="utf-8")
    return "thon_rong.csv"


@pytest.mark.parametrize("with_id", [False, True], ids=["no id", "id set"])
@pytest.mark.parametrize("form", ["geojson", "gpkg", "csv"])
def test_empty_village_layer_says_it_has_no_rows(tmp_path, form, with_id):
    name = _write(tmp_path, form)
    villages = {"path": name, **({"id": "village_id"} if with_id else {})}
    with pytest.raises(InputError) as info:
        gisapp.run(config_from_dict({"villages": villages}, base_dir=tmp_path))
    assert not isinstance(info.value, MissingColumnError)
    msg = str(info.value)
    assert re.search(rf"the village layer \({re.escape(name)}\) has no rows", msg), msg
    assert "Available columns" not in msg and info.value.layer == "villages"
