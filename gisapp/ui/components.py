"""Streamlit sections of the page. Each takes the language and what it shows.

Only this module and :mod:`gisapp.ui.app` import Streamlit. They compute nothing:
rows and counts come from :mod:`gisapp.ui.present`, the result from the pipeline.
"""

from __future__ import annotations

import html
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gisapp import schema as S
from gisapp.text import slug
from gisapp.config import (
    WEIGHT_PRESETS, RunConfig, apply_overrides, preset_for, preset_weights,
)
from gisapp.io import export
from gisapp.ui import cache, present, state, tables
from gisapp.i18n.columns import column_label
from gisapp.ui.assets import MapAssets
from gisapp.i18n import gap_label, t
from gisapp.ui import upload_page
from gisapp.ui.map import GAP_COLOURS, OSM_TILES, build_map, selection_group

__all__ = [
    "language_switch", "page_choice", "source_choice", "upload_section", "config_upload", "rule_controls",
    "filter_controls", "headline_metrics", "map_section", "table_section", "chart_section",
    "download_section", "config_download", "show_error",
]

log = logging.getLogger(__name__)

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "gpkg": "application/geopackage+sqlite3",
    "zip": "application/zip",
}
FORMATS = ("csv", "xlsx", "geojson", "kml", "gpkg")


def show_error(exc: BaseException, lang: str) -> None:
    """A plain message: the GisappError's text, or a generic one (traceback to the log)."""
    from gisapp.errors import GisappError
    from gisapp.i18n.errors import error_text

    if isinstance(exc, GisappError):
        log.info("user error: %s", exc)
        # the message in the reader's language, uploaded names instead of private paths
        st.error(upload_page.public_text(error_text(exc, lang, detail=True)))
    else:
        log.error("unexpected error in the app", exc_info=exc)
        st.error(t("error_unexpected", lang))


# ------------------------------------------------------------------------- sidebar: data


def language_switch() -> str:
    lang = st.sidebar.radio("Ngôn ngữ / Language", ("vi", "en"), horizontal=True, key="lang",
                            format_func=lambda x: {"vi": "Tiếng Việt", "en": "English"}[x])
    state.note_language(lang)
    return lang


def page_choice(lang: str) -> str:
    """Which page: the map and ranking, planning, or progress between surveys."""
    return state.choice(st.sidebar, "radio", t("page", lang), ("explore", "planning", "progress"),
                        key="page", format_func=lambda x: t(f"page_{x}", lang))


def source_choice(lang: str) -> str:
    return state.choice(st.sidebar, "radio", t("source", lang), ("demo", "upload", "config"),
                        key="source", format_func=lambda x: t(f"source_{x}", lang))


def _upload_dir() -> Path:
    return upload_page.upload_dir()


def upload_section(lang: str, *, max_mb: float) -> RunConfig | None:
    """File uploader with a role, layer and columns per file (:mod:`gisapp.ui.upload_page`)."""
    return upload_page.upload_section(lang, max_mb=max_mb)


def config_upload(lang: str) -> RunConfig | None:
    """A project file, or a config with its data files (:mod:`gisapp.ui.upload_page`)."""
    return upload_page.config_upload(lang)


# ------------------------------------------------------------------- sidebar: controls


def rule_controls(lang: str, base: RunConfig, *, scope: str) -> RunConfig:
    """Thresholds per technology, pocket share, electricity rules and weights.

    ``scope`` (a short id of the data) keys the widgets, so loading other data resets
    them to that data's settings.
    """
    sb = st.sidebar
    th, pw = base.thresholds, base.power
    with sb.expander(t("settings", lang), expanded=False):
        dbm = {tech: st.number_input(t("threshold", lang, tech=tech), value=float(th.dbm.get(tech, -110.0)),
                                     min_value=-140.0, max_value=-40.0, step=1.0, key=f"th_{tech}_{scope}",
                                     help=t("help_threshold", lang, tech=tech))
               for tech in S.TECHNOLOGIES}
        pocket = st.slider(t("pocket_share", lang), 0.0, 1.0, float(th.pocket_share), 0.05,
                           key=f"pocket_{scope}", help=t("help_pocket_share", lang))
        grid_max = st.number_input(t("grid_max_m", lang), 0.0, 100_000.0, float(pw.grid_max_m), 100.0,
                                   key=f"gridmax_{scope}", help=t("help_grid_max_m", lang))
        grid_unknown = st.number_input(t("grid_unknown_m", lang), 0.0, 100_000.0,
                                       float(max(pw.grid_unknown_m, grid_max)), 100.0,
                                       key=f"gridunk_{scope}", help=t("help_grid_unknown_m", lang))
        lights = st.number_input(t("lights_min", lang), 0.0, 100.0, float(pw.lights_min_radiance), 0.1,
                                 key=f"lights_{scope}", help=t("help_lights_min", lang))
    with sb.expander(t("weights", lang), expanded=True):
        names = list(WEIGHT_PRESETS)
        own = preset_for(base.weights)
        if own is None:
            names = ["custom", *names]
        preset = state.choice(st, "selectbox", t("preset", lang), names,
                              index=names.index(own) if own else 0, key=f"preset_{scope}",
                              format_func=lambda p: t(f"preset_{p}", lang), help=t("help_preset", lang))
        start = base.weights if preset == "custom" else preset_weights(preset)
        parts = {}
        for name in ("population", "dist_grid", "dist_site", "facilities"):
            parts[f"weights.{name}"] = st.slider(t(f"w_{name}", lang), 0.0, 1.0, float(getattr(start, name)),
                                                 0.05, key=f"w_{name}_{preset}_{scope}",
                                                 help=t(f"help_w_{name}", lang))
    overrides = {"thresholds.dbm": dbm, "thresholds.pocket_share": pocket,
                 "power.grid_max_m": grid_max, "power.grid_unknown_m": max(grid_unknown, grid_max),
                 "power.lights_min_radiance": lights, **parts}
    if preset != "custom":
        overrides["weights.preset"] = preset
    return apply_overrides(base, overrides, where=t("settings", lang))


def filter_controls(lang: str, villages: pd.DataFrame, keys: dict[str, tuple[str, str]]) -> present.Filters:
    sb = st.sidebar
    sb.subheader(t("filters", lang))
    def pick(key: str, options: list, **kwargs) -> list:
        return state.choice(sb, "multiselect", t(key, lang), options, key=key,
                            placeholder=t("all", lang), **kwargs)

    communes = pick("f_commune", present.unique_sorted(villages[S.COMMUNE]))
    gaps = pick("f_gap", [g.value for g in S.GapClass], format_func=lambda g: gap_label(g, lang))
    carriers = pick("f_carrier", sorted({c for c, _ in keys.values()}))
    techs = pick("f_technology", sorted({x for _, x in keys.values()}))
    return present.Filters(tuple(communes), tuple(gaps), tuple(carriers), tuple(techs))


def basemap_choice(lang: str) -> str | None:
    choice = state.choice(st.sidebar, "selectbox", t("basemap", lang), ("none", "osm"), key="basemap",
                          format_func=lambda b: t(f"basemap_{b}", lang))
    return OSM_TILES if choice == "osm" else None


# ----------------------------------------------------------------------------- body


def headline_metrics(lang: str, figures: dict) -> None:
    st.subheader(t("headline", lang))
    cols = st.columns(len(S.GapClass) + 2)
    for col, g in zip(cols, S.GapClass):
        col.metric(gap_label(g.value, lang), present.fmt_int(figures["villages"][g.value], lang),
                   f"{present.fmt_int(figures['pop'][g.value], lang)} {t('m_people', lang)}",
                   delta_color="off", delta_arrow="off", help=t("help_m_gap", lang))
    cols[-2].metric(t("m_share_4g", lang), present.fmt_share(figures["share_pop_4g"], lang),
                    help=t("help_m_share_4g", lang))
    cols[-1].metric(t("m_share_signal", lang), present.fmt_share(figures["share_villages_with_signal"], lang),
                    help=t("help_m_share_signal", lang))


def map_section(lang: str, villages: gpd.GeoDataFrame, layers: dict, *, keys: dict,
                filters: present.Filters, tiles: str | None, assets: MapAssets) -> None:
    """The map; a click on a village stores its id in ``st.session_state["selected_village"]``."""
    st.subheader(t("map", lang))
    st.caption(t("click_hint", lang))
    selected = st.session_state.get("selected_village")
    m = build_map(villages, layers, assets=assets, lang=lang, tiles=tiles,
                  layer_keys=keys, carriers=filters.carriers, technologies=filters.technologies)
    # the outline goes in as a feature group: the map's script stays the same, so the
    # component is not remounted and keeps the planner's zoom after a click
    view = st.session_state.get("map_view") or {}
    out = st_folium(m, key="village_map", height=MAP_HEIGHT, use_container_width=True,
                    returned_objects=["last_active_drawing", "center", "zoom"],
                    center=view.get("center"), zoom=view.get("zoom"),
                    feature_group_to_add=selection_group(villages, selected, lang=lang))
    keep_view(out)
    drawing = (out or {}).get("last_active_drawing") or {}
    vid = (drawing.get("properties") or {}).get("village_id")
    if vid is not None:
        vid = html.unescape(str(vid))
        if vid != selected:
            st.session_state["selected_village"] = vid
            st.rerun()


#: the map's height in pixels (issue 13: a larger map)
MAP_HEIGHT = 720


def keep_view(out: dict | None, key: str = "map_view") -> None:
    """Store the map's centre and zoom as st_folium returns them, so the next map drawn
    (after a language switch, a filter or a page change) opens on the same view."""
    centre, zoom = (out or {}).get("center"), (out or {}).get("zoom")
    if isinstance(centre, dict) and "lat" in centre and "lng" in centre and zoom is not None:
        st.session_state[key] = {"center": (float(centre["lat"]), float(centre["lng"])), "zoom": int(zoom)}


def _selected_panel(lang: str, ranked: pd.DataFrame, shown: pd.DataFrame, selected: str | None) -> None:
    """The selected village in full: its row and its ``why`` unabridged."""
    if selected is None:
        return
    hit = (ranked[S.ID].astype(str) == str(selected)).to_numpy()
    if not hit.any():
        return
    row = ranked[hit]
    st.success(t("selected", lang, name=row[S.NAME].iloc[0], commune=row[S.COMMUNE].iloc[0]))
    st.dataframe(shown[hit], hide_index=True, key="selected_row")
    why = tables.why_words(row, lang).iloc[0]
    st.markdown(f"**{column_label(S.WHY, lang)}:** {why}")


def table_section(lang: str, villages: pd.DataFrame, columns: list[str]) -> None:
    """The selected village in detail, the top 10 (a plain table) and every shown village,
    ranked; a row picked in the ranked table becomes the selected village."""
    if not len(villages):
        st.info(t("no_rows", lang))
        return
    ranked = villages.sort_values([S.PRIORITY_RANK, S.ID], na_position="last")
    shown = tables.readable(ranked, lang, columns)
    selected = st.session_state.get("selected_village")
    _selected_panel(lang, ranked, shown, selected)
    st.subheader(t("top", lang))
    top_cols = [c for c in (S.PRIORITY_RANK, S.NAME, S.COMMUNE, S.POP, S.GAP_CLASS, S.PRIORITY_SCORE)
                if c in ranked]
    top = tables.readable(ranked[ranked[S.PRIORITY_RANK].notna()].head(10), lang, top_cols)
    st.table(top.set_index(top.columns[0]) if len(top.columns) else top)
    st.subheader(t("table", lang))
    marker = pd.Series("", index=shown.index)
    if selected is not None:
        marker[ranked[S.ID].astype(str).to_numpy() == str(selected)] = "●"
    shown.insert(0, "●", marker)
    why = column_label(S.WHY, lang)
    event = st.dataframe(shown, hide_index=True, key="ranked_table", height=420, on_select="rerun",
                         selection_mode="single-row",
                         column_config={why: st.column_config.TextColumn(why, width="large")})
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    # act on a new pick only: a row left selected must not undo a later click on the map
    if rows and rows != st.session_state.get("_ranked_rows") and rows[0] < len(ranked):
        st.session_state["_ranked_rows"] = rows
        vid = str(ranked[S.ID].iloc[rows[0]])
        if vid != selected:
            st.session_state["selected_village"] = vid
            st.rerun()


#: gap classes counted as gaps when the commune charts are sorted
_GAP_VALUES = [g.value for g in S.GapClass if g not in (S.GapClass.SERVED, S.GapClass.UNKNOWN)]


def commune_chart(table: pd.DataFrame, lang: str, *, title: str):
    """A horizontal stacked bar per commune (Vega-Lite through Altair): every commune
    labelled, communes sorted by their gaps (most first), the legend whole below."""
    import altair as alt

    gaps = [g for g in _GAP_VALUES if g in table.columns]
    order = table[gaps].sum(axis=1).sort_values(ascending=False, kind="stable").index.astype(str).tolist()
    long = table.rename_axis("commune").reset_index().melt("commune", var_name="gap", value_name="value")
    long["commune"] = long["commune"].astype(str)
    long["label"] = long["gap"].map(lambda g: gap_label(str(g), lang))
    long["shown"] = tables.grouped(long["value"], lang)
    domain = [gap_label(g, lang) for g in table.columns]
    colours = [GAP_COLOURS[g] for g in table.columns]
    label, commune = t("legend", lang), t("t_commune", lang)
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("commune:N", sort=order, title=commune,
                axis=alt.Axis(labelOverlap=False, labelLimit=0)),
        x=alt.X("value:Q", stack="zero", title=title, axis=alt.Axis(format=",d")),
        color=alt.Color("label:N", title=label, scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=0, symbolType="square")),
        order=alt.Order("gap_order:Q"),
        tooltip=[alt.Tooltip("commune:N", title=commune), alt.Tooltip("label:N", title=label),
                 alt.Tooltip("shown:N", title=title)],
    ).transform_calculate(
        gap_order=f"indexof({_dumps_list(list(table.columns))}, datum.gap)",
    ).properties(height=chart_height(len(order))).configure(locale=vega_locale(lang))


def chart_height(n_communes: int) -> int:
    """Pixels for a commune chart: 26 per commune (each labelled), the legend below."""
    return max(260, 26 * n_communes) + 90


def vega_locale(lang: str) -> dict:
    """Vega's number locale for ``lang`` (the group and decimal symbols from Babel), so the
    chart axes group thousands as the reader does."""
    import babel

    from gisapp.i18n.numbers import locale_of

    sym = babel.Locale.parse(locale_of(lang)).number_symbols.get("latn", {})
    return {"number": {"decimal": sym.get("decimal", "."), "thousands": sym.get("group", ","),
                       "grouping": [3], "currency": ["", ""]}}


def _dumps_list(items: list[str]) -> str:
    import json

    return json.dumps([str(x) for x in items])


def chart_section(lang: str, villages: pd.DataFrame) -> None:
    if not len(villages):
        return
    st.subheader(t("chart", lang))
    c1, c2 = st.columns(2)
    for col, value, title in ((c1, "villages", "chart_villages"), (c2, "pop", "chart_people")):
        table = present.commune_counts(villages, value=value)
        col.caption(t(title, lang))
        # the height passed as well: Streamlit's theme otherwise squeezes the bars
        col.altair_chart(commune_chart(table, lang, title=t(title, lang)), width="stretch",
                         height=chart_height(len(table)))


def _write(fmt: str, villages: gpd.GeoDataFrame, summary: pd.DataFrame, folder: Path, stem: str,
           title: str | None) -> Path:
    path = folder / f"{stem}.{fmt}"
    if fmt == "csv":
        return export.write_csv(villages, path)
    if fmt == "xlsx":
        return export.write_xlsx(villages, summary, path, title=title)
    if fmt == "geojson":
        return export.write_geojson(villages, path)
    if fmt == "kml":
        return export.write_kml(villages, path)
    if fmt == "gpkg":
        return export.write_gpkg(villages, path)
    raise ValueError(f"unknown format {fmt}")


def export_bytes(fmt: str, villages: gpd.GeoDataFrame, summary: pd.DataFrame, *,
                 title: str | None = None) -> bytes:
    """One export of the engine (gisapp.io.export) as bytes."""
    with tempfile.TemporaryDirectory(prefix="gisapp-dl-") as tmp:
        return _write(fmt, villages, summary, Path(tmp), "villages", title).read_bytes()


def carrier_pack(carrier: str, result, config: RunConfig, *, measure_key: str | None = None) -> bytes:
    """That carrier's priority list: the very zip ``gisapp plan`` writes for it
    (:func:`gisapp.planning.carrier_pack_bytes` of the plan with these settings).

    With ``measure_key`` the plan is shared with the planning page's cache.
    """
    from gisapp import planning

    def compute():
        return planning.plan(result, config=config)

    if measure_key is None:
        p = compute()
    else:
        from gisapp.ui.planning_page import plan_key

        p = cache.store("plan").get(plan_key(measure_key, config), compute)
    return planning.carrier_pack_bytes(p, result, carrier)


def _deferred(fn: Callable[[], bytes]) -> Callable[[], bytes]:
    def run() -> bytes:
        try:
            return fn()
        except Exception:
            log.exception("download failed")
            raise
    return run


def download_section(lang: str, villages: gpd.GeoDataFrame, summary: pd.DataFrame, keys: dict, *,
                     title: str | None, result=None, config: RunConfig | None = None,
                     measure_key: str | None = None) -> None:
    """Buttons for every export format of the current filter and, given the run's
    ``result`` and ``config``, each carrier's priority list (:func:`carrier_pack`: the
    whole run's plan, not the filter, so it is the file ``gisapp plan`` writes).

    Files are written only when a button is pressed (deferred downloads).
    """
    st.subheader(t("downloads", lang))
    if not len(villages):
        st.info(t("no_rows", lang))
        return
    communes = set(villages[S.COMMUNE].astype(str))
    summ = summary[(summary["level"] != "commune") | summary[S.COMMUNE].astype(str).isin(communes)]
    cols = st.columns(len(FORMATS))
    for col, fmt in zip(cols, FORMATS):
        col.download_button(
            t(f"dl_{fmt}", lang), data=_deferred(lambda f=fmt: export_bytes(f, villages, summ, title=title)),
            file_name=f"villages_filtered.{fmt}", mime=MIME[fmt], key=f"dl_{fmt}", on_click="ignore",
        )
    carriers = sorted({c for c, _ in keys.values()})
    if carriers and result is not None and config is not None:
        cols = st.columns(len(carriers))
        for col, carrier in zip(cols, carriers):
            col.download_button(
                t("dl_carrier", lang, carrier=carrier),
                data=_deferred(lambda c=carrier: carrier_pack(c, result, config, measure_key=measure_key)),
                file_name=t("dl_carrier_file", lang, slug=slug(carrier)), mime=MIME["zip"],
                key=f"dl_pack_{slug(carrier)}", on_click="ignore",
            )


def config_download(lang: str, config: RunConfig) -> None:
    upload_page.config_download(lang, config)


def report_section(lang: str, report) -> None:
    """What the run repaired, left unjudged or could not match, in plain words (an
    expander, shown only when there is something to say)."""
    counts = [(key, int(getattr(report, key, 0) or 0))
              for key in ("repaired_geometries", "missing_geometries", "bad_population")]
    counts = [(k, n) for k, n in counts if n]
    warnings = list(getattr(report, "warnings", []) or [])
    unmatched = getattr(report, "unmatched_names", None)
    n_unmatched = 0 if unmatched is None else len(unmatched)
    if not counts and not warnings and not n_unmatched:
        return
    n = sum(x for _, x in counts) + len(warnings) + n_unmatched
    with st.expander(t("report_title", lang, n=n), expanded=False):
        st.caption(t("report_intro", lang))
        for key, value in counts:
            st.markdown("- " + t(f"report_{key}", lang, n=present.fmt_int(value, lang)))
        if warnings:
            st.caption(t("report_warnings", lang))
            from gisapp.i18n.errors import warning_text
            for w in warnings:
                st.text(warning_text(w, lang))          # st.text never interprets markup
        if n_unmatched:
            st.caption(t("unmatched", lang, n=present.fmt_int(n_unmatched, lang)))
            st.dataframe(unmatched, hide_index=True, key="report_unmatched")
