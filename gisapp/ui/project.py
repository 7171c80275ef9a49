"""A session as one project file, and back (no Streamlit here).

A project file is a zip holding

* ``config.toml`` — the run config (inputs, thresholds, rules, weights, options) with
  every input path relative to the zip's root, so ``gisapp run config.toml`` works
  wherever it is unpacked;
* ``inputs/`` — the input files themselves (a Shapefile with its sidecar files);
* ``manifest.json`` — what made it: gisapp's version, when, each input's size, SHA-256
  and the name it was uploaded as, and the run's own manifest when there is one.

:func:`write_project` builds it; :func:`read_project` unpacks one safely
(:func:`gisapp.io.archive.safe_extract`) and loads its config, paths resolving against
the unpacked folder.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import tomli_w

from gisapp import __version__, jsonsafe
from gisapp.config import RunConfig, config_to_dict, load_config
from gisapp.errors import ConfigError
from gisapp.io.archive import safe_extract

__all__ = ["PROJECT_CONFIG", "PROJECT_MANIFEST", "write_project", "read_project", "is_project"]

PROJECT_CONFIG = "config.toml"
PROJECT_MANIFEST = "manifest.json"
_INPUTS = "inputs"


def _members(path: Path) -> list[Path]:
    """The file and, for a Shapefile, its sidecar files (same stem)."""
    if path.suffix.lower() != ".shp":
        return [path]
    return sorted(q for q in path.parent.iterdir() if q.is_file() and q.stem == path.stem)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _replace_paths(obj: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(obj, str):
        return mapping.get(obj, obj)
    if isinstance(obj, dict):
        return {k: _replace_paths(v, mapping) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_paths(v, mapping) for v in obj]
    return obj


def write_project(config: RunConfig, *, names: Mapping[str, str] | None = None,
                  manifest: Mapping[str, Any] | None = None) -> bytes:
    """The project zip of ``config`` and its input files, as bytes.

    ``names`` maps a saved input's path to the name it was uploaded as (for the
    manifest and the messages); ``manifest`` is the run's manifest, kept as ``run``.

    Raises
    ------
    ConfigError
        An input file of the config does not exist.
    """
    names = dict(names or {})
    inputs: list[Path] = []
    for p in config.input_paths():
        if p not in inputs:
            inputs.append(p)
    missing = [names.get(str(p), p.name) for p in inputs if not p.is_file()]
    if missing:
        raise ConfigError(f"the input files {', '.join(missing)} are missing, so the project "
                          "cannot be saved; load them again")
    arcs: dict[str, str] = {}
    used: set[str] = set()
    files: list[tuple[Path, str]] = []
    for i, p in enumerate(inputs):
        stem = p.stem if p.name.lower() not in used else f"{p.stem}_{i + 1}"
        used.add(f"{stem}{p.suffix}".lower())
        arcs[str(p)] = f"{_INPUTS}/{stem}{p.suffix}"
        files += [(m, f"{_INPUTS}/{stem}{m.suffix}") for m in _members(p)]
    text = tomli_w.dumps(_replace_paths(config_to_dict(config), arcs))
    about = {
        "gisapp_version": __version__,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": PROJECT_CONFIG,
        "inputs": [{"file": arcs[str(p)], "uploaded_as": names.get(str(p), p.name),
                    "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in inputs],
        "run": dict(manifest) if manifest else None,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(PROJECT_CONFIG, text)
        zf.writestr(PROJECT_MANIFEST, jsonsafe.dumps(about, indent=2, ensure_ascii=False,
                                                     default=str))
        for path, arc in files:
            zf.write(path, arc)
    return buf.getvalue()


def is_project(data: bytes) -> bool:
    """Whether ``data`` is a zip with a ``config.toml`` at its root."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return PROJECT_CONFIG in zf.namelist()
    except zipfile.BadZipFile:
        return False


def read_project(data: bytes, dest: str | Path, *, name: str = "project.zip",
                 max_mb: float = 2048) -> RunConfig:
    """Unpack a project zip into ``dest`` and load its config (relative paths resolve
    against the unpacked folder).

    Raises
    ------
    ConfigError
        Not a project file (no ``config.toml``), or an invalid config.
    UnsafeArchiveError
        Entries outside the folder, links, or too large once unpacked.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if not is_project(data):
        raise ConfigError(f"file '{name}': this is not a gisapp project file (a zip with "
                          f"{PROJECT_CONFIG} at its root); save one with “Save the project”")
    zpath = dest / "project.zip"
    zpath.write_bytes(data)
    folder = dest / "project"
    safe_extract(zpath, folder, max_bytes=int(max_mb * 1024 * 1024))
    return load_config(folder / PROJECT_CONFIG)
