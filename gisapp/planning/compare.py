"""Scenarios side by side: run, plan and compare several configs (measure once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gisapp import schema as S
from gisapp.config import (
    PowerRules, PropagationSettings, RunConfig, SitingOptions, Thresholds, UnitCosts, Weights,
    load_config,
)
from gisapp.errors import ConfigError
from gisapp.pipeline import Measured, Result, assess, measure
from gisapp.planning.plan import Plan, plan
from gisapp.planning.scenarios import scenario_configs
from gisapp.progress import Progress, no_progress

__all__ = ["Comparison", "compare"]


@dataclass
class Comparison:
    """Scenarios side by side.

    Attributes
    ----------
    table
        One row per scenario (index ``scenario``, in the order given): ``villages``,
        ``villages_<gap class>`` and ``pop_<gap class>`` for each gap class,
        ``signal_gap_villages``, ``pop_unserved``, ``cost_total_usd`` (closing every
        gap), ``sites_selected``, ``pop_served_by_sites``, ``sites_cost_usd``,
        ``siting_method``, ``siting_bound``, ``technologies``, ``measured_once`` (the
        scenario reused another's measurement).
    changes
        One row per village whose gap class differs between the first scenario and
        another: ``scenario``, ``village_id``, ``name``, ``commune``, ``pop``,
        ``gap_class_from`` (first scenario), ``gap_class_to``.
    plans
        Scenario name → :class:`Plan`.
    results
        Scenario name → :class:`gisapp.pipeline.Result`.
    """

    table: pd.DataFrame
    changes: pd.DataFrame
    plans: dict[str, Plan]
    results: dict[str, Result]


def _measure_key(cfg: RunConfig) -> RunConfig:
    """The config with every assess- and plan-level setting at its default: two configs
    with equal keys measure identically."""
    return cfg.replace(thresholds=Thresholds(), power=PowerRules(), weights=Weights(),
                       costs=UnitCosts(), propagation=PropagationSettings(),
                       siting=SitingOptions(), scenarios=(),
                       options=dataclasses.replace(cfg.options, name=""))


def _named(configs: Any) -> list[tuple[str, RunConfig]]:
    if isinstance(configs, (RunConfig, str, Path)):
        configs = [configs]
    if isinstance(configs, Mapping):
        items = [(str(k), c) for k, c in configs.items()]
    else:
        items = []
        for c in configs:
            if isinstance(c, tuple) and len(c) == 2:
                items.append((str(c[0]), c[1]))
            elif isinstance(c, (str, Path)):
                items.append((Path(c).stem, c))
            else:
                items.append((c.options.name, c))
    loaded = [(n, c if isinstance(c, RunConfig) else load_config(c)) for n, c in items]
    if len(loaded) == 1 and loaded[0][1].scenarios:
        return scenario_configs(loaded[0][1])
    out, seen = [], set()
    for n, c in loaded:
        base, k = n, 2
        while n in seen:
            n, k = f"{base} ({k})", k + 1
        seen.add(n)
        out.append((n, c))
    return out


def compare(configs_or_scenarios: Any, *, progress: Progress | None = None,
            measured: Measured | None = None) -> Comparison:
    """Run, plan and compare several configs or the scenarios of one config.

    Parameters
    ----------
    configs_or_scenarios
        A config (or TOML path) with ``[[scenarios]]`` — compared as "base" and each
        scenario — or a sequence of configs / paths / ``(name, config)`` pairs, or a
        mapping name → config.
    progress
        ``progress(fraction, message)``.
    measured
        A measurement to reuse for configs that measure alike (e.g. the app's).

    Returns
    -------
    Comparison
        ``table`` (one row per scenario) and ``changes`` (villages changing gap class
        against the first scenario); see :class:`Comparison`. Configs that differ only
        in thresholds, power rules, weights or planning settings are measured once.
    """
    progress = progress or no_progress
    named = _named(configs_or_scenarios)
    if not named:
        raise ConfigError("compare needs at least one config")
    cache: list[tuple[RunConfig, Measured]] = []
    if measured is not None:
        cache.append((_measure_key(measured.config), measured))
    rows, plans, results = [], {}, {}
    n = len(named)
    for i, (name, cfg) in enumerate(named):
        key = _measure_key(cfg)
        m = next((mm for k, mm in cache if k == key), None)
        reused = m is not None
        if m is None:
            progress(i / n, f"{name}: measuring")
            m = measure(cfg, progress=lambda f, msg, i=i: progress((i + 0.6 * f) / n, f"{name}: {msg}"))
            cache.append((key, m))
        progress((i + 0.6) / n, f"{name}: assessing and planning")
        res = assess(m, cfg)
        pl = plan(res, config=cfg)
        results[name], plans[name] = res, pl
        gapc = res.villages[S.GAP_CLASS].astype(str)
        pop = pd.to_numeric(res.villages[S.POP], errors="coerce")
        row: dict[str, Any] = {"scenario": name, "villages": int(len(gapc))}
        for g in S.GapClass:
            row[f"villages_{g}"] = int((gapc == g.value).sum())
        for g in S.GapClass:
            row[f"pop_{g}"] = float(pop[gapc == g.value].sum())
        t = pl.totals
        row.update({k: t[k] for k in ("signal_gap_villages", "pop_unserved", "cost_total_usd",
                                      "sites_selected", "pop_served_by_sites", "sites_cost_usd",
                                      "siting_method", "siting_bound")})
        row["technologies"] = ", ".join(cfg.thresholds.technologies)
        row["measured_once"] = reused
        rows.append(row)
    table = pd.DataFrame(rows).set_index("scenario")
    first_name = named[0][0]
    first = results[first_name].villages
    parts = []
    for name, _ in named[1:]:
        other = results[name].villages
        a = first[S.GAP_CLASS].astype(str)
        b = other[S.GAP_CLASS].astype(str).reindex(a.index)
        diff = (a != b).to_numpy()
        parts.append(pd.DataFrame({
            "scenario": name, S.ID: first[S.ID].to_numpy(object)[diff],
            S.NAME: first[S.NAME].to_numpy(object)[diff],
            S.COMMUNE: first[S.COMMUNE].to_numpy(object)[diff],
            S.POP: pd.to_numeric(first[S.POP], errors="coerce").to_numpy(float)[diff],
            "gap_class_from": a.to_numpy(object)[diff], "gap_class_to": b.to_numpy(object)[diff],
        }))
    cols = ["scenario", S.ID, S.NAME, S.COMMUNE, S.POP, "gap_class_from", "gap_class_to"]
    changes = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols))[cols]
    changes.attrs["first"] = first_name
    progress(1.0, "compared")
    return Comparison(table=table, changes=changes, plans=plans, results=results)


