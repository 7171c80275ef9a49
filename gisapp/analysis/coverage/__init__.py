"""How much of each village one carrier × technology layer covers.

Three kinds of evidence, one result shape. Every function returns a DataFrame aligned
to ``villages.index`` (no village dropped or duplicated) with

``area_share``   float64, share of the village area covered, in [0, 1]; NaN = cannot judge
``pop_share``    float64, share of the village's people covered, in [0, 1]; NaN = cannot judge
``centre``       pandas ``"boolean"``: whether the village centre is covered; NA = unknown
``signal_dbm``   float64, signal at / near the centre (rasters and measurements only)

* :func:`polygon_coverage` — coverage polygons (carriers' service maps), exact areas in a
  metric CRS: each village is measured against the coverage clipped to its own rectangle
  (unioned only where polygons overlap there), because one union of a whole layer, or
  intersecting villages with it, is what makes a plain overlay slow (DESIGN.md: 62 s for
  100,000 villages; tiling the union first: 6 s; per-village rectangles: about half that).
* :func:`raster_coverage` — signal rasters (dBm), exact pixel fractions through a reusable
  :class:`~gisapp.analysis.zonal.ZonalIndex`; no geometry work per call, so changing the
  threshold is cheap.
* :func:`measurement_coverage` — drive-test points.

Point villages (only a location is known) have no area: their ``area_share`` and
``pop_share`` are the centre answer as 1.0 / 0.0.

The package is split by concern: :mod:`.common` (result shape, CRS checks, centres),
:mod:`.pieces` (coverage polygons clipped to rectangles and unioned, with the kept pieces),
:mod:`.polygons`, :mod:`.rasters` and :mod:`.measurements`. This package opens no file.
"""

from __future__ import annotations

from gisapp.analysis.coverage.common import AREA_SHARE, CENTRE, POP_SHARE, SIGNAL_DBM, centres
from gisapp.analysis.coverage.measurements import measurement_coverage
from gisapp.analysis.coverage.pieces import _CUTS
from gisapp.analysis.coverage.polygons import polygon_coverage
from gisapp.analysis.coverage.rasters import centre_signal, raster_coverage

__all__ = [
    "AREA_SHARE", "POP_SHARE", "CENTRE", "SIGNAL_DBM",
    "centres", "polygon_coverage", "raster_coverage", "centre_signal", "measurement_coverage",
]
