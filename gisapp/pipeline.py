"""The run: read layers → normalise → measure → classify → score → summarise.

Two stages, so that the app can change thresholds and weights without re-reading or
re-joining anything:

* :func:`measure` reads every layer, normalises it (CRS, validity, encodings, names)
  and measures it on the villages once (the slow part);
* :func:`assess` turns those measurements into classes, scores, ranks and summaries
  for the thresholds and weights of a config (cheap).

:func:`run` does both. Every village read appears exactly once in the result; one the
data cannot judge is ``unknown``, with the reason in ``why``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp import __version__
from gisapp import schema as S
from gisapp.analysis import coverage as cov
from gisapp.analysis import calibrate, distances, gaps, infrastructure, power, scoring, summary, zonal
from gisapp.carriers import normalise_towers
from gisapp.config import (
    CoverageLayer, MeasurementLayer, RunConfig, SignalRaster, config_to_dict, load_config,
)
from gisapp.crs import metric_crs, to_metric
from gisapp.errors import (
    DuplicateIdError, InputError, InvalidGeometryError, NoOverlapError,
)
from gisapp.io import export
from gisapp.io.raster import open_raster
from gisapp.io.tables import read_table, require_columns
from gisapp.io.vector import read_vector
from gisapp.parallel import n_threads

__all__ = ["Progress", "RunReport", "Measured", "Result", "measure", "assess", "run", "run_to_dir"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

#: a vector layer with nothing within this distance of the villages is refused (wrong CRS?)
_OVERLAP_MARGIN_M = 50_000.0
#: display tolerance for coverage polygons sent to the map, metres
_DISPLAY_TOLERANCE_M = 50.0


def _noop(fraction: float, message: str) -> None:
    return None


@dataclass
class RunReport:
    """What the run repaired, refused, could not match or wants the user to know."""

    n_villages: int = 0
    repaired_geometries: int = 0
    missing_geometries: int = 0
    bad_population: int = 0
    warnings: list[str] = field(default_factory=list)
    unmatched_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    layers: list[dict[str, Any]] = field(default_factory=list)
    #: more for the manifest: how distances were measured, power calibration ...
    details: dict[str, Any] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)


@dataclass
class _RasterState:
    layer: SignalRaster
    key: str
    index: zonal.ZonalIndex
    dbm: np.ndarray
    pop_weights: np.ndarray | None
    centre_dbm: np.ndarray


@dataclass
class Measured:
    """Everything :func:`assess` needs, measured once per set of inputs."""

    config: RunConfig
    crs: CRS
    base: gpd.GeoDataFrame                 # metric CRS; identity, pop, area, centre
    centres: gpd.GeoSeries                 # metric CRS, one point (or None) per village
    polygon_layers: list[gaps.LayerMeasure]
    coverage_geoms: dict[str, gpd.GeoDataFrame]
    raster_layers: list[_RasterState]
    measurement_layers: list[tuple[MeasurementLayer, gpd.GeoDataFrame]]
    declared: pd.Series | None
    declared_source: str
    declared_date: str | None
    dist_grid_m: pd.Series | None
    lights: pd.Series | None
    dist_fibre_m: pd.Series | None
    dist_site_m: pd.Series | None
    site_dist_by_carrier: pd.DataFrame | None
    facilities: pd.DataFrame | None
    pop_index: zonal.ZonalIndex | None
    pop_values: np.ndarray | None
    report: RunReport
    display: dict[str, gpd.GeoDataFrame]
    input_hashes: dict[str, str]
    notes: dict[Any, str]
    seconds: float = 0.0
    _union_cache: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)
    _measure_cache: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)


@dataclass
class Result:
    """The result of a run. ``villages`` and the display layers are in EPSG:4326."""

    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    report: RunReport
    config: RunConfig
    layers: dict[str, gpd.GeoDataFrame]
    manifest: dict[str, Any]


# --------------------------------------------------------------------------- reading


def _check_columns(gdf: pd.DataFrame, wanted: dict[str, str | None], *, path: Path,
                   layer: str) -> pd.DataFrame:
    """Check the columns the config names; returns the frame with them under those names
    (a column that differs only in case is accepted and renamed)."""
    found = require_columns(gdf, list(wanted.values()), path=path, role=layer)
    renames = {actual: asked for asked, actual in found.items() if actual != asked}
    return gdf.rename(columns=renames) if renames else gdf


def _read_villages(cfg: RunConfig, report: RunReport, crs_choice: list[CRS]) -> tuple[gpd.GeoDataFrame, dict]:
    v = cfg.villages
    raw = read_vector(
        v.path, layer=v.layer, encoding=v.encoding, lon=v.lon, lat=v.lat, crs=v.crs,
        role="villages", max_mb=cfg.options.max_file_mb,
    )
    if len(raw) == 0:  # before the column check: an empty GeoJSON has no columns at all
        raise InputError(f"the village layer ({Path(v.path).name}) has no rows; nothing to "
                         "analyse. Check that this is the right file (and layer) and that it "
                         "was saved with its features", path=v.path, layer="villages")
    raw = _check_columns(raw, {"id": v.id, "name": v.name, "commune": v.commune,
                         "province": v.province, "population": v.population},
                   path=v.path, layer="villages")
    n = len(raw)
    report.n_villages = n
    raw = raw.reset_index(drop=True)
    notes: dict[Any, str] = {}

    ids = raw[v.id].astype(str).str.strip() if v.id else pd.Series(
        [f"{i + 1}" for i in range(n)], dtype="object")
    missing_id = ids.isin(["", "nan", "None", "<NA>"])
    if missing_id.any():
        rows = (np.flatnonzero(missing_id.to_numpy()) + 1)[:5].tolist()
        raise DuplicateIdError(
            f"{int(missing_id.sum())} village(s) have no id in column '{v.id}' (rows {rows}); "
            "fill them in, or remove 'id' from [villages] to number the rows instead",
            path=v.path, layer="villages",
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        examples = ids[dup].drop_duplicates().head(5).tolist()
        raise DuplicateIdError(
            f"{int(ids[dup].nunique())} village id(s) appear more than once in column '{v.id}' "
            f"(e.g. {examples}); make ids unique, or remove 'id' from [villages] to number rows",
            path=v.path, layer="villages",
        )

    base = gpd.GeoDataFrame(
        {
            S.ID: ids.to_numpy(dtype=object),
            S.NAME: (raw[v.name].astype("object") if v.name else pd.Series([None] * n, dtype="object")).to_numpy(),
            S.COMMUNE: (raw[v.commune].astype("object") if v.commune else pd.Series([None] * n, dtype="object")).to_numpy(),
            S.PROVINCE: (raw[v.province].astype("object") if v.province else pd.Series([None] * n, dtype="object")).to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    # geometry: null/empty kept as unknown; invalid repaired (counted) or refused
    geom = base.geometry
    missing = geom.isna() | geom.is_empty
    report.missing_geometries = int(missing.sum())
    for i in np.flatnonzero(missing.to_numpy()):
        notes[i] = "the village has no geometry in the input, so nothing could be measured"
    gtype = geom.geom_type.fillna("")
    polygonal = gtype.isin(["Polygon", "MultiPolygon"])
    pointlike = gtype.isin(["Point", "MultiPoint"])
    other = ~missing & ~polygonal & ~pointlike
    for i in np.flatnonzero(other.to_numpy()):
        notes[i] = f"the geometry is a {gtype.iloc[i]}, not a polygon or point, so it was not measured"
    invalid = ~missing & ~geom.is_valid
    if invalid.any():
        bad_ids = base.loc[invalid, S.ID].head(5).tolist()
        if cfg.options.invalid_geometry == "refuse":
            raise InvalidGeometryError(
                f"{int(invalid.sum())} invalid geometries (e.g. village ids {bad_ids}); repair them "
                "in a GIS, or set invalid_geometry = \"repair\" under [options]",
                path=v.path, layer="villages",
            )
        fixed = shapely.make_valid(geom[invalid].to_numpy())
        # keep the polygonal part of a repaired polygon (make_valid can add lines)
        fixed = np.array([_polygonal_part(g) if polygonal.iloc[i] else g
                          for i, g in zip(np.flatnonzero(invalid.to_numpy()), fixed)], dtype=object)
        base.loc[invalid, "geometry"] = fixed
        report.repaired_geometries = int(invalid.sum())
        for i in np.flatnonzero(invalid.to_numpy()):
            notes[i] = "its invalid geometry was repaired (make_valid)"
        report.warn(f"villages: repaired {int(invalid.sum())} invalid geometries (e.g. {bad_ids})")
    usable = ~missing & ~other
    base.loc[~usable.to_numpy(), "geometry"] = None
    base[S.GEOMETRY_TYPE] = np.where(polygonal, "polygon", np.where(pointlike, "point", "none"))

    crs = metric_crs(base.loc[usable.to_numpy()], override=cfg.options.crs)
    crs_choice.append(crs)
    base = to_metric(base, crs)
    # multipoints become their centroid (one centre per village)
    mp = base.geom_type.eq("MultiPoint")
    if mp.any():
        base.loc[mp, "geometry"] = base.loc[mp].geometry.centroid
    base["_has_geom"] = usable.to_numpy()
    base[S.AREA_KM2] = np.where(base[S.GEOMETRY_TYPE] == "polygon", base.geometry.area / 1e6, np.nan)

    # population attribute: numbers only, negative/missing/text → unknown (counted)
    if v.population:
        pop_raw = raw[v.population]
        pop = pd.to_numeric(
            pop_raw.astype("object").map(lambda x: str(x).replace(",", "").replace(" ", "") if isinstance(x, str) else x),
            errors="coerce",
        ).astype("float64")
        bad = pop.isna() | (pop < 0) | ~np.isfinite(pop)
        if bad.any():
            report.bad_population = int(bad.sum())
            report.warn(
                f"villages: {int(bad.sum())} population value(s) in '{v.population}' are missing, "
                f"negative or not numbers (e.g. rows {(np.flatnonzero(bad.to_numpy()) + 1)[:5].tolist()}); "
                "they are counted as unknown"
            )
            for i in np.flatnonzero(bad.to_numpy()):
                notes[i] = (notes.get(i, "") + "; " if i in notes else "") + "population unknown in the input"
        base[S.POP] = pop.where(~bad).to_numpy()
        base[S.POP_SOURCE] = np.where(bad, "none", "declared")
    else:
        base[S.POP] = np.nan
        base[S.POP_SOURCE] = "none"
    return base, notes


def _polygonal_part(g: Any) -> Any:
    if g is None or g.is_empty:
        return g
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _read_layer(path: Path, *, role: str, cfg: RunConfig, crs: CRS, villages: gpd.GeoDataFrame,
                layer: str | None = None, lon: str | None = None, lat: str | None = None,
                layer_crs: str | None = None, require_overlap: bool = True,
                report: RunReport | None = None) -> gpd.GeoDataFrame:
    """Read a layer into the run's CRS. A layer far from every village is refused
    (``require_overlap``) or, for distance layers, reported as a warning."""
    gdf = read_vector(path, layer=layer, lon=lon, lat=lat, crs=layer_crs, role=role,
                      max_mb=cfg.options.max_file_mb)
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.geometry[invalid].to_numpy())
        log.info("%s: repaired %d invalid geometries", role, int(invalid.sum()))
    source = gdf
    gdf = to_metric(gdf, crs)
    if not require_overlap and report is not None and len(gdf):
        vb = villages.geometry[villages["_has_geom"]].total_bounds
        m = _OVERLAP_MARGIN_M
        if _disjoint(gdf.total_bounds, (vb[0] - m, vb[1] - m, vb[2] + m, vb[3] + m)):
            report.warn(
                f"{role} ({Path(path).name}): nothing within {m / 1000:.0f} km of the villages, "
                "so every distance to it is large; check the layer's CRS if that is not true")
    if require_overlap and len(gdf):
        vb = villages.geometry[villages["_has_geom"]].total_bounds
        lb = gdf.total_bounds
        # a tower or coverage edge just outside the villages' box is normal; a wrong CRS
        # puts a layer hundreds of km away, so only a layer this far off is refused
        m = _OVERLAP_MARGIN_M
        if _disjoint(lb, (vb[0] - m, vb[1] - m, vb[2] + m, vb[3] + m)):
            hint = ("check that both are in the same area and that each has the right CRS (set "
                    "crs = \"EPSG:...\" for the layer in the config if its .prj is wrong or missing)")
            if _looks_swapped(source, villages):
                hint = ("the coordinates look swapped (lat, lon): with x and y exchanged they "
                        "would overlap; write them as lon, lat (x = longitude), or " + hint)
            raise NoOverlapError(
                f"this layer does not overlap the villages at all (nothing within "
                f"{m / 1000:.0f} km of them); {hint}", path=path, layer=role)
    return gdf


def _read_coverage(layer: CoverageLayer, *, role: str, cfg: RunConfig, crs: CRS,
                   villages: gpd.GeoDataFrame, report: RunReport) -> gpd.GeoDataFrame:
    """A coverage layer in the run's CRS, filtered by attribute when the config says so."""
    gdf = _read_layer(layer.path, role=role, cfg=cfg, crs=crs, villages=villages,
                      layer=layer.layer, layer_crs=layer.crs)
    if layer.filter_column:
        gdf = _check_columns(gdf, {"filter_column": layer.filter_column}, path=layer.path,
                             layer=role)
        gdf = gdf[gdf[layer.filter_column].astype(str) == str(layer.filter_value)]
        if gdf.empty:
            report.warn(f"{role}: no feature has {layer.filter_column} = {layer.filter_value}")
    return gdf


def _unique_key(key: str, kind: str, used: set[str]) -> str:
    """A layer key not used yet: a second Viettel 4G layer (say, measured beside the
    declared one) becomes ``viettel_4g_measured`` instead of overwriting the first."""
    out = key
    if out in used:
        out = f"{key}_{kind}"
    n = 2
    while out in used:
        out = f"{key}_{kind}_{n}"
        n += 1
    used.add(out)
    return out


def _disjoint(a: Any, b: Any) -> bool:
    """Whether two (minx, miny, maxx, maxy) boxes do not meet."""
    return bool(a[0] > b[2] or a[2] < b[0] or a[1] > b[3] or a[3] < b[1])


def _looks_swapped(layer: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> bool:
    """A geographic layer that misses the villages but would meet them with x and y
    exchanged (lat, lon written as x, y)."""
    if layer.crs is None or not layer.crs.is_geographic or not len(layer):
        return False
    v = villages.geometry[villages["_has_geom"]]
    if not len(v):
        return False
    vb = v.to_crs(layer.crs).total_bounds
    lb = layer.total_bounds
    return _disjoint(lb, vb) and not _disjoint((lb[1], lb[0], lb[3], lb[2]), vb)


def _read_raster(path: Path, *, role: str, cfg: RunConfig,
                 villages: gpd.GeoDataFrame | None = None) -> tuple[np.ndarray, Any, Any]:
    """Band 1 as floats (NaN = nodata; float32 bands stay float32), with the checks every
    input gets: the file exists, is under ``options.max_file_mb``, is a raster and has a CRS
    (messages name the layer). With ``villages``, only the window under them is read (a
    national raster used for one province costs the province's pixels)."""
    with open_raster(path, role=role, max_mb=cfg.options.max_file_mb) as ds:
        bounds = None if villages is None else zonal.bounds_in(villages, ds.crs)
        return zonal.read_band(ds, bounds=bounds)


def _require_cells(index: zonal.ZonalIndex, *, path: Path, role: str) -> None:
    if len(index.cell) == 0:
        raise NoOverlapError(
            "this raster does not overlap any village; check its CRS and extent (the raster "
            "and the villages must cover the same area)", path=path, layer=role,
        )


def _file_hash(path: Path) -> str:
    try:
        return export.file_sha256(path)
    except OSError:
        return "unreadable"


# --------------------------------------------------------------------------- measure


def measure(config: RunConfig, *, progress: Progress | None = None) -> Measured:
    """Read every layer of the config and measure it on the villages (the slow stage).

    Parameters
    ----------
    config
        The run config.
    progress
        Called as ``progress(fraction, message)`` as the work advances.

    Returns
    -------
    Measured
        Per-layer measurements in the run's metric CRS, ready for :func:`assess`.

    Raises
    ------
    gisapp.errors.InputError
        A layer cannot be used; the message names the file and what to do.
    """
    if config.options.engine == "dask":
        from gisapp import scale  # optional extra (dask-geopandas, distributed): lazy import

        return scale.measure(config, progress=progress)
    t0 = time.perf_counter()
    progress = progress or _noop
    cfg = config
    report = RunReport()
    steps = (2 + len(cfg.coverage) + len(cfg.signal_rasters) + len(cfg.measurements)
             + 5)
    done = [0]

    def step(message: str) -> None:
        done[0] += 1
        progress(min(done[0] / steps, 0.99), message)

    progress(0.0, "reading villages")
    crs_choice: list[CRS] = []
    base, notes = _read_villages(cfg, report, crs_choice)
    crs = crs_choice[0]
    has = base["_has_geom"].to_numpy()
    report.layers.append({"role": "villages", "path": str(cfg.villages.path), "kind": "",
                          "date": None, "features": len(base)})
    centres = cov.centres(base)
    base[S.LON], base[S.LAT] = _lonlat(centres, crs)
    step("villages read")


    def population() -> tuple[zonal.ZonalIndex | None, np.ndarray | None]:
        """The population raster (people per pixel), indexed once; fills ``pop`` where the
        villages have none. Runs in the calling thread (it changes ``base``)."""
        if cfg.population_raster is None:
            return None, None
        pr = cfg.population_raster
        pop_values, ptransform, pcrs = _read_raster(pr.path, role="population", cfg=cfg,
                                                    villages=base)
        pop_index = zonal.ZonalIndex.build(base, transform=ptransform, shape=pop_values.shape, crs=pcrs)
        _require_cells(pop_index, path=pr.path, role="population")
        sums = pd.Series(pop_index.sum(pop_values), index=base.index)
        use = base[S.POP].isna() & pd.Series(has, index=base.index)
        if cfg.villages.population is None:
            use = pd.Series(has, index=base.index)
        # a village without any valid pixel (nodata, or off the raster) stays unknown
        empty = use & sums.isna()
        use = use & ~empty
        base.loc[use, S.POP] = sums[use]
        base.loc[use, S.POP_SOURCE] = "raster"
        if empty.any():
            if cfg.villages.population is None:   # else already counted as bad attributes
                report.bad_population += int(empty.sum())
            report.warn(
                f"population raster: {int(empty.sum())} village(s) have no valid pixel "
                f"(nodata or outside the raster, e.g. ids {base.loc[empty, S.ID].head(5).tolist()}); "
                "their population is unknown"
            )
            for i in np.flatnonzero(empty.to_numpy()):
                notes[i] = ((notes[i] + "; ") if i in notes else "") + \
                    "the population raster has no valid pixel here, so the population is unknown"
        report.layers.append({"role": "population", "path": str(pr.path), "kind": "raster",
                              "date": pr.date, "features": int(np.isfinite(pop_values).sum())})
        return pop_index, pop_values

    # Every further layer is measured by a job of its own, with its own small report, on
    # threads: GDAL, shapely and numpy release the GIL, so coverage polygons, signal
    # rasters and distances overlap on the cores. Results, warnings and report entries are
    # taken in the config's order, so a run reads the same whatever the timing, and the
    # first failing layer in that order is the error raised (as when run one by one).
    geoms = base.geometry
    dist_plan = distances.plan_for(geoms, crs)
    report.details["distances"] = dist_plan.describe()
    used_keys: set[str] = set()
    cov_keys = [_unique_key(S.layer_key(layer.carrier, layer.technology), layer.kind, used_keys)
                for layer in cfg.coverage]
    sig_keys = [_unique_key(S.layer_key(layer.carrier, layer.technology), layer.kind, used_keys)
                for layer in cfg.signal_rasters]

    def coverage_job(layer: CoverageLayer, key: str) -> tuple[RunReport, tuple]:
        rep = RunReport()
        role = f"coverage {key}"
        gdf = _read_coverage(layer, role=role, cfg=cfg, crs=crs, villages=base, report=rep)
        frame = cov.polygon_coverage(base, gdf, centres=centres, pop_index=pop_index,
                                     pop_values=pop_values)
        measured_layer = gaps.LayerMeasure(key, layer.carrier, layer.technology, layer.kind,
                                           "coverage", layer.date, frame)
        disp = gpd.GeoDataFrame(
            {"carrier": layer.carrier, "technology": layer.technology, "kind": layer.kind},
            index=range(len(gdf)), geometry=gdf.geometry.simplify(_DISPLAY_TOLERANCE_M).to_numpy(),
            crs=crs,
        ).to_crs(4326)
        rep.layers.append({"role": role, "path": str(layer.path), "kind": layer.kind,
                           "date": layer.date, "features": len(gdf)})
        return rep, (measured_layer, gdf[["geometry"]], disp)

    # the signal rasters start before the population (they do not need it) and read
    # their own copy of the geometries, as population() changes ``base`` meanwhile
    sig_villages = gpd.GeoDataFrame(geometry=base.geometry.array.copy(), crs=base.crs)

    def signal_job() -> tuple[RunReport, list[_RasterState]]:
        # one job for all signal rasters: rasters on one grid share one index
        rep = RunReport()
        states: list[_RasterState] = []
        grid_cache: dict[tuple, tuple[zonal.ZonalIndex, np.ndarray | None]] = {}
        for layer, key in zip(cfg.signal_rasters, sig_keys):
            dbm, transform, rcrs = _read_raster(layer.path, role=f"signal {key}", cfg=cfg,
                                                villages=sig_villages)
            gkey = (CRS.from_user_input(rcrs).to_wkt(), tuple(transform), dbm.shape)
            if gkey not in grid_cache:
                index = zonal.ZonalIndex.build(sig_villages, transform=transform, shape=dbm.shape, crs=rcrs)
                weights = None
                if cfg.population_raster is not None and len(index.cell):
                    # people on the pixels villages touch (not a whole warped grid)
                    weights = zonal.people_on_cells(cfg.population_raster.path, index.grid,
                                                    index.cell)
                grid_cache[gkey] = (index, weights)
            index, weights = grid_cache[gkey]
            if len(index.cell) == 0:
                raise NoOverlapError(
                    "this signal raster does not overlap any village; check its CRS and extent",
                    path=layer.path, layer=f"signal {key}",
                )
            centre_dbm = cov.centre_signal(centres, dbm, transform, crs=rcrs)
            no_data = ~(np.nan_to_num(index.valid_fraction(dbm)) > 0) & has
            if no_data.any():
                rep.warn(
                    f"signal {key}: the raster has no valid pixel (nodata) over {int(no_data.sum())} "
                    f"of {int(has.sum())} village(s); it says nothing about their signal"
                )
            states.append(_RasterState(layer, key, index, dbm, weights, centre_dbm))
            rep.layers.append({"role": f"signal {key}", "path": str(layer.path), "kind": layer.kind,
                               "date": layer.date, "features": int(np.isfinite(dbm).sum())})
        return rep, states

    def measurement_job(layer: MeasurementLayer) -> tuple[RunReport, gpd.GeoDataFrame]:
        rep = RunReport()
        gdf = _read_layer(layer.path, role="measurements", cfg=cfg, crs=crs, villages=base,
                          layer=layer.layer, lon=layer.lon, lat=layer.lat, layer_crs=layer.crs)
        gdf = _check_columns(gdf, {"carrier": layer.carrier, "technology": layer.technology,
                             "signal": layer.signal}, path=layer.path, layer="measurements")
        rep.layers.append({"role": "measurements", "path": str(layer.path), "kind": "measured",
                           "date": layer.date, "features": len(gdf)})
        return rep, gdf

    def towers_job() -> tuple[RunReport, tuple]:
        # distance to the nearest existing site, overall and per carrier
        rep = RunReport()
        t = cfg.towers
        towers = _read_layer(t.path, role="towers", cfg=cfg, crs=crs, villages=base, layer=t.layer,
                             lon=t.lon, lat=t.lat, layer_crs=t.crs)
        towers = normalise_towers(towers, carrier=t.carrier, technology=t.technology,
                                  mcc_mnc=t.mcc_mnc, mcc=t.mcc, mnc=t.mnc, path=t.path)
        dist = distances.distance_to(geoms, towers, plan=dist_plan)
        by_carrier = distances.nearest_by_group(geoms, towers, group_col="carrier", plan=dist_plan)
        cols = ["carrier", "technology"] + ([t.height_m] if t.height_m and t.height_m in towers else [])
        rep.layers.append({"role": "towers", "path": str(t.path), "kind": "declared",
                           "date": None, "features": len(towers)})
        return rep, (dist, by_carrier, towers[cols + ["geometry"]].to_crs(4326))

    el = cfg.electricity

    def electricity_list_job() -> tuple[RunReport, Any]:
        rep = RunReport()
        table = read_table(el.list_path, sheet=el.list_sheet, role="electricity list",
                           max_mb=cfg.options.max_file_mb)
        table = _check_columns(table, {"list_id": el.list_id, "list_name": el.list_name,
                               "list_commune": el.list_commune, "list_status": el.list_status},
                               path=el.list_path, layer="electricity list")
        if el.list_id is None and el.list_name is None:
            raise InputError("the electricity list needs list_id or list_name in [electricity]",
                             path=el.list_path, layer="electricity list")
        declared, match = power.declared_power(
            base, table, village_id_col=S.ID, village_name_col=S.NAME,
            village_commune_col=S.COMMUNE, list_id=el.list_id, list_name=el.list_name,
            list_commune=el.list_commune, list_status=el.list_status, path=el.list_path,
        )
        if match is not None and len(match.unmatched_right):
            rep.unmatched_names = match.unmatched_right.copy()
            rep.warn(
                f"electricity list: {len(match.unmatched_right)} name(s) did not match any village "
                "in its commune (see the unmatched-names report)"
            )
        rep.layers.append({"role": "electricity list", "path": str(el.list_path),
                           "kind": "declared", "date": el.list_date, "features": len(table)})
        return rep, declared

    def grid_job() -> tuple[RunReport, tuple]:
        rep = RunReport()
        grid = _read_layer(el.grid.path, role="grid", cfg=cfg, crs=crs, villages=base,
                           layer=el.grid.layer, layer_crs=el.grid.crs, report=rep)
        dist = distances.distance_to(geoms, grid, plan=dist_plan)
        disp = grid[["geometry"]].simplify(10.0).to_frame("geometry").set_geometry("geometry").to_crs(4326)
        rep.layers.append({"role": "grid", "path": str(el.grid.path), "kind": "distance",
                           "date": None, "features": len(grid)})
        return rep, (dist, disp)

    def lights_job() -> tuple[RunReport, pd.Series]:
        rep = RunReport()
        lv, lt, lcrs = _read_raster(el.lights.path, role="night lights", cfg=cfg, villages=base)
        lindex = zonal.ZonalIndex.build(base, transform=lt, shape=lv.shape, crs=lcrs)
        _require_cells(lindex, path=el.lights.path, role="night lights")
        rep.layers.append({"role": "night lights", "path": str(el.lights.path), "kind": "lights",
                           "date": el.lights.date, "features": int(np.isfinite(lv).sum())})
        return rep, pd.Series(lindex.mean(lv), index=base.index)

    def fibre_job() -> tuple[RunReport, tuple]:
        rep = RunReport()
        f = cfg.fibre
        fib = _read_layer(f.path, role="fibre", cfg=cfg, crs=crs, villages=base, layer=f.layer,
                          lon=getattr(f, "lon", None), lat=getattr(f, "lat", None),
                          layer_crs=f.crs, report=rep)
        rep.layers.append({"role": "fibre", "path": str(f.path), "kind": "declared",
                           "date": None, "features": len(fib)})
        return rep, (distances.distance_to(geoms, fib, plan=dist_plan),
                     fib[["geometry"]].to_crs(4326))

    def facilities_job() -> tuple[RunReport, tuple]:
        rep = RunReport()
        fa = cfg.facilities
        pts = _read_layer(fa.path, role="facilities", cfg=cfg, crs=crs, villages=base,
                          layer=fa.layer, lon=fa.lon, lat=fa.lat, layer_crs=fa.crs,
                          require_overlap=False, report=rep)
        if fa.type:
            pts = _check_columns(pts, {"type": fa.type}, path=fa.path, layer="facilities")
        counts = infrastructure.count_within(base, pts, by=fa.type, buffer_m=250.0)
        rep.layers.append({"role": "facilities", "path": str(fa.path), "kind": "declared",
                           "date": None, "features": len(pts)})
        return rep, (counts, pts[([fa.type] if fa.type else []) + ["geometry"]].to_crs(4326))

    def take(future: Future) -> Any:
        rep, value = future.result()
        report.warnings.extend(rep.warnings)          # already logged by the job
        report.layers.extend(rep.layers)
        if len(rep.unmatched_names):
            report.unmatched_names = rep.unmatched_names
        return value

    polygon_layers: list[gaps.LayerMeasure] = []
    coverage_geoms: dict[str, gpd.GeoDataFrame] = {}
    display: dict[str, gpd.GeoDataFrame] = {}
    raster_layers: list[_RasterState] = []
    measurement_layers: list[tuple[MeasurementLayer, gpd.GeoDataFrame]] = []
    dist_site = site_by_carrier = declared = dist_grid = lights = dist_fibre = facilities = None
    declared_source = "electricity list"
    pool = ThreadPoolExecutor(max_workers=n_threads(), thread_name_prefix="gisapp-measure")
    try:
        # the long jobs first, so they start at once
        sig = pool.submit(signal_job) if cfg.signal_rasters else None
        pop_index, pop_values = population()
        step("population measured")
        covs = [pool.submit(coverage_job, layer, key) for layer, key in zip(cfg.coverage, cov_keys)]
        meas = [pool.submit(measurement_job, layer) for layer in cfg.measurements]
        tow = pool.submit(towers_job) if cfg.towers is not None else None
        lst = pool.submit(electricity_list_job) if el.list_path is not None else None
        grd = pool.submit(grid_job) if el.grid is not None else None
        lit = pool.submit(lights_job) if el.lights is not None else None
        fib = pool.submit(fibre_job) if cfg.fibre is not None else None
        fac = pool.submit(facilities_job) if cfg.facilities is not None else None

        for key, job in zip(cov_keys, covs, strict=True):
            measured_layer, geoms_only, disp = take(job)
            polygon_layers.append(measured_layer)
            coverage_geoms[key] = geoms_only
            display[f"coverage:{key}"] = disp
            step(f"coverage {key} measured")
        if sig is not None:
            raster_layers = take(sig)
        for key in sig_keys:
            step(f"signal raster {key} indexed")
        for layer, job in zip(cfg.measurements, meas):
            measurement_layers.append((layer, take(job)))
            step("measurements read")
        if tow is not None:
            dist_site, site_by_carrier, display["towers"] = take(tow)
        step("towers measured")
        if lst is not None:
            declared = take(lst)
            declared_source = f"electricity list {Path(el.list_path).name}"
        if grd is not None:
            dist_grid, display["grid"] = take(grd)
        if lit is not None:
            lights = take(lit)
        step("electricity measured")
        if fib is not None:
            dist_fibre, display["fibre"] = take(fib)
        if fac is not None:
            facilities, display["facilities"] = take(fac)
        step("infrastructure measured")
    except BaseException:
        # queued jobs are dropped; one already running finishes in the background
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()

    hashes = {str(p): _file_hash(p) for p in cfg.input_paths() if Path(p).is_file()}
    progress(1.0, "measured")
    measured = Measured(
        config=cfg, crs=crs, base=base, centres=centres, polygon_layers=polygon_layers,
        coverage_geoms=coverage_geoms, raster_layers=raster_layers,
        measurement_layers=measurement_layers, declared=declared,
        declared_source=declared_source, declared_date=el.list_date,
        dist_grid_m=dist_grid, lights=lights, dist_fibre_m=dist_fibre, dist_site_m=dist_site,
        site_dist_by_carrier=site_by_carrier, facilities=facilities, pop_index=pop_index,
        pop_values=pop_values, report=report, display=display, input_hashes=hashes, notes=notes,
        seconds=time.perf_counter() - t0,
    )
    # the union of layers ("any carrier") is a join too: do it here for the configured
    # technologies so the first assess is as cheap as the next ones
    techs = tuple(cfg.thresholds.technologies)
    _union_shares(measured, techs)
    _union_shares(measured, tuple(t for t in techs if t in ("4G", "5G")))
    measured.seconds = time.perf_counter() - t0
    return measured


def _lonlat(centres: gpd.GeoSeries, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    c = gpd.GeoSeries(centres, crs=crs).to_crs(4326)
    ok = ~(c.isna() | c.is_empty)
    lon = np.full(len(c), np.nan)
    lat = np.full(len(c), np.nan)
    lon[ok.to_numpy()] = c[ok].x.to_numpy()
    lat[ok.to_numpy()] = c[ok].y.to_numpy()
    return lon, lat


# --------------------------------------------------------------------------- assess


def _threshold(cfg: RunConfig, technology: str, override: float | None) -> float:
    if override is not None:
        return float(override)
    try:
        return float(cfg.thresholds.dbm[technology])
    except KeyError:
        raise InputError(f"no signal threshold for technology {technology}; add it under [thresholds] dbm") from None


def _layer_measures(m: Measured, cfg: RunConfig) -> list[gaps.LayerMeasure]:
    out = list(m.polygon_layers)
    base = m.base
    used = {lm.key for lm in out} | {st.key for st in m.raster_layers}
    for st in m.raster_layers:
        thr = _threshold(cfg, st.layer.technology, st.layer.threshold_dbm)
        ck = ("raster", st.key, thr)
        if ck not in m._measure_cache:
            m._measure_cache[ck] = cov.raster_coverage(
                st.index, st.dbm, threshold_dbm=thr, centres=m.centres,
                pair_weights=st.pop_weights, signal_dbm=st.centre_dbm,
            )
        out.append(gaps.LayerMeasure(st.key, st.layer.carrier, st.layer.technology, st.layer.kind,
                                     "signal", st.layer.date, m._measure_cache[ck]))
    for layer, pts in m.measurement_layers:
        for (carrier, tech), grp in pts.groupby([layer.carrier, layer.technology], sort=True):
            thr = _threshold(cfg, str(tech), None)
            key = _unique_key(S.layer_key(str(carrier), str(tech)), "measured", used)
            ck = ("meas", str(layer.path), key, thr)
            if ck not in m._measure_cache:
                m._measure_cache[ck] = cov.measurement_coverage(
                    base, grp, centres=m.centres, threshold_dbm=thr, radius_m=layer.radius_m, signal_col=layer.signal,
                )
            out.append(gaps.LayerMeasure(f"{key}", str(carrier), str(tech), "measured",
                                         "measurements", layer.date, m._measure_cache[ck]))
    return out


def _union_shares(m: Measured, technologies: tuple[str, ...]) -> pd.DataFrame | None:
    """Shares covered by the union of the polygon layers of the given technologies (cached)."""
    keys = tuple(sorted(lm.key for lm in m.polygon_layers if lm.technology in technologies))
    if len(keys) < 2:
        return None
    if keys not in m._union_cache:
        # polygon_coverage reuses the pieces it just cut for each layer and unions per village
        merged = pd.concat([m.coverage_geoms[k] for k in keys], ignore_index=True)
        m._union_cache[keys] = cov.polygon_coverage(
            m.base, merged, centres=m.centres, pop_index=m.pop_index, pop_values=m.pop_values)
    return m._union_cache[keys]


def assess(measured: Measured, config: RunConfig | None = None) -> Result:
    """Classify, explain, score and summarise (the cheap stage).

    Parameters
    ----------
    measured
        From :func:`measure`.
    config
        Thresholds, power rules and weights to apply; the measured config by default.
        Only those settings are read here; layers are not re-read.

    Returns
    -------
    Result
        ``villages`` in EPSG:4326 with :data:`gisapp.schema.VILLAGE_COLUMNS`, the
        per-layer columns and geometry; ``summary`` per commune and province.
    """
    cfg = config or measured.config
    m = measured
    base = m.base
    idx = base.index
    th = cfg.thresholds
    layers = _layer_measures(m, cfg)
    techs = tuple(th.technologies)
    union = _union_shares(m, techs)
    union4g = _union_shares(m, tuple(t for t in techs if t in ("4G", "5G")))
    combined = gaps.combine_layers(
        layers, idx, technologies=techs,
        union_pop_share=None if union is None else union["pop_share"],
        union_area_share=None if union is None else union["area_share"],
        union_pop_share_4g=None if union4g is None else union4g["pop_share"],
    )
    has = base["_has_geom"]
    sig = gaps.classify_signal(combined, pocket_share=th.pocket_share, has_geometry=has)
    combined.loc[~has, S.SIGNAL_EVIDENCE] = "no geometry"

    rules, calibration = calibrate.resolve(cfg.power, dist_grid_m=m.dist_grid_m, lights=m.lights,
                                           population=base[S.POP], declared=m.declared)
    pw = power.power_status(
        idx, declared=m.declared, dist_grid_m=m.dist_grid_m, lights=m.lights, rules=rules,
        declared_source=m.declared_source, declared_date=m.declared_date, population=base[S.POP],
    )
    out = pd.DataFrame(index=idx)
    for c in (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.POP_SOURCE, S.AREA_KM2, S.LON, S.LAT):
        out[c] = base[c]
    out = out.join(combined)
    out[S.SIGNAL_CLASS] = sig
    out = out.join(pw)
    out[S.DIST_GRID_M] = m.dist_grid_m if m.dist_grid_m is not None else np.nan
    out[S.LIGHTS] = m.lights if m.lights is not None else np.nan
    out[S.DIST_FIBRE_M] = m.dist_fibre_m if m.dist_fibre_m is not None else np.nan
    out[S.FIBRE_REACHED] = (infrastructure.fibre_reached(m.dist_fibre_m, reach_m=th.fibre_reach_m)
                            if m.dist_fibre_m is not None else pd.Series(pd.NA, index=idx, dtype="boolean"))
    out[S.DIST_SITE_M] = m.dist_site_m if m.dist_site_m is not None else np.nan
    if m.facilities is not None:
        out = out.join(m.facilities)
    else:
        out[S.N_FACILITIES] = np.nan
    if m.site_dist_by_carrier is not None:
        out = out.join(m.site_dist_by_carrier)
    out[S.GAP_CLASS] = gaps.classify_gaps(sig, out[S.POWER_STATUS], pocket_is_gap=th.pocket_is_gap)
    out[S.WHY] = gaps.explain(out, pocket_share=th.pocket_share, notes=m.notes)
    out = out.join(scoring.score(out, cfg.weights))

    layer_cols = [c for c in out.columns if c not in S.VILLAGE_COLUMNS]
    villages = gpd.GeoDataFrame(
        out[list(S.VILLAGE_COLUMNS) + layer_cols], geometry=base.geometry.to_numpy(), crs=m.crs,
        index=idx,
    ).to_crs(4326)
    summ = summary.summarise(villages)
    manifest = _manifest(m, cfg)
    if calibration is not None:
        manifest["power_calibration"] = calibration
    return Result(villages=villages, summary=summ, report=m.report, config=cfg,
                  layers=dict(m.display), manifest=manifest)


def _manifest(m: Measured, cfg: RunConfig) -> dict[str, Any]:
    base = cfg.base_dir
    return {
        "gisapp_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "synthetic": bool(cfg.options.synthetic),
        "analysis_crs": m.crs.to_string(),
        "config": config_to_dict(cfg, relative_to=base),
        "inputs": {
            (str(Path(p).resolve().relative_to(base.resolve())) if base and _inside(p, base) else p): h
            for p, h in sorted(m.input_hashes.items())
        },
        "villages": int(len(m.base)),
        "repaired_geometries": m.report.repaired_geometries,
        "missing_geometries": m.report.missing_geometries,
        "warnings": list(m.report.warnings),
        **m.report.details,
    }


def _inside(p: str, base: Path) -> bool:
    try:
        Path(p).resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- run


def run(config: RunConfig | str | Path, *, progress: Progress | None = None) -> Result:
    """Measure and assess in one call: ``gisapp.run("config.toml")``."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    m = measure(cfg, progress=progress)
    return assess(m, cfg)


def run_to_dir(config: RunConfig | str | Path, out_dir: str | Path, *,
               progress: Progress | None = None) -> tuple[Result, dict[str, Path]]:
    """Run and write every export (villages.*, summary.csv, manifest.json) into ``out_dir``."""
    result = run(config, progress=progress)
    title = result.config.options.name
    if result.config.options.synthetic and "synthetic" not in title.lower():
        title += " (synthetic data)"
    paths = export.write_all(result.villages, result.summary, result.manifest, Path(out_dir),
                             title=title)
    if len(result.report.unmatched_names):
        p = Path(out_dir) / "unmatched_names.csv"
        export.write_csv(result.report.unmatched_names, p)
        paths["unmatched_names"] = p
    return result, paths


def replace_thresholds(cfg: RunConfig, **changes: Any) -> RunConfig:
    """A config with some thresholds changed (for the app's sliders)."""
    return cfg.replace(thresholds=dataclasses.replace(cfg.thresholds, **changes))
