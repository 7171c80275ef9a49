"""Reading and normalising the villages: ids, geometry, CRS, population; column checks.

Each check the villages go through is a named step between the read and the metric
frame: :func:`check_columns` (the columns the config names), :func:`check_ids` (present
and unique), :func:`check_geometries` (missing, non-polygonal, invalid → repaired or
refused), :func:`parse_population` (numbers only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp import schema as S
from gisapp.config import RunConfig, VillagesLayer
from gisapp.crs import metric_crs, to_metric
from gisapp.errors import DuplicateIdError, InputError, InvalidGeometryError
from gisapp.io.tables import require_columns
from gisapp.io.vector import read_vector
from gisapp.pipeline.model import RunReport

__all__ = ["check_columns", "check_ids", "check_geometries", "parse_population",
           "read_villages", "polygonal_part"]


def check_columns(gdf: pd.DataFrame, wanted: dict[str, str | None], *, path: Path,
                  layer: str) -> pd.DataFrame:
    """Check the columns the config names; returns the frame with them under those names
    (a column that differs only in case is accepted and renamed)."""
    found = require_columns(gdf, list(wanted.values()), path=path, role=layer)
    renames = {actual: asked for asked, actual in found.items() if actual != asked}
    return gdf.rename(columns=renames) if renames else gdf


def check_ids(raw: pd.DataFrame, v: VillagesLayer) -> pd.Series:
    """The village ids (the rows numbered from 1 without an id column); a missing or
    repeated id is refused, naming the rows and what to do."""
    n = len(raw)
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
    return ids


def _text_column(raw: pd.DataFrame, column: str | None) -> np.ndarray:
    n = len(raw)
    return (raw[column].astype("object") if column else pd.Series([None] * n, dtype="object")).to_numpy()


def check_geometries(base: gpd.GeoDataFrame, cfg: RunConfig, report: RunReport,
                     notes: dict[Any, str]) -> pd.Series:
    """Null/empty geometries kept as unknown, other types not measured, invalid ones
    repaired (counted) or refused; sets :data:`~gisapp.schema.GEOMETRY_TYPE`. Returns
    which villages have a usable geometry (the others are set to None)."""
    v = cfg.villages
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
        fixed = np.array([polygonal_part(g) if polygonal.iloc[i] else g
                          for i, g in zip(np.flatnonzero(invalid.to_numpy()), fixed)], dtype=object)
        base.loc[invalid, "geometry"] = fixed
        report.repaired_geometries = int(invalid.sum())
        for i in np.flatnonzero(invalid.to_numpy()):
            notes[i] = "its invalid geometry was repaired (make_valid)"
        report.warn(f"villages: repaired {int(invalid.sum())} invalid geometries (e.g. {bad_ids})")
    usable = ~missing & ~other
    base.loc[~usable.to_numpy(), "geometry"] = None
    base[S.GEOMETRY_TYPE] = np.where(polygonal, "polygon", np.where(pointlike, "point", "none"))
    return usable


def parse_population(raw: pd.DataFrame, base: gpd.GeoDataFrame, v: VillagesLayer,
                     report: RunReport, notes: dict[Any, str]) -> None:
    """The population attribute: numbers only; negative, missing or text → unknown (counted)."""
    if not v.population:
        base[S.POP] = np.nan
        base[S.POP_SOURCE] = "none"
        return
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


def read_villages(cfg: RunConfig, report: RunReport) -> tuple[gpd.GeoDataFrame, dict, CRS]:
    """The villages in the run's metric CRS, with the notes on rows the data cannot judge
    and the CRS chosen for the run."""
    v = cfg.villages
    raw = read_vector(
        v.path, layer=v.layer, encoding=v.encoding, lon=v.lon, lat=v.lat, crs=v.crs,
        role="villages", max_mb=cfg.options.max_file_mb,
    )
    if len(raw) == 0:  # before the column check: an empty GeoJSON has no columns at all
        raise InputError(f"the village layer ({Path(v.path).name}) has no rows; nothing to "
                         "analyse. Check that this is the right file (and layer) and that it "
                         "was saved with its features", path=v.path, layer="villages")
    raw = check_columns(raw, {"id": v.id, "name": v.name, "commune": v.commune,
                        "province": v.province, "population": v.population},
                        path=v.path, layer="villages")
    n = len(raw)
    report.n_villages = n
    raw = raw.reset_index(drop=True)
    notes: dict[Any, str] = {}
    ids = check_ids(raw, v)
    base = gpd.GeoDataFrame(
        {
            S.ID: ids.to_numpy(dtype=object),
            S.NAME: _text_column(raw, v.name),
            S.COMMUNE: _text_column(raw, v.commune),
            S.PROVINCE: _text_column(raw, v.province),
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs,
    )
    usable = check_geometries(base, cfg, report, notes)
    crs = metric_crs(base.loc[usable.to_numpy()], override=cfg.options.crs)
    base = to_metric(base, crs)
    # multipoints become their centroid (one centre per village)
    mp = base.geom_type.eq("MultiPoint")
    if mp.any():
        base.loc[mp, "geometry"] = base.loc[mp].geometry.centroid
    base["_has_geom"] = usable.to_numpy()
    base[S.AREA_KM2] = np.where(base[S.GEOMETRY_TYPE] == "polygon", base.geometry.area / 1e6, np.nan)
    parse_population(raw, base, v, report, notes)
    return base, notes, crs


def polygonal_part(g: Any) -> Any:
    """The polygonal part of a geometry (a repaired polygon can gain lines)."""
    if g is None or g.is_empty:
        return g
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g
