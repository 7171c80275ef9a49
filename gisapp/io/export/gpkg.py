"""GeoPackage: one layer per file, in the frame's CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from gisapp import jsonsafe
from gisapp.io.export.common import atomic_path

__all__ = ["write_gpkg"]


def write_gpkg(villages: gpd.GeoDataFrame, path: str | Path, *, layer: str = "villages") -> Path:
    """Write one GeoPackage layer (the file is replaced as a whole), in the frame's CRS."""
    import pyogrio

    target = Path(path)
    frame = villages                      # copied (shallowly) only if a column needs JSON text
    for c in villages.columns:
        col = villages[c]
        if c != villages.geometry.name and col.dtype == object and any(
                isinstance(v, (list, dict, tuple, set)) for v in col.to_numpy()):
            if frame is villages:
                frame = villages.copy(deep=False)
            frame[c] = col.map(_json_safe_text)
    with atomic_path(target) as tmp:
        pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG")
    return target


def _json_safe_text(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple, set)):
        return jsonsafe.dumps(v, ensure_ascii=False, default=str)
    return v
