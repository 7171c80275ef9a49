"""The run configuration: one file that describes a run completely.

A :class:`RunConfig` is a tree of frozen dataclasses, loaded from and saved to TOML
(:func:`load_config`, :func:`save_config`). Relative paths in the file are resolved
against the file's folder, so a config and its data can be moved together.

Defaults and their sources
--------------------------
Signal thresholds (:class:`Thresholds`), per technology, in dBm of the quantity the
carriers measure for that technology (2G RxLev, 3G RSCP, 4G RSRP, 5G SS-RSRP):

* 2G −100 dBm, 3G −100 dBm, 4G −110 dBm, 5G −110 dBm — the "usable outdoor signal"
  edges used in operator drive-test practice and in the ITU/GSMA coverage
  methodologies (e.g. the ITU *Mobile network capacity checker* uses −110 dBm for 4G
  RSRP; Ofcom's Connected Nations reports use −105 dBm for "good" 4G outdoors, a
  stricter choice the user can set). They are thresholds of the run, saved with it.
* ``pocket_share`` 0.2: a village whose centre is served is a *pocket* (lõm sóng) when
  at least 20 % of its people are not; Vietnam's programmes define lõm sóng as "parts of
  the inhabited area not served", without a fixed share, so this is a setting.

Electricity (:class:`PowerRules`): a declared list wins; otherwise a village is
``yes`` within ``grid_max_m`` = 1,000 m of a medium-voltage line (the connection
distance used by OnSSET / the Global Electrification Platform for "grid-connected
today", and gridfinder's validation) or with night lights above
``lights_min_radiance`` = 0.3 nW/cm²/sr (VIIRS background noise floor used by
gridfinder, Arderne et al. 2020); beyond ``grid_unknown_m`` = 5,000 m with no lights it
is ``no``; in between, ``unknown``.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gisapp.errors import ConfigError
from gisapp.planning_config import PropagationSettings, SitingOptions, UnitCosts
from gisapp.schema import KINDS, TECHNOLOGIES
from gisapp.targets import TrackingTargets

__all__ = [
    "VillagesLayer", "CoverageLayer", "SignalRaster", "MeasurementLayer", "TowerLayer",
    "ElectricityLayers", "PointLayer", "LineLayer", "RasterLayer", "Thresholds", "PowerRules",
    "Weights", "WEIGHT_PRESETS", "RunOptions", "RunConfig", "load_config", "save_config",
    "config_from_dict", "config_to_dict",
]

Kind = Literal["measured", "declared", "modelled"]


@dataclass(frozen=True)
class VillagesLayer:
    """The village (or any area unit) layer: polygons or points.

    ``lon``/``lat`` name the coordinate columns of a CSV/XLSX; ``crs`` overrides or
    supplies the CRS (e.g. ``"EPSG:3405"`` for VN-2000 / UTM 48N); ``encoding`` forces
    an attribute encoding (e.g. ``"cp1258"``) for a Shapefile without ``.cpg``.
    """

    path: Path
    layer: str | None = None
    id: str | None = None            # None → row number (1-based)
    name: str | None = None
    commune: str | None = None
    province: str | None = None
    population: str | None = None    # attribute with people per village
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class CoverageLayer:
    """Coverage polygons of one carrier × technology (as published in service maps)."""

    path: Path
    carrier: str
    technology: str
    layer: str | None = None
    kind: Kind = "declared"
    date: str | None = None
    crs: str | None = None
    #: keep only the features whose column ``filter_column`` equals ``filter_value``
    #: (one file holding several carriers' or technologies' polygons)
    filter_column: str | None = None
    filter_value: str | None = None


@dataclass(frozen=True)
class SignalRaster:
    """Signal strength in dBm per pixel for one carrier × technology."""

    path: Path
    carrier: str
    technology: str
    kind: Kind = "measured"
    date: str | None = None
    threshold_dbm: float | None = None   # None → Thresholds.dbm[technology]


@dataclass(frozen=True)
class MeasurementLayer:
    """Point measurements (drive tests, speed-test apps)."""

    path: Path
    carrier: str = "carrier"          # column names
    technology: str = "technology"
    signal: str = "signal_dbm"
    layer: str | None = None
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    radius_m: float = 500.0           # a measurement speaks for this far around it
    date: str | None = None


@dataclass(frozen=True)
class TowerLayer:
    """Existing tower sites (points) with their carrier and technology columns.

    With ``model`` set, ``gisapp run`` also models their coverage over ``dem`` (see
    :mod:`gisapp.pipeline.towers`); ``radials``, ``receiver_step`` and
    ``profile_spacing_m`` set the ITM radial profiles.
    """

    path: Path
    carrier: str = "carrier"
    technology: str = "technology"
    height_m: str | None = "height_m"
    layer: str | None = None
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    mcc_mnc: str | None = None        # a column "452-04", or None
    mcc: str | None = None            # or separate MCC and MNC columns (OpenCelliD)
    mnc: str | None = None
    #: modelled coverage in ``gisapp run`` (issue 16): "itm" | "hata" | "radius", or None
    model: str | None = None
    dem: Path | None = None           # GeoTIFF or folder of SRTM/Copernicus tiles ([dem] if None)
    complete: bool = False            # the list holds every tower: beyond reach = no signal
    format: str = "table"             # or "opencellid" (cells grouped into sites)
    eirp_dbm: str | None = None       # optional columns
    freq_mhz: str | None = None
    backup_power: str | None = None
    name: str | None = None           # column naming each tower in messages
    radials: int = 72
    receiver_step: int = 6
    profile_spacing_m: float = 90.0


@dataclass(frozen=True)
class PointLayer:
    """Points such as public facilities or fibre access points."""

    path: Path
    layer: str | None = None
    type: str | None = None           # column with the facility type
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class LineLayer:
    """Lines such as medium-voltage grid or fibre routes."""

    path: Path
    layer: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class RasterLayer:
    """A raster input (population, night-time lights, DEM)."""

    path: Path
    date: str | None = None


@dataclass(frozen=True)
class ElectricityLayers:
    """Electricity evidence. ``list_*`` describe a declared list (CSV/XLSX/any table).

    The list is joined by ``list_id`` (matching the village id) when given, otherwise
    by Vietnamese name (``list_name``) within the commune (``list_commune``).
    ``list_status`` holds yes/no values (also "có"/"không", 1/0, true/false).
    """

    list_path: Path | None = None
    list_sheet: str | None = None
    list_id: str | None = None
    list_name: str | None = None
    list_commune: str | None = None
    list_status: str = "has_power"
    list_date: str | None = None
    grid: LineLayer | None = None
    lights: RasterLayer | None = None


@dataclass(frozen=True)
class Thresholds:
    """Signal thresholds in dBm per technology, and the pocket share (see module doc)."""

    dbm: Mapping[str, float] = field(
        default_factory=lambda: {"2G": -100.0, "3G": -100.0, "4G": -110.0, "5G": -110.0}
    )
    pocket_share: float = 0.2
    #: count pockets (lõm sóng) as signal gaps in the gap class; by default only
    #: trắng sóng villages are (the national counts of "no-signal villages" are those)
    pocket_is_gap: bool = False
    #: technologies that count as "signal" for the signal class (all by default)
    technologies: tuple[str, ...] = TECHNOLOGIES
    fibre_reach_m: float = 2000.0


@dataclass(frozen=True)
class PowerRules:
    """How electricity status is decided when there is no declared list."""

    grid_max_m: float = 1000.0
    grid_unknown_m: float = 5000.0
    lights_min_radiance: float = 0.3


@dataclass(frozen=True)
class Weights:
    """Weights of the priority score; each part is scaled to [0, 1] before weighting."""

    population: float = 0.4
    dist_grid: float = 0.2
    dist_site: float = 0.2
    facilities: float = 0.2
    #: gap classes ranked, and a multiplier per class (both gaps first)
    class_factor: Mapping[str, float] = field(
        default_factory=lambda: {"no_power_no_signal": 1.0, "no_signal": 0.8, "no_power": 0.6}
    )
    #: tier cut-offs on the rank among gap villages: top 20 % high, next 30 % medium
    tier_high: float = 0.2
    tier_medium: float = 0.5


WEIGHT_PRESETS: dict[str, Weights] = {
    "balanced": Weights(),
    "people_first": Weights(population=0.7, dist_grid=0.1, dist_site=0.1, facilities=0.1),
    "remote_first": Weights(population=0.2, dist_grid=0.35, dist_site=0.35, facilities=0.1),
    "services_first": Weights(population=0.3, dist_grid=0.1, dist_site=0.1, facilities=0.5),
}


@dataclass(frozen=True)
class RunOptions:
    """How the run treats its inputs."""

    name: str = "gisapp run"
    #: metric CRS for areas and distances; "auto" → UTM zone of the villages
    crs: str = "auto"
    #: "repair" (make_valid, counted in the report) or "refuse" invalid geometries
    invalid_geometry: Literal["repair", "refuse"] = "repair"
    engine: Literal["local", "dask"] = "local"
    max_file_mb: float = 2048.0
    synthetic: bool = False          # the demo sets this; outputs are labelled


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs. Only ``villages`` is required."""

    villages: VillagesLayer
    options: RunOptions = field(default_factory=RunOptions)
    population_raster: RasterLayer | None = None
    coverage: tuple[CoverageLayer, ...] = ()
    signal_rasters: tuple[SignalRaster, ...] = ()
    measurements: tuple[MeasurementLayer, ...] = ()
    towers: TowerLayer | None = None
    electricity: ElectricityLayers = field(default_factory=ElectricityLayers)
    fibre: LineLayer | PointLayer | None = None
    facilities: PointLayer | None = None
    dem: RasterLayer | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    power: PowerRules = field(default_factory=PowerRules)
    weights: Weights = field(default_factory=Weights)
    #: planning (issue 5): unit costs, modelled coverage, new-site selection
    costs: UnitCosts = field(default_factory=UnitCosts)
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    siting: SitingOptions = field(default_factory=SitingOptions)
    #: named variations of this run: each a table with ``name`` and dotted overrides,
    #: e.g. ``{name = "4G only", "thresholds.technologies" = ["4G"]}``
    scenarios: tuple[Mapping[str, Any], ...] = ()
    #: deadlines for the burn-down between snapshots (issue 6)
    tracking: TrackingTargets = field(default_factory=TrackingTargets)
    #: the folder relative paths were resolved against (not saved)
    base_dir: Path | None = field(default=None, compare=False)

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (dataclasses are frozen)."""
        return dataclasses.replace(self, **changes)

    def input_paths(self) -> list[Path]:
        """Every file the run reads, for the manifest's hashes."""
        paths: list[Path] = []

        def walk(obj: Any) -> None:
            if isinstance(obj, Path):
                paths.append(obj)
            elif dataclasses.is_dataclass(obj):
                for f in dataclasses.fields(obj):
                    if f.name != "base_dir":
                        walk(getattr(obj, f.name))
            elif isinstance(obj, tuple):
                for x in obj:
                    walk(x)

        walk(self)
        return paths


# --- TOML ----------------------------------------------------------------------

_SECTIONS: dict[str, type] = {
    "villages": VillagesLayer,
    "options": RunOptions,
    "population_raster": RasterLayer,
    "towers": TowerLayer,
    "facilities": PointLayer,
    "dem": RasterLayer,
    "thresholds": Thresholds,
    "power": PowerRules,
    "weights": Weights,
    "costs": UnitCosts,
    "propagation": PropagationSettings,
    "siting": SitingOptions,
}
_LISTS: dict[str, type] = {
    "coverage": CoverageLayer,
    "signal_rasters": SignalRaster,
    "measurements": MeasurementLayer,
}


def _build(cls: type, data: Mapping[str, Any], where: str, base: Path | None) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"[{where}] must be a table of settings, not {type(data).__name__}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names) - {"preset"})
    if unknown:
        raise ConfigError(
            f"[{where}] has unknown setting(s) {', '.join(unknown)}; "
            f"known settings are: {', '.join(n for n in names if n != 'base_dir')}"
        )
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "preset":
            continue
        f = names[key]
        ftype = str(f.type)
        if key in ("grid", "lights") and cls is ElectricityLayers:
            sub = LineLayer if key == "grid" else RasterLayer
            value = _build(sub, value, f"{where}.{key}", base)
        elif "Path" in ftype and value is not None:
            value = _resolve(value, base)
        elif isinstance(value, list):
            value = _tuplify(value)
        kwargs[key] = value
    missing = [
        n for n, f in names.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        and n not in kwargs
    ]
    if missing:
        raise ConfigError(f"[{where}] needs {', '.join(missing)}")
    try:
        obj = cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - guarded by the checks above
        raise ConfigError(f"[{where}]: {exc}") from exc
    return obj


def _tuplify(value: Any) -> Any:
    """TOML arrays → tuples (frozen dataclasses hold tuples), recursively."""
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


def _resolve(value: Any, base: Path | None) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def config_from_dict(data: Mapping[str, Any], *, base_dir: Path | None = None) -> RunConfig:
    """Build a :class:`RunConfig` from a dict as read from TOML.

    Raises
    ------
    ConfigError
        On unknown sections or settings, missing required ones, or bad values.
    """
    data = dict(data)
    known = set(_SECTIONS) | set(_LISTS) | {"electricity", "fibre", "scenarios", "tracking"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"unknown section(s) {', '.join(unknown)}; known sections: {', '.join(sorted(known))}"
        )
    if "villages" not in data:
        raise ConfigError("the config needs a [villages] section with the path of the village layer")
    kwargs: dict[str, Any] = {"base_dir": base_dir}
    for name, cls in _SECTIONS.items():
        if name in data:
            section = data[name]
            if name == "weights" and isinstance(section, Mapping) and "preset" in section:
                preset = section["preset"]
                if preset not in WEIGHT_PRESETS:
                    raise ConfigError(
                        f"[weights] preset '{preset}' is unknown; choose one of "
                        f"{', '.join(WEIGHT_PRESETS)}"
                    )
                base_w = dataclasses.asdict(WEIGHT_PRESETS[preset])
                base_w.update({k: v for k, v in section.items() if k != "preset"})
                section = base_w
            kwargs[name] = _build(cls, section, name, base_dir)
    for name, cls in _LISTS.items():
        if name in data:
            items = data[name]
            if isinstance(items, Mapping):
                items = [items]
            kwargs[name] = tuple(
                _build(cls, item, f"{name}[{i}]", base_dir) for i, item in enumerate(items)
            )
    if "electricity" in data:
        kwargs["electricity"] = _build(ElectricityLayers, data["electricity"], "electricity", base_dir)
    if "tracking" in data:
        kwargs["tracking"] = TrackingTargets.from_mapping(data["tracking"])
    if "scenarios" in data:
        items = data["scenarios"]
        if isinstance(items, Mapping):
            items = [items]
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or not item.get("name"):
                raise ConfigError(f"[[scenarios]] entry {i + 1} needs a name")
        kwargs["scenarios"] = tuple(dict(item) for item in items)
    if "fibre" in data:
        sec = data["fibre"]
        cls = PointLayer if isinstance(sec, Mapping) and ("lon" in sec or "type" in sec) else LineLayer
        kwargs["fibre"] = _build(cls, sec, "fibre", base_dir)
    cfg = RunConfig(**kwargs)
    _validate(cfg)
    return cfg


def _validate(cfg: RunConfig) -> None:
    th = cfg.thresholds
    for tech in th.dbm:
        if tech not in TECHNOLOGIES:
            raise ConfigError(
                f"[thresholds] dbm has technology '{tech}'; use one of {', '.join(TECHNOLOGIES)}"
            )
    if not 0.0 <= th.pocket_share <= 1.0:
        raise ConfigError(f"[thresholds] pocket_share must be between 0 and 1, not {th.pocket_share}")
    for layer in (*cfg.coverage, *cfg.signal_rasters):
        if layer.technology not in TECHNOLOGIES:
            raise ConfigError(
                f"coverage layer {layer.path}: technology '{layer.technology}' is not one of "
                f"{', '.join(TECHNOLOGIES)}"
            )
        if layer.kind not in KINDS:
            raise ConfigError(
                f"coverage layer {layer.path}: kind '{layer.kind}' is not one of {', '.join(KINDS)}"
            )
    w = cfg.weights
    for name in ("population", "dist_grid", "dist_site", "facilities"):
        if getattr(w, name) < 0:
            raise ConfigError(f"[weights] {name} must not be negative")
    if cfg.options.invalid_geometry not in ("repair", "refuse"):
        raise ConfigError("[options] invalid_geometry must be 'repair' or 'refuse'")
    if cfg.options.engine not in ("local", "dask"):
        raise ConfigError("[options] engine must be 'local' or 'dask'")


def load_config(path: str | Path) -> RunConfig:
    """Read a TOML run config. Relative paths resolve against the file's folder."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file '{path}' is not valid TOML: {exc}") from None
    return config_from_dict(data, base_dir=path.resolve().parent)


def config_to_dict(cfg: RunConfig, *, relative_to: Path | None = None) -> dict[str, Any]:
    """The config as plain data for TOML (None values dropped, paths as strings)."""

    def conv(obj: Any) -> Any:
        if isinstance(obj, Path):
            if relative_to is not None:
                try:
                    return obj.resolve().relative_to(relative_to.resolve()).as_posix()
                except ValueError:
                    pass
            return str(obj)
        if dataclasses.is_dataclass(obj):
            out = {}
            for f in dataclasses.fields(obj):
                if f.name == "base_dir":
                    continue
                v = conv(getattr(obj, f.name))
                if v is not None and v != [] and v != {}:
                    out[f.name] = v
            return out
        if isinstance(obj, tuple):
            return [conv(x) for x in obj]
        if isinstance(obj, Mapping):
            return {str(k): conv(v) for k, v in obj.items()}
        return obj

    return conv(cfg)


def save_config(cfg: RunConfig, path: str | Path) -> Path:
    """Write the config as TOML; paths are written relative to the file's folder when inside it."""
    import tomli_w

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = tomli_w.dumps(config_to_dict(cfg, relative_to=path.parent))
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
