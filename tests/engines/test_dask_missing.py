"""Without the [scale] extra, engine = "dask" is a one-line message, not a traceback."""

from __future__ import annotations

import dataclasses
import sys

import pytest


def test_dask_engine_without_the_extra_says_what_to_install(demo_config_path, monkeypatch, capsys):
    from gisapp import pipeline
    from gisapp.cli import main
    from gisapp.config import load_config
    from gisapp.errors import ConfigError

    monkeypatch.setitem(sys.modules, "distributed", None)      # import distributed fails
    cfg = load_config(demo_config_path)
    cfg = cfg.replace(options=dataclasses.replace(cfg.options, engine="dask"))
    with pytest.raises(ConfigError, match=r'pip install "gisapp\[scale\]"'):
        pipeline.measure(cfg)
    code = main(["run", str(demo_config_path), "--out", "unused", "--scheduler", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("gisapp: error: engine = \"dask\" needs dask-geopandas and distributed")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
