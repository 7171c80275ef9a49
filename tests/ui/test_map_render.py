"""FastGeoJson puts its script into the page as text: not compiled as a Jinja template on each
render (the speed of a rerun), so text such as ``{{ x }}`` in the data stays as it is."""

from __future__ import annotations

import folium

from gisapp.ui.map import FastGeoJson


def test_fast_geojson_script_is_text_not_a_template():
    m = folium.Map(tiles=None)
    data = '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":"{{ 7*7 }} {% x %}"},"geometry":null}]}'
    FastGeoJson(data, name="villages", tooltip_js="function (l) { return 'a'; }").add_to(m)
    html = m.get_root().render()
    assert "{{ 7*7 }} {% x %}" in html
    assert ".bindTooltip(function (l) { return 'a'; }, {sticky: true});" in html
    assert ".addTo(" in html
