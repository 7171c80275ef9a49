"""Reading and writing a run config, and the one grammar that changes one.

* :func:`load_config` / :func:`config_from_dict` read TOML (relative paths resolve
  against the file's folder); :func:`save_config` / :func:`config_to_dict` write it.
* :func:`apply_overrides` changes settings by dotted keys — the grammar of
  ``[[scenarios]]`` and of the app's controls: ``"thresholds.dbm.4G" = -105``,
  ``"weights.preset" = "people_first"`` (applied before the other weights),
  ``"siting.n_sites" = 20``. Presets resolve through :func:`gisapp.config.preset_weights`
  here and in the ``[weights] preset`` of a file.

Every value is checked when its dataclass is built (``__post_init__``), so no path
builds an invalid :class:`RunConfig`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gisapp.config.planning import PropagationSettings, SitingOptions, UnitCosts
from gisapp.config.run import (
    ComplaintLayer, CoverageLayer, ElectricityLayers, LineLayer, MeasurementLayer,
    MeasurementRules, PointLayer, PowerRules,
    RasterLayer, RunConfig, RunOptions, SignalRaster, Thresholds, TowerLayer, VillagesLayer,
    PRESETS, Weights,
)
from gisapp.config.tracking import TrackingTargets
from gisapp.errors import ConfigError

__all__ = ["load_config", "save_config", "config_from_dict", "config_to_dict", "apply_overrides",
           "OVERRIDE_SECTIONS"]

#: config sections that overrides may change (settings, not layers)
OVERRIDE_SECTIONS = ("thresholds", "power", "weights", "costs", "propagation", "siting", "options",
                     "measurement_rules")

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
    "measurement_rules": MeasurementRules,
    "complaints": ComplaintLayer,
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
            if name in PRESETS and isinstance(section, Mapping) and "preset" in section:
                base = dataclasses.asdict(PRESETS[name](section["preset"]))
                base.update({k: v for k, v in section.items() if k != "preset"})
                section = base
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
    return RunConfig(**kwargs)


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


# --- overrides -----------------------------------------------------------------


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"thresholds": {"dbm": {...}}}`` → ``{"thresholds.dbm": {...}}`` (one level)."""
    out: dict[str, Any] = {}
    for k, val in d.items():
        key = f"{prefix}{k}"
        if isinstance(val, Mapping) and key.count(".") == 0:
            out.update(_flatten(val, key + "."))
        else:
            out[key] = val
    return out


def _override(current: Any, parts: list[str], value: Any, key: str, where: str) -> Any:
    """The new value of ``<section>.<name>`` (or of one key of a mapping setting)."""
    if len(parts) == 2:
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            return {**current, **value}
        return _tuplify(value)
    if len(parts) == 3 and isinstance(current, Mapping):
        return {**current, parts[2]: _tuplify(value)}
    raise ConfigError(f"{where}: unknown setting '{key}'; {parts[0]}.{parts[1]} has no "
                      "sub-settings")


def apply_overrides(config: RunConfig, overrides: Mapping[str, Any], *,
                    where: str = "overrides") -> RunConfig:
    """The config with dotted overrides applied (the config itself is not changed).

    Parameters
    ----------
    config
        The base config.
    overrides
        ``{"<section>.<setting>": value, "<section>.<setting>.<key>": value}`` for the
        sections of :data:`OVERRIDE_SECTIONS`; nested tables
        (``{"thresholds": {"technologies": [...]}}``) read as dotted keys. A mapping
        setting given a mapping is merged (``"thresholds.dbm" = {"4G" = -105}`` keeps
        the other technologies). ``"weights.preset"`` (``"power.preset"``) replaces the
        weights (the electricity rule) by the preset's before that section's other
        overrides apply.
    where
        Names the source in messages (e.g. ``"scenario '4G only'"``).

    Raises
    ------
    ConfigError
        An unknown key or preset, or a value its setting refuses; the message starts
        with ``where`` and names the key.
    """
    flat = _flatten(overrides)
    known = ", ".join(f"{s}.*" for s in OVERRIDE_SECTIONS)
    sections: dict[str, Any] = {s: getattr(config, s) for s in OVERRIDE_SECTIONS}
    for sec, resolve in PRESETS.items():
        preset = flat.pop(f"{sec}.preset", None)
        if preset is not None:
            sections[sec] = resolve(str(preset), where=f"{where}: {sec}.preset")
    changes: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        sec = parts[0]
        if sec not in sections or len(parts) < 2:
            raise ConfigError(f"{where}: unknown setting '{key}'; settings are "
                              f"<section>.<name> with section one of {known}")
        obj = sections[sec]
        fields = [f.name for f in dataclasses.fields(obj)]
        if parts[1] not in fields:
            raise ConfigError(f"{where}: unknown setting '{key}'; [{sec}] has "
                              f"{', '.join(fields)}")
        current = changes.get(sec, {}).get(parts[1], getattr(obj, parts[1]))
        changes.setdefault(sec, {})[parts[1]] = _override(current, parts, value, key, where)
    try:
        for sec, ch in changes.items():
            sections[sec] = dataclasses.replace(sections[sec], **ch)
        return config.replace(**sections)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
