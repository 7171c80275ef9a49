"""The run configuration: one file that describes a run completely.

* :mod:`gisapp.config.run` — the :class:`RunConfig` tree of frozen dataclasses, each
  checked when built, and the weight presets (defaults and their sources there);
* :mod:`gisapp.config.planning` — unit costs, propagation and siting settings;
* :mod:`gisapp.config.tracking` — deadlines for the burn-down (``[tracking]``);
* :mod:`gisapp.config.loading` — TOML in and out, and :func:`apply_overrides`, the one
  grammar of dotted overrides used by scenarios and the app.
"""

from gisapp.config.loading import (
    OVERRIDE_SECTIONS, apply_overrides, config_from_dict, config_to_dict, load_config, save_config,
)
from gisapp.config.planning import PropagationSettings, SitingOptions, UnitCosts
from gisapp.config.run import (
    WEIGHT_PRESETS, CoverageLayer, ElectricityLayers, LineLayer, MeasurementLayer, PointLayer,
    PowerRules, RasterLayer, RunConfig, RunOptions, SignalRaster, Thresholds, TowerLayer,
    VillagesLayer, Weights, preset_for, preset_power, preset_weights,
)
from gisapp.config.run import DBM_MAX, DBM_MIN, ComplaintLayer, MeasurementRules
from gisapp.config.tracking import SERIES, Target, TrackingTargets

__all__ = [
    "VillagesLayer", "CoverageLayer", "SignalRaster", "MeasurementLayer", "TowerLayer",
    "ElectricityLayers", "PointLayer", "LineLayer", "RasterLayer", "Thresholds", "PowerRules",
    "Weights", "WEIGHT_PRESETS", "RunOptions", "RunConfig", "load_config", "save_config",
    "config_from_dict", "config_to_dict", "apply_overrides", "OVERRIDE_SECTIONS", "preset_for",
    "preset_weights", "preset_power", "UnitCosts", "PropagationSettings", "SitingOptions", "SERIES", "Target",
    "TrackingTargets", "MeasurementRules", "ComplaintLayer", "DBM_MIN", "DBM_MAX",
]
