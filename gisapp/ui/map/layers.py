"""The map's layers: villages by gap class or by change, coverage, grid, fibre,
facilities, towers (clustered when many), a plan's sites and the selected village;
:func:`build_map` and :func:`build_change_map` put them on one map."""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Mapping

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema as S
from gisapp.ui.assets import MapAssets
from gisapp.i18n import t
from gisapp.i18n.values import layer_label, value_label
from gisapp.ui.map.basemap import _new_map
from gisapp.ui.map.geojson import (
    COVERAGE_PIXELS, COVERAGE_PRECISION, PRECISION, FastGeoJson, _circle_js, _dumps, _esc,
    _simplify,
    _style_js, display_frame, display_tolerance_m, features_json,
)
from gisapp.ui.map.legend import LegendBuilder, _Legend, _legend_rows, _swatch, gap_entries
from gisapp.ui.map.popups import _fields_tooltip_js, _village_tooltip_js, add_sites
from gisapp.ui.map.style import (
    _GAPS, CHANGE_COLOURS, CLUSTER_CORE, CLUSTER_FILL, DISPUTE_COLOURS, FACILITY_COLOUR, GAP_COLOURS,
    KIND_STYLES, LINE_STYLES,
    _carrier_colour,
)

__all__ = ["build_change_map", "build_map", "selection_group"]

#: towers above this number per carrier are clustered
CLUSTER_MIN = 200
#: neutral cluster bubbles (MarkerCluster's own are green, yellow, orange: gap-class colours)
_CLUSTER_CSS = (
    "<style>.marker-cluster-small,.marker-cluster-medium,.marker-cluster-large"
    f"{{background-color:{CLUSTER_FILL}!important}}"
    ".marker-cluster-small div,.marker-cluster-medium div,.marker-cluster-large div"
    f"{{background-color:{CLUSTER_CORE}!important;color:#fff!important}}</style>"
)


def _village_props(frame: gpd.GeoDataFrame, *, extra: str | None = None) -> tuple[list[dict], list[str]]:
    """Short per-feature properties: ``village_id``, ``gap`` (index into the gap
    classes), ``n`` name, ``c`` (index into the returned commune list), ``p`` people
    (int or null), ``w`` why (cut); with ``extra``, ``x`` = that column's index into
    :data:`CHANGE_COLOURS` order."""
    communes = sorted(set(frame["commune"].astype(str)))
    cidx = {c: i for i, c in enumerate(communes)}
    gidx = {g: i for i, g in enumerate(_GAPS)}
    pop = frame["people"].to_numpy(dtype="float64")
    cols = {
        "village_id": frame["village_id"].astype(str).tolist(),
        "gap": [gidx.get(g, len(_GAPS) - 1) for g in frame["gap_class"].astype(str)],
        "n": frame["name"].astype(str).tolist(),
        "c": [cidx[c] for c in frame["commune"].astype(str)],
        "p": [None if not np.isfinite(x) else int(round(x)) for x in pop],
        "w": frame["why"].astype(str).tolist(),
    }
    if extra is not None:
        order = list(CHANGE_COLOURS)
        cols["x"] = [order.index(x) if x in order else order.index("unknown")
                     for x in frame[extra].astype(str)]
    keys = list(cols)
    props = [dict(zip(keys, vals)) for vals in zip(*(cols[k] for k in keys))]
    return props, communes



def _village_layer(frame: gpd.GeoDataFrame, *, lang: str, name: str, tooltips: bool,
                   colour_by: str = "gap") -> FastGeoJson:
    """Villages coloured by gap class (``colour_by="gap"``) or by change (``"change"``,
    the frame then has a ``change`` column)."""
    extra = "change" if colour_by == "change" else None
    props, communes = _village_props(frame, extra=extra)
    if extra:
        colours = list(CHANGE_COLOURS.values())
        key = "x"
        extra_labels = [html.escape(t(f"change_{c}", lang)) for c in CHANGE_COLOURS]
    else:
        colours = [GAP_COLOURS[g] for g in _GAPS]
        key = "gap"
        extra_labels = None
    style = (f"(function () {{ var K = {_dumps(colours)}; return function (f) {{ return "
             f"{{color: '#333333', weight: 0.6, fillColor: K[f.properties.{key}], fillOpacity: 0.75, "
             f"fillRule: 'nonzero'}}; }}; }})()")
    return FastGeoJson(
        features_json(frame.geometry.to_numpy(), props), name=html.escape(name), style_js=style,
        point_js=_circle_js(5, {"fillOpacity": 0.85}),
        tooltip_js=_village_tooltip_js(lang, communes, extra_labels=extra_labels)
        if tooltips and len(frame) else None,
    )



#: simplified line/polygon layers' JSON by (source layer, part, tolerance, precision): the
#: layers of a result are the same objects on every rerun (kept on the measured result), so
#: a weight, language or filter change does not simplify them again; each entry holds its
#: source, so an id is never reused while its entry lives
_LINES: OrderedDict[tuple, tuple[object, str]] = OrderedDict()
_LINES_LOCK = threading.Lock()
_LINES_MAX = 24


def _lines_layer(gdf: gpd.GeoDataFrame, name: str, style: dict, tolerance_m: float, *,
                 precision: int = PRECISION, source: object = None, part: str | None = None) -> FastGeoJson:
    src = gdf if source is None else source
    key = (id(src), part, round(float(tolerance_m), 6), precision)
    with _LINES_LOCK:
        hit = _LINES.get(key)
        if hit is not None and hit[0] is src:
            _LINES.move_to_end(key)
    if hit is None or hit[0] is not src:
        geoms = _simplify(gdf.to_crs("EPSG:4326").geometry.to_numpy(), tolerance_m, precision)
        geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
        hit = (src, features_json(geoms))
        with _LINES_LOCK:
            _LINES[key] = hit
            while len(_LINES) > _LINES_MAX:
                _LINES.popitem(last=False)
    return FastGeoJson(hit[1], name=html.escape(name), style_js=_style_js(style))


def _points_layer(
    gdf: gpd.GeoDataFrame, name: str, colour: str, tooltip_cols: list[str], *, radius: float = 5,
    labels: Mapping[str, str] | None = None,
) -> FastGeoJson:
    pts = gdf.to_crs("EPSG:4326")
    geoms = shapely.transform(shapely.centroid(pts.geometry.to_numpy()), lambda xy: np.round(xy, PRECISION))
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    fields = [c for c in tooltip_cols if c in pts]
    data = {c: _esc(pts[c]).tolist() for c in fields}
    props = [{c: data[c][i] for c in fields} for i in np.flatnonzero(keep)]
    labels = labels or {}
    return FastGeoJson(
        features_json(geoms[keep], props), name=html.escape(name),
        point_js=_circle_js(radius, {"color": "#222222", "weight": 1, "fill": True,
                                     "fillColor": colour, "fillOpacity": 0.9}),
        tooltip_js=_fields_tooltip_js([(c, html.escape(labels.get(c, c))) for c in fields])
        if fields else None,
    )



def build_map(
    villages: gpd.GeoDataFrame,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    assets: MapAssets,
    lang: str = "vi",
    tiles: str | None = None,
    selected_id: str | None = None,
    layer_keys: Mapping[str, tuple[str, str]] | None = None,
    carriers: tuple[str, ...] = (),
    technologies: tuple[str, ...] = (),
    tolerance_m: float | None = None,
    tooltips: bool = True,
    sites: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """A Folium map of the result for Streamlit or a stand-alone HTML file.

    Parameters
    ----------
    villages
        Result villages (EPSG:4326 or any CRS) with the schema columns; usually filtered.
    layers
        ``Result.layers``: ``towers`` (carrier, technology), ``grid``, ``fibre``,
        ``facilities``, ``coverage:<key>`` (with ``kind``).
    assets
        Where Leaflet and MarkerCluster are served from.
    tiles
        A tile URL template, or None for a plain background (the default: works offline).
    selected_id
        A village id to outline.
    layer_keys, carriers, technologies
        Key → (carrier, technology) and the chosen carriers/technologies: towers and
        coverage layers of other carriers/technologies are left out.
    tolerance_m
        Simplification tolerance in metres; None → half a pixel at the fitting zoom
        (coverage outlines: :data:`COVERAGE_PIXELS` times that).
    tooltips
        False drops the village tooltips (for very large maps).
    sites
        Chosen new sites of a plan (:attr:`gisapp.planning.Plan.sites`): drawn as a
        layer of markers with a popup (see :func:`add_sites`).

    Returns
    -------
    folium.Map
        With ``prefer_canvas=True``, a layer control and a gap-class legend. Village
        features carry ``village_id``, ``gap`` (index of the gap class in
        :class:`gisapp.schema.GapClass` order), ``n`` (name), ``c`` (commune index),
        ``p`` (people) and ``w`` (``why`` cut to :data:`WHY_CHARS` characters).
    """
    layers = dict(layers or {})
    layer_keys = dict(layer_keys or {})
    frame = display_frame(villages, lang=lang, tolerance_m=tolerance_m)
    bounds = tuple(frame.total_bounds) if len(frame) else None
    m = _new_map(bounds, assets=assets, tiles=tiles)
    tol = (display_tolerance_m(bounds) if bounds else 0.0) if tolerance_m is None else tolerance_m

    legend = LegendBuilder()
    gap_entries(legend, lang)
    # coverage below everything else, hidden until toggled
    _add_coverage(m, layers, layer_keys, carriers=carriers, technologies=technologies,
                  tolerance_m=tol, lang=lang, legend=legend)

    other = t("lg_other", lang)
    for role, style in LINE_STYLES.items():
        gdf = layers.get(role)
        if gdf is not None and len(gdf):
            _lines_layer(gdf, t(f"{role}_layer", lang), style, tol).add_to(m)
            legend.add(other, _swatch("line", style["color"], dash=style.get("dashArray")),
                       t(f"{role}_layer", lang))

    # towers below the villages: a village is never hidden under a tower (issue 13)
    _add_towers(m, layers.get("towers"), carriers=carriers, technologies=technologies,
                assets=assets, lang=lang, legend=legend)

    _village_layer(frame, lang=lang, name=t("villages_layer", lang), tooltips=tooltips).add_to(m)

    fac = layers.get("facilities")
    if fac is not None and len(fac):
        cols = [c for c in ("type", "name") if c in fac]
        _points_layer(fac, t("facilities_layer", lang), FACILITY_COLOUR, cols, radius=3).add_to(m)
        legend.add(other, _swatch("dot", FACILITY_COLOUR), t("facilities_layer", lang))

    _add_disputes(m, villages, layer_keys, carriers=carriers, technologies=technologies,
                  lang=lang, legend=legend)

    if sites is not None and add_sites(m, sites, lang=lang) is not None:
        legend.add(other, _swatch("badge", "", text="1"), t("lg_site", lang))

    if selected_id is not None:
        outline = _selection_layer(frame, selected_id, lang=lang)
        if outline is not None:
            outline.add_to(m)

    folium.LayerControl(collapsed=True).add_to(m)
    _Legend(legend.html()).add_to(m)
    return m


def _add_coverage(m: folium.Map, layers: Mapping[str, gpd.GeoDataFrame],
                  layer_keys: Mapping[str, tuple[str, str]], *, carriers: tuple[str, ...],
                  technologies: tuple[str, ...], tolerance_m: float, lang: str,
                  legend: LegendBuilder) -> None:
    """The ``coverage:<key>`` layers of the chosen carriers/technologies, one per kind of
    evidence, hidden until toggled."""
    def chosen(key: str) -> bool:
        carrier, tech = layer_keys.get(key, (None, None))
        if carriers and carrier is not None and carrier not in carriers:
            return False
        if technologies and tech is not None and tech not in technologies:
            return False
        return True

    for name, gdf in sorted(layers.items()):
        if not name.startswith("coverage:") or gdf is None or not len(gdf):
            continue
        key = name.split(":", 1)[1]
        if not chosen(key):
            continue
        kinds = gdf["kind"].astype("string").fillna("declared") if "kind" in gdf else pd.Series("declared", index=gdf.index)
        carrier = layer_keys.get(key, (key, ""))[0]
        colour = _carrier_colour(carrier, len(key))
        for kind in sorted(kinds.unique()):
            part = gdf[(kinds == kind).to_numpy()]
            style = {"color": colour, "fillColor": colour, **KIND_STYLES.get(kind, KIND_STYLES["declared"])}
            label = t("coverage_layer", lang, key=key, kind=t(f"kind_{kind}", lang))
            layer = _lines_layer(part, label, style, COVERAGE_PIXELS * tolerance_m,
                                 precision=COVERAGE_PRECISION, source=gdf, part=str(kind))
            layer.show = False
            layer.add_to(m)
            legend.add(t("lg_coverage", lang),
                       _swatch("outline", colour, dash=KIND_STYLES.get(kind, KIND_STYLES["declared"])["dashArray"]),
                       f"{carrier} {layer_keys.get(key, ('', ''))[1]} ({t(f'kind_{kind}', lang)})".replace("  ", " "))


def _add_disputes(m: folium.Map, villages: gpd.GeoDataFrame,
                  layer_keys: Mapping[str, tuple[str, str]], *, carriers: tuple[str, ...],
                  technologies: tuple[str, ...], lang: str, legend: LegendBuilder) -> None:
    """The villages with a ``dispute__<key>`` of a chosen carrier/technology, as dots at
    their centre coloured by the kind of dispute (:data:`DISPUTE_COLOURS`); the words are
    the catalogue's. Draws nothing when the run has no disputes."""
    keys = [c[len("dispute__"):] for c in villages.columns if str(c).startswith("dispute__")]
    keys = [k for k in keys if not (
        (carriers and layer_keys.get(k, (None, None))[0] not in (None, *carriers))
        or (technologies and layer_keys.get(k, (None, None))[1] not in (None, *technologies)))]
    if not keys or S.LON not in villages or S.LAT not in villages:
        return
    codes = villages[[S.dispute_col(k) for k in keys]].fillna("").astype(str)
    first = codes.apply(lambda r: next((v for v in r if v), ""), axis=1)
    for kind, colour in DISPUTE_COLOURS.items():
        rows = villages[(first == kind).to_numpy()]
        if not len(rows):
            continue
        words = codes.loc[rows.index].apply(lambda r: "; ".join(
            f"{layer_label(k, lang)}: {value_label(S.dispute_col(k), v, lang)}"
            for k, v in zip(keys, r) if v), axis=1)
        pts = gpd.GeoDataFrame({"name": rows[S.NAME].astype(str), "dispute": words},
                               geometry=gpd.points_from_xy(rows[S.LON], rows[S.LAT]), crs=4326)
        name = f"{t('disputes_layer', lang)}: {value_label(S.dispute_col(keys[0]), kind, lang)}"
        _points_layer(pts, name, colour, ["name", "dispute"], radius=6,
                      labels={"name": t("dispute_village", lang), "dispute": t("lg_disputes", lang)}).add_to(m)
        legend.add(t("lg_disputes", lang), _swatch("dot", colour),
                   value_label(S.dispute_col(keys[0]), kind, lang))


def _add_towers(m: folium.Map, towers: gpd.GeoDataFrame | None, *, carriers: tuple[str, ...],
                technologies: tuple[str, ...], assets: MapAssets, lang: str,
                legend: LegendBuilder) -> None:
    """One layer of towers per chosen carrier (of the chosen technologies), clustered above
    :data:`CLUSTER_MIN` towers."""
    if towers is not None and len(towers) and "carrier" in towers:
        tw = towers
        if "technology" in tw and technologies:
            tw = tw[tw["technology"].astype("string").isin(technologies).fillna(False).to_numpy()]
        carrier_values = tw["carrier"].astype("string").fillna("?")
        clustered = False
        for i, carrier in enumerate(sorted(carrier_values.unique())):
            if carriers and carrier not in carriers:
                continue
            part = tw[(carrier_values == carrier).to_numpy()]
            group = folium.FeatureGroup(name=html.escape(t("towers_layer", lang, carrier=carrier)))
            pts = _points_layer(part, carrier, _carrier_colour(carrier, i), ["carrier", "technology"],
                                labels={"carrier": t("carrier", lang), "technology": t("technology", lang)})
            pts.control = False
            colour = _carrier_colour(carrier, i)
            legend.add(t("lg_towers", lang), _swatch("dot", colour), carrier)
            if len(part) > CLUSTER_MIN:
                cluster = folium.plugins.MarkerCluster(control=False)
                cluster.default_js = assets.cluster_js()
                cluster.default_css = assets.cluster_css()
                pts.add_to(cluster)
                cluster.add_to(group)
                clustered = True
            else:
                pts.add_to(group)
            group.add_to(m)
        if clustered:
            legend.add(t("lg_towers", lang), _swatch("cluster", ""), t("lg_cluster", lang))
            m.get_root().header.add_child(folium.Element(_CLUSTER_CSS), name="gisapp_cluster_css")


def _selection_layer(frame: gpd.GeoDataFrame, selected_id: str, *, lang: str) -> FastGeoJson | None:
    sel = frame[frame["village_id"] == html.escape(str(selected_id))]
    if not len(sel):
        return None
    return FastGeoJson(
        features_json(sel.geometry.to_numpy(), [{"village_id": x} for x in sel["village_id"]]),
        name=html.escape(t("selected_layer", lang)),
        style_js=_style_js({"color": "#00e5ff", "weight": 4, "fillOpacity": 0}),
        point_js=_circle_js(9, {"color": "#00e5ff", "weight": 4, "fill": False}),
    )


def selection_group(villages: gpd.GeoDataFrame, selected_id: str | None, *, lang: str = "vi",
                    tolerance_m: float | None = None) -> folium.FeatureGroup | None:
    """The outline of the selected village as a feature group, for streamlit-folium's
    ``feature_group_to_add``: it is drawn onto the map already shown, so selecting a
    village keeps the planner's zoom (a change of the map's own script remounts the
    component and fits the whole province again). None when nothing is selected or the
    village is not on the map (filtered out, or without geometry)."""
    if selected_id is None:
        return None
    v = villages[villages[S.ID].astype("string") == str(selected_id)]
    if not len(v):
        return None
    if tolerance_m is None:
        tolerance_m = display_tolerance_m(tuple(villages.to_crs("EPSG:4326").total_bounds)
                                          if villages.crs is not None else tuple(villages.total_bounds))
    frame = display_frame(v, lang=lang, tolerance_m=tolerance_m)
    layer = _selection_layer(frame, selected_id, lang=lang)
    if layer is None:
        return None
    group = folium.FeatureGroup(name=html.escape(t("selected_layer", lang)), control=False)
    layer.add_to(group)
    return group



def build_change_map(changes: gpd.GeoDataFrame, *, assets: MapAssets, lang: str = "vi",
                     tiles: str | None = None, tolerance_m: float | None = None) -> folium.Map:
    """A map of :attr:`gisapp.tracking.Changes.villages`, each village coloured by its
    ``change`` (:data:`CHANGE_COLOURS`), with a legend of the changes present and a
    tooltip (name, commune, people, new gap class, change, why)."""
    keep = changes[~changes.geometry.isna() & ~changes.geometry.is_empty]
    frame = display_frame(keep, lang=lang, tolerance_m=tolerance_m)
    frame["change"] = keep.loc[frame.index, "change"].astype("string").fillna("unknown").astype(object)
    bounds = tuple(frame.total_bounds) if len(frame) else None
    m = _new_map(bounds, assets=assets, tiles=tiles)
    _village_layer(frame, lang=lang, name=t("changes_layer", lang), tooltips=True,
                   colour_by="change").add_to(m)
    present_ = set(frame["change"].astype(str))
    items = [(colour, t(f"change_{c}", lang)) for c, colour in CHANGE_COLOURS.items() if c in present_]
    _Legend(_legend_rows(t("change_legend", lang), items)).add_to(m)
    return m
