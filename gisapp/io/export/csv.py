"""CSV for spreadsheets: UTF-8 with BOM, no geometry, formula-safe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gisapp.io.export.common import _attributes, atomic_path, neutralise

__all__ = ["write_csv"]


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write UTF-8 CSV with BOM (Excel reads Vietnamese right), no geometry, formula-safe."""
    target = Path(path)
    frame = _attributes(df)
    frame.columns = [neutralise(str(c)) for c in frame.columns]
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
            frame[c] = col.astype(object).map(neutralise)
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return target
