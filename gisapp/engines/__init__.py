"""Engines: other ways to run the slow stage of :func:`gisapp.pipeline.measure`.

The local engine is :func:`gisapp.pipeline.measure` itself. An engine here is chosen by
``engine = "<name>"`` under ``[options]``: the pipeline looks its module up by name in
:data:`gisapp.pipeline.measuring.ENGINES` and calls its ``measure(config, progress=)``.
An engine builds on the pipeline's public layer API (:mod:`gisapp.pipeline.layers`) and
returns the same :class:`~gisapp.pipeline.Measured`; the pipeline never imports an engine.

* :mod:`gisapp.engines.dask` — the per-village measurements on a ``dask.distributed``
  cluster (the ``[scale]`` extra).
"""
