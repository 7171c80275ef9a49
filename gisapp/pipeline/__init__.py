"""The run: read layers → normalise → measure → classify → score → summarise.

Two stages, so that the app can change thresholds and weights without re-reading or
re-joining anything:

* :func:`measure` reads every layer, normalises it (CRS, validity, encodings, names)
  and measures it on the villages once (the slow part);
* :func:`assess` turns those measurements into classes, scores, ranks and summaries
  for the thresholds and weights of a config (cheap).

:func:`run` does both. Every village read appears exactly once in the result; one the
data cannot judge is ``unknown``, with the reason in ``why``.

Modules, bottom to top: :mod:`~gisapp.pipeline.model` (the types),
:mod:`~gisapp.pipeline.normalise` (villages, column checks), :mod:`~gisapp.pipeline.layers`
(the public layer API the local and the Dask engine share), :mod:`~gisapp.pipeline.jobs`
(one job per kind of layer), :mod:`~gisapp.pipeline.assessing`,
:mod:`~gisapp.pipeline.measuring` (the local engine, and the dispatch to
:mod:`gisapp.engines`), :mod:`~gisapp.pipeline.running`. (Named so, not ``measure``,
``assess``, ``run``, because the functions re-exported here would hide such modules.)
"""

from __future__ import annotations

from gisapp.analysis.summary import headline  # re-exported: the app's figures of a selection
from gisapp.pipeline.assessing import assess
from gisapp.pipeline.measuring import measure
from gisapp.pipeline.model import Measured, Progress, RasterState, Result, RunReport
from gisapp.pipeline.running import run, run_to_dir

__all__ = ["Progress", "RunReport", "RasterState", "Measured", "Result", "measure", "assess",
           "run", "run_to_dir", "headline"]
