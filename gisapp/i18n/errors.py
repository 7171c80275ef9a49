"""Error messages and run warnings in the reader's language.

An error of :mod:`gisapp.errors` keeps its English ``str(error)`` for the command line and
the logs; it may carry a message ``key`` and ``params``. :func:`error_text` writes the
catalogue's ``err_<key>`` message in Vietnamese or English, prefixed by the layer and the
file's name (never a temporary folder). An error without a key (or whose key has no
message yet) gets the lead sentence of its class (``err_class_<ClassName>``, the nearest
class in its hierarchy that has one) with the layer and file names. Warnings of a run
(:class:`gisapp.errors.KeyedMessage`) are written the same way by :func:`warning_text`.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from gisapp.errors import GisappError
from gisapp.i18n import numbers as N
from gisapp.i18n.labels import LABELS, t
from gisapp.i18n.values import layer_label

__all__ = ["error_text", "warning_text", "role_label", "has_message", "file_name"]

_ROLES = {"villages": "role_villages", "towers": "role_towers", "electricity": "role_electricity",
          "grid": "role_grid", "lights": "role_lights", "population": "role_population",
          "fibre": "fibre_layer", "facilities": "facilities_layer", "config": "err_role_config"}
_KEYED_ROLE = re.compile(r"^(coverage|signal) (\S+)$")


def file_name(path: object) -> str:
    """The name of a file without its folder (uploads live in temporary folders)."""
    text = str(path)
    if "://" in text:          # a URL: keep it, without credentials
        return re.sub(r"//[^@/]*@", "//", text)
    return PurePath(text).name or text


def role_label(role: str | None, lang: str = "vi") -> str:
    """The role of a layer in words: ``"villages"`` → "Thôn (vùng hoặc điểm)",
    ``"coverage viettel_4g"`` → "Vùng phủ sóng Viettel 4G"."""
    if not role:
        return ""
    if role in _ROLES:
        return t(_ROLES[role], lang)
    m = _KEYED_ROLE.match(role)
    if m:
        return t(f"err_role_{m[1]}", lang, layer=layer_label(m[2], lang))
    return role


def _param(value: Any, lang: str, name: str = "") -> str:
    if name in ("file", "path") and value is not None:
        return file_name(value)
    if name == "role" and value:
        return role_label(str(value), lang)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return N.number(value, lang)
    if isinstance(value, float):
        return N.number(value, lang, digits=0 if value == int(value) else 2)
    if isinstance(value, (list, tuple, set)):
        items = list(value)
        more = "" if len(items) <= 20 else ", …"
        return ", ".join(_param(v, lang) for v in items[:20]) + more
    if isinstance(value, PurePath):
        return value.name
    return str(value)


def has_message(key: str | None, kind: str = "err") -> bool:
    """True when the catalogue has the message ``<kind>_<key>``."""
    return bool(key) and f"{kind}_{key}" in LABELS


def _where(exc: BaseException, lang: str) -> str:
    layer = getattr(exc, "layer", None)
    path = getattr(exc, "path", None)
    parts = []
    if layer:
        parts.append(t("err_where_layer", lang, layer=role_label(layer, lang)))
    if path:
        parts.append(t("err_where_file", lang, name=file_name(path)))
    return " / ".join(parts)


def _class_lead(exc: BaseException, lang: str) -> str:
    for cls in type(exc).__mro__:
        key = f"err_class_{cls.__name__}"
        if key in LABELS:
            return t(key, lang)
    return t("error_unexpected", lang)


def error_text(exc: BaseException, lang: str = "vi", *, detail: bool = False) -> str:
    """What the reader sees for ``exc`` in ``lang``.

    In English: ``str(exc)``, the message the command line shows (it names the layer and
    the file and says what to do). Otherwise the catalogue's message of the error's key
    with its params, after the layer and file names (the file's name, not its folder); or,
    without a message for its key, the lead sentence of its class with those names, and
    with ``detail`` the English message after it (the app shows it; nothing is lost while
    a raise site has no key yet). Errors that gisapp did not raise on purpose get the
    "unexpected error" sentence.
    """
    if not isinstance(exc, GisappError):
        return t("error_unexpected", lang)
    if lang == "en":
        return _scrub(str(exc), exc)
    key = getattr(exc, "key", None)
    where = _where(exc, lang)
    if has_message(key):
        params = {k: _param(v, lang, k) for k, v in getattr(exc, "params", {}).items()}
        body = t(f"err_{key}", lang, **params).strip()
    else:
        body = _class_lead(exc, lang)
        if detail:
            body += " " + t("err_detail", lang, detail=_scrub(str(exc), exc))
    return f"{where}: {body}" if where else body


def _scrub(text: str, exc: BaseException) -> str:
    """The English message without the folder of the file it names."""
    path = getattr(exc, "path", None)
    return text.replace(str(path), file_name(path)) if path else text


_WARN_LAYER = re.compile(r"^(?P<layer>[\w ]+?): ")


def warning_text(warning: str, lang: str = "vi") -> str:
    """A warning of :attr:`gisapp.pipeline.RunReport.warnings` in ``lang``: the catalogue's
    ``warn_<key>`` when it carries a key, else (Vietnamese) a lead sentence naming the
    layer the English warning starts with; English warnings without a key pass through."""
    key = getattr(warning, "key", None)
    if has_message(key, "warn"):
        params = {k: _param(v, lang, k) for k, v in getattr(warning, "params", {}).items()}
        return t(f"warn_{key}", lang, **params)
    if lang == "en":
        return str(warning)
    m = _WARN_LAYER.match(str(warning))
    if m:
        return t("warn_generic_layer", lang, layer=role_label(m["layer"], lang))
    return t("warn_generic", lang)
