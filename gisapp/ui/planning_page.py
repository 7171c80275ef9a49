"""The planning page (issue 5): costs, new sites, carrier packs and scenarios.

Everything shown comes from :mod:`gisapp.planning`: :func:`~gisapp.planning.plan` for
the costs, sites and carriers, :func:`~gisapp.planning.compare` for the scenarios,
:func:`~gisapp.planning.write_plan` for the files. The page collects the siting
settings into the run config, caches each call by the settings it depends on (the
measurement, the assess settings and the planning settings), and renders.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from gisapp import planning
from gisapp import schema as S
from gisapp.text import slug
from gisapp.config import RunConfig, config_to_dict
from gisapp.ui import cache, present, state, tables
from gisapp.ui.components import MAP_HEIGHT, keep_view
from gisapp.ui.assets import MapAssets
from gisapp.i18n.values import value_label
from gisapp.i18n import compare_column_label, t
from gisapp.ui.map import build_map

__all__ = ["siting_controls", "example_scenarios", "plan_key", "render"]

METHODS = ("auto", "exact", "greedy")
#: per-village cost table columns (those present)
COST_COLUMNS = (S.PRIORITY_RANK, S.NAME, S.COMMUNE, S.POP, S.GAP_CLASS, "cost_option", "cost_usd",
                "cost_per_person_usd", "signal_option", "signal_cost_usd", "power_option",
                "power_cost_usd", planning.CARRIER, planning.SITE_RANK, planning.POP_UNSERVED,
                "cost_breakdown", S.ID)
SITE_COLUMNS = ("site_rank", S.ID, planning.CARRIER, "n_villages", "pop_served", "cost_usd",
                "cost_per_person_usd", "villages_served", "cost_breakdown", "lon", "lat")


def siting_controls(lang: str, config: RunConfig, *, scope: str) -> RunConfig:
    """Number of new sites, budget and method; 0 means "no limit of that kind"."""
    so = config.siting
    c1, c2, c3 = st.columns(3)
    n_sites = c1.number_input(t("p_n_sites", lang), min_value=0, max_value=500, step=1,
                              value=int(so.n_sites or 0), key=f"p_n_sites_{scope}",
                              help=t("help_p_n_sites", lang))
    budget = c2.number_input(t("p_budget", lang), min_value=0.0, max_value=1e10, step=100_000.0,
                             value=float(so.budget_usd or 0.0), key=f"p_budget_{scope}",
                             help=t("help_p_budget", lang))
    method = state.choice(c3, "selectbox", t("p_method", lang), METHODS,
                          index=METHODS.index(so.method) if so.method in METHODS else 0,
                          key=f"p_method_{scope}", format_func=lambda m: t(f"p_method_{m}", lang),
                          help=t("help_p_method", lang))
    siting = dataclasses.replace(so, n_sites=int(n_sites) or None, budget_usd=float(budget) or None,
                                 method=method)
    return config.replace(siting=siting)


def example_scenarios(config: RunConfig, lang: str = "vi") -> tuple[dict[str, Any], ...]:
    """Scenarios to compare when the config has none: 4G only, twice the sites (named in
    the reader's language)."""
    n = config.siting.n_sites or 10
    return ({"name": t("p_ex_4g_only", lang), "thresholds.technologies": ["4G"]},
            {"name": t("p_ex_sites", lang, n=2 * n), "siting.n_sites": 2 * n})


def plan_key(measure_key: str, config: RunConfig) -> str:
    """Cache key of a plan: the measurement and every setting (assess and planning)."""
    return cache.digest("plan", measure_key, config_to_dict(config))


def _bar(lang: str):
    bar = st.progress(0.0, text=t("planning", lang))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{t('planning', lang)} {message}")

    return bar, progress


def _money(value: float, lang: str) -> str:
    return present.fmt_usd(value, lang)


def _millions(value: float, lang: str) -> str:
    from gisapp.i18n import numbers

    return numbers.number(float(value) / 1e6, lang, digits=2)


def _headline(lang: str, totals: dict) -> None:
    c = st.columns(6)
    c[0].metric(t("p_gap_villages", lang), present.fmt_int(totals["signal_gap_villages"], lang),
                f"{present.fmt_int(totals['pop_unserved'], lang)} {t('m_people', lang)}",
                delta_color="off", delta_arrow="off", help=t("help_m_gap", lang))
    musd = t("p_musd", lang)
    c[1].metric(f"{t('p_cost_total', lang)} ({musd})", _millions(totals["cost_total_usd"], lang),
                help=t("help_p_cost", lang))
    c[2].metric(f"{t('p_cost_signal', lang)} ({musd})", _millions(totals["cost_signal_usd"], lang),
                help=t("help_p_cost", lang))
    c[3].metric(f"{t('p_cost_power', lang)} ({musd})", _millions(totals["cost_power_usd"], lang),
                help=t("help_p_cost", lang))
    c[4].metric(t("p_sites", lang), present.fmt_int(totals["sites_selected"], lang),
                _money(totals["sites_cost_usd"], lang), delta_color="off", delta_arrow="off",
                help=t("help_p_n_sites", lang))
    c[5].metric(t("p_served", lang), present.fmt_int(totals["pop_served_by_sites"], lang),
                t("p_method_was", lang, method=value_label("siting_method", totals["siting_method"], lang),
                  bound=present.fmt_int(totals["siting_bound"], lang)),
                delta_color="off", delta_arrow="off", help=t("help_p_served", lang))
    per = totals.get("villages_per_carrier") or {}
    if per:
        st.caption(t("p_per_carrier", lang) + ": " + "; ".join(
            f"{k}: {present.fmt_int(v, lang)}" for k, v in per.items()))


def _files(p: planning.Plan, result) -> dict[str, tuple[str, bytes]]:
    """Every output of :func:`gisapp.planning.write_plan`, as download name → bytes:
    one zip per carrier (``pack:<carrier>``) and one zip of the plan files (``plan``)."""
    out: dict[str, tuple[str, bytes]] = {}
    with tempfile.TemporaryDirectory(prefix="gisapp-plan-") as tmp:
        paths = planning.write_plan(p, result, tmp)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, path in paths.items():
                path = Path(path)
                if name.startswith("pack:"):
                    out[name] = (path.name, path.read_bytes())
                else:
                    zf.write(path, path.name)
        out["plan"] = ("plan.zip", buf.getvalue())
    return out


def _downloads(lang: str, p: planning.Plan, result, key: str) -> None:
    st.subheader(t("p_downloads", lang))
    files = cache.store("plan_files").peek(key)
    if files is None:
        if not st.button(t("p_prepare", lang), key="p_prepare"):
            st.caption(t("p_prepare_help", lang))
            return
        with st.spinner(t("p_preparing", lang)):
            files = cache.store("plan_files").get(key, lambda: _files(p, result))
    from gisapp.tracking import access

    user = st.session_state.get("gisapp_user")       # roles: tracking.access decides
    packs = sorted(k for k in files if k.startswith("pack:"))
    cols = st.columns(max(len(packs) + 1, 1))
    name, data = files["plan"]
    if user is not None and user.role == "planner":   # the plan holds every carrier's sites
        cols[0].download_button(t("p_dl_plan", lang), data=data, file_name=name,
                                mime="application/zip", key="p_dl_plan", on_click="ignore")
    for col, k in zip(cols[1:], packs):
        name, _ = files[k]
        try:
            data = access.pack(user, k.split(":", 1)[1], lambda k=k: files[k][1])
        except access.AccessDenied:
            continue
        col.download_button(t("dl_carrier", lang, carrier=k.split(":", 1)[1]), data=data,
                            file_name=t("dl_carrier_file", lang, slug=Path(name).stem),
                            mime="application/zip",
                            key=f"p_dl_{slug(k.split(':', 1)[1])}", on_click="ignore")


def _cost_table(lang: str, p: planning.Plan) -> None:
    v = p.villages
    rows = v[v[S.GAP_CLASS].astype(str) != S.GapClass.SERVED.value]
    rows = rows.sort_values([S.PRIORITY_RANK, S.ID], na_position="last")
    frame = tables.readable(rows, lang, [c for c in COST_COLUMNS if c in rows.columns])
    st.subheader(t("p_costs", lang))
    st.dataframe(frame, hide_index=True, key="p_cost_table", height=380)


def sites_frame(sites: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    """The chosen sites with the candidate village's name and commune beside its id, in
    the order of the map's numbered badges (``site_rank``)."""
    frame = pd.DataFrame(sites[[c for c in SITE_COLUMNS if c in sites.columns]])
    if S.ID in frame and S.ID in villages:
        names = pd.DataFrame(villages[[c for c in (S.ID, S.NAME, S.COMMUNE) if c in villages]])
        names[S.ID] = names[S.ID].astype(str)
        names = names.drop_duplicates(S.ID).set_index(S.ID)
        ids = frame[S.ID].astype(str)
        pos = list(frame.columns).index(S.ID) + 1
        for i, c in enumerate(c for c in (S.NAME, S.COMMUNE) if c in names):
            frame.insert(pos + i, c, ids.map(names[c]).to_numpy())
    return frame.sort_values("site_rank") if "site_rank" in frame else frame


def _scenarios(lang: str, config: RunConfig, measured, mkey: str) -> None:
    st.subheader(t("p_scenarios", lang))
    own = bool(config.scenarios)
    if not own:
        st.caption(t("p_examples", lang))
        config = config.replace(scenarios=example_scenarios(config, lang))
    key = cache.digest("compare", mkey, config_to_dict(config))
    bar, progress = _bar(lang)
    try:
        comp = cache.store("compare").get(key, lambda: planning.compare(
            planning.scenario_configs(config), measured=measured, progress=progress))
    finally:
        bar.empty()
    table = comp.table.drop(columns=["measured_once"], errors="ignore")
    # the config's own scenario names are the planner's words; the base is named here
    names = pd.Series([t("p_scenario_base", lang) if n == "base" else n
                       for n in table.index.astype(str)], index=table.index)
    shown = tables.readable(table, lang)
    shown.columns = [compare_column_label(str(c), lang) for c in table.columns]
    shown.insert(0, t("c_scenario", lang), names.to_numpy())
    st.dataframe(shown, hide_index=True, key="p_compare_table")
    changes = comp.changes
    st.caption(t("p_changes", lang, first=(lambda f: t("p_scenario_base", lang) if f == "base" else f)(
        str(changes.attrs.get("first", "base"))), n=len(changes)))
    if len(changes):
        st.dataframe(tables.readable(pd.DataFrame(changes), lang), hide_index=True,
                     key="p_changes_table", height=300)


def render(lang: str, *, config: RunConfig, measured, result, measure_key: str,
           assets: MapAssets, tiles: str | None, scope: str) -> None:
    """The planning page for the current run (``result`` = assess(measured, config))."""
    st.header(t("page_planning", lang))
    cfg = siting_controls(lang, config, scope=scope)
    key = plan_key(measure_key, cfg)
    bar, progress = _bar(lang)
    try:
        p = cache.store("plan").get(key, lambda: planning.plan(result, config=cfg, progress=progress))
    finally:
        bar.empty()
    _headline(lang, p.totals)

    st.subheader(t("p_map", lang))
    m = build_map(result.villages, result.layers, assets=assets, lang=lang, tiles=tiles,
                  layer_keys=present.layer_carriers(result.config, result.layers), sites=p.sites)
    view = st.session_state.get("plan_map_view") or {}
    out = st_folium(m, key="plan_map", height=MAP_HEIGHT, use_container_width=True,
                    returned_objects=["center", "zoom"], center=view.get("center"), zoom=view.get("zoom"))
    keep_view(out, "plan_map_view")

    st.subheader(t("p_sites_table", lang))
    if len(p.sites):
        st.dataframe(tables.readable(sites_frame(p.sites, result.villages), lang), hide_index=True,
                     key="p_sites_table")
    else:
        st.info(t("p_no_sites", lang))
    _cost_table(lang, p)
    _scenarios(lang, cfg, measured, measure_key)
    _downloads(lang, p, result, key)
