"""The app's parts without Streamlit: labels, assets, map building, presentation, uploads."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gisapp import schema as S
from gisapp.errors import ConfigError, FileTooLargeError, UnreadableFileError, UnsafeArchiveError
from gisapp.ui import present
from gisapp.ui.assets import MapAssets, install_static
from gisapp.i18n import LABELS, t
from gisapp.ui.inputs import Assignment, config_from_assignments, config_from_toml, save_upload
from gisapp.ui.map import build_map, cdn_urls, display_frame, display_tolerance_m

XSS = "<img src=x onerror=alert(1)>"


def villages(n: int = 4) -> gpd.GeoDataFrame:
    """n unit-ish squares along a row near Hà Giang; hand-chosen classes and people."""
    boxes = [shapely.box(105.0 + 0.01 * i, 22.0, 105.008 + 0.01 * i, 22.008) for i in range(n)]
    gaps = ["no_power_no_signal", "no_signal", "served", "unknown"] * (n // 4 + 1)
    df = pd.DataFrame({c: pd.NA for c in S.VILLAGE_COLUMNS}, index=range(n))
    df[S.ID] = [f"v{i}" for i in range(n)]
    df[S.NAME] = [XSS] + [f"Thôn {i}" for i in range(1, n)]
    df[S.COMMUNE] = ["Xã A", "Xã A", "Xã B", "Xã B"][:n] + ["Xã C"] * max(0, n - 4)
    df[S.POP] = [100.0, 200.0, 300.0, 400.0][:n] + [10.0] * max(0, n - 4)
    df[S.GAP_CLASS] = gaps[:n]
    df[S.WHY] = ["<b>why</b>"] * n
    df[S.POP_SHARE_4G] = [0.0, 0.5, 1.0, np.nan][:n] + [1.0] * max(0, n - 4)
    df[S.SIGNAL_CLASS] = ["no_signal", "no_signal", "covered", "unknown"][:n] + ["covered"] * max(0, n - 4)
    df[S.PRIORITY_RANK] = list(range(1, n + 1))
    return gpd.GeoDataFrame(df, geometry=boxes, crs="EPSG:4326")


def test_every_label_has_both_languages():
    for key, pair in LABELS.items():
        assert len(pair) == 2 and all(p.strip() for p in pair), key
    assert t("gap_no_signal", "vi") == "Chưa có sóng"
    assert t("gap_no_signal", "en") == "No signal"
    assert t("threshold", "en", tech="4G") == "4G threshold (dBm)"


def test_install_static_copies_leaflet_and_ignores_it(tmp_path):
    vendor = install_static(tmp_path)
    assert (vendor / "leaflet" / "leaflet.js").read_text()[:200].count("Leaflet 1.9.4") == 1
    assert (vendor / "leaflet" / "images" / "layers.png").is_file()
    assert (vendor / "markercluster" / "leaflet.markercluster.js").is_file()
    assert (tmp_path / "static" / ".gitignore").read_text().splitlines()[-1] == "*"
    install_static(tmp_path)       # idempotent


def test_map_escapes_village_text_in_tooltips():
    m = build_map(villages(), assets=MapAssets.streamlit())
    html_text = m.get_root().render()
    assert XSS not in html_text
    # folium writes "&" as \u0026 inside JSON: the browser gets "&lt;img ...&gt;" text
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html_text
    assert "<b>why</b>" not in html_text and "\\u0026lt;b\\u0026gt;why" in html_text


def test_map_loads_nothing_from_a_cdn_even_with_clustered_towers():
    rng = np.random.default_rng(1)
    towers = gpd.GeoDataFrame(
        {"carrier": ["Viettel"] * 250 + ["<script>x</script>"] * 3, "technology": "4G"},
        geometry=gpd.points_from_xy(105 + rng.random(253) * 0.04, 22 + rng.random(253) * 0.01),
        crs="EPSG:4326")
    m = build_map(villages(), {"towers": towers}, assets=MapAssets.streamlit())
    assert cdn_urls(m) == []
    text = m.get_root().render()
    assert "markerClusterGroup" in text
    assert "leaflet.markercluster.js" in text
    assert "https://" not in text
    assert "<script>x</script>" not in text


def test_display_frame_simplifies_and_rounds():
    circle = gpd.GeoDataFrame(villages(1).drop(columns="geometry"),
                              geometry=[shapely.Point(105, 22).buffer(0.01, quad_segs=64)], crs=4326)
    out = display_frame(circle, tolerance_m=50)
    n_in = shapely.get_num_coordinates(circle.geometry.to_numpy())[0]
    n_out = shapely.get_num_coordinates(out.geometry.to_numpy())[0]
    assert n_out < n_in / 3
    xy = shapely.get_coordinates(out.geometry.to_numpy())
    assert np.allclose(xy, np.round(xy, 5))
    # half a pixel of a 900-px-wide view of 0.09° of longitude at 22°N ≈ 5.2 m
    assert display_tolerance_m((105.0, 22.0, 105.09, 22.01)) == pytest.approx(0.5 * 0.09 * 111_320 * np.cos(np.radians(22.005)) / 900)


def test_headline_counts_hand_worked():
    from gisapp.analysis.summary import headline

    fig = headline(villages())
    assert fig["villages"] == {"no_power_no_signal": 1, "no_signal": 1, "no_power": 0, "served": 1, "unknown": 1}
    assert fig["pop"]["served"] == 300.0
    # 4G: (100*0 + 200*0.5 + 300*1) / (100+200+300) — the NaN village is not judged
    assert fig["share_pop_4g"] == pytest.approx(400 / 600)
    # signal: 1 covered of 3 judged villages
    assert fig["share_villages_with_signal"] == pytest.approx(1 / 3)
    assert fig["n_villages"] == 4 and fig["n_pop"] == 1000.0


def test_headline_equals_the_province_row_of_summarise():
    from gisapp.analysis.summary import headline, summarise

    v = villages(8)
    v[S.PROVINCE] = "Tỉnh X"
    v[S.POWER_STATUS] = ["no", "yes"] * 4
    fig = headline(v)
    row = summarise(v).query("level == 'province'").iloc[0]
    for g in S.GapClass:
        assert fig["villages"][g.value] == row[f"villages_{g.value}"]
        assert fig["pop"][g.value] == row[f"pop_{g.value}"]
    assert fig["share_pop_4g"] == pytest.approx(row["share_pop_4g"])
    assert fig["share_villages_with_signal"] == pytest.approx(row["share_villages_with_signal"])
    assert fig["villages_without_power"] == row["villages_without_power"] == 4
    assert headline(v.iloc[:0])["n_villages"] == 0


def test_filter_villages_by_commune_and_gap():
    v = villages()
    out = present.filter_villages(v, present.Filters(communes=("Xã A",), gap_classes=("no_signal",)))
    assert out[S.ID].tolist() == ["v1"]
    assert len(v) == 4                   # the caller's frame is untouched
    assert len(present.filter_villages(v, present.Filters())) == 4


def test_commune_counts_table():
    table = present.commune_counts(villages(), value="pop")
    assert table.loc["Xã B", "served"] == 300 and table.loc["Xã B", "unknown"] == 400
    assert table.loc["Xã A"].sum() == 300


def test_formatting_by_language():
    assert present.fmt_int(12345, "vi") == "12.345"
    assert present.fmt_int(12345, "en") == "12,345"
    assert present.fmt_share(0.1234, "vi") == "12,3 %"
    assert present.fmt_share(float("nan"), "en") == "–"


# ----------------------------------------------------------------------- uploads


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_upload_refuses_wrong_type_and_size(tmp_path):
    with pytest.raises(UnreadableFileError, match=r"'\.exe' is not a supported file type"):
        save_upload("a.exe", b"MZ", tmp_path, max_mb=1)
    with pytest.raises(FileTooLargeError, match="over the limit of 1 MB"):
        save_upload("a.geojson", b"x" * (1024 * 1024 + 1), tmp_path, max_mb=1)


def test_upload_name_cannot_escape_the_folder(tmp_path):
    p = save_upload("../../etc/villages.geojson", b"{}", tmp_path / "up", max_mb=1)
    assert p.parent == tmp_path / "up" and p.name == "villages.geojson"


def test_zip_with_path_escape_is_refused(tmp_path):
    data = _zip({"../evil.shp": b"x"})
    with pytest.raises(UnsafeArchiveError):
        save_upload("v.zip", data, tmp_path, max_mb=1)


def test_zipped_shapefile_returns_the_shp(tmp_path):
    gdf = villages()[[S.ID, "geometry"]]
    gdf.to_file(tmp_path / "v.shp")
    data = _zip({f"v/v{ext}": (tmp_path / f"v{ext}").read_bytes() for ext in (".shp", ".shx", ".dbf", ".prj")})
    p = save_upload("villages.zip", data, tmp_path / "up", max_mb=5)
    assert p.suffix == ".shp"
    assert len(gpd.read_file(p)) == 4


def test_config_from_roles(tmp_path):
    a = [Assignment(tmp_path / "v.gpkg", "villages", columns={"name": "ten", "commune": ""}),
         Assignment(tmp_path / "c.geojson", "coverage", carrier="Viettel", technology="4G"),
         Assignment(tmp_path / "g.gpkg", "grid"), Assignment(tmp_path / "x.csv", "ignore")]
    cfg = config_from_assignments(a)
    assert cfg.villages.name == "ten" and cfg.villages.commune is None
    assert S.layer_key(cfg.coverage[0].carrier, cfg.coverage[0].technology) == "viettel_4g"
    assert cfg.electricity.grid.path.name == "g.gpkg"
    with pytest.raises(ConfigError, match="exactly one is needed"):
        config_from_assignments(a[1:])
    with pytest.raises(ConfigError, match="give the carrier"):
        config_from_assignments([a[0], Assignment(tmp_path / "c.geojson", "coverage")])


def test_config_toml_round_trip(tmp_path):
    import tomli_w

    from gisapp.config import WEIGHT_PRESETS, config_to_dict

    cfg = config_from_assignments([Assignment(tmp_path / "v.gpkg", "villages")])
    cfg = cfg.replace(weights=WEIGHT_PRESETS["remote_first"])
    back = config_from_toml(tomli_w.dumps(config_to_dict(cfg)), base_dir=tmp_path)
    assert back == cfg
    with pytest.raises(ConfigError, match="not valid TOML"):
        config_from_toml("[villages", base_dir=tmp_path)


def test_map_is_compact_why_cut_and_styled_in_javascript():
    v = villages(8)
    v[S.WHY] = "lý do " * 40                          # 240 characters
    text = build_map(v, assets=MapAssets.streamlit()).get_root().render()
    assert "switch(" not in text                        # no per-feature style map
    assert "lý do" in text and "\\u1ef" not in text     # UTF-8, not \\u escapes
    assert ("lý do " * 40).strip() not in text           # cut for the tooltip ...
    assert text.count("…") == 8                         # ... with an ellipsis each
    assert '"gap":0' in text and '"village_id":"v0"' in text


def test_change_map_colours_and_legend():
    from gisapp.ui.map import CHANGE_COLOURS, build_change_map

    v = villages(4)
    v["change"] = ["newly_found_gap", "resolved", "still_open", "resolved"]
    text = build_change_map(v, assets=MapAssets.streamlit()).get_root().render()
    for c in ("newly_found_gap", "resolved", "still_open"):
        assert f"background:{CHANGE_COLOURS[c]}" in text          # legend swatch
    assert f"background:{CHANGE_COLOURS['appeared']}" not in text
    assert XSS not in text
