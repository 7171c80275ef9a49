"""Deadlines for the burn-down between surveys: the ``[tracking]`` section of a run config.

Kept below :mod:`gisapp.config` (which holds a :class:`TrackingTargets`) so that the
config can be read without the tracking package.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gisapp import schema as S
from gisapp.errors import ConfigError

__all__ = ["SERIES", "Target", "TrackingTargets"]

G = S.GapClass
_SIGNAL_GAP = (str(G.NO_POWER_NO_SIGNAL), str(G.NO_SIGNAL))
_POWER_GAP = (str(G.NO_POWER_NO_SIGNAL), str(G.NO_POWER))

#: burn-down series: each gap class, and the totals the programmes report
SERIES = {
    **{str(g): (str(g),) for g in (G.NO_POWER_NO_SIGNAL, G.NO_SIGNAL, G.NO_POWER, G.UNKNOWN)},
    "any_gap": (str(G.NO_POWER_NO_SIGNAL), str(G.NO_SIGNAL), str(G.NO_POWER)),
    "any_no_signal": _SIGNAL_GAP,
    "any_no_power": _POWER_GAP,
}


@dataclass(frozen=True)
class Target:
    """At most ``max_remaining`` villages of ``series`` left open on ``date``."""

    date: _dt.date
    series: str
    max_remaining: int


@dataclass(frozen=True)
class TrackingTargets:
    """Deadlines for the burn-down, e.g. "no village without signal after 2025-11-30".

    ``targets`` are :class:`Target` (or ``(date, series, max_remaining)`` tuples,
    converted). A series is a gap class (``no_power_no_signal``, ``no_signal``,
    ``no_power``, ``unknown``: villages in exactly that class) or a total:
    ``any_gap`` (any of the three gap classes), ``any_no_signal`` (no signal, with or
    without power: the programmes' "trắng sóng" count), ``any_no_power``.

    In a TOML config::

        [tracking]
        targets = [
            { date = 2025-08-31, series = "any_no_signal", max_remaining = 100 },
            { date = 2025-11-30, series = "any_no_signal", max_remaining = 0 },
        ]

    (``gap_class`` is accepted as another name for ``series``.)
    """

    targets: tuple[Target, ...] = ()

    def __post_init__(self) -> None:
        items = []
        for i, t in enumerate(self.targets):
            if not isinstance(t, Target):
                if isinstance(t, Mapping):
                    t = _target_from_mapping(t, i)
                else:
                    day, series, mx = t
                    t = Target(_date(day, i), str(series), int(mx))
            if t.series not in SERIES:
                raise ConfigError(
                    f"[tracking] targets[{i}]: series '{t.series}' is not one of "
                    f"{', '.join(SERIES)}")
            if t.max_remaining < 0:
                raise ConfigError(f"[tracking] targets[{i}]: max_remaining must be 0 or more")
            items.append(t)
        object.__setattr__(self, "targets", tuple(sorted(items, key=lambda t: (t.series,
                                                                                 t.date))))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "TrackingTargets":
        """From the ``[tracking]`` table of a config (``{"targets": [...]}``)."""
        unknown = sorted(set(data) - {"targets"})
        if unknown:
            raise ConfigError(f"[tracking] has unknown setting(s) {', '.join(unknown)}; "
                              "known settings are: targets")
        raw = data.get("targets", [])
        if isinstance(raw, Mapping):
            raw = [raw]
        return cls(tuple(_target_from_mapping(t, i) for i, t in enumerate(raw)))


def _date(value: Any, i: int) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"[tracking] targets[{i}]: date '{value}' is not YYYY-MM-DD") from None


def _target_from_mapping(t: Any, i: int) -> Target:
    if not isinstance(t, Mapping):
        raise ConfigError(f"[tracking] targets[{i}] must be a table with date, series, "
                          "max_remaining")
    t = dict(t)
    if "gap_class" in t and "series" not in t:
        t["series"] = t.pop("gap_class")
    unknown = sorted(set(t) - {"date", "series", "max_remaining"})
    missing = [k for k in ("date", "series", "max_remaining") if k not in t]
    if unknown or missing:
        raise ConfigError(f"[tracking] targets[{i}] needs date, series, max_remaining"
                          + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    try:
        mx = int(t["max_remaining"])
    except (TypeError, ValueError):
        raise ConfigError(f"[tracking] targets[{i}]: max_remaining must be a whole number, "
                          f"not {t['max_remaining']!r}") from None
    return Target(_date(t["date"], i), str(t["series"]), mx)
