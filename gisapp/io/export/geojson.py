"""RFC 7946 GeoJSON, byte-identical for identical input, streamed in chunks: features go
to the file :data:`_GEOJSON_CHUNK` at a time, built column by column."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema
from gisapp.io.export.common import (
    COORD_DECIMALS, _attributes, _is_text, _json_value, _to_4326, atomic_path,
)

__all__ = ["write_geojson"]

_GEOJSON_CHUNK = 10_000


def _json_dumps(value: Any) -> str:
    return json.dumps(_json_value(value), ensure_ascii=False, allow_nan=False, default=str)


def _json_column(col: pd.Series) -> list[str]:
    """Each value's JSON text, as ``json.dumps`` writes it inside a feature."""
    dtype = col.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return [repr(x) if math.isfinite(x) else "null"
                for x in col.to_numpy(dtype=np.float64).tolist()]
    if _is_text(col):
        codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
        table = np.array([_json_dumps(u) for u in uniques.astype(object)] + ["null"],
                         dtype=object)
        return table[np.where(codes < 0, len(uniques), codes)].tolist()
    return [_json_dumps(v) for v in col.astype(object).to_numpy()]


def _feature_texts(attrs: pd.DataFrame, cols: list[str], id_col: str | None,
                   geometries: np.ndarray) -> list[str]:
    """One GeoJSON feature per row, the text ``json.dumps`` gives for the feature's dict
    (default separators), built column by column instead of row by row."""
    if len(set(cols)) != len(cols):               # duplicate names: the dict keeps one
        records = attrs.astype(object).to_numpy()
        texts = []
        for i in range(len(attrs)):
            props = {c: _json_value(v) for c, v in zip(cols, records[i])}
            feature: dict[str, Any] = {"type": "Feature"}
            if id_col is not None and props[id_col] is not None:
                feature["id"] = props[id_col]
            feature["properties"] = props
            feature["geometry"] = None
            text = json.dumps(feature, ensure_ascii=False, allow_nan=False, default=str)
            if geometries[i] is not None:
                text = text[:-len("null}")] + geometries[i] + "}"
            texts.append(text)
        return texts
    keys = [json.dumps(c, ensure_ascii=False) + ": " for c in cols]
    values = [_json_column(attrs.iloc[:, j]) for j in range(len(cols))]
    ids = values[cols.index(id_col)] if id_col is not None else None
    texts = []
    for i, row in enumerate(zip(*values) if values else ([()] * len(attrs))):
        head = '{"type": "Feature", '
        if ids is not None and ids[i] != "null":
            head += f'"id": {ids[i]}, '
        geom = geometries[i]
        texts.append(head + '"properties": {' + ", ".join([k + v for k, v in zip(keys, row)])
                     + '}, "geometry": ' + ("null" if geom is None else geom) + "}")
    return texts


def write_geojson(villages: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write RFC 7946 GeoJSON: EPSG:4326, lon/lat order, no ``crs`` member, coordinates
    rounded to 7 decimals (about 1 cm), exterior rings counter-clockwise.

    Features are streamed into the file in chunks (one feature a line), so neither the
    whole text nor all geometries' JSON is ever held in memory at once.
    """
    target = Path(path)
    gdf = _to_4326(villages)
    geoms = gdf.geometry.to_numpy()
    attrs = _attributes(gdf)
    cols = [str(c) for c in attrs.columns]
    id_col = schema.ID if schema.ID in cols else None
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        for start in range(0, len(attrs), _GEOJSON_CHUNK):
            stop = min(start + _GEOJSON_CHUNK, len(attrs))
            part = geoms[start:stop]
            present = ~(shapely.is_missing(part) | shapely.is_empty(part))
            rounded = np.full(len(part), None, dtype=object)
            if present.any():
                g = shapely.transform(part[present], lambda c: np.round(c, COORD_DECIMALS))
                g = shapely.orient_polygons(g, exterior_cw=False)
                rounded[present] = shapely.to_geojson(g)
            texts = _feature_texts(attrs.iloc[start:stop], cols, id_col, rounded)
            fh.write(("" if start == 0 else ",\n") + ",\n".join(texts))
        fh.write("\n]}\n")
    return target
