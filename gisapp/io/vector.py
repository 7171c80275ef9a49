"""Read vector layers in the forms people send them, into a checked GeoDataFrame.

Formats: GeoPackage, Shapefile (also zipped), GeoJSON, GeoParquet, and tables with
longitude/latitude columns (CSV/TSV/TXT, XLSX/XLS). Legacy Vietnamese encodings of
Shapefiles are handled in :mod:`gisapp.io.tables` (one implementation for every reader).
No row is ever dropped: a table row without usable coordinates keeps a None geometry.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp.crs import check_crs
from gisapp.errors import CRSMismatchError, InputError, UnreadableFileError
from gisapp.io.archive import safe_extract
from gisapp.io.tables import (
    DELIMITED_SUFFIXES, EXCEL_SUFFIXES, check_file, find_column, frame_from_rows, nfc_frame,
    read_excel_rows, read_ogr_frame, read_text_rows, require_columns,
)

__all__ = ["read_vector", "LON_NAMES", "LAT_NAMES", "VECTOR_SUFFIXES"]

log = logging.getLogger(__name__)

#: column names recognised as longitude / latitude (case-insensitive), in this order
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo", "kinh độ")
LAT_NAMES = ("lat", "latitude", "y", "vi_do", "vido", "vĩ độ")
OGR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml", ".gml")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
VECTOR_SUFFIXES = (*OGR_SUFFIXES, ".zip", *PARQUET_SUFFIXES, *DELIMITED_SUFFIXES,
                   *EXCEL_SUFFIXES)


def read_vector(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
                lon: str | None = None, lat: str | None = None, crs: str | None = None,
                role: str | None = None, max_mb: float | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer and check its CRS.

    Parameters
    ----------
    path
        GPKG, SHP, ZIP (a Shapefile or GPKG inside), GeoJSON/JSON, (Geo)Parquet, or a
        CSV/TSV/TXT/XLSX/XLS table with longitude/latitude columns.
    layer
        Layer of a multi-layer file (GPKG, or a file inside a zip, by layer or file
        name); for a workbook, the sheet.
    encoding
        Attribute encoding of a Shapefile without ``.cpg`` (e.g. ``"cp1258"``) or of a
        text table; detected otherwise (and logged).
    lon, lat
        Coordinate columns of a table; detected among common names otherwise.
    crs
        CRS of the coordinates: supplies a missing CRS, or overrides a wrong one
        (logged). Tables default to EPSG:4326.
    role
        The layer's role in the run, named in error messages.
    max_mb
        Refuse a file larger than this before reading it.

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's CRS (or ``crs``), a RangeIndex, NFC-normalised text. Table rows with
        missing or non-numeric coordinates have a None geometry.

    Raises
    ------
    UnreadableFileError
        Missing, empty, malformed or unsupported file.
    FileTooLargeError
        Over ``max_mb``.
    MissingCRSError, CRSMismatchError
        No CRS and none given; degrees that are not degrees.
    MissingColumnError
        ``lon``/``lat`` named but absent, or not found.
    """
    p = check_file(path, role=role, max_mb=max_mb)
    suffix = p.suffix.lower()
    if suffix == ".zip":
        gdf = _read_zip(p, layer=layer, encoding=encoding, role=role, max_mb=max_mb)
    elif suffix in PARQUET_SUFFIXES:
        gdf = _read_parquet(p, role=role)
    elif suffix in DELIMITED_SUFFIXES or suffix in EXCEL_SUFFIXES:
        gdf = _read_points_table(p, sheet=layer, encoding=encoding, lon=lon, lat=lat,
                                 crs=crs, role=role)
    elif suffix in OGR_SUFFIXES:
        gdf = _read_ogr(p, layer=layer, encoding=encoding, role=role)
    else:
        raise UnreadableFileError(
            f"unknown vector format '{p.suffix}'; use GPKG, Shapefile (.shp or .zip), "
            "GeoJSON, GeoParquet, or CSV/XLSX with lon/lat columns", path=p, layer=role,
        )
    if crs is not None:
        if gdf.crs is not None and not gdf.crs.equals(crs):
            log.warning("%s: the file says %s; using %s as the config says", p,
                        gdf.crs.to_string(), crs)
        gdf = gdf.set_crs(crs, allow_override=True)
    _check_swapped(gdf, path=p, role=role,
                   table=suffix in DELIMITED_SUFFIXES or suffix in EXCEL_SUFFIXES)
    check_crs(gdf, path=p, layer=role)
    return gdf.reset_index(drop=True)


def _check_swapped(gdf: gpd.GeoDataFrame, *, path: Path, role: str | None, table: bool) -> None:
    """Refuse (lat, lon) written as (x, y): geographic, y beyond ±90 but x within it.

    Where |lon| > 90 (all of Vietnam, 102–110°E) a swap always puts y out of range, so it
    is caught here with a message that says so; swaps that stay in range are caught by the
    run's overlap check (see :func:`gisapp.pipeline.measure`).
    """
    if gdf.crs is None or not gdf.crs.is_geographic:
        return
    geoms = gdf.geometry
    present = geoms[~(geoms.isna() | geoms.is_empty)]
    if not len(present):
        return
    minx, miny, maxx, maxy = present.total_bounds
    if not (maxy > 90.5 or miny < -90.5):
        return
    if -90.5 <= minx and maxx <= 90.5 and -180.5 <= miny and maxy <= 360.5:
        how = ("swap the lon/lat columns named in the config (lon = \"...\", lat = \"...\")"
               if table else "re-export the layer with longitude first")
        raise CRSMismatchError(
            f"the coordinates look swapped (lat, lon): x runs {minx:.2f} … {maxx:.2f} and y "
            f"{miny:.2f} … {maxy:.2f}; write them as lon, lat (x = longitude) or {how}",
            path=path, layer=role,
        )


# --- formats -------------------------------------------------------------------------


def _spatial_layers(p: Path) -> list[str]:
    import pyogrio

    try:
        layers = pyogrio.list_layers(p)
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFileError(
            f"GDAL cannot open it ({str(exc).strip()}); check the file or export it again",
            path=p,
        ) from exc
    spatial = [str(name) for name, gtype in layers if gtype is not None]
    return spatial or [str(name) for name, _ in layers]


def _read_ogr(p: Path, *, layer: str | None, encoding: str | None,
              role: str | None) -> gpd.GeoDataFrame:
    suffix = p.suffix.lower()
    if suffix in (".geojson", ".json"):
        _check_json(p, role=role)
    if layer is None and suffix == ".gpkg":
        names = _spatial_layers(p)
        if len(names) > 1:
            raise InputError(
                f"the GeoPackage has {len(names)} layers ({', '.join(names)}); say which one "
                "with layer = \"...\"", path=p, layer=role,
            )
        layer = names[0] if names else None
    frame = read_ogr_frame(p, layer=layer, encoding=encoding, role=role)
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame.columns:
        raise UnreadableFileError("the layer has no geometry; is it a plain table?",
                                  path=p, layer=role)
    return frame


def _check_json(p: Path, *, role: str | None) -> None:
    """Malformed JSON gives a clear message (GDAL's is cryptic)."""
    import json

    try:
        with open(p, "rb") as fh:
            doc = json.load(fh)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(
            f"not valid GeoJSON ({exc}); open it in a text editor or re-export it from the "
            "GIS", path=p, layer=role,
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") not in (
            "FeatureCollection", "Feature", "Point", "MultiPoint", "LineString",
            "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"):
        raise UnreadableFileError(
            "valid JSON but not GeoJSON (no \"type\": \"FeatureCollection\"); export the layer "
            "as GeoJSON", path=p, layer=role,
        )


def _read_parquet(p: Path, *, role: str | None) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFileError(
            f"cannot read it as GeoParquet ({type(exc).__name__}: {exc}); write it with "
            "geopandas.to_parquet or GDAL's Parquet driver", path=p, layer=role,
        ) from exc
    return gpd.GeoDataFrame(nfc_frame(gdf), geometry=gdf.geometry.name, crs=gdf.crs)


def _read_zip(p: Path, *, layer: str | None, encoding: str | None,
              role: str | None, max_mb: float | None = None) -> gpd.GeoDataFrame:
    # the size limit applies to what the archive unpacks to, not only to the zip itself
    limit = {} if max_mb is None else {"max_bytes": int(max_mb * 1024**2)}
    with tempfile.TemporaryDirectory(prefix="gisapp-zip-") as tmp:
        try:
            files = safe_extract(p, tmp, **limit)
        except InputError as exc:
            prefix = f"file '{exc.path}': "
            if exc.layer is None and role is not None and str(exc).startswith(prefix):
                # the same message, naming the layer too
                raise type(exc)(str(exc)[len(prefix):], path=p, layer=role) from exc
            raise
        candidates: list[tuple[str, Path, str | None]] = []   # (label, file, layer in file)
        for f in files:
            if f.name.startswith(".") or "__MACOSX" in f.parts:
                continue
            s = f.suffix.lower()
            if s == ".gpkg":
                for name in _spatial_layers(f):
                    candidates.append((name, f, name))
            elif s in (".shp", ".geojson", ".fgb") or s in PARQUET_SUFFIXES:
                candidates.append((f.stem, f, None))
        if not candidates:
            raise UnreadableFileError(
                "the zip holds no Shapefile (.shp with .shx/.dbf), GeoPackage or GeoJSON",
                path=p, layer=role,
            )
        if layer is not None:
            chosen = [c for c in candidates if layer in (c[0], c[1].name, c[1].stem)]
            if not chosen:
                raise InputError(
                    f"no layer '{layer}' in the zip; it holds: "
                    f"{', '.join(c[0] for c in candidates)}", path=p, layer=role,
                )
        elif len(candidates) > 1:
            raise InputError(
                f"the zip holds {len(candidates)} layers ({', '.join(c[0] for c in candidates)});"
                " say which one with layer = \"...\"", path=p, layer=role,
            )
        else:
            chosen = candidates
        _, f, inner = chosen[0]
        try:
            if f.suffix.lower() in PARQUET_SUFFIXES:
                return _read_parquet(f, role=role)
            gdf = _read_ogr(f, layer=inner, encoding=encoding, role=role)
        except InputError as exc:
            raise _in_zip(exc, zip_path=p, member=f, tmp=Path(tmp), role=role) from exc
        return gdf.copy()


def _in_zip(exc: InputError, *, zip_path: Path, member: Path, tmp: Path,
            role: str | None) -> InputError:
    """The same error, naming the user's zip and the member instead of a temporary path
    that is gone once the error is shown."""
    where = [w for w in (f"layer '{exc.layer}'" if exc.layer else "",
                         f"file '{exc.path}'" if exc.path else "") if w]
    text = str(exc)
    prefix = " / ".join(where) + ": " if where else ""
    if prefix and text.startswith(prefix):
        text = text[len(prefix):]
    inside = member.relative_to(tmp).as_posix() if tmp in member.parents else member.name
    for temp in {str(tmp), str(tmp.resolve())}:
        text = text.replace(temp + "/", "").replace(temp, "")
    return type(exc)(f"in '{inside}' inside the zip: {text}", path=zip_path,
                     layer=exc.layer or role)


def _read_points_table(p: Path, *, sheet: str | None, encoding: str | None, lon: str | None,
                       lat: str | None, crs: str | None, role: str | None) -> gpd.GeoDataFrame:
    expected = [c for c in (lon, lat) if c] or [*LON_NAMES, *LAT_NAMES]
    if p.suffix.lower() in EXCEL_SUFFIXES:
        frame = frame_from_rows(read_excel_rows(p, sheet=sheet, role=role), expected=expected,
                                source=p)
        comma = True
    else:
        rows, sep = read_text_rows(p, encoding=encoding, role=role)
        comma = sep != ","
        frame = frame_from_rows(rows, expected=expected, comma_decimal=comma, source=p)
    if lon or lat:
        found = require_columns(frame, [lon, lat], path=p, role=role)
        lon_col = found.get(lon) if lon else find_column(frame.columns, LON_NAMES)
        lat_col = found.get(lat) if lat else find_column(frame.columns, LAT_NAMES)
    else:
        lon_col = find_column(frame.columns, LON_NAMES)
        lat_col = find_column(frame.columns, LAT_NAMES)
    if lon_col is None or lat_col is None:
        missing = "longitude" if lon_col is None else "latitude"
        from gisapp.errors import MissingColumnError

        raise MissingColumnError(
            f"no {missing} column found (looked for {', '.join(LON_NAMES if lon_col is None else LAT_NAMES)}). "
            f"Available columns: {', '.join(map(str, frame.columns))}. Name the columns with "
            "lon = \"...\" and lat = \"...\" in the config", path=p, layer=role,
        )
    x = _numeric(frame[lon_col], comma=comma)
    y = _numeric(frame[lat_col], comma=comma)
    ok = np.isfinite(x) & np.isfinite(y)
    geoms = np.full(len(frame), None, dtype=object)
    geoms[ok] = shapely.points(x[ok], y[ok])
    bad = int((~ok).sum())
    if bad:
        log.warning("%s: %d row(s) have missing or non-numeric coordinates in %s/%s; they are "
                    "kept without a location", p, bad, lon_col, lat_col)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index),
                            crs=crs or "EPSG:4326")


def _numeric(col: pd.Series, *, comma: bool) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    text = col.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    if comma:
        text = text.map(lambda v: v.replace(",", ".") if isinstance(v, str) else v)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
