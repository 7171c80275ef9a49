"""Named electricity rules (``[power] preset = "..."``), as plain settings of
:class:`gisapp.config.PowerRules` (this module imports nothing from gisapp, so the config
can read it).

``onsset_elecstart``
    OnSSET's "electrified today" flag (``ElecStart``), as
    ``SettlementProcessor.calibrate_grid_elec_current`` in OnSSET/onsset (``onsset.py``)
    sets it before its calibration loop: a settlement is electrified when **all** of

    * distance to the nearest medium-voltage line ``< max_mv_dist`` (km),
    * night-time lights ``> min_night_lights``,
    * calibrated population ``> min_pop``

    hold (strict comparisons). With distribution transformers in the data it uses the
    transformer distance instead, and with neither, high-voltage lines (``< 5 km``).
    OnSSET's Djibouti test data were produced with ``max_mv_dist = 2``, ``min_night_lights
    = 0`` and ``min_pop = 50`` (the function's defaults at that time; the signature at
    commit 486c260 has 3 km, 0.05 and 100): those thresholds reproduce ``ElecStart`` on
    all 1,473 settlements of that test set, so they are the preset's.
"""

from __future__ import annotations

__all__ = ["POWER_PRESETS"]

POWER_PRESETS: dict[str, dict[str, object]] = {
    "default": {},
    "onsset_elecstart": {
        "combine": "all",
        "strict": True,
        "grid_max_m": 2000.0,
        "lights_min_radiance": 0.0,
        "min_population": 50.0,
        # every village the rule does not call electrified is "no" (ElecStart = 0)
        "grid_unknown_m": 2000.0,
    },
}
