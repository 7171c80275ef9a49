"""The [measurement_rules] and [complaints] sections: defaults, checks, TOML round trip."""

from __future__ import annotations

import pytest

from gisapp.config import (
    ComplaintLayer, MeasurementRules, apply_overrides, config_from_dict, load_config, save_config,
)
from gisapp.errors import ConfigError


def test_defaults_are_the_documented_ones():
    r = MeasurementRules()
    assert (r.min_samples, r.max_age_days, r.covered_share, r.dbm, r.as_of) == (10, 365.0, 0.5, None, None)


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_samples=0), r"min_samples must be at least 1, not 0"),
    (dict(max_age_days=0), r"max_age_days must be positive, not 0"),
    (dict(covered_share=0), r"covered_share must be above 0 and at most 1 \(0\.5 for a majority\), not 0"),
    (dict(covered_share=1.5), r"covered_share .* not 1\.5"),
    (dict(dbm={"6G": -100}), r"\[measurement_rules\] dbm has technology '6G'"),
])
def test_bad_rules_are_refused_naming_the_setting(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        MeasurementRules(**kwargs)


def test_sections_load_save_and_override(tmp_path):
    cfg = config_from_dict({
        "villages": {"path": "v.gpkg"},
        "measurement_rules": {"min_samples": 20, "covered_share": 0.9, "dbm": {"4G": -105},
                              "carriers": ["Reddi"]},
        "complaints": {"path": "c.csv", "lon": "x", "lat": "y"},
    }, base_dir=tmp_path)
    assert cfg.measurement_rules == MeasurementRules(min_samples=20, covered_share=0.9,
                                                     dbm={"4G": -105}, carriers=("Reddi",))
    assert cfg.complaints == ComplaintLayer(path=tmp_path / "c.csv", lon="x", lat="y")
    again = load_config(save_config(cfg, tmp_path / "saved.toml"))
    assert again.measurement_rules == cfg.measurement_rules and again.complaints == cfg.complaints
    changed = apply_overrides(cfg, {"measurement_rules.min_samples": 5})
    assert changed.measurement_rules.min_samples == 5
    with pytest.raises(ConfigError, match="unknown setting"):
        config_from_dict({"villages": {"path": "v.gpkg"}, "measurement_rules": {"min_sample": 3}})
