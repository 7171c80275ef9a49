"""Uploaded files → files on disk → a :class:`~gisapp.config.RunConfig` (no Streamlit here).

An upload is saved into a private temporary folder under a sanitised name, refused
when over the size limit, and a zip is extracted with
:func:`gisapp.io.archive.safe_extract` (no path outside the folder, no links, a limit
on the uncompressed size). Each file is then assigned a *role* by the planner;
:func:`config_from_assignments` turns the roles into a run config that
``gisapp run`` reproduces once saved.
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gisapp.config import (
    CoverageLayer, ElectricityLayers, LineLayer, RasterLayer, RunConfig, RunOptions, SignalRaster,
    TowerLayer, VillagesLayer, config_from_dict,
)
from gisapp.errors import ConfigError, FileTooLargeError, InputError, UnreadableFileError
from gisapp.io.archive import safe_extract

__all__ = [
    "ROLES", "VECTOR_EXT", "RASTER_EXT", "TABLE_EXT", "ACCEPTED_EXT", "Assignment",
    "check_upload_size", "save_upload", "config_from_assignments", "config_from_toml",
    "COLUMN_FIELDS", "list_layers", "preferred_layer", "preview", "guess_columns", "opencellid_kind",
    "prepare_towers", "public_message", "missing_inputs",
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
    layer: str | None = None          # layer of a multi-layer file, or sheet of a workbook


def _col(a: Assignment, key: str) -> str | None:
    value = (a.columns.get(key) or "").strip()
    return value or None


def _towers(a: Assignment) -> TowerLayer:
    """The towers layer: carrier from a carrier column, else an MCC-MNC column, else
    MCC and MNC columns (OpenCelliD's ``mcc``/``net``)."""
    extra = {k: _col(a, k) for k in ("mcc_mnc", "mcc", "mnc")}
    return TowerLayer(path=a.path, layer=a.layer, lon=_col(a, "lon"), lat=_col(a, "lat"),
                      carrier=_col(a, "carrier") or "carrier",
                      technology=_col(a, "technology") or "technology",
                      height_m=_col(a, "height_m") or "height_m", **extra)


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
            path=v.path, layer=v.layer, id=_col(v, "id"), name=_col(v, "name"), commune=_col(v, "commune"),
            population=_col(v, "population"), lon=_col(v, "lon"), lat=_col(v, "lat")),
        "options": options or RunOptions(name="uploaded files"),
    }
    coverage, signals = [], []
    electricity: dict = {}
    for a in used:
        if a.role in ("coverage", "signal"):
            if not a.carrier.strip():
                raise ConfigError(f"file '{a.path}': give the carrier of this {a.role} layer")
            if a.role == "coverage":
                coverage.append(CoverageLayer(path=a.path, layer=a.layer, carrier=a.carrier.strip(),
                                              technology=a.technology, kind=a.kind))
            else:
                signals.append(SignalRaster(path=a.path, carrier=a.carrier.strip(),
                                            technology=a.technology, kind=a.kind))
        elif a.role == "towers":
            kwargs["towers"] = _towers(a)
        elif a.role == "electricity":
            electricity.update(list_path=a.path, list_sheet=a.layer, list_id=_col(a, "id"), list_name=_col(a, "name"),
                               list_commune=_col(a, "commune"),
                               list_status=_col(a, "status") or "has_power")
        elif a.role == "grid":
            electricity["grid"] = LineLayer(path=a.path, layer=a.layer)
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



# ------------------------------------------------------------ looking into an upload

#: the columns the planner picks per role (``mcc``/``mnc``: OpenCelliD's ``mcc``/``net``)
COLUMN_FIELDS = {
    "villages": ("id", "name", "commune", "population", "lon", "lat"),
    "electricity": ("id", "name", "commune", "status"),
    "towers": ("lon", "lat", "carrier", "technology", "mcc_mnc", "mcc", "mnc"),
}
#: common spellings of each column, English and Vietnamese (compared without diacritics,
#: lower case, spaces and dashes as "_"), best first
_GUESSES = {
    "id": ("id", "village_id", "ma_thon", "mathon", "ma_ban", "ma_to", "ma_ap", "ma", "code",
           "village_code", "ma_so", "maso"),
    "name": ("name", "village_name", "ten_thon", "tenthon", "ten_ban", "ten_ap", "ten", "thon",
             "village", "ten_thon_ban"),
    "commune": ("commune", "commune_name", "xa", "ten_xa", "tenxa", "xa_phuong", "phuong_xa",
                "xa_phuong_thi_tran", "ward", "phuong"),
    "population": ("population", "pop", "dan_so", "danso", "so_dan", "nhan_khau", "so_nhan_khau",
                   "so_nguoi", "people", "pop_total"),
    "lon": ("lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo"),
    "lat": ("lat", "latitude", "y", "vi_do", "vido"),
    "status": ("has_power", "status", "power", "electricity", "co_dien", "codien", "dien",
               "tinh_trang", "tinh_trang_dien", "electrified"),
    "carrier": ("carrier", "operator", "nha_mang", "nhamang", "mang", "network"),
    "technology": ("technology", "tech", "radio", "cong_nghe", "congnghe"),
    "mcc_mnc": ("mcc_mnc", "mccmnc", "plmn"),
    "mcc": ("mcc",),
    "mnc": ("mnc", "net"),
}
_RADIOS = {"gsm", "umts", "lte", "nr", "cdma", "nbiot"}


def _plain(name: object) -> str:
    text = unicodedata.normalize("NFD", str(name).strip().lower().replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-.]+", "_", text)


def guess_columns(columns: list[str], role: str) -> dict[str, str | None]:
    """For each column a role needs, the file's column that is most likely it (or None).

    ``["Mã thôn", "Tên thôn", "Xã", "Dân số"]`` for ``"villages"`` →
    ``{"id": "Mã thôn", "name": "Tên thôn", "commune": "Xã", "population": "Dân số", ...}``.
    A column is guessed for one field at most.
    """
    plain = {_plain(c): c for c in reversed(columns)}      # first spelling wins
    taken: set[str] = set()
    out: dict[str, str | None] = {}
    for key in COLUMN_FIELDS.get(role, ()):
        out[key] = None
        for cand in _GUESSES[key]:
            col = plain.get(cand)
            if col is not None and col not in taken:
                out[key] = col
                taken.add(col)
                break
    return out


def opencellid_kind(path: str | Path) -> str | None:
    """``"header"`` or ``"bare"`` for an OpenCelliD cell list (with or without its header
    line), else None."""
    from gisapp.io.opencellid import OPENCELLID_COLUMNS

    p = Path(path)
    if p.suffix.lower() not in (".csv", ".txt"):
        return None
    try:
        with open(p, newline="", encoding="utf-8-sig", errors="replace") as f:
            first = next(csv.reader(f), [])
    except OSError:
        return None
    names = {_plain(c) for c in first}
    if {"radio", "mcc"} <= names and names & {"net", "mnc"} and names & {"lon", "long", "lng"}:
        return "header"
    if (len(first) >= 8 and _plain(first[0]) in _RADIOS and first[1].strip().isdigit()
            and len(first) <= len(OPENCELLID_COLUMNS) + 4):
        return "bare"
    return None


def prepare_towers(path: Path, dest: str | Path) -> tuple[Path, dict[str, str]]:
    """An OpenCelliD cell list → a towers table the run reads (``carrier`` named from
    MCC-MNC with :func:`gisapp.io.opencellid.read_opencellid`, ``technology`` from
    ``radio``), written beside it; returns the new file and its column names.

    Raises
    ------
    UnreadableFileError, MissingColumnError
        Not readable as OpenCelliD.
    """
    from gisapp.io.opencellid import read_opencellid

    cells = read_opencellid(path)
    out = Path(dest) / f"{path.stem}_towers.csv"
    cols = ["carrier", "technology", "mcc_mnc", "lon", "lat"]
    cells[cols].to_csv(out, index=False)
    return out, {"carrier": "carrier", "technology": "technology", "mcc_mnc": "mcc_mnc",
                 "lon": "lon", "lat": "lat"}


def list_layers(path: str | Path) -> list[str]:
    """The layers of a GeoPackage (or other multi-layer file) or the sheets of a workbook;
    ``[]`` for a file with one layer only by nature (CSV, GeoTIFF ...).

    Raises
    ------
    UnreadableFileError
        The file cannot be opened.
    """
    p = Path(path)
    ext = p.suffix.lower()
    try:
        if ext in (".gpkg", ".geojson", ".json", ".shp"):
            import pyogrio

            return [str(name) for name, _ in pyogrio.list_layers(p)]
        if ext == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(p, read_only=True)
            try:
                return list(wb.sheetnames)
            finally:
                wb.close()
    except Exception as exc:            # the drivers raise many kinds
        raise UnreadableFileError(f"cannot open it ({exc}); check that it is a valid "
                                  f"{ext.lstrip('.').upper()} file", path=p) from None
    return []


#: the geometry a role's layer usually has (its layer is offered first)
_ROLE_GEOMETRY = {"villages": "polygon", "coverage": "polygon", "grid": "line", "towers": "point"}


def preferred_layer(path: str | Path, role: str) -> str | None:
    """The layer of a multi-layer file to offer first for ``role``: the first one whose
    geometry suits the role (polygons for villages and coverage, lines for the grid,
    points for towers), else the first layer; None for a file without layers."""
    p = Path(path)
    if p.suffix.lower() not in (".gpkg", ".geojson", ".json", ".shp"):
        layers = list_layers(p)
        return layers[0] if layers else None
    import pyogrio

    try:
        layers = [(str(n), str(g or "").lower()) for n, g in pyogrio.list_layers(p)]
    except Exception:                   # list_layers has said what is wrong
        layers = [(n, "") for n in list_layers(p)]
    want = _ROLE_GEOMETRY.get(role)
    for name, geom in layers:
        if want and want in geom:
            return name
    return layers[0][0] if layers else None


def preview(path: str | Path, *, layer: str | None = None, n: int = 5) -> pd.DataFrame | None:
    """The first ``n`` rows of a vector layer or table, without geometry (None for a raster).

    A header-less OpenCelliD file gets OpenCelliD's column names.

    Raises
    ------
    UnreadableFileError
        The file (or ``layer``) cannot be read.
    """
    p = Path(path)
    ext = p.suffix.lower()
    try:
        if ext in RASTER_EXT:
            return None
        if ext in (".csv", ".txt"):
            if opencellid_kind(p) == "bare":
                from gisapp.io.opencellid import OPENCELLID_COLUMNS

                frame = pd.read_csv(p, header=None, nrows=n)
                names = list(OPENCELLID_COLUMNS[:frame.shape[1]])
                frame.columns = names + [f"extra_{i}" for i in range(len(names), frame.shape[1])]
                return frame
            return pd.read_csv(p, nrows=n, sep=None, engine="python", encoding="utf-8-sig")
        if ext == ".xlsx":
            return pd.read_excel(p, sheet_name=layer or 0, nrows=n)
        if ext in (".parquet", ".geoparquet"):
            import pyarrow.parquet as pq

            batch = next(pq.ParquetFile(p).iter_batches(batch_size=n), None)
            frame = pd.DataFrame() if batch is None else batch.to_pandas()
            return frame.drop(columns=[c for c in ("geometry", "geom") if c in frame])
        import pyogrio

        return pd.DataFrame(pyogrio.read_dataframe(p, layer=layer, max_features=n,
                                                   read_geometry=False))
    except Exception as exc:            # the readers raise many kinds
        where = f" (layer '{layer}')" if layer else ""
        raise UnreadableFileError(f"cannot read its first rows{where}: {exc}", path=p) from None


def public_message(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each saved upload's path (a key of ``names``) replaced by the name
    the planner uploaded it as, and the private folders left out.

    ``names`` maps a saved file, or a private folder, to what to show instead (``""`` for
    a folder: a path left under it is shown by its name inside the folder).
    """
    for key in sorted(names, key=len, reverse=True):
        if names[key]:
            text = text.replace(key, names[key])
    for key in sorted(names, key=len, reverse=True):
        # a message that names the saved file by its name alone (as the Vietnamese
        # messages do) gets the uploaded name too
        base = Path(key).name
        if names[key] and base and base != names[key] and Path(key).suffix:
            text = text.replace(f"“{base}”", f"“{names[key]}”").replace(f"'{base}'", f"'{names[key]}'")
    for key in sorted(names, key=len, reverse=True):
        if not names[key]:
            text = text.replace(key.rstrip("/\\") + "/", "").replace(key.rstrip("/\\") + "\\", "")
    return text


def missing_inputs(config: RunConfig) -> list[Path]:
    """The config's input files that do not exist (for a config uploaded without them)."""
    return [p for p in config.input_paths() if not Path(p).exists()]
