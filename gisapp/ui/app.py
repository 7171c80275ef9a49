"""The planners' page: choices → run config → pipeline (cached) → map, figures, tables.

:func:`main` is what ``streamlit_app.py`` calls. The slow stage
(:func:`gisapp.pipeline.measure`: reading and joining) is cached per set of inputs with
``st.cache_resource``; thresholds, rules, weights and filters only re-run the cheap
:func:`gisapp.pipeline.assess` and the drawing. Every error is caught at the page
boundary: a :class:`~gisapp.errors.GisappError` shows its message, anything else a
generic message, with the traceback in the server log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from gisapp.config import PowerRules, RunConfig, RunOptions, Thresholds, Weights, config_to_dict
from gisapp.pipeline import headline
from gisapp.ui import cache
from gisapp.ui import components as C
from gisapp.ui import present
from gisapp.ui.assets import MapAssets, install_static
from gisapp.i18n import t

__all__ = ["Engine", "default_engine", "main", "measure_key", "upload_limit_mb"]

log = logging.getLogger(__name__)


def _demo_config() -> RunConfig:
    from gisapp.demo import demo_config

    return demo_config()


def _measure(config: RunConfig, *, progress=None) -> Any:
    from gisapp.pipeline import measure

    return measure(config, progress=progress)


def _assess(measured: Any, config: RunConfig) -> Any:
    from gisapp.pipeline import assess

    return assess(measured, config)


@dataclass(frozen=True)
class Engine:
    """What the page calls; tests swap in a smaller demo."""

    name: str = "gisapp"
    demo_config: Callable[[], RunConfig] = field(default=_demo_config)
    measure: Callable[..., Any] = field(default=_measure)
    assess: Callable[[Any, RunConfig], Any] = field(default=_assess)
    #: upload limit in MB (None: the smaller of server.maxUploadSize and options.max_file_mb)
    max_upload_mb: float | None = None


def upload_limit_mb(engine: Engine) -> float:
    """The per-file upload limit: Streamlit's ``server.maxUploadSize``, the default
    ``options.max_file_mb`` of a run, and the engine's own limit, whichever is smallest."""
    limits = [float(RunOptions().max_file_mb)]
    try:
        limits.append(float(st.get_option("server.maxUploadSize")))
    except Exception:                  # outside a Streamlit server
        pass
    if engine.max_upload_mb is not None:
        limits.append(float(engine.max_upload_mb))
    return min(limits)


def default_engine() -> Engine:
    return Engine()


def measure_key(config: RunConfig, engine_name: str = "gisapp") -> str:
    """Cache key of the slow stage: the config without thresholds, rules and weights
    (which only :func:`assess` reads), plus each input file's size and mtime."""
    neutral = config.replace(thresholds=Thresholds(), power=PowerRules(), weights=Weights())
    stamps = []
    for p in config.input_paths():
        try:
            st_ = Path(p).stat()
            stamps.append((str(p), st_.st_size, st_.st_mtime_ns))
        except OSError:
            stamps.append((str(p), None, None))
    blob = json.dumps([engine_name, config_to_dict(neutral), stamps], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@st.cache_resource(max_entries=2, show_spinner=False)
def _cached_demo_config(name: str, _engine: Engine) -> RunConfig:
    return _engine.demo_config()


def _base_config(lang: str, engine: Engine, source: str, max_mb: float) -> RunConfig | None:
    if source == "upload":
        return C.upload_section(lang, max_mb=max_mb)
    if source == "config":
        return C.config_upload(lang)
    return _cached_demo_config(engine.name, engine)


def _measure_kept(engine: Engine, config: RunConfig, key: str, source: str, progress) -> Any:
    """The slow stage; the demo's result is also kept beside the demo's files, so a fresh
    server draws the map without measuring again (uploads are never written to disk)."""
    compute = lambda: engine.measure(config, progress=progress)  # noqa: E731
    paths = [str(p) for p in config.input_paths()]
    if source != "demo" or not config.options.synthetic or not paths:
        return compute()
    folder = Path(os.path.commonpath(paths))
    return cache.on_disk(folder.parent if folder.is_file() else folder, key, compute)


def _page(lang: str, engine: Engine, assets: MapAssets) -> None:
    st.title(t("title", lang))
    st.caption(t("subtitle", lang))
    page = C.page_choice(lang)
    source = C.source_choice(lang)
    base = _base_config(lang, engine, source, max_mb=upload_limit_mb(engine))
    if base is None:
        return
    scope = measure_key(base, engine.name)[:10]
    config = C.rule_controls(lang, base, scope=scope)
    C.config_download(lang, config)

    key = measure_key(config, engine.name)
    bar = st.progress(0.0, text=t("computing", lang))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{t('computing', lang)} {message}")

    try:
        measured = cache.store("measure").get(key, lambda: _measure_kept(engine, config, key, source, progress))
    finally:
        bar.empty()
    result = engine.assess(measured, config)
    if config.options.synthetic:
        st.warning(t("synthetic_note", lang))
    C.report_section(lang, result.report)          # on every page: what was repaired or missing

    keys = present.layer_carriers(result.config, result.layers)
    tiles = C.basemap_choice(lang)
    if page == "planning":
        from gisapp.ui import planning_page

        planning_page.render(lang, config=config, measured=measured, result=result, measure_key=key,
                             assets=assets, tiles=tiles, scope=scope)
        return
    if page == "progress":
        from gisapp.ui import progress_page

        progress_page.render(lang, config=config, result=result, assets=assets, tiles=tiles)
        return

    filters = C.filter_controls(lang, result.villages, keys)
    shown = present.filter_villages(result.villages, filters)
    C.headline_metrics(lang, headline(shown))
    C.map_section(lang, shown, result.layers, keys=keys, filters=filters, tiles=tiles, assets=assets)
    C.table_section(lang, shown, present.table_columns(list(shown.columns), keys, filters))
    C.chart_section(lang, shown)
    title = config.options.name + (" (synthetic data)" if config.options.synthetic else "")
    C.download_section(lang, shown, result.summary, keys, title=title, result=result, config=config,
                       measure_key=key)


def main(*, engine: Engine | None = None, app_dir: str | Path | None = None) -> None:
    """Render the page. ``app_dir`` is the folder of the script (for ``static/``)."""
    st.set_page_config(page_title="gisapp", layout="wide")
    engine = engine or default_engine()
    assets = MapAssets.streamlit()
    lang = "vi"
    try:
        if app_dir is not None:
            install_static(app_dir)
        lang = C.language_switch()
        from gisapp.ui import serving

        st.session_state["gisapp_user"] = serving.current_user(lang, serving.guard(lang))
        _page(lang, engine, assets)
    except Exception as exc:  # the page boundary: never a traceback on screen
        C.show_error(exc, lang)
