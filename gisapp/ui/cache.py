"""Results shared by every session of the server, at most a few per kind.

Not plain ``@st.cache_resource`` functions: those record and replay the progress bar's
updates, which live in a block created outside them. One :class:`LruStore` per kind
(``"measure"``, ``"plan"``, ``"compare"``, ``"plan_files"``), each with its own lock, so a
slow measure does not hold up a plan of other data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

__all__ = ["LruStore", "store", "digest", "on_disk"]

log = logging.getLogger(__name__)

SIZES = {"measure": 4, "plan": 8, "compare": 4, "plan_files": 4}


class LruStore:
    """Computed values by key; the least recently used go beyond ``size``."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        with self.lock:                       # one computation at a time: memory stays bounded
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            value = compute()
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return value

    def peek(self, key: str) -> Any | None:
        with self.lock:
            return self.items.get(key)


@st.cache_resource(show_spinner=False)
def store(kind: str) -> LruStore:
    """The server-wide store of one kind."""
    return LruStore(SIZES.get(kind, 4))


def digest(*parts: Any) -> str:
    """A SHA-256 key of JSON-able parts (anything else by ``str``)."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _code_stamp() -> str:
    """Size and mtime of every module of gisapp below the UI: a changed engine never reads
    an old result."""
    root = Path(__file__).resolve().parents[1]
    stats = sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*.py")
                   if p.relative_to(root).parts[0] != "ui")
    return digest(stats)


def on_disk(folder: Path, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` kept as a pickle in ``folder`` (our own files only: the demo's folder),
    so a freshly started server skips the slow stage. Any failure to read or write falls
    back to computing; the file is written whole (a temporary file renamed into place)."""
    path = Path(folder) / f".measured-{digest(key, _code_stamp())[:24]}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - a damaged or old file: compute again
        log.info("ignoring cached result %s: %s", path, exc)
    value = compute()
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception as exc:  # noqa: BLE001 - a read-only folder: just no disk cache
        log.info("could not keep %s: %s", path, exc)
    return value
