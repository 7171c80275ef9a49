"""Choices that survive a language switch and a page change.

Streamlit keeps a radio's or select's value as its *formatted* label. The labels are
translated, so after a language switch the browser sends a label of the other language
that matches no option, and the widget falls back to empty (issue 13: the Page and
Data-source radios emptied, the next click showed the demo). A widget not drawn in a
run (the filters while the planning page is open) is forgotten by Streamlit.

Each keyed choice therefore stores its stable code here after it is drawn
(:func:`remember`), and before it is drawn again :func:`restore` puts that code back into
``st.session_state`` when the language has just changed or Streamlit has forgotten it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

__all__ = ["note_language", "restore", "remember", "choice"]

_CODES = "_gisapp_codes"
_LANG = "_gisapp_lang"
_CHANGED = "_gisapp_lang_changed"


def note_language(lang: str) -> bool:
    """Record the language of this run; True when it differs from the last run's."""
    prev = st.session_state.get(_LANG)
    changed = prev is not None and prev != lang
    st.session_state[_CHANGED] = changed
    st.session_state[_LANG] = lang
    return changed


def restore(key: str, options: Sequence[Any] | None = None, *, multi: bool = False) -> bool:
    """Before drawing the widget ``key``: put its remembered code back when needed.

    Returns True when the widget's value comes from the session (the caller then passes
    no default of its own, which Streamlit would warn about).
    """
    codes = st.session_state.get(_CODES, {})
    if key not in codes:
        return False
    if st.session_state.get(_CHANGED) or key not in st.session_state:
        value = codes[key]
        if options is not None:
            allowed = list(options)
            if multi:
                value = [v for v in value if v in allowed]
            elif value not in allowed:
                return False
        st.session_state[key] = value
    return True


def remember(key: str, value: Any) -> Any:
    """After drawing the widget ``key``: store its stable value (returned unchanged)."""
    st.session_state.setdefault(_CODES, {})[key] = list(value) if isinstance(value, (list, tuple)) else value
    return value


def choice(where, kind: str, label: str, options: Sequence[Any], *, key: str, index: int = 0,
           **kwargs: Any) -> Any:
    """``where.radio`` / ``where.selectbox`` / ``where.multiselect`` (``kind``) whose
    stable code survives a language switch and a page change."""
    multi = kind == "multiselect"
    restored = restore(key, options, multi=multi)
    if not multi and not restored:
        kwargs["index"] = index
    value = getattr(where, kind)(label, options, key=key, **kwargs)
    return remember(key, value)
