"""Named variations of a run: the ``[[scenarios]]`` of a config.

A scenario is a table with a ``name`` (and optional ``description``) and dotted
overrides in the one grammar of :func:`gisapp.config.apply_overrides`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gisapp.config import RunConfig, apply_overrides

__all__ = ["apply_scenario", "scenario_configs"]

#: keys of a scenario table that are not overrides
_SCENARIO_META = ("name", "description")


def apply_scenario(config: RunConfig, scenario: Mapping[str, Any]) -> RunConfig:
    """The config with a scenario's dotted overrides applied (the config is not changed).

    Parameters
    ----------
    config
        The base config.
    scenario
        ``{"name": ..., "<section>.<setting>": value, "<section>.<setting>.<key>": value}``
        for the sections thresholds, power, weights, costs, propagation, siting,
        options; e.g. ``"thresholds.technologies" = ["4G"]``, ``"thresholds.dbm.4G" =
        -105``, ``"weights.preset" = "people_first"`` (applied before other weights
        overrides), ``"siting.n_sites" = 20``, ``"siting.budget_usd" = 2e6``. Nested
        tables (``{"thresholds": {"technologies": [...]}}``) are read as dotted keys.

    Returns
    -------
    RunConfig
        A new config; ``options.name`` gets `` — <scenario name>``.

    Raises
    ------
    gisapp.errors.ConfigError
        ``scenario '<name>': ...`` naming an unknown key, an unknown preset or
        technology, or a value its setting refuses.
    """
    name = str(scenario.get("name", "scenario"))
    overrides = {k: v for k, v in scenario.items() if k not in _SCENARIO_META}
    cfg = apply_overrides(config, overrides, where=f"scenario '{name}'")
    return cfg.replace(options=dataclasses.replace(cfg.options,
                                                   name=f"{config.options.name} — {name}"))


def scenario_configs(config: RunConfig) -> list[tuple[str, RunConfig]]:
    """``[("base", config), (scenario name, config with it applied), ...]`` for the
    config's ``[[scenarios]]``."""
    out = [("base", config)]
    for sc in config.scenarios:
        out.append((str(sc["name"]), apply_scenario(config, sc)))
    return out

