"""One exception tree for gisapp.

Every error a user can cause carries a message that names the file (or layer, or
row) and says what to do. The UI and the CLI show ``str(error)`` and nothing else.
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
]


class GisappError(Exception):
    """Base of every error gisapp raises on purpose."""


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

    def __init__(self, message: str, *, path: object = None, layer: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.layer = layer
        where = []
        if layer:
            where.append(f"layer '{layer}'")
        if self.path:
            where.append(f"file '{self.path}'")
        prefix = (" / ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


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
