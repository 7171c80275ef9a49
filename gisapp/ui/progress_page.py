"""The progress page (issue 6): snapshots of runs, counts over time, burn-down, changes.

Everything shown comes from :mod:`gisapp.tracking`: :func:`~gisapp.tracking.open_store`
(a GeoPackage path typed or uploaded, or a ``postgresql://`` URL),
:meth:`~gisapp.tracking.SnapshotStore.save`, :func:`~gisapp.tracking.history`,
:func:`~gisapp.tracking.burndown` against the config's ``[tracking]`` targets,
:func:`~gisapp.tracking.diff` and :func:`~gisapp.tracking.write_changes`.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st
import tomli_w
from streamlit_folium import st_folium

from gisapp import schema as S
from gisapp import tracking
from gisapp.config import RunConfig, config_to_dict
from gisapp.errors import GisappError
from gisapp.ui import state, tables
from gisapp.ui.components import show_error
from gisapp.ui.assets import MapAssets
from gisapp.i18n import gap_label, t
from gisapp.ui.inputs import save_upload
from gisapp.ui.map import CHANGE_COLOURS, GAP_COLOURS, build_change_map

__all__ = ["default_store_path", "render", "changes_zip"]


def default_store_path() -> Path:
    """``$XDG_CACHE_HOME/gisapp/snapshots.gpkg`` (default ``~/.cache/...``)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "gisapp" / "snapshots.gpkg"


def _store_choice(lang: str, *, max_mb: float) -> str | None:
    """The store: one of the server config's (nobody types a path or URL), else the
    local default; an uploaded .gpkg only in local mode."""
    from gisapp.ui.serving import server_config

    st.subheader(t("g_store", lang))
    stores = server_config().stores
    if stores:
        name = st.selectbox(t("g_store_name", lang), list(stores), key="g_store_name")
        return stores[name]
    c1, c2 = st.columns([3, 2])
    c1.caption(t("g_store_local", lang, path=default_store_path()))
    typed = str(default_store_path())
    up = c2.file_uploader(t("g_store_upload", lang), type=["gpkg"], key="g_store_upload")
    if up is not None:
        if "g_upload_dir" not in st.session_state:
            st.session_state["g_upload_dir"] = tempfile.mkdtemp(prefix="gisapp-store-")
        folder = Path(st.session_state["g_upload_dir"])
        target = folder / Path(up.name).name
        if not target.exists():
            save_upload(up.name, up.getvalue(), folder, max_mb=max_mb)
        c2.caption(t("g_store_uploaded", lang))
        return str(target)
    text = (typed or "").strip()
    if not text:
        st.info(t("g_store_first", lang))
        return None
    if "://" not in text:
        Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return text


def _save_form(lang: str, store: tracking.SnapshotStore, config: RunConfig, result) -> None:
    with st.form("g_save", clear_on_submit=False):
        st.markdown(f"**{t('g_save', lang)}**")
        c1, c2 = st.columns(2)
        label = c1.text_input(t("g_label", lang), key="g_label")
        day = c2.date_input(t("g_date", lang), value=dt.date.today(), key="g_date")
        if st.form_submit_button(t("g_save_button", lang)):
            try:
                info = store.save(result.villages, label=label, date=day,
                                  config_toml=tomli_w.dumps(config_to_dict(config)),
                                  manifest=result.manifest)
            except GisappError as exc:        # a taken label, a bad date: say so, keep the page
                show_error(exc, lang)
            else:
                st.success(t("g_saved", lang, label=info.label, n=info.n_villages))


def _timeline(lang: str, hist: pd.DataFrame) -> None:
    st.subheader(t("g_timeline", lang))
    prov = hist[hist["level"] == "province"]
    per = prov.groupby(["date", "label"], sort=True)[[f"villages_{g.value}" for g in S.GapClass]].sum()
    per.index = [f"{d} · {lbl}" for d, lbl in per.index]
    per.columns = [g.value for g in S.GapClass]
    per = per.loc[:, per.sum() > 0] if per.to_numpy().sum() else per
    st.altair_chart(_timeline_chart(per, lang), width="stretch", height=520)


def _timeline_chart(per: pd.DataFrame, lang: str):
    """Stacked bars per snapshot, tall enough to read, labels whole (slanted when many),
    the legend whole below."""
    import altair as alt

    from gisapp.ui.components import vega_locale

    long = per.rename_axis("snapshot").reset_index().melt("snapshot", var_name="gap", value_name="n")
    long["label"] = long["gap"].map(lambda g: gap_label(str(g), lang))
    long["order"] = long["gap"].map(list(per.columns).index)
    domain = [gap_label(g, lang) for g in per.columns]
    colours = [GAP_COLOURS[g] for g in per.columns]
    snap, n, legend = t("g_snapshot", lang), t("m_villages", lang), t("legend", lang)
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("snapshot:N", sort=list(per.index), title=snap,
                axis=alt.Axis(labelAngle=0 if len(per) <= 3 else -30, labelLimit=0, labelOverlap=False)),
        y=alt.Y("n:Q", stack="zero", title=n, axis=alt.Axis(format=",d")),
        color=alt.Color("label:N", title=legend, scale=alt.Scale(domain=domain, range=colours),
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=0)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("snapshot:N", title=snap), alt.Tooltip("label:N", title=legend),
                 alt.Tooltip("n:Q", title=n, format=",d")],
    ).properties(height=420).configure(locale=vega_locale(lang))


def _burndown(lang: str, hist: pd.DataFrame, config: RunConfig) -> None:
    st.subheader(t("g_burndown", lang))
    bd = tracking.burndown(hist, config.tracking)
    if not config.tracking.targets:
        st.caption(t("g_no_targets", lang))
    series = list(dict.fromkeys(bd["series"]))
    choice = state.choice(st, "selectbox", t("g_series", lang), series, key="g_series",
                          index=series.index("any_no_signal") if "any_no_signal" in series else 0,
                          format_func=lambda s: t(f"series_{s}", lang))
    part = bd[bd["series"] == choice]
    chart = part.groupby("date")[["remaining", "target"]].max()
    chart.index = pd.to_datetime(chart.index)
    chart = chart.rename(columns={"remaining": t("g_remaining", lang), "target": t("g_target", lang)})
    if len(chart) > 1 and chart.notna().to_numpy().any():     # a line needs two dates
        st.line_chart(chart.dropna(axis=1, how="all"), height=260)
    st.dataframe(tables.readable(part.drop(columns=["series"]), lang), hide_index=True,
                 key="g_burndown_table")


def changes_zip(changes: tracking.Changes) -> bytes:
    """:func:`gisapp.tracking.write_changes` into a temporary folder, zipped."""
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gisapp-changes-") as tmp, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in tracking.write_changes(changes, tmp).values():
            zf.write(path, Path(path).name)
    return buf.getvalue()


def _changes(lang: str, store: tracking.SnapshotStore, snaps: pd.DataFrame, assets: MapAssets,
             tiles: str | None) -> None:
    st.subheader(t("g_changes", lang))
    labels = list(snaps["label"])
    c1, c2 = st.columns(2)
    a = c1.selectbox(t("g_from", lang), labels, index=len(labels) - 2, key="g_from")
    b = c2.selectbox(t("g_to", lang), labels, index=len(labels) - 1, key="g_to")
    if a == b:
        st.info(t("g_pick_two", lang))
        return
    ch = tracking.diff(store, a, b)
    counts = ch.villages["change"].astype(str).value_counts()
    rows = [(t(f"change_{c}", lang), int(counts.get(c, 0))) for c in CHANGE_COLOURS if counts.get(c, 0)]
    st.dataframe(pd.DataFrame(rows, columns=[t("t_change", lang), t("m_villages", lang)]),
                 hide_index=True, key="g_change_counts")
    m = build_change_map(ch.villages, assets=assets, lang=lang, tiles=tiles)
    st_folium(m, key="change_map", height=480, use_container_width=True, returned_objects=[])
    v = ch.villages
    moved = v[~v["change"].astype(str).isin(["unchanged_served"])]
    cols = [S.ID, S.NAME, S.COMMUNE, "change", f"{S.GAP_CLASS}_old", S.GAP_CLASS, S.POP,
            "match_method", "renamed", "id_changed"]
    frame = tables.readable(moved, lang, [c for c in cols if c in moved.columns])
    st.caption(t("g_changed_rows", lang, n=len(frame)))
    st.dataframe(frame, hide_index=True, key="g_changes_table", height=360)
    if len(ch.unmatched_old) or len(ch.unmatched_new):
        st.caption(t("g_unmatched", lang, old=len(ch.unmatched_old), new=len(ch.unmatched_new)))
    st.download_button(t("g_dl_changes", lang), data=changes_zip(ch),
                       file_name=f"changes_{a}_{b}.zip".replace(" ", "_"), mime="application/zip",
                       key="g_dl_changes", on_click="ignore")


def _weekly_loop(lang: str, store: tracking.SnapshotStore) -> None:
    from gisapp.ui import serving

    user = st.session_state.get("gisapp_user")
    if user is not None and len(store.list()):
        serving.updates_section(lang, store, user)
        serving.report_section(lang, store, user)


def render(lang: str, *, config: RunConfig, result, assets: MapAssets, tiles: str | None,
           max_mb: float = 200.0) -> None:
    """The progress page: choose a store, save the current result, see the timeline,
    the burn-down and the changes between two snapshots."""
    st.header(t("page_progress", lang))
    where = _store_choice(lang, max_mb=max_mb)
    if where is None:
        return
    store = tracking.open_store(where)
    try:
        user = st.session_state.get("gisapp_user")
        if user is not None and user.role == "planner":    # only the planner saves surveys
            _save_form(lang, store, config, result)
        snaps = store.list()
        st.dataframe(tables.readable(snaps, lang), hide_index=True, key="g_snapshots")
        if snaps.empty:
            st.info(t("g_empty", lang))
            return
        hist = tracking.history(store)
        _timeline(lang, hist)
        _burndown(lang, hist, config)
        if len(snaps) < 2:
            st.info(t("g_need_two", lang))
            return
        _changes(lang, store, snaps, assets, tiles)
    finally:
        _weekly_loop(lang, store)
        store.close()
