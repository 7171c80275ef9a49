"""Calibrating modelled coverage to signal measurements (issue 16).

For each carrier × technology that has both a modelled layer and measurements on it,
:func:`fit_offsets` fits one offset (dB) = the mean of measured − modelled over the
measurement points where the model has a value (a least-squares constant), and reports the
RMSE before and after and the number of samples. A layer with fewer than
:data:`MIN_SAMPLES` samples is not calibrated (reported with ``offset_db = 0``). A slope over
distance is not fitted (a mean offset is what the sample sizes of drive tests support in
most provinces; the residuals are reported so a user can judge). :func:`apply_offsets`
shifts the layers. Opens no file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from gisapp.analysis.propagation import ModelledRaster
from gisapp.crs import pixel_index
from gisapp.schema import layer_key

__all__ = ["MIN_SAMPLES", "Calibration", "fit_offsets", "apply_offsets"]

#: fewer measurements than this on a layer: no offset is fitted
MIN_SAMPLES = 10


@dataclass(frozen=True)
class Calibration:
    """One layer's fit: offset added to the model (dB), RMSE before/after (dB), samples."""

    carrier: str
    technology: str
    offset_db: float
    rmse_before_db: float
    rmse_after_db: float
    samples: int

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def fit_offsets(layers: Mapping[str, ModelledRaster], points: Any, *, signal: str,
                carrier: str = "carrier", technology: str = "technology"
                ) -> dict[str, Calibration]:
    """The offset per modelled layer from measurement ``points`` (in the layers' CRS)."""
    if len(points) == 0 or not layers:
        return {}
    keys = np.array([layer_key(str(c), str(t).upper())
                     for c, t in zip(points[carrier], points[technology])])
    measured = pd.to_numeric(points[signal], errors="coerce").to_numpy(float)
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    out: dict[str, Calibration] = {}
    for key, lay in sorted(layers.items()):
        sel = keys == key
        if not sel.any():
            continue
        r, c, inside = pixel_index(lay.transform, x[sel], y[sel], shape=lay.dbm.shape)
        model = np.full(int(sel.sum()), np.nan)
        model[inside] = lay.dbm[r[inside], c[inside]]
        resid = measured[sel] - model
        resid = resid[np.isfinite(resid)]
        n = int(resid.size)
        if n == 0:
            continue
        before = float(np.sqrt(np.mean(resid ** 2)))
        offset = float(resid.mean()) if n >= MIN_SAMPLES else 0.0
        after = float(np.sqrt(np.mean((resid - offset) ** 2)))
        out[key] = Calibration(lay.carrier, lay.technology, offset, before, after, n)
    return out


def apply_offsets(layers: Mapping[str, ModelledRaster], cal: Mapping[str, Calibration]
                  ) -> dict[str, ModelledRaster]:
    """The layers with each fitted offset added (NaN stays NaN)."""
    out = dict(layers)
    for key, c in cal.items():
        if key in out and c.offset_db != 0.0:
            lay = out[key]
            out[key] = lay._replace(dbm=(lay.dbm + np.float32(c.offset_db)).astype(np.float32),
                                    method=f"{lay.method}, calibrated {c.offset_db:+.1f} dB")
    return out
