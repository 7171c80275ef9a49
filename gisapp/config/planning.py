"""Settings of investment planning: unit costs, propagation, site selection.

Frozen dataclasses with defaults and their sources, meant to hang off :class:`RunConfig`
(the lead wires them in). Every amount is in US dollars (``_usd``), every distance in
metres (``_m``) unless the name says otherwise. A default with a source names it; a
default without a public source is marked *assumption* and is a setting of the run.

Unit costs (:class:`UnitCosts`)
-------------------------------
Mobile-site items follow the open techno-economic model *pytal* (Oughton et al.,
github ``edwardoughton/pytal``, ``scripts/run.py`` @ 01a654da, ``COSTS`` dict, used in
Oughton et al. 2022, "Policy choices can help keep 4G and 5G universal broadband
affordable", *Technological Forecasting & Social Change*):

* ``tower_civil_usd`` 20,000 = tower 5,000 + civil materials 5,000 + transportation
  5,000 + installation 5,000.
* ``radio_usd`` 25,500 per site = 3 sectors × (antenna 1,500 + remote radio unit
  4,000) + fronthaul i/o 1,500 + processing 1,500 + S1/X2 i/o 1,500 + control unit
  1,500 + cooling fans 250 + power converter 250 + BBU cabinet 500 + router 2,000.
  pytal prices 4G/5G kit only; 2G/3G use the same figure (assumption).
* ``upgrade_site_usd`` 30,500 = the radio kit + installation 5,000, which is pytal's
  ``upgrade_to_4g`` structure (no tower, civil works, transport or power).
* ``microwave_bands`` by hop length: < 20 km 20,000; 20–40 km 30,000; longer 60,000
  (pytal ``microwave_small/medium/large`` and its distance bands in
  ``src/pytal/costs.py::get_backhaul_costs``).
* ``site_power_backup_usd`` 5,000 on grid-connected sites (pytal
  ``power_generator_battery_system``).
* ``opex_share_per_year`` 0.10 of capex, ``horizon_years`` 10, ``discount_rate`` 0.05
  (pytal ``GLOBAL_PARAMETERS``).

``fibre_per_km_usd`` 10,000: pytal uses 2 USD/m for rural fibre (shared ducts, aerial);
later parameter sets of the same model family use 10 USD/m for rural fibre, which fits
buried fibre in mountains better; we take 10 USD/m.

Electricity: ``grid_per_km_usd`` 7,000 per km of 33 kV medium-voltage line is OnSSET's
default (github ``OnSSET/onsset``, ``onsset/onsset.py``,
``Technology.set_default_values(mv_line_cost=7000)``), the model behind the Global
Electrification Platform. ``household_size`` 3.5 people is Vietnam's 2019 census
average. *Assumptions* (no public model checked in this session; set them per
province): solar PV 1.0 USD/W and battery 0.30 USD/Wh installed, a rural macro site
drawing about 1 kW sized as 3,000 W of PV and 24,000 Wh of battery; grid connection
125 USD per household; solar home system 400 USD per household; a community satellite
(VSAT) hotspot 3,000 USD installed plus 1,800 USD/year service.

Propagation (:class:`PropagationSettings`)
------------------------------------------
Frequencies used in Vietnam: 2G 900 MHz (GSM-900, all carriers), 3G 2,100 MHz (UMTS
band 1), 4G 1,800 MHz (LTE band 3, the main rural 4G layer). COST-231 Hata is defined
for 1,500–2,000 MHz; 3G at 2,100 MHz is a 5 % extrapolation, logged.

EIRP is that of the quantity each technology's threshold is measured on
(see :class:`gisapp.config.Thresholds`): 2G BCCH carrier 43 dBm + 15 dBi − 3 dB
feeder = 55 dBm; 3G CPICH (10 % of a 20 W carrier, 33 dBm) + 12 = 45 dBm; 4G RSRP is
per resource element (3GPP TS 36.214): 46 dBm over 1,200 subcarriers = 15.2 dBm
+ 12 = 27 dBm. These are typical macro-site figures (assumption); a ``eirp_dbm`` column
on the sites overrides them.

``nlos_loss_db`` 20 dB: extra loss where the DEM blocks the line of sight — single
knife-edge diffraction loss (ITU-R P.526) is 6 dB at grazing incidence and about
20 dB for an obstacle well into the first Fresnel zone; 20 dB is a typical hilly-terrain
figure. ``k_factor`` 4/3: effective earth radius of the standard atmosphere
(ITU-R P.453 / P.530). ``max_range_m``: 35 km for 2G (GSM timing-advance limit,
3GPP TS 45.010), 20 km for 3G/4G (upper end of Hata's 1–20 km validity).

``radius_m`` (fallback without a DEM): the distance at which the model above, with
the default EIRP, a 30 m mast, suburban terrain and the default thresholds, reaches the
threshold — 2G 12.4 km, 3G 3.5 km, 4G 2.3 km at the defaults — rounded down to
500 m: 2G 12,000 m, 3G 3,000 m, 4G 2,000 m. Test ``test_fallback_radii_match_model``
keeps the two consistent.

Siting (:class:`SitingOptions`)
-------------------------------
``radius_m`` 2,000 m (the 4G fallback radius), exact MILP up to
``max_exact_candidates`` candidates; a candidate covers a village within the radius
and, with a DEM (``coverage = "auto"`` or ``"visibility"``), in line of sight from a
mast of ``PropagationSettings.default_height_m``. ``carrier_assignment`` says how gap
villages are shared between carriers in the carrier packs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gisapp.errors import ConfigError

__all__ = ["UnitCosts", "PropagationSettings", "SitingOptions"]


@dataclass(frozen=True)
class UnitCosts:
    """Unit costs in USD for closing signal and power gaps (sources in the module doc)."""

    tower_civil_usd: float = 20_000.0
    radio_usd: Mapping[str, float] = field(
        default_factory=lambda: {"2G": 25_500.0, "3G": 25_500.0, "4G": 25_500.0, "5G": 25_500.0}
    )
    upgrade_site_usd: float = 30_500.0
    #: (longest hop in metres, cost) pairs, ascending; the last applies beyond
    microwave_bands: tuple[tuple[float, float], ...] = (
        (20_000.0, 20_000.0), (40_000.0, 30_000.0), (float("inf"), 60_000.0),
    )
    fibre_per_km_usd: float = 10_000.0
    site_power_backup_usd: float = 5_000.0
    grid_per_km_usd: float = 7_000.0
    solar_per_w_usd: float = 1.0
    battery_per_wh_usd: float = 0.30
    site_pv_w: float = 3_000.0
    site_battery_wh: float = 24_000.0
    vsat_usd: float = 3_000.0
    vsat_service_usd_per_year: float = 1_800.0
    grid_connection_per_household_usd: float = 125.0
    solar_home_system_usd: float = 400.0
    household_size: float = 3.5
    include_opex: bool = False
    opex_share_per_year: float = 0.10
    horizon_years: int = 10
    discount_rate: float = 0.05


@dataclass(frozen=True)
class PropagationSettings:
    """How coverage is modelled from tower sites (sources in the module doc)."""

    environment: Literal["urban", "suburban", "open"] = "suburban"
    city_size: Literal["small", "large"] = "small"
    freq_mhz: Mapping[str, float] = field(
        default_factory=lambda: {"2G": 900.0, "3G": 2100.0, "4G": 1800.0}
    )
    eirp_dbm: Mapping[str, float] = field(
        default_factory=lambda: {"2G": 55.0, "3G": 45.0, "4G": 27.0}
    )
    default_height_m: float = 30.0
    rx_height_m: float = 1.5
    nlos_loss_db: float = 20.0
    k_factor: float | None = 4.0 / 3.0
    max_range_m: Mapping[str, float] = field(
        default_factory=lambda: {"2G": 35_000.0, "3G": 20_000.0, "4G": 20_000.0}
    )
    radius_m: Mapping[str, float] = field(
        default_factory=lambda: {"2G": 12_000.0, "3G": 3_000.0, "4G": 2_000.0}
    )
    #: model coverage from the towers (and the DEM, if any) and add it to the run as
    #: ``kind = "modelled"`` signal rasters before planning (``gisapp plan``)
    enabled: bool = False
    #: pixel size of the modelled rasters, in the run's metric CRS
    resolution_m: float = 100.0


@dataclass(frozen=True)
class SitingOptions:
    """How new sites are chosen (maximal-coverage location problem)."""

    n_sites: int | None = 10
    budget_usd: float | None = None
    method: Literal["auto", "exact", "greedy"] = "auto"
    time_limit_s: float = 30.0
    radius_m: float = 2_000.0
    candidates: Literal["villages", "dem_peaks", "both"] = "villages"
    n_peaks: int = 200
    min_separation_m: float = 2_000.0
    #: above this many candidates "auto" uses greedy
    max_exact_candidates: int = 2_000
    technology: str = "4G"
    #: which villages a candidate covers: within ``radius_m`` ("radius"), and also in
    #: line of sight over the DEM ("visibility"); "auto" uses visibility when there is a DEM
    coverage: Literal["auto", "radius", "visibility"] = "auto"
    #: carrier for each gap village: the one with the nearest existing site ("nearest"),
    #: or greedy by distance with a quota per carrier proportional to its site count
    #: ("balanced")
    carrier_assignment: Literal["nearest", "balanced"] = "nearest"

    def __post_init__(self) -> None:
        if self.n_sites is None and self.budget_usd is None:
            raise ConfigError("[siting] needs n_sites or budget_usd (or both)")
        for name, allowed in (("method", ("auto", "exact", "greedy")),
                              ("candidates", ("villages", "dem_peaks", "both")),
                              ("coverage", ("auto", "radius", "visibility")),
                              ("carrier_assignment", ("nearest", "balanced"))):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"[siting] {name} must be one of {', '.join(allowed)}, "
                                  f"not '{value}'")
