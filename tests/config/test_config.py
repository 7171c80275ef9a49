"""The config checks itself when built, and one override grammar changes it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gisapp.config import (
    WEIGHT_PRESETS, CoverageLayer, RunConfig, RunOptions, Thresholds, UnitCosts, VillagesLayer,
    Weights,
    apply_overrides, config_from_dict, preset_for, preset_weights,
)
from gisapp.errors import ConfigError
from gisapp.planning import apply_scenario, scenario_configs


@pytest.fixture()
def cfg() -> RunConfig:
    return RunConfig(villages=VillagesLayer(path=Path("villages.gpkg")))


def test_an_invalid_replace_raises_naming_the_key(cfg):
    with pytest.raises(ConfigError, match=r"^\[thresholds\] technologies: technology '6G' is not "
                                          r"one of 2G, 3G, 4G, 5G"):
        cfg.replace(thresholds=dataclasses.replace(cfg.thresholds, technologies=("4G", "6G")))
    with pytest.raises(ConfigError, match=r"^\[thresholds\] dbm has technology '6G'; use one of"):
        dataclasses.replace(cfg.thresholds, dbm={"6G": -100.0})
    with pytest.raises(ConfigError, match=r"pocket_share must be between 0 and 1, not 1\.5"):
        cfg.replace(thresholds=Thresholds(pocket_share=1.5))
    with pytest.raises(ConfigError, match=r"^\[weights\] population must not be negative"):
        dataclasses.replace(cfg.weights, population=-0.1)
    with pytest.raises(ConfigError, match=r"^\[options\] engine must be 'local' or 'dask'"):
        dataclasses.replace(cfg.options, engine="spark")
    with pytest.raises(ConfigError, match=r"coverage layer cov\.gpkg: technology '4g' is not one of"):
        CoverageLayer(path=Path("cov.gpkg"), carrier="Viettel", technology="4g")
    with pytest.raises(ConfigError, match=r"^\[weights\] must be a Weights, not dict"):
        cfg.replace(weights={"population": 1.0})


def test_a_file_is_checked_by_the_same_rules(cfg):
    with pytest.raises(ConfigError, match=r"^\[thresholds\] dbm has technology '6G'"):
        config_from_dict({"villages": {"path": "v.gpkg"}, "thresholds": {"dbm": {"6G": -90}}})
    with pytest.raises(ConfigError, match=r"^\[weights\] preset 'fast' is unknown; choose one of "
                                          r"balanced, people_first"):
        config_from_dict({"villages": {"path": "v.gpkg"}, "weights": {"preset": "fast"}})
    with pytest.raises(ConfigError, match=r"^\[options\] invalid_geometry must be"):
        config_from_dict({"villages": {"path": "v.gpkg"}, "options": {"invalid_geometry": "drop"}})


def test_a_scenario_with_a_bad_key_names_the_scenario_and_the_key(cfg):
    with pytest.raises(ConfigError, match=r"^scenario 'strict': unknown setting 'weights\.colour'; "
                                          r"\[weights\] has population"):
        apply_scenario(cfg, {"name": "strict", "weights.colour": 1})
    with pytest.raises(ConfigError, match=r"^scenario 'strict': unknown setting 'villages\.path'"):
        apply_scenario(cfg, {"name": "strict", "villages.path": "x.gpkg"})
    with pytest.raises(ConfigError, match=r"^scenario 'strict': \[thresholds\] pocket_share must be"):
        apply_scenario(cfg, {"name": "strict", "thresholds.pocket_share": 2})
    with pytest.raises(ConfigError, match=r"^scenario 'strict': weights\.preset 'fast' is unknown"):
        apply_scenario(cfg, {"name": "strict", "weights.preset": "fast"})
    with pytest.raises(ConfigError, match=r"^scenario 'strict': unknown setting 'siting\.n_sites\.x'; "
                                          r"siting\.n_sites has no sub-settings"):
        apply_scenario(cfg, {"name": "strict", "siting.n_sites.x": 1})
    bad = cfg.replace(scenarios=({"name": "ok", "siting.n_sites": 3},
                                 {"name": "typo", "sitting.n_sites": 3}))
    with pytest.raises(ConfigError, match=r"^scenario 'typo': unknown setting 'sitting\.n_sites'"):
        scenario_configs(bad)


def test_one_preset_resolution_for_files_scenarios_and_the_app(cfg):
    from_file = config_from_dict({"villages": {"path": "v.gpkg"},
                                  "weights": {"preset": "remote_first", "facilities": 0.3}})
    from_scenario = apply_scenario(cfg, {"name": "s", "weights.preset": "remote_first",
                                         "weights.facilities": 0.3})
    assert from_file.weights == from_scenario.weights
    assert from_file.weights == dataclasses.replace(WEIGHT_PRESETS["remote_first"], facilities=0.3)
    assert preset_for(from_file.weights) is None                       # changed: custom
    for name, w in WEIGHT_PRESETS.items():
        assert preset_for(w) == name and preset_weights(name) == w
    assert preset_for(Weights()) == "balanced"


def test_overrides_merge_mappings_and_leave_the_base_unchanged(cfg):
    new = apply_overrides(cfg, {"thresholds": {"dbm": {"4G": -105}}, "siting.n_sites": 3,
                                "options.name": "x"})
    assert new.thresholds.dbm == {**cfg.thresholds.dbm, "4G": -105}
    assert new.siting.n_sites == 3 and new.options == RunOptions(name="x")
    assert cfg.thresholds.dbm["4G"] == -110 and cfg.siting.n_sites == 10
    assert apply_overrides(cfg, {"thresholds.technologies": ["4G", "3G"]}).thresholds.technologies \
        == ("4G", "3G")


def test_siting_settings_are_checked_when_built(cfg):
    with pytest.raises(ConfigError, match=r"^\[siting\] needs n_sites or budget_usd"):
        dataclasses.replace(cfg.siting, n_sites=None, budget_usd=None)
    with pytest.raises(ConfigError, match=r"^\[siting\] coverage must be one of auto, radius, "
                                          r"visibility, not 'sight'"):
        dataclasses.replace(cfg.siting, coverage="sight")
    with pytest.raises(ConfigError, match=r"^scenario 'x': \[siting\] technology '3G' has no radio "
                                          r"cost in \[costs\] radio_usd"):
        apply_scenario(cfg.replace(costs=UnitCosts(radio_usd={"4G": 1.0})),
                       {"name": "x", "siting.technology": "3G"})
