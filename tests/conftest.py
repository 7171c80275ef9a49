"""Shared fixtures: the demo province (generated once per session) and its run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_config_path(tmp_path_factory) -> Path:
    """The demo inputs and config, generated once for the session in a temp folder."""
    from gisapp.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_measured(demo_config_path):
    from gisapp.config import load_config
    from gisapp.pipeline import measure

    return measure(load_config(demo_config_path))


@pytest.fixture(scope="session")
def demo_result(demo_measured):
    from gisapp.pipeline import assess

    return assess(demo_measured)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real public data (GISAPP_REAL_DATA); skips the test without it."""
    root = os.environ.get("GISAPP_REAL_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("GISAPP_REAL_DATA is not set to the real-data folder (../shared/data); "
                    ".ci/run sets it when the folder exists")
    return Path(root)
