"""The per-layer jobs of the local engine's measure, one named function per kind of layer.

Each job takes the :class:`Context` of the run (the villages, read and normalised once)
and returns ``(report, value)``: its own small :class:`~gisapp.pipeline.model.RunReport`
and what it measured. :func:`gisapp.pipeline.measuring.measure` runs them on threads and
takes their reports in the config's order. :func:`population` is not a job: it runs in
the calling thread, as it fills the villages' population.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gisapp import schema as S
from gisapp.analysis import coverage as cov
from gisapp.analysis import distances, gaps, infrastructure, power, zonal
from gisapp.config import CoverageLayer, MeasurementLayer, RunConfig
from gisapp.errors import InputError
from gisapp.io.raster import RasterBand
from gisapp.io.tables import read_table
from gisapp.pipeline.layers import (
    layer_entry, read_coverage, read_layer, read_raster, require_cells, signal_no_data_warning,
    signal_no_overlap,
)
from gisapp.pipeline.model import RasterState, RunReport
from gisapp.pipeline.normalise import check_columns
from gisapp.pipeline.towers import read_towers

__all__ = [
    "Context", "population", "coverage_job", "signal_job", "measurement_job", "complaints_job", "towers_job",
    "electricity_list_job", "grid_job", "lights_job", "fibre_job", "facilities_job",
]


@dataclass
class Context:
    """The villages of a run as every job sees them (metric CRS)."""

    cfg: RunConfig
    crs: CRS
    base: gpd.GeoDataFrame
    centres: gpd.GeoSeries
    notes: dict[Any, str]
    geoms: gpd.GeoSeries          # ``base.geometry``, taken once for the distance jobs
    dist_plan: distances.DistancePlan | None = None   # how distances are measured (CRS or UTM zones)
    pop_index: zonal.ZonalIndex | None = None
    pop_values: np.ndarray | None = None

    @property
    def has(self) -> np.ndarray:
        return self.base["_has_geom"].to_numpy()


def population(ctx: Context, report: RunReport) -> None:
    """The population raster (people per pixel), indexed once; fills ``pop`` where the
    villages have none and sets ``ctx.pop_index``/``ctx.pop_values``. Runs in the calling
    thread (it changes ``ctx.base``)."""
    cfg, base, notes = ctx.cfg, ctx.base, ctx.notes
    if cfg.population_raster is None:
        return
    has = ctx.has
    pr = cfg.population_raster
    pop_values, ptransform, pcrs = read_raster(pr.path, role="population", cfg=cfg, villages=base)
    pop_index = zonal.ZonalIndex.build(base, transform=ptransform, shape=pop_values.shape, crs=pcrs)
    require_cells(pop_index, path=pr.path, role="population")
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
            "their population is unknown",
            key="raster_no_pixel",
            n=int(empty.sum()), examples=base.loc[empty, S.ID].head(5).tolist(),
        )
        for i in np.flatnonzero(empty.to_numpy()):
            notes[i] = ((notes[i] + "; ") if i in notes else "") + \
                "the population raster has no valid pixel here, so the population is unknown"
    report.layers.append(layer_entry("population", pr.path, "raster", pr.date,
                                     int(np.isfinite(pop_values).sum())))
    ctx.pop_index, ctx.pop_values = pop_index, pop_values


def coverage_job(ctx: Context, layer: CoverageLayer, key: str) -> tuple[RunReport, tuple]:
    """One coverage layer: its shares per village and its polygons (for unions, the map)."""
    rep = RunReport()
    role = f"coverage {key}"
    gdf = read_coverage(layer, role=role, cfg=ctx.cfg, crs=ctx.crs, villages=ctx.base, report=rep)
    frame = cov.polygon_coverage(ctx.base, gdf, centres=ctx.centres, pop_index=ctx.pop_index,
                                 pop_values=ctx.pop_values)
    measured_layer = gaps.LayerMeasure(key, layer.carrier, layer.technology, layer.kind,
                                       "coverage", layer.date, frame)
    rep.layers.append(layer_entry(role, layer.path, layer.kind, layer.date, len(gdf)))
    return rep, (measured_layer, gdf[["geometry"]])


def signal_job(ctx: Context, keys: list[str],
               villages: gpd.GeoDataFrame) -> tuple[RunReport, list[RasterState]]:
    """Every signal raster, indexed on ``villages`` (a copy of the geometries, as the
    population changes ``ctx.base`` meanwhile); rasters on one grid share one index."""
    cfg, has = ctx.cfg, ctx.has
    rep = RunReport()
    states: list[RasterState] = []
    grid_cache: dict[tuple, tuple[zonal.ZonalIndex, np.ndarray | None]] = {}
    for layer, key in zip(cfg.signal_rasters, keys):
        dbm, transform, rcrs = read_raster(layer.path, role=f"signal {key}", cfg=cfg,
                                           villages=villages)
        gkey = (CRS.from_user_input(rcrs).to_wkt(), tuple(transform), dbm.shape)
        if gkey not in grid_cache:
            index = zonal.ZonalIndex.build(villages, transform=transform, shape=dbm.shape, crs=rcrs)
            weights = None
            if cfg.population_raster is not None and len(index.cell):
                # people on the pixels villages touch (not a whole warped grid)
                weights = zonal.people_on_cells(RasterBand(cfg.population_raster.path), index.grid,
                                                index.cell)
            grid_cache[gkey] = (index, weights)
        index, weights = grid_cache[gkey]
        if len(index.cell) == 0:
            raise signal_no_overlap(layer, key)
        centre_dbm = cov.centre_signal(ctx.centres, dbm, transform, crs=rcrs)
        warning = signal_no_data_warning(key, index, dbm, has)
        if warning:
            rep.warn(warning)
        states.append(RasterState(layer, key, index, dbm, weights, centre_dbm))
        rep.layers.append(layer_entry(f"signal {key}", layer.path, layer.kind, layer.date,
                                      int(np.isfinite(dbm).sum())))
    return rep, states


def measurement_job(ctx: Context, layer: MeasurementLayer
                    ) -> tuple[RunReport, tuple[gpd.GeoDataFrame, dict[str, int]]]:
    """A table of signal measurements (points), read and checked row by row; assess
    judges it (:mod:`gisapp.pipeline.evidence`)."""
    from gisapp.pipeline.evidence import read_measurements

    return read_measurements(ctx.cfg, ctx.crs, ctx.base, layer)


def complaints_job(ctx: Context) -> tuple[RunReport, tuple[pd.DataFrame, dict[str, int]]]:
    """Complaint points counted per village and carrier (:mod:`gisapp.pipeline.evidence`)."""
    from gisapp.pipeline.evidence import read_complaints

    return read_complaints(ctx.cfg, ctx.crs, ctx.base)


def towers_job(ctx: Context) -> tuple[RunReport, tuple]:
    """Distance to the nearest existing site, overall and per carrier; the towers for the map."""
    rep = RunReport()
    t = ctx.cfg.towers
    towers, _names = read_towers(t, cfg=ctx.cfg, crs=ctx.crs, villages=ctx.base)
    dist = distances.distance_to(ctx.geoms, towers, plan=ctx.dist_plan)
    by_carrier = distances.nearest_by_group(ctx.geoms, towers, group_col="carrier", plan=ctx.dist_plan)
    cols = ["carrier", "technology"] + ([t.height_m] if t.height_m and t.height_m in towers else [])
    rep.layers.append(layer_entry("towers", t.path, "declared", None, len(towers)))
    return rep, (dist, by_carrier, towers[cols + ["geometry"]].to_crs(4326))


def require_list_key(el: Any) -> None:
    """The electricity list is matched by id or by name: the config must name one."""
    if el.list_id is None and el.list_name is None:
        raise InputError("the electricity list needs list_id or list_name in [electricity]",
                         path=el.list_path, layer="electricity list")


def electricity_list_job(ctx: Context) -> tuple[RunReport, Any]:
    """The declared electricity list, matched to the villages."""
    rep = RunReport()
    el = ctx.cfg.electricity
    table = read_table(el.list_path, sheet=el.list_sheet, role="electricity list",
                       max_mb=ctx.cfg.options.max_file_mb, required=[c for c in (
                           el.list_id, el.list_name, el.list_commune, el.list_status) if c])
    table = check_columns(table, {"list_id": el.list_id, "list_name": el.list_name,
                          "list_commune": el.list_commune, "list_status": el.list_status},
                          path=el.list_path, layer="electricity list")
    require_list_key(el)
    declared, match = power.declared_power(
        ctx.base, table, village_id_col=S.ID, village_name_col=S.NAME,
        village_commune_col=S.COMMUNE, list_id=el.list_id, list_name=el.list_name,
        list_commune=el.list_commune, list_status=el.list_status, path=el.list_path,
    )
    if match is not None and len(match.unmatched_right):
        rep.unmatched_names = match.unmatched_right.copy()
        rep.warn(
            f"electricity list: {len(match.unmatched_right)} name(s) did not match any village "
            "in its commune (see the unmatched-names report)",
            key="unmatched_names", n=len(match.unmatched_right),
        )
    rep.layers.append(layer_entry("electricity list", el.list_path, "declared", el.list_date,
                                  len(table)))
    return rep, declared


def grid_job(ctx: Context) -> tuple[RunReport, tuple]:
    """Distance to the power grid; the grid (simplified) for the map."""
    rep = RunReport()
    g = ctx.cfg.electricity.grid
    grid = read_layer(g.path, role="grid", cfg=ctx.cfg, crs=ctx.crs, villages=ctx.base,
                      layer=g.layer, layer_crs=g.crs, report=rep)
    dist = distances.distance_to(ctx.geoms, grid, plan=ctx.dist_plan)
    disp = grid[["geometry"]].simplify(10.0).to_frame("geometry").set_geometry("geometry").to_crs(4326)
    rep.layers.append(layer_entry("grid", g.path, "distance", None, len(grid)))
    return rep, (dist, disp)


def lights_job(ctx: Context) -> tuple[RunReport, pd.Series]:
    """Mean night-light brightness per village."""
    rep = RunReport()
    lights = ctx.cfg.electricity.lights
    base = ctx.base
    lv, lt, lcrs = read_raster(lights.path, role="night lights", cfg=ctx.cfg, villages=base)
    lindex = zonal.ZonalIndex.build(base, transform=lt, shape=lv.shape, crs=lcrs)
    require_cells(lindex, path=lights.path, role="night lights")
    rep.layers.append(layer_entry("night lights", lights.path, "lights", lights.date,
                                  int(np.isfinite(lv).sum())))
    return rep, pd.Series(lindex.mean(lv), index=base.index)


def fibre_job(ctx: Context) -> tuple[RunReport, tuple]:
    """Distance to the fibre network; the fibre for the map."""
    rep = RunReport()
    f = ctx.cfg.fibre
    fib = read_layer(f.path, role="fibre", cfg=ctx.cfg, crs=ctx.crs, villages=ctx.base,
                     layer=f.layer, lon=getattr(f, "lon", None), lat=getattr(f, "lat", None),
                     layer_crs=f.crs, report=rep)
    rep.layers.append(layer_entry("fibre", f.path, "declared", None, len(fib)))
    return rep, (distances.distance_to(ctx.geoms, fib, plan=ctx.dist_plan),
                 fib[["geometry"]].to_crs(4326))


def facilities_job(ctx: Context) -> tuple[RunReport, tuple]:
    """Facilities (schools, clinics …) within 250 m of each village, by type."""
    rep = RunReport()
    fa = ctx.cfg.facilities
    pts = read_layer(fa.path, role="facilities", cfg=ctx.cfg, crs=ctx.crs, villages=ctx.base,
                     layer=fa.layer, lon=fa.lon, lat=fa.lat, layer_crs=fa.crs,
                     require_overlap=False, report=rep)
    if fa.type:
        pts = check_columns(pts, {"type": fa.type}, path=fa.path, layer="facilities")
    counts = infrastructure.count_within(ctx.base, pts, by=fa.type, buffer_m=250.0)
    rep.layers.append(layer_entry("facilities", fa.path, "declared", None, len(pts)))
    return rep, (counts, pts[([fa.type] if fa.type else []) + ["geometry"]].to_crs(4326))
