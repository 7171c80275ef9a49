"""gisapp — villages with no electricity and no mobile signal, ranked for investment.

The one-call entry point is :func:`gisapp.run`::

    import gisapp
    result = gisapp.run("config.toml")      # or a RunConfig
    result.villages                          # GeoDataFrame, one row per village
    result.summary                           # per commune and province
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "run", "load_config", "RunConfig"]

if TYPE_CHECKING:  # pragma: no cover
    from gisapp.config import RunConfig, load_config
    from gisapp.pipeline import run


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import gisapp` stays cheap (the CLI's --version, the app).
    if name == "run":
        from gisapp.pipeline import run

        return run
    if name in ("load_config", "RunConfig"):
        from gisapp import config

        return getattr(config, name)
    raise AttributeError(name)
