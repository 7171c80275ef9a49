"""Calibrate the electricity rule to a known share of people electrified.

OnSSET calibrates its "electrified today" flag to the national electrification rate:
it starts from thresholds on MV-line distance, night lights and population and adjusts
until the modelled electrified population matches the statistic. :func:`calibrate`
does the same for :class:`gisapp.config.PowerRules`: it keeps the rule's form
(``combine``, ``strict``) and chooses ``grid_max_m`` — and, only when the distance alone
cannot reach the target within :data:`TOLERANCE`, ``lights_min_radiance`` and
``min_population`` from a small set of candidates — so that the share of **people** in
villages the rule calls ``yes`` (declared ``yes`` included) is as close to the target
as the villages allow. The chosen thresholds are reported (:meth:`Calibration.describe`)
and written to the run manifest.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gisapp.config import PowerRules

__all__ = ["TOLERANCE", "Calibration", "calibrate", "electrified_share", "resolve"]

log = logging.getLogger(__name__)

#: the distance-only search is kept when it is this close to the target (share, 0-1)
TOLERANCE = 0.005
_POP_STEPS = (0.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


@dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` chose and how close it came."""

    rules: PowerRules
    target: float
    achieved: float
    start: PowerRules
    people: float

    def describe(self) -> dict[str, Any]:
        """Thresholds chosen, target and achieved share, for the report and manifest."""
        return {
            "target_share_people": round(self.target, 6),
            "achieved_share_people": round(self.achieved, 6),
            "error_points": round(100.0 * (self.achieved - self.target), 3),
            "combine": self.rules.combine,
            "strict": bool(self.rules.strict),
            "grid_max_m": self.rules.grid_max_m,
            "lights_min_radiance": self.rules.lights_min_radiance,
            "min_population": self.rules.min_population,
            "start": {"grid_max_m": self.start.grid_max_m,
                      "lights_min_radiance": self.start.lights_min_radiance,
                      "min_population": self.start.min_population},
            "people_counted": round(self.people, 1),
        }


def _arrays(dist, lights, population, declared, n=None):
    def num(x):
        if x is None:
            return np.full(n, np.nan)
        return pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
    n = len(population)
    dec = (np.full(n, "unknown", dtype=object) if declared is None
           else pd.Series(declared).astype(object).fillna("unknown").to_numpy(dtype=object))
    return num(dist), num(lights), num(population), dec


def electrified_share(rules: PowerRules, *, dist_grid_m=None, lights=None, population,
                      declared=None) -> float:
    """Share of people (villages with a known population) the rule calls ``yes``."""
    from gisapp.analysis.power import power_status

    idx = pd.RangeIndex(len(population))
    out = power_status(idx, declared=None if declared is None else pd.Series(declared, index=idx),
                       dist_grid_m=None if dist_grid_m is None else pd.Series(dist_grid_m, index=idx),
                       lights=None if lights is None else pd.Series(lights, index=idx),
                       population=pd.Series(population, index=idx), rules=rules)
    p = pd.to_numeric(pd.Series(population, index=idx), errors="coerce").to_numpy(float)
    ok = np.isfinite(p)
    total = p[ok].sum()
    yes = (out["power_status"].to_numpy(dtype=object) == "yes") & ok
    return float(p[yes].sum() / total) if total > 0 else float("nan")


def _best_distance(d, p, fixed_yes, movable, target, total, strict):
    """Distance threshold whose share is closest to ``target``: (threshold, share)."""
    cand = movable & np.isfinite(d)
    order = np.argsort(d[cand], kind="stable")
    dd, pp = d[cand][order], p[cand][order]
    base = p[fixed_yes].sum()
    # group equal distances: a threshold takes all of them or none
    uniq, first = np.unique(dd, return_index=True)
    cum = np.concatenate([[0.0], np.cumsum(pp)])
    shares = (base + cum[np.append(first, len(dd))]) / total    # k = how many groups in
    k = int(np.argmin(np.abs(shares - target)))
    if k == 0:
        thr = float(np.floor(uniq[0])) - 1.0 if len(uniq) else 0.0      # below every village
    elif k == len(uniq):
        thr = float(np.ceil(uniq[-1])) + 1.0                              # beyond every one
    else:                       # between two groups: the roundest number strictly between
        lo, hi = float(uniq[k - 1]), float(uniq[k])
        mid = (lo + hi) / 2.0
        thr = next((r for r in (round(mid, nd) for nd in (-2, -1, 0, 1, 3)) if lo < r < hi), mid)
    return float(thr), float(shares[k])


def _search(rules, d, li, p, dec, target, lights_opts, pop_opts, use_li):
    ok = np.isfinite(p) & (p > 0)
    total = p[ok].sum()
    declared_yes = ok & (dec == "yes")
    free = ok & ~np.isin(dec, ["yes", "no"])
    best = None
    for lm in lights_opts:
        for mp in pop_opts:
            r = dataclasses.replace(rules, lights_min_radiance=float(lm), min_population=float(mp))
            with np.errstate(invalid="ignore"):
                lit = (li > lm) if r.strict else (li >= lm)
                pop_ok = np.ones(len(p), bool) if mp <= 0 else ((p > mp) if r.strict else (p >= mp))
            lit = lit & np.isfinite(li) if use_li else np.ones(len(p), bool)
            if rules.combine == "all":
                fixed = declared_yes
                movable = free & lit & pop_ok
            else:
                fixed = declared_yes | (free & lit & pop_ok & use_li)
                movable = free & pop_ok & ~(lit & use_li)
            thr, share = _best_distance(d, p, fixed, movable, target, total, r.strict)
            err = abs(share - target)
            changed = (lm != rules.lights_min_radiance) + (mp != rules.min_population)
            key = (round(err, 9), changed)
            if best is None or key < best[0]:
                best = (key, dataclasses.replace(r, grid_max_m=thr,
                                                 grid_unknown_m=max(rules.grid_unknown_m, thr)
                                                 if rules.combine == "any" else thr))
    return best[1]


def calibrate(rules: PowerRules, *, target: float, dist_grid_m=None, lights=None, population,
              declared=None) -> Calibration:
    """Thresholds of ``rules`` chosen so the share of people electrified meets ``target``.

    Parameters
    ----------
    rules
        The rule to calibrate (its form and starting thresholds).
    target
        Share of people electrified, 0-1 (e.g. the national or provincial rate).
    dist_grid_m, lights, population, declared
        Per village, aligned (see :func:`gisapp.analysis.power.power_status`).
        Villages without a known population do not count.

    Returns
    -------
    Calibration
        The rules with the chosen thresholds and the share they reach.
    """
    if dist_grid_m is None:
        raise ValueError("calibration needs a grid layer: it chooses the grid distance")
    d, li, p, dec = _arrays(dist_grid_m, lights, population, declared)
    use_li = lights is not None
    first = _search(rules, d, li, p, dec, target, [rules.lights_min_radiance],
                    [rules.min_population], use_li)
    share = electrified_share(first, dist_grid_m=d, lights=li if use_li else None,
                              population=p, declared=dec)
    chosen = first
    if not abs(share - target) <= TOLERANCE:
        fin = li[np.isfinite(li)]
        lights_opts = sorted({rules.lights_min_radiance, 0.0,
                              *np.round(np.quantile(fin, np.linspace(0.05, 0.95, 19)), 3)}
                             ) if use_li and len(fin) else [rules.lights_min_radiance]
        pop_opts = sorted({rules.min_population, *_POP_STEPS})
        chosen = _search(rules, d, li, p, dec, target, lights_opts, pop_opts, use_li)
        share = electrified_share(chosen, dist_grid_m=d, lights=li if use_li else None,
                                  population=p, declared=dec)
    ok = np.isfinite(p)
    cal = Calibration(rules=dataclasses.replace(chosen, calibrate_to=None), target=float(target),
                      achieved=share, start=rules, people=float(p[ok].sum()))
    log.info("power rule calibrated to %.1f %% of people: %s", 100 * target, cal.describe())
    return cal


def resolve(rules: PowerRules, *, dist_grid_m=None, lights=None, population,
            declared=None) -> tuple[PowerRules, dict[str, Any] | None]:
    """The rules to apply and, when ``rules.calibrate_to`` is set, what calibration chose
    (for the manifest's ``power_calibration``)."""
    if rules.calibrate_to is None:
        return rules, None
    if dist_grid_m is None:
        log.warning("[power] calibrate_to is set but there is no grid layer; the rule's own "
                    "thresholds are used")
        return rules, {"target_share_people": float(rules.calibrate_to),
                       "skipped": "no grid layer: calibration chooses the grid distance"}
    cal = calibrate(rules, target=float(rules.calibrate_to), dist_grid_m=dist_grid_m,
                    lights=lights, population=population, declared=declared)
    return cal.rules, cal.describe()
