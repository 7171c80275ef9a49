"""One exception tree for gisapp.

Every error a user can cause carries a message that names the file (or layer, or
row) and says what to do. The CLI shows ``str(error)`` (English). An error may also carry
a message ``key`` and its ``params``: :func:`gisapp.i18n.errors.error_text` writes it in the
reader's language from the catalogue (key ``err_<key>``), the app shows that.
Subclasses inherit from ``ValueError`` or ``OSError`` where that fits, so callers
that already catch those keep working.
"""

from __future__ import annotations

__all__ = [
    "GisappError",
    "ConfigError",
    "InputError",
    "UnreadableFileError",
    "MissingCRSError",
    "CRSMismatchError",
    "NoOverlapError",
    "MissingColumnError",
    "InvalidGeometryError",
    "DuplicateIdError",
    "UnsafeArchiveError",
    "FileTooLargeError",
    "KeyedMessage",
]


class KeyedMessage(str):
    """An English message (it *is* the string, so logs, manifests and tests see the same
    text) that also carries a catalogue ``key`` and its ``params``, for
    :func:`gisapp.i18n.errors.warning_text` to write it in the reader's language."""

    key: str | None
    params: dict[str, object]

    def __new__(cls, text: str, key: str | None = None,
                params: dict[str, object] | None = None) -> "KeyedMessage":
        obj = super().__new__(cls, text)
        obj.key = key
        obj.params = dict(params or {})
        return obj

    def __reduce__(self):  # pickles (the app's cache) keep the key
        return (KeyedMessage, (str(self), self.key, self.params))


class GisappError(Exception):
    """Base of every error gisapp raises on purpose.

    Parameters
    ----------
    *args
        The English message (``str(error)``), as for any exception.
    key
        Catalogue key of the message (without the ``err_`` prefix), for the reader's
        language; None when the error has none yet (the app then writes a lead sentence
        for the error's class).
    params
        Values for the placeholders of the message (numbers, names, examples).
    """

    def __init__(self, *args: object, key: str | None = None,
                 params: dict[str, object] | None = None) -> None:
        super().__init__(*args)
        self.key = key
        self.params = dict(params or {})


class ConfigError(GisappError, ValueError):
    """The run configuration is invalid (unknown key, bad value, missing layer)."""


class InputError(GisappError, ValueError):
    """An input layer cannot be used as it is.

    Parameters
    ----------
    message
        What is wrong and what to do.
    path
        The file (or URL) concerned, if any; it is prefixed to the message.
    layer
        The role of the layer in the run (``"villages"``, ``"coverage viettel_4g"`` ...).
    """

    def __init__(self, message: str, *, path: object = None, layer: str | None = None,
                 key: str | None = None, params: dict[str, object] | None = None) -> None:
        self.path = None if path is None else str(path)
        self.layer = layer
        where = []
        if layer:
            where.append(f"layer '{layer}'")
        if self.path:
            where.append(f"file '{self.path}'")
        prefix = (" / ".join(where) + ": ") if where else ""
        super().__init__(prefix + message, key=key, params=params)


class UnreadableFileError(InputError, OSError):
    """The file does not exist, is empty, or no driver can read it."""


class MissingCRSError(InputError):
    """A spatial layer has no coordinate reference system."""


class CRSMismatchError(InputError):
    """Coordinates do not fit the declared CRS (e.g. metres labelled as degrees)."""


class NoOverlapError(InputError):
    """A layer does not overlap the villages at all."""


class MissingColumnError(InputError):
    """A column named in the config is not in the file."""


class InvalidGeometryError(InputError):
    """Invalid geometries were found and the config says to refuse them."""


class DuplicateIdError(InputError):
    """Village ids are not unique."""


class UnsafeArchiveError(InputError):
    """A zip archive has entries outside its folder, links, or is too large."""


class FileTooLargeError(InputError):
    """A file is larger than the configured limit."""
