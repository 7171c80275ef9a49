"""Coverage modelled from the towers (and DEM), added to a run as signal layers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from gisapp.config import RunConfig, SignalRaster
from gisapp.crs import to_metric
from gisapp.errors import ConfigError
from gisapp.pipeline import Result
from gisapp.planning.plan import _analysis_crs
from gisapp.progress import Progress

__all__ = ["with_modelled_coverage"]

log = logging.getLogger(__name__)


def with_modelled_coverage(result: Result, out_dir: str | Path, *, config: RunConfig | None = None,
                           progress: Progress | None = None) -> RunConfig:
    """Model signal from the run's towers (and DEM) and return a config that adds it.

    The towers of ``result`` (``layers["towers"]``: carrier, technology and the
    config's height column) are modelled with
    :func:`gisapp.analysis.propagation.model_signal` on a grid of
    ``propagation.resolution_m`` over the villages, in the run's metric CRS (Hata +
    DEM line of sight, or the fixed radius without a DEM), written as
    ``out_dir/modelled_<key>.tif``.

    Returns
    -------
    RunConfig
        The config with one ``SignalRaster(kind="modelled")`` per modelled
        carrier × technology added to ``signal_rasters``; run it for the second pass.
    """
    from gisapp.analysis.propagation import _grid_from_sites, model_signal
    from gisapp.io.raster import write_signal_rasters

    cfg = config or result.config
    towers = result.layers.get("towers") if result.layers else None
    if towers is None or len(towers) == 0:
        raise ConfigError("modelled coverage needs a [towers] layer with at least one site")
    crs = _analysis_crs(result)
    sites = to_metric(towers, crs)
    hcol = cfg.towers.height_m if cfg.towers is not None else None
    sites = sites.assign(height_m=pd.to_numeric(sites[hcol], errors="coerce")
                         if hcol and hcol in sites.columns else np.nan)
    sites = sites[sites["technology"].astype(str).str.upper().isin(
        list(cfg.propagation.radius_m if cfg.dem is None else cfg.propagation.freq_mhz))]
    vb = to_metric(result.villages, crs).total_bounds
    corners = np.array([[vb[0], vb[1]], [vb[2], vb[3]]])
    transform, shape = _grid_from_sites(corners, np.zeros(2), cfg.propagation.resolution_m)
    dem = None
    if cfg.dem is not None:
        from gisapp.io.raster import read_band

        arr, dtr, dcrs = read_band(cfg.dem.path, role="dem", max_mb=cfg.options.max_file_mb)
        dem = (arr.astype(np.float32), dtr, dcrs)
    layers = model_signal(sites, dem=dem, grid=(transform, shape, crs), settings=cfg.propagation,
                          thresholds=cfg.thresholds.dbm, progress=progress)
    paths = write_signal_rasters(layers, out_dir)
    added = tuple(SignalRaster(path=paths[k], carrier=layers[k].carrier,
                               technology=layers[k].technology, kind="modelled")
                  for k in sorted(paths))
    log.info("modelled coverage: %d layers at %.0f m written to %s", len(added),
             cfg.propagation.resolution_m, out_dir)
    return cfg.replace(signal_rasters=tuple(cfg.signal_rasters) + added)
