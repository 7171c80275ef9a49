"""The data-source sections of the sidebar and page: uploaded files, a saved config or
project file, and saving the session (Streamlit; the work is in
:mod:`gisapp.ui.inputs` and :mod:`gisapp.ui.project`).

Each uploaded file is saved into the session's private folder as soon as it arrives,
so its layers, columns and first rows can be shown before the run: the planner picks a
layer of a multi-layer file and the columns from the file's own, with guesses
preselected. Messages name the files as uploaded (:func:`gisapp.ui.inputs.public_message`
with the names kept in ``st.session_state["upload_names"]``), never the private folder.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
import tomli_w

from gisapp import schema as S
from gisapp.config import RunConfig, RunOptions, config_to_dict
from gisapp.errors import GisappError, UnreadableFileError
from gisapp.i18n import t
from gisapp.ui import inputs as I
from gisapp.ui import project

__all__ = ["upload_dir", "upload_section", "config_upload", "config_download", "show_named_error",
           "public_text", "CONFIG_MAX_MB"]

#: a run config is a short text file
CONFIG_MAX_MB = 1.0
_TABLES = (".csv", ".txt", ".xlsx")


def upload_dir() -> Path:
    """The session's private folder for uploaded files (created once)."""
    if "upload_dir" not in st.session_state:
        st.session_state["upload_dir"] = tempfile.mkdtemp(prefix="gisapp-upload-")
    folder = Path(st.session_state["upload_dir"])
    _names()[str(folder)] = ""
    return folder


def _names() -> dict[str, str]:
    return st.session_state.setdefault("upload_names", {})


def public_text(text: str) -> str:
    """``text`` with the session's private paths replaced by the uploaded names."""
    return I.public_message(text, st.session_state.get("upload_names") or {})


def show_named_error(exc: BaseException, lang: str) -> None:
    """The page's error message (:func:`gisapp.ui.components.show_error`, which names the
    uploaded files through :func:`public_text`)."""
    from gisapp.ui.components import show_error

    show_error(exc, lang)


# ------------------------------------------------------------------------ upload


def _saved(f, folder: Path, max_mb: float) -> Path:
    """The uploaded file saved once per upload (the layer to read, for a zip)."""
    saved = st.session_state.setdefault("upload_saved", {})
    key = f"{getattr(f, 'file_id', '')}:{f.name}:{f.size}"
    if key not in saved:
        I.check_upload_size(f.name, f.size, max_mb=max_mb)
        path = I.save_upload(f.name, f.getvalue(), folder, max_mb=max_mb)
        names = _names()
        names[str(folder / I._safe_name(f.name))] = f.name
        names[str(path)] = f.name if path.name == I._safe_name(f.name) else f"{f.name} › {path.name}"
        saved[key] = str(path)
    return Path(saved[key])


def _layer_choice(lang: str, path: Path, role: str, wkey: str) -> str | None:
    layers = I.list_layers(path)
    if len(layers) < 2:
        return None
    first = I.preferred_layer(path, role)
    return st.selectbox(t("layer", lang), layers, key=f"layer_{wkey}",
                        index=layers.index(first) if first in layers else 0,
                        help=t("layer_help", lang, n=len(layers)))


def _cell(value: object) -> str:
    """A preview cell as text; a missing value is blank, never "None"."""
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    return "" if missing or value is None else str(value)


def _column_choices(lang: str, role: str, path: Path, name: str, layer: str | None,
                    wkey: str) -> dict[str, str]:
    """Selectboxes filled with the file's columns (guesses preselected) and its first rows."""
    rows = I.preview(path, layer=layer)
    if rows is None:
        return {}
    columns = [str(c) for c in rows.columns]
    guesses = I.guess_columns(columns, role)
    fields = [k for k in I.COLUMN_FIELDS[role]
              if path.suffix.lower() in _TABLES or k not in ("lon", "lat")]
    options = ["", *columns]
    chosen: dict[str, str] = {}
    cs = st.columns(3)
    for j, key in enumerate(fields):
        guess = guesses.get(key)
        chosen[key] = cs[j % 3].selectbox(
            t(f"col_{key}", lang), options, index=options.index(guess) if guess else 0,
            key=f"col_{key}_{wkey}" + (f"_{layer}" if layer else ""), help=t("col_guess_help", lang),
            format_func=lambda c: c or t("col_none", lang))
    st.caption(t("preview", lang, n=len(rows), file=name))
    st.dataframe(rows.map(_cell), hide_index=True, key=f"preview_{wkey}_{layer or ''}")
    return chosen


def _file_form(lang: str, i: int, f, folder: Path, max_mb: float) -> I.Assignment | None:
    """Role, layer, carrier, columns and preview of one uploaded file."""
    wkey = f"{i}_{f.name}"
    path = _saved(f, folder, max_mb)
    ocid = I.opencellid_kind(path)
    default = "villages" if i == 0 else ("towers" if ocid else "ignore")
    role = st.selectbox(t("role", lang), I.ROLES, key=f"role_{wkey}", index=I.ROLES.index(default),
                        format_func=lambda r: t(f"role_{r}", lang))
    if role == "ignore":
        return I.Assignment(path=path, role=role)
    layer = _layer_choice(lang, path, role, wkey)
    carrier, tech, kind, cols = "", "4G", "declared", {}
    if role in ("coverage", "signal"):
        c1, c2, c3 = st.columns(3)
        carrier = c1.text_input(t("carrier", lang), key=f"carrier_{wkey}")
        tech = c2.selectbox(t("technology", lang), S.TECHNOLOGIES, index=2, key=f"tech_{wkey}")
        kind = c3.selectbox(t("kind", lang), S.KINDS, key=f"kind_{wkey}",
                            index=1 if role == "coverage" else 0,
                            format_func=lambda k: t(f"kind_{k}", lang))
    elif role == "towers" and ocid:
        st.info(t("opencellid_found", lang, file=f.name))
        cols = {"opencellid": ocid}
    elif role in I.COLUMN_FIELDS:
        cols = _column_choices(lang, role, path, f.name, layer, wkey)
    return I.Assignment(path=path, role=role, carrier=carrier, technology=tech, kind=kind,
                        columns=cols, layer=layer)


def _prepared(a: I.Assignment, folder: Path) -> I.Assignment:
    """An OpenCelliD towers file becomes the towers table the run reads."""
    if a.role != "towers" or "opencellid" not in a.columns:
        return a
    out, cols = I.prepare_towers(a.path, folder)
    _names()[str(out)] = _names().get(str(a.path), a.path.name)
    return dataclasses.replace(a, path=out, columns=cols)


def _sizes_ok(lang: str, files: list, max_mb: float) -> set[str]:
    """The names of the files within the size limit; a message for each of the others."""
    ok = set()
    for f in files:
        try:
            I.check_upload_size(f.name, f.size, max_mb=max_mb)
            ok.add(f.name)
        except GisappError as exc:
            show_named_error(exc, lang)
    return ok


def upload_section(lang: str, *, max_mb: float) -> RunConfig | None:
    """File uploader with a role, a layer, a carrier and columns per file.

    Returns the config once the planner presses "Run", else the last one built. A file
    that cannot be used shows its message (naming it) and takes no part.
    """
    files = st.file_uploader(
        t("upload_files", lang), accept_multiple_files=True, key="uploads",
        type=[e.lstrip(".") for e in I.ACCEPTED_EXT], help=t("upload_help", lang, mb=max_mb),
    )
    if not files:
        st.info(t("upload_first", lang))
        return None
    assignments: list[I.Assignment] = []
    failed = False
    sizes_ok = _sizes_ok(lang, files, max_mb)       # every size first, before any file is saved
    for i, f in enumerate(files):
        if f.name not in sizes_ok:
            failed = True
            continue
        with st.expander(f.name, expanded=True):
            try:
                assignments.append(_file_form(lang, i, f, upload_dir(), max_mb))
            except GisappError as exc:
                failed = True
                show_named_error(exc, lang)
    if st.button(t("run", lang), key="run_uploads", type="primary"):
        # a failed run forgets the previous one: no stale result under an error
        st.session_state.pop("upload_config", None)
        if failed:                                  # the messages above say what to do
            return None
        try:
            used = [_prepared(a, upload_dir()) for a in assignments if a.role != "ignore"]
            options = RunOptions(name="uploaded files", max_file_mb=max_mb)
            st.session_state["upload_config"] = I.config_from_assignments(used, options=options)
        except GisappError as exc:
            show_named_error(exc, lang)
            return None
    return st.session_state.get("upload_config")


# ------------------------------------------------------------------ saved config


def _save_beside(f, folder: Path, max_mb: float) -> None:
    """A data file uploaded with a config, saved under its own name beside it."""
    I.check_upload_size(f.name, f.size, max_mb=max_mb)
    name = Path(f.name.replace("\\", "/")).name
    if not name or name.startswith("."):
        raise UnreadableFileError("the file has no usable name; rename it", path=f.name)
    (folder / name).write_bytes(f.getvalue())
    _names()[str(folder / name)] = f.name


def _load_config(lang: str, files: list, max_mb: float) -> RunConfig | None:
    folder = Path(tempfile.mkdtemp(prefix="gisapp-config-"))
    _names()[str(folder)] = ""
    tomls = [f for f in files if f.name.lower().endswith(".toml")]
    projects = [f for f in files if f.name.lower().endswith(".zip") and project.is_project(f.getvalue())]
    if len(tomls) + len(projects) != 1:
        st.error(t("config_need_one", lang, n=len(tomls) + len(projects)))
        return None
    if projects:
        f = projects[0]
        I.check_upload_size(f.name, f.size, max_mb=max_mb)
        config = project.read_project(f.getvalue(), folder, name=f.name, max_mb=max_mb)
        _names()[str(config.base_dir or folder)] = ""   # the folder of its config.toml
        return config
    f = tomls[0]
    I.check_upload_size(f.name, f.size, max_mb=CONFIG_MAX_MB)
    for other in files:
        if other is not f:
            _save_beside(other, folder, max_mb)
    config = I.config_from_toml(f.getvalue(), base_dir=folder)
    missing = I.missing_inputs(config)
    if missing:
        shown = ", ".join(public_text(str(p)) for p in missing)
        st.error(t("config_missing", lang, file=f.name, files=shown))
        return None
    return config


def config_upload(lang: str, *, max_mb: float | None = None) -> RunConfig | None:
    """A project file, or a config with its data files: relative paths in the config
    resolve against its own folder (where its files are saved with it)."""
    max_mb = float(max_mb if max_mb is not None else RunOptions().max_file_mb)
    files = st.file_uploader(t("config_files", lang), accept_multiple_files=True,
                             type=["toml", *(e.lstrip(".") for e in I.ACCEPTED_EXT)],
                             key="config_upload", help=t("config_files_help", lang))
    if not files:
        st.info(t("config_first", lang))
        return None
    key = tuple(f"{getattr(f, 'file_id', '')}:{f.name}:{f.size}" for f in files)
    cached = st.session_state.get("config_loaded")
    if cached and cached[0] == key:
        return cached[1]
    config = _load_config(lang, files, max_mb)
    if config is not None:
        st.session_state["config_loaded"] = (key, config)
    return config


# ------------------------------------------------------------------------ saving


def _private_root(config: RunConfig) -> Path | None:
    """The session's private folder holding every input of ``config``, if one does."""
    paths = [Path(p) for p in config.input_paths()]
    folders = [f for f, shown in (st.session_state.get("upload_names") or {}).items() if shown == ""]
    for folder in sorted(folders, key=len, reverse=True):          # the innermost first
        if paths and all(p.is_relative_to(folder) for p in paths):
            return Path(folder)
    return None


def config_download(lang: str, config: RunConfig) -> None:
    """The config alone (relative names for uploaded inputs, with a note saying the files
    must be beside it) and the project file (config, inputs and manifest in one zip)."""
    sb = st.sidebar
    root = _private_root(config)
    text = tomli_w.dumps(config_to_dict(config, relative_to=root))
    sb.download_button(t("dl_config", lang), data=text.encode("utf-8"), file_name="gisapp.toml",
                       mime="application/toml", key="dl_config", on_click="ignore")
    if root is not None:
        rel = sorted({Path(p).relative_to(root).as_posix() for p in config.input_paths()})
        sb.caption(t("config_relative_note", lang, files=", ".join(rel)))
    names = dict(st.session_state.get("upload_names") or {})

    def build() -> bytes:
        return project.write_project(config, names=names)

    sb.download_button(t("dl_project", lang), data=build, file_name="gisapp_project.zip",
                       mime="application/zip", key="dl_project", on_click="ignore",
                       help=t("dl_project_help", lang))
