"""Serving for a province: the startup guard, the signed-in user, and the weekly loop's UI.

The server config (:mod:`gisapp.config.server`) names stores and users; the roles are
enforced in :mod:`gisapp.tracking.access`, which every action here goes through.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from gisapp.config.server import ServerConfig, UserRole, check_listen, load_server_config
from gisapp.errors import GisappError
from gisapp.tracking import access as A
from gisapp.tracking import events as E
from gisapp.ui import tables
from gisapp.ui.components import show_error
from gisapp.i18n import t

__all__ = ["server_config", "guard", "current_user", "updates_section", "report_section"]


def server_config() -> ServerConfig:
    """The server config of ``$GISAPP_SERVER_CONFIG`` (empty in local mode)."""
    return load_server_config()


def _auth_configured() -> bool:
    try:
        auth = st.secrets.get("auth", {})
    except (FileNotFoundError, KeyError, AttributeError, Exception):   # no secrets file
        return False
    keys = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
    return all(auth.get(k) for k in keys)


def guard(lang: str) -> ServerConfig:
    """Stop every page when the server listens beyond loopback without sign-in."""
    cfg = server_config()
    try:
        address = st.get_option("server.address")
    except Exception:          # outside a server (tests): the address of the config file
        address = "127.0.0.1"
    try:
        check_listen(address or "", cfg, auth_configured=_auth_configured())
    except GisappError as exc:
        st.error(t("serve_refused", lang, why=str(exc)))
        st.stop()
    return cfg


def current_user(lang: str, cfg: ServerConfig) -> UserRole:
    """The signed-in user's role (sign-in with st.login when the config requires it)."""
    if not cfg.sign_in:
        return cfg.user(None)
    if not st.user.is_logged_in:
        st.info(t("sign_in_needed", lang))
        if st.button(t("sign_in", lang), key="sign_in"):
            st.login()
        st.stop()
    user = cfg.user(st.user.get("email"))
    if user is None:
        A._refuse(None, "use the app (not in [users])")
        st.error(t("sign_in_unknown", lang, email=st.user.get("email", "")))
        if st.button(t("sign_out", lang), key="sign_out"):
            st.logout()
        st.stop()
    with st.sidebar:
        st.caption(t("signed_in_as", lang, email=user.name, role=t(f"role_{user.role}", lang)))
        if st.button(t("sign_out", lang), key="sign_out"):
            st.logout()
    return user


def _submit_form(lang: str, store, user: UserRole) -> None:
    mine = A.villages(user, store)
    if mine.empty:
        st.caption(t("u_none_assigned", lang))
        return
    kinds = ["site_on_air"] if user.role == "carrier_liaison" else (
        ["grid_connection"] if user.role == "evn_liaison" else list(E.CLOSED_BY))
    with st.form("u_submit", clear_on_submit=True):
        st.markdown(f"**{t('u_submit', lang)}**")
        vid = st.selectbox(t("u_village", lang), list(mine["village_id"].astype(str)),
                           key="u_village")
        how = st.selectbox(t("u_closed_by", lang), kinds, key="u_closed_by",
                           format_func=lambda k: t(f"u_{k}", lang))
        day = st.date_input(t("u_closed_on", lang), value=dt.date.today(), key="u_closed_on")
        note = st.text_input(t("u_note", lang), key="u_note")
        up = st.file_uploader(t("u_evidence", lang, mb=E.MAX_EVIDENCE_BYTES / 1e6),
                              type=[s[1:] for s in E.EVIDENCE_TYPES], key="u_evidence")
        if st.form_submit_button(t("u_send", lang)):
            evidence = E.Evidence(up.name, up.getvalue()) if up is not None else None
            try:
                ev = A.submit(user, store, village_id=vid, closed_by=how, closed_on=day,
                              note=note, evidence=evidence)
            except GisappError as exc:
                show_error(exc, lang)
            else:
                st.success(t("u_sent", lang, seq=ev["seq"]))


def _decide_form(lang: str, store, user: UserRole) -> None:
    waiting = A.pending(user, store)
    st.dataframe(tables.readable(waiting.drop(columns=["evidence_sha256"], errors="ignore"), lang),
                 hide_index=True, key="u_pending")
    if waiting.empty or user.role != "planner":
        return
    with st.form("u_decide"):
        seq = st.selectbox(t("u_update", lang), list(waiting["seq"].astype(int)), key="u_seq")
        note = st.text_input(t("u_note", lang), key="u_decide_note")
        c1, c2 = st.columns(2)
        ok, no = c1.form_submit_button(t("u_confirm", lang)), c2.form_submit_button(t("u_reject", lang))
        if ok or no:
            try:
                (A.confirm if ok else A.reject)(user, store, int(seq), note)
            except GisappError as exc:
                show_error(exc, lang)
            else:
                st.success(t("u_confirmed" if ok else "u_rejected", lang, seq=seq))


def updates_section(lang: str, store, user: UserRole) -> None:
    """Liaisons submit closures; the planner confirms or rejects them; a village's history."""
    st.subheader(t("u_title", lang))
    if A.can_submit(user):
        _submit_form(lang, store, user)
        _decide_form(lang, store, user)
    vid = st.text_input(t("u_history", lang), key="u_history_id").strip()
    if vid:
        try:
            _, hist = A.village(user, store, vid)
        except GisappError as exc:
            show_error(exc, lang)
        else:
            st.dataframe(tables.readable(hist.drop(columns=["evidence_sha256"], errors="ignore"), lang),
                         hide_index=True, key="u_history")


def report_zip(store, date_from, date_to, lang: str) -> bytes:
    """The weekly report's files (DOCX, XLSX annex, PNGs) as one zip."""
    from gisapp.tracking.report import write_report

    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="gisapp-report-") as tmp, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in write_report(store, date_from, date_to, tmp, lang=lang).values():
            zf.write(path, Path(path).name)
    return buf.getvalue()


def report_section(lang: str, store, user: UserRole) -> None:
    """The weekly report for a period, as a download (planner and viewer)."""
    if user.role not in ("planner", "viewer"):
        return
    st.subheader(t("r_title", lang))
    c1, c2, c3 = st.columns(3)
    today = dt.date.today()
    d0 = c1.date_input(t("r_from", lang), value=today - dt.timedelta(days=6), key="r_from")
    d1 = c2.date_input(t("r_to", lang), value=today, key="r_to")
    rlang = c3.selectbox(t("r_lang", lang), ["vi", "en"], key="r_lang")
    if st.button(t("r_make", lang), key="r_make"):
        try:
            data = report_zip(store, d0, d1, rlang)
        except GisappError as exc:
            show_error(exc, lang)
            return
        st.download_button(t("r_download", lang), data=data, file_name=f"report_{d1}.zip",
                           mime="application/zip", key="r_download", on_click="ignore")
