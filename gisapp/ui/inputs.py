"""Uploaded files → files on disk → a :class:`~gisapp.config.RunConfig` (no Streamlit here).

An upload is saved into a private temporary folder under a sanitised name, refused
when over the size limit, and a zip is extracted with
:func:`gisapp.io.archive.safe_extract` (no path outside the folder, no links, a limit
on the uncompressed size). Each file is then assigned a *role* by the planner;
:func:`config_from_assignments` turns the roles into a run config that
``gisapp run`` reproduces once saved.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gisapp.config import (
    CoverageLayer, ElectricityLayers, LineLayer, RasterLayer, RunConfig, RunOptions, SignalRaster,
    TowerLayer, VillagesLayer, config_from_dict,
)
from gisapp.errors import ConfigError, FileTooLargeError, InputError, UnreadableFileError
from gisapp.io.archive import safe_extract

__all__ = [
    "ROLES", "VECTOR_EXT", "RASTER_EXT", "TABLE_EXT", "ACCEPTED_EXT", "Assignment",
    "check_upload_size", "save_upload", "config_from_assignments", "config_from_toml",
]

ROLES = ("villages", "coverage", "signal", "towers", "electricity", "grid", "lights",
         "population", "ignore")
VECTOR_EXT = (".gpkg", ".geojson", ".json", ".parquet", ".geoparquet", ".shp")
RASTER_EXT = (".tif", ".tiff")
TABLE_EXT = (".csv", ".xlsx")
ACCEPTED_EXT = (*VECTOR_EXT, *RASTER_EXT, *TABLE_EXT, ".zip")
_LAYER_IN_ZIP = (".shp", ".gpkg", ".geojson", ".json", ".parquet", ".tif", ".tiff", ".csv", ".xlsx")


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).lstrip(".")
    return base or "upload"


def _mb(x: float) -> str:
    return f"{x:.0f}" if x >= 10 else f"{x:.3g}"


def check_upload_size(name: str, size: int, *, max_mb: float) -> None:
    """Refuse an upload of ``size`` bytes over ``max_mb``, before anything reads it.

    Raises
    ------
    FileTooLargeError
        Naming the file, its size and the limit, and what to do.
    """
    if size > max_mb * 1024 * 1024:
        raise FileTooLargeError(
            f"the file is {_mb(size / 1024 / 1024)} MB, over the limit of {_mb(max_mb)} MB; "
            "split it, simplify or clip it to the province, or ask the administrator to raise "
            "options.max_file_mb (and server.maxUploadSize)", path=name)


def save_upload(name: str, data: bytes, dest: str | Path, *, max_mb: float) -> Path:
    """Save one uploaded file into ``dest`` and return the path of the layer to read.

    Parameters
    ----------
    name
        The file name as uploaded (only its last part is used, sanitised).
    data
        The file's bytes.
    dest
        A private folder (e.g. a ``tempfile.mkdtemp``).
    max_mb
        Size limit in MB, for the upload and for a zip's uncompressed content.

    Returns
    -------
    Path
        The saved file, or for a zip the one layer inside it (a ``.shp`` with its
        sidecar files, a ``.gpkg`` ...).

    Raises
    ------
    FileTooLargeError
        Over ``max_mb``.
    UnreadableFileError
        Not a supported type, or a zip with no (or several) layers.
    UnsafeArchiveError
        A zip with entries outside its folder, links, or too large once extracted.
    """
    safe = _safe_name(name)
    ext = Path(safe).suffix.lower()
    check_upload_size(name, len(data), max_mb=max_mb)
    if ext not in ACCEPTED_EXT:
        raise UnreadableFileError(
            f"'{ext or 'no extension'}' is not a supported file type; upload one of "
            f"{', '.join(ACCEPTED_EXT)} (a Shapefile as a .zip with its .shp, .shx, .dbf, .prj)",
            path=name)
    if not data:
        raise UnreadableFileError("the file is empty", path=name)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / safe
    target.write_bytes(data)
    if ext != ".zip":
        return target
    folder = dest / (Path(safe).stem + "_zip")
    try:
        files = safe_extract(target, folder, max_bytes=int(max_mb * 1024 * 1024))
    except InputError as exc:
        # name the file as the planner uploaded it, not its copy in the temporary folder
        prefix = f"file '{exc.path}': "
        detail = str(exc)[len(prefix):] if str(exc).startswith(prefix) else str(exc)
        raise type(exc)(detail, path=name, key=exc.key, params=exc.params) from None
    layers = [p for p in files if p.suffix.lower() in _LAYER_IN_ZIP
              and not any(part.startswith(("__MACOSX", ".")) for part in p.relative_to(folder).parts)]
    shp = [p for p in layers if p.suffix.lower() == ".shp"]
    if len(shp) == 1:
        return shp[0]
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise UnreadableFileError(
            "the zip holds no layer (.shp, .gpkg, .geojson, .parquet, .tif, .csv, .xlsx)", path=name)
    raise UnreadableFileError(
        f"the zip holds {len(layers)} layers ({', '.join(p.name for p in layers[:5])}); "
        "upload one layer per zip", path=name)


@dataclass(frozen=True)
class Assignment:
    """One uploaded file and what the planner said it is."""

    path: Path
    role: str
    carrier: str = ""
    technology: str = "4G"
    kind: str = "declared"
    columns: dict[str, str] = field(default_factory=dict)   # villages/electricity column names


def _col(a: Assignment, key: str) -> str | None:
    value = (a.columns.get(key) or "").strip()
    return value or None


def config_from_assignments(
    assignments: list[Assignment], *, options: RunOptions | None = None,
) -> RunConfig:
    """A run config from uploaded files and their roles.

    Raises
    ------
    ConfigError
        No villages file, several, or a coverage/signal file without its carrier.
    """
    used = [a for a in assignments if a.role != "ignore"]
    villages = [a for a in used if a.role == "villages"]
    if len(villages) != 1:
        raise ConfigError(
            f"{len(villages)} files have the role 'villages'; exactly one is needed "
            "(the village polygons or points)")
    v = villages[0]
    kwargs: dict = {
        "villages": VillagesLayer(
            path=v.path, id=_col(v, "id"), name=_col(v, "name"), commune=_col(v, "commune"),
            population=_col(v, "population"), lon=_col(v, "lon"), lat=_col(v, "lat")),
        "options": options or RunOptions(name="uploaded files"),
    }
    coverage, signals = [], []
    electricity: dict = {}
    for a in used:
        if a.role in ("coverage", "signal"):
            if not a.carrier.strip():
                raise ConfigError(f"file '{a.path.name}': give the carrier of this {a.role} layer")
            if a.role == "coverage":
                coverage.append(CoverageLayer(path=a.path, carrier=a.carrier.strip(),
                                              technology=a.technology, kind=a.kind))
            else:
                signals.append(SignalRaster(path=a.path, carrier=a.carrier.strip(),
                                            technology=a.technology, kind=a.kind))
        elif a.role == "towers":
            kwargs["towers"] = TowerLayer(path=a.path, lon=_col(a, "lon"), lat=_col(a, "lat"))
        elif a.role == "electricity":
            electricity.update(list_path=a.path, list_id=_col(a, "id"), list_name=_col(a, "name"),
                               list_commune=_col(a, "commune"),
                               list_status=_col(a, "status") or "has_power")
        elif a.role == "grid":
            electricity["grid"] = LineLayer(path=a.path)
        elif a.role == "lights":
            electricity["lights"] = RasterLayer(path=a.path)
        elif a.role == "population":
            kwargs["population_raster"] = RasterLayer(path=a.path)
    kwargs["coverage"] = tuple(coverage)
    kwargs["signal_rasters"] = tuple(signals)
    if electricity:
        kwargs["electricity"] = ElectricityLayers(**electricity)
    return RunConfig(**kwargs)


def config_from_toml(text: str | bytes, *, base_dir: Path) -> RunConfig:
    """A run config from an uploaded TOML file; relative paths resolve against ``base_dir``.

    Raises
    ------
    ConfigError
        Not valid TOML, or not a valid config.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("the config file is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the config file is not valid TOML: {exc}") from None
    return config_from_dict(data, base_dir=base_dir)

