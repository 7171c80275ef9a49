"""The run configuration: one file that describes a run completely.

A :class:`RunConfig` is a tree of frozen dataclasses, loaded from and saved to TOML
(:func:`load_config`, :func:`save_config`). Relative paths in the file are resolved
against the file's folder, so a config and its data can be moved together.

Defaults and their sources
--------------------------
Signal thresholds (:class:`Thresholds`), per technology, in dBm of the quantity the
carriers measure for that technology (2G RxLev, 3G RSCP, 4G RSRP, 5G SS-RSRP):

* 2G −100 dBm, 3G −100 dBm, 4G −110 dBm, 5G −110 dBm — the "usable outdoor signal"
  edges used in operator drive-test practice and in the ITU/GSMA coverage
  methodologies (e.g. the ITU *Mobile network capacity checker* uses −110 dBm for 4G
  RSRP; Ofcom's Connected Nations reports use −105 dBm for "good" 4G outdoors, a
  stricter choice the user can set). They are thresholds of the run, saved with it.
* ``pocket_share`` 0.2: a village whose centre is served is a *pocket* (lõm sóng) when
  at least 20 % of its people are not; Vietnam's programmes define lõm sóng as "parts of
  the inhabited area not served", without a fixed share, so this is a setting.

Electricity (:class:`PowerRules`): a declared list wins; otherwise, by default, a
village is ``yes`` within ``grid_max_m`` = 1,000 m of a medium-voltage line **or** with
night lights of at least ``lights_min_radiance`` = 0.3 nW/cm²/sr; beyond
``grid_unknown_m`` = 5,000 m with no lights it is ``no``; in between, ``unknown``.
What the sources do, and what is this project's own choice:

* 1,000 m and 5,000 m are this project's choices (a village that close to an MV line is
  normally served from it), not values taken from a source.
* OnSSET (``calibrate_grid_elec_current`` in OnSSET/onsset) calls a settlement
  electrified today when it is **all** of: closer than 2–3 km to a medium-voltage line
  (or a transformer, or 5 km to a high-voltage line when there are no MV lines), lit at
  night (lights above 0–0.05) and above a population (50–100 people); it then adjusts
  the electrified population until the national electrification rate is met. That rule
  is the ``onsset_elecstart`` preset (:mod:`gisapp.config.power_presets`), and
  ``calibrate_to`` chooses thresholds that meet a known rate (:mod:`gisapp.analysis.calibrate`).
* 0.3 nW/cm²/sr is this project's floor for VIIRS night lights above background noise;
  gridfinder (Arderne et al. 2020) filters and thresholds night lights too, but with its
  own processing, so the number is not gridfinder's.

Measurements against declared coverage (:class:`MeasurementRules`, ``[measurement_rules]``):

* a village × carrier × technology is judged from the samples inside the village (within
  ``radius_m`` of a point village) that are at most ``max_age_days`` = 365 days old; with
  fewer than ``min_samples`` = 10 of them the evidence is *insufficient* and declared
  coverage stands. Both numbers are this project's choices: coverage-verification
  practice sizes the sample for a confidence level (Tait Communications' note on
  coverage verification tests shows 10 samples give about 50 % confidence in a 90 %
  area-reliability claim, 200 samples 99.5 %), so raise ``min_samples`` for a
  contractual test.
* the verdict is a stated majority rule, ``covered_share`` = 0.5: *covered* when at
  least half of the counted samples are at or above the technology's threshold (the
  median sample is), *not covered* otherwise; one strong outlier among 20 weak samples
  cannot paint coverage, nor one weak one erase it. Acceptance tests that ask for a
  90 % area reliability (the same Tait note) set ``covered_share = 0.9``.
* thresholds are those of ``[thresholds] dbm`` unless ``dbm`` is given here.
* a sample with a signal above −20 dBm or below −150 dBm is impossible and skipped: the
  reportable ranges of the measured quantities lie inside it (LTE RSRP −140 … −44 dBm,
  3GPP TS 36.133 §9.1.4, as Android's ``CellSignalStrengthLte.getRsrp`` documents
  −140 … −43 dBm; 2G RxLev and 3G RSCP report within −110 … −25 dBm), so a value outside
  is a unit or export error (e.g. mW, or an ASU index), not a signal.

``combine = "all"`` asks for the distance and the lights tests together (as OnSSET
does), ``min_population`` adds a population test, ``strict`` uses <, > as OnSSET writes
them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gisapp.errors import ConfigError
from gisapp.config.planning import PropagationSettings, SitingOptions, UnitCosts
from gisapp.schema import KINDS, TECHNOLOGIES
from gisapp.config.tracking import TrackingTargets

__all__ = [
    "VillagesLayer", "CoverageLayer", "SignalRaster", "MeasurementLayer", "TowerLayer",
    "MeasurementRules", "ComplaintLayer", "DBM_MIN", "DBM_MAX",
    "ElectricityLayers", "PointLayer", "LineLayer", "RasterLayer", "Thresholds", "PowerRules",
    "Weights", "WEIGHT_PRESETS", "RunOptions", "RunConfig", "preset_for", "preset_weights",
    "preset_power", "PRESETS",
]

Kind = Literal["measured", "declared", "modelled"]


def _check_layer(layer: CoverageLayer | SignalRaster) -> None:
    """A coverage or signal layer names a known technology and kind."""
    if layer.technology not in TECHNOLOGIES:
        raise ConfigError(
            f"coverage layer {layer.path}: technology '{layer.technology}' is not one of "
            f"{', '.join(TECHNOLOGIES)}",
            key="cfg_technology",
            params=dict(file=layer.path, value=layer.technology, choices=list(TECHNOLOGIES)))
    if layer.kind not in KINDS:
        raise ConfigError(
            f"coverage layer {layer.path}: kind '{layer.kind}' is not one of {', '.join(KINDS)}"
        , key="cfg_kind", params=dict(file=layer.path, value=layer.kind, choices=list(KINDS)))


@dataclass(frozen=True)
class VillagesLayer:
    """The village (or any area unit) layer: polygons or points.

    ``lon``/``lat`` name the coordinate columns of a CSV/XLSX; ``crs`` overrides or
    supplies the CRS (e.g. ``"EPSG:3405"`` for VN-2000 / UTM 48N); ``encoding`` forces
    an attribute encoding (e.g. ``"cp1258"``) for a Shapefile without ``.cpg``.
    """

    path: Path
    layer: str | None = None
    id: str | None = None            # None → row number (1-based)
    name: str | None = None
    commune: str | None = None
    province: str | None = None
    population: str | None = None    # attribute with people per village
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class CoverageLayer:
    """Coverage polygons of one carrier × technology (as published in service maps)."""

    path: Path
    carrier: str
    technology: str
    layer: str | None = None
    kind: Kind = "declared"
    date: str | None = None
    crs: str | None = None
    #: keep only the features whose column ``filter_column`` equals ``filter_value``
    #: (one file holding several carriers' or technologies' polygons)
    filter_column: str | None = None
    filter_value: str | None = None

    def __post_init__(self) -> None:
        _check_layer(self)


@dataclass(frozen=True)
class SignalRaster:
    """Signal strength in dBm per pixel for one carrier × technology."""

    path: Path
    carrier: str
    technology: str
    kind: Kind = "measured"
    date: str | None = None
    threshold_dbm: float | None = None   # None → Thresholds.dbm[technology]

    def __post_init__(self) -> None:
        _check_layer(self)


@dataclass(frozen=True)
class MeasurementLayer:
    """Point measurements (drive tests, speed-test apps)."""

    path: Path
    carrier: str = "carrier"          # column names
    technology: str = "technology"
    signal: str = "signal_dbm"
    layer: str | None = None
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    radius_m: float = 500.0           # a measurement speaks for this far around it
    date: str | None = None           # of every row when there is no ``time`` column
    time: str | None = None           # column with each sample's date/time (issue 14)
    download: str | None = None       # optional column with download speed, Mbit/s


#: a signal outside [DBM_MIN, DBM_MAX] dBm is impossible (see the module doc)
DBM_MIN, DBM_MAX = -150.0, -20.0


@dataclass(frozen=True)
class MeasurementRules:
    """How measurements judge a village × carrier × technology (see the module doc).

    ``as_of`` is the date ages are counted from (ISO ``YYYY-MM-DD``); None: the newest
    sample of the run. ``carriers`` adds carrier names a measurement may use besides the
    known operators (:data:`gisapp.carriers.MCC_MNC`) and the run's layers' carriers.
    """

    min_samples: int = 10
    max_age_days: float = 365.0
    covered_share: float = 0.5
    dbm: Mapping[str, float] | None = None      # None → [thresholds] dbm
    as_of: str | None = None
    carriers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if int(self.min_samples) < 1:
            raise ConfigError(f"[measurement_rules] min_samples must be at least 1, not "
                              f"{self.min_samples}", key="cfg_meas_min",
                              params=dict(value=self.min_samples))
        if not float(self.max_age_days) > 0:
            raise ConfigError(f"[measurement_rules] max_age_days must be positive, not "
                              f"{self.max_age_days}", key="cfg_meas_age",
                              params=dict(value=self.max_age_days))
        if not 0.0 < float(self.covered_share) <= 1.0:
            raise ConfigError(f"[measurement_rules] covered_share must be above 0 and at most "
                              f"1 (0.5 for a majority), not {self.covered_share}",
                              key="cfg_meas_share", params=dict(value=self.covered_share))
        for tech in self.dbm or {}:
            if tech not in TECHNOLOGIES:
                raise ConfigError(f"[measurement_rules] dbm has technology '{tech}'; use one of "
                                  f"{', '.join(TECHNOLOGIES)}", key="cfg_dbm_tech",
                                  params=dict(value=tech, choices=list(TECHNOLOGIES)))


@dataclass(frozen=True)
class ComplaintLayer:
    """Complaint points (time, place, carrier), counted per village and carrier."""

    path: Path
    time: str = "date"                # as data/templates/complaints.xlsx writes it
    carrier: str = "carrier"          # empty (a power complaint) or unknown: total only
    layer: str | None = None
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    radius_m: float = 500.0           # a complaint belongs to a point village this close


@dataclass(frozen=True)
class TowerLayer:
    """Existing tower sites (points) with their carrier and technology columns.

    With ``model`` set, ``gisapp run`` also models their coverage over ``dem`` (see
    :mod:`gisapp.pipeline.towers`); ``radials``, ``receiver_step`` and
    ``profile_spacing_m`` set the ITM radial profiles.
    """

    path: Path
    carrier: str = "carrier"
    technology: str = "technology"
    height_m: str | None = "height_m"
    layer: str | None = None
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None
    mcc_mnc: str | None = None        # a column "452-04", or None
    mcc: str | None = None            # or separate MCC and MNC columns (OpenCelliD)
    mnc: str | None = None
    #: modelled coverage in ``gisapp run`` (issue 16): "itm" | "hata" | "radius", or None
    model: str | None = None
    dem: Path | None = None           # GeoTIFF or folder of SRTM/Copernicus tiles ([dem] if None)
    complete: bool = False            # the list holds every tower: beyond reach = no signal
    format: str = "table"             # or "opencellid" (cells grouped into sites)
    eirp_dbm: str | None = None       # optional columns
    freq_mhz: str | None = None
    backup_power: str | None = None
    name: str | None = None           # column naming each tower in messages
    radials: int = 72
    receiver_step: int = 6
    profile_spacing_m: float = 90.0


@dataclass(frozen=True)
class PointLayer:
    """Points such as public facilities or fibre access points."""

    path: Path
    layer: str | None = None
    type: str | None = None           # column with the facility type
    lon: str | None = None
    lat: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class LineLayer:
    """Lines such as medium-voltage grid or fibre routes."""

    path: Path
    layer: str | None = None
    crs: str | None = None


@dataclass(frozen=True)
class RasterLayer:
    """A raster input (population, night-time lights, DEM)."""

    path: Path
    date: str | None = None


@dataclass(frozen=True)
class ElectricityLayers:
    """Electricity evidence. ``list_*`` describe a declared list (CSV/XLSX/any table).

    The list is joined by ``list_id`` (matching the village id) when given, otherwise
    by Vietnamese name (``list_name``) within the commune (``list_commune``).
    ``list_status`` holds yes/no values (also "có"/"không", 1/0, true/false).
    """

    list_path: Path | None = None
    list_sheet: str | None = None
    list_id: str | None = None
    list_name: str | None = None
    list_commune: str | None = None
    list_status: str = "has_power"
    list_date: str | None = None
    grid: LineLayer | None = None
    lights: RasterLayer | None = None


@dataclass(frozen=True)
class Thresholds:
    """Signal thresholds in dBm per technology, and the pocket share (see module doc)."""

    dbm: Mapping[str, float] = field(
        default_factory=lambda: {"2G": -100.0, "3G": -100.0, "4G": -110.0, "5G": -110.0}
    )
    pocket_share: float = 0.2
    #: count pockets (lõm sóng) as signal gaps in the gap class; by default only
    #: trắng sóng villages are (the national counts of "no-signal villages" are those)
    pocket_is_gap: bool = False
    #: technologies that count as "signal" for the signal class (all by default)
    technologies: tuple[str, ...] = TECHNOLOGIES
    fibre_reach_m: float = 2000.0

    def __post_init__(self) -> None:
        for tech in self.dbm:
            if tech not in TECHNOLOGIES:
                raise ConfigError(f"[thresholds] dbm has technology '{tech}'; use one of "
                                  f"{', '.join(TECHNOLOGIES)}",
                                  key="cfg_dbm_tech",
                                  params=dict(value=tech, choices=list(TECHNOLOGIES)))
        for tech in self.technologies:
            if tech not in TECHNOLOGIES:
                raise ConfigError(f"[thresholds] technologies: technology '{tech}' is not one of "
                                  f"{', '.join(TECHNOLOGIES)}",
                                  key="cfg_tech",
                                  params=dict(value=tech, choices=list(TECHNOLOGIES)))
        if not 0.0 <= self.pocket_share <= 1.0:
            raise ConfigError(
                f"[thresholds] pocket_share must be between 0 and 1, not {self.pocket_share}",
                key="cfg_pocket", params=dict(value=self.pocket_share))


@dataclass(frozen=True)
class PowerRules:
    """How electricity status is decided when there is no declared list."""

    grid_max_m: float = 1000.0
    grid_unknown_m: float = 5000.0
    lights_min_radiance: float = 0.3
    #: "any": near the grid or lit is enough; "all": near and lit (tests without a layer
    #: are left out), as OnSSET's ElecStart
    combine: Literal["any", "all"] = "any"
    #: a village needs more people than this to be electrified by the rule (0: no test)
    min_population: float = 0.0
    #: compare as OnSSET does (distance < max, lights > min, people > min) instead of ≤, ≥
    strict: bool = False
    #: share of people electrified (0-1) to calibrate the thresholds to; None: as set
    calibrate_to: float | None = None

    def __post_init__(self) -> None:
        if self.combine not in ("any", "all"):
            raise ConfigError(f"[power] combine must be 'any' or 'all', not '{self.combine}'",
                key="cfg_combine", params=dict(value=self.combine))
        if self.calibrate_to is not None and not 0.0 <= float(self.calibrate_to) <= 1.0:
            raise ConfigError(f"[power] calibrate_to is a share of people between 0 and 1 "
                              f"(0.6 for 60 %), not {self.calibrate_to}",
                              key="cfg_calibrate", params=dict(value=self.calibrate_to))


@dataclass(frozen=True)
class Weights:
    """Weights of the priority score; each part is scaled to [0, 1] before weighting."""

    population: float = 0.4
    dist_grid: float = 0.2
    dist_site: float = 0.2
    facilities: float = 0.2
    #: gap classes ranked, and a multiplier per class (both gaps first)
    class_factor: Mapping[str, float] = field(
        default_factory=lambda: {"no_power_no_signal": 1.0, "no_signal": 0.8, "no_power": 0.6}
    )
    #: tier cut-offs on the rank among gap villages: top 20 % high, next 30 % medium
    tier_high: float = 0.2
    tier_medium: float = 0.5

    def __post_init__(self) -> None:
        for name in ("population", "dist_grid", "dist_site", "facilities"):
            if getattr(self, name) < 0:
                raise ConfigError(f"[weights] {name} must not be negative",
                    key="cfg_weight_negative", params=dict(name=name))


WEIGHT_PRESETS: dict[str, Weights] = {
    "balanced": Weights(),
    "people_first": Weights(population=0.7, dist_grid=0.1, dist_site=0.1, facilities=0.1),
    "remote_first": Weights(population=0.2, dist_grid=0.35, dist_site=0.35, facilities=0.1),
    "services_first": Weights(population=0.3, dist_grid=0.1, dist_site=0.1, facilities=0.5),
}


@dataclass(frozen=True)
class RunOptions:
    """How the run treats its inputs."""

    name: str = "gisapp run"
    #: metric CRS for areas and distances; "auto" → UTM zone of the villages
    crs: str = "auto"
    #: "repair" (make_valid, counted in the report) or "refuse" invalid geometries
    invalid_geometry: Literal["repair", "refuse"] = "repair"
    engine: Literal["local", "dask"] = "local"
    max_file_mb: float = 2048.0
    synthetic: bool = False          # the demo sets this; outputs are labelled

    def __post_init__(self) -> None:
        if self.invalid_geometry not in ("repair", "refuse"):
            raise ConfigError("[options] invalid_geometry must be 'repair' or 'refuse'",
                key="cfg_invalid_geometry")
        if self.engine not in ("local", "dask"):
            raise ConfigError("[options] engine must be 'local' or 'dask'", key="cfg_engine")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs. Only ``villages`` is required."""

    villages: VillagesLayer
    options: RunOptions = field(default_factory=RunOptions)
    population_raster: RasterLayer | None = None
    coverage: tuple[CoverageLayer, ...] = ()
    signal_rasters: tuple[SignalRaster, ...] = ()
    measurements: tuple[MeasurementLayer, ...] = ()
    #: how measurements judge declared coverage, and complaint points (issue 14)
    measurement_rules: MeasurementRules = field(default_factory=MeasurementRules)
    complaints: ComplaintLayer | None = None
    towers: TowerLayer | None = None
    electricity: ElectricityLayers = field(default_factory=ElectricityLayers)
    fibre: LineLayer | PointLayer | None = None
    facilities: PointLayer | None = None
    dem: RasterLayer | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    power: PowerRules = field(default_factory=PowerRules)
    weights: Weights = field(default_factory=Weights)
    #: planning (issue 5): unit costs, modelled coverage, new-site selection
    costs: UnitCosts = field(default_factory=UnitCosts)
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    siting: SitingOptions = field(default_factory=SitingOptions)
    #: named variations of this run: each a table with ``name`` and dotted overrides,
    #: e.g. ``{name = "4G only", "thresholds.technologies" = ["4G"]}``
    scenarios: tuple[Mapping[str, Any], ...] = ()
    #: deadlines for the burn-down between snapshots (issue 6)
    tracking: TrackingTargets = field(default_factory=TrackingTargets)
    #: the folder relative paths were resolved against (not saved)
    base_dir: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # each part checks itself when built (``__post_init__``), so a replaced part is
        # checked too; here only that the parts are of the right kind
        for name, kind in (("thresholds", Thresholds), ("power", PowerRules),
                           ("weights", Weights), ("options", RunOptions), ("costs", UnitCosts),
                           ("siting", SitingOptions), ("measurement_rules", MeasurementRules)):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"[{name}] must be a {kind.__name__}, "
                                  f"not {type(getattr(self, name)).__name__}",
                                  key="cfg_type", params=dict(name=name))
        if self.siting.technology not in self.costs.radio_usd:
            raise ConfigError(f"[siting] technology '{self.siting.technology}' has no radio cost "
                              "in [costs] radio_usd; add it there or choose another technology",
                              key="cfg_siting_tech", params=dict(value=self.siting.technology))

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (dataclasses are frozen); checked like any config."""
        return dataclasses.replace(self, **changes)

    def input_paths(self) -> list[Path]:
        """Every file the run reads, for the manifest's hashes."""
        paths: list[Path] = []

        def walk(obj: Any) -> None:
            if isinstance(obj, Path):
                paths.append(obj)
            elif dataclasses.is_dataclass(obj):
                for f in dataclasses.fields(obj):
                    if f.name != "base_dir":
                        walk(getattr(obj, f.name))
            elif isinstance(obj, tuple):
                for x in obj:
                    walk(x)

        walk(self)
        return paths


def preset_weights(name: str, *, where: str = "[weights] preset") -> Weights:
    """The weights of a named preset (:data:`WEIGHT_PRESETS`).

    Raises
    ------
    ConfigError
        The preset is unknown; the message names ``where`` and the presets to choose from.
    """
    if name not in WEIGHT_PRESETS:
        raise ConfigError(f"{where} '{name}' is unknown; choose one of "
                          f"{', '.join(WEIGHT_PRESETS)}",
                          key="cfg_preset",
                          params=dict(where=where, value=name, choices=list(WEIGHT_PRESETS)))
    return WEIGHT_PRESETS[name]


def preset_power(name: str, *, where: str = "[power] preset") -> PowerRules:
    """The electricity rule of a named preset (:data:`gisapp.config.power_presets.POWER_PRESETS`).

    Raises
    ------
    ConfigError
        The preset is unknown; the message names ``where`` and the presets to choose from.
    """
    from gisapp.config.power_presets import POWER_PRESETS

    if name not in POWER_PRESETS:
        raise ConfigError(f"{where} '{name}' is unknown; choose one of {', '.join(POWER_PRESETS)}",
            key="cfg_preset", params=dict(where=where, value=name, choices=list(POWER_PRESETS)))
    return PowerRules(**POWER_PRESETS[name])


#: section → the function that resolves its ``preset`` (one rule for files and overrides)
PRESETS = {"weights": preset_weights, "power": preset_power}


def preset_for(weights: Weights) -> str | None:
    """The name of the preset equal to ``weights``, or None for custom weights."""
    return next((name for name, w in WEIGHT_PRESETS.items() if w == weights), None)
