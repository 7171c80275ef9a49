"""The layer contract of pyproject.toml ([tool.importlinter]) holds: layers point one way,
analysis/pipeline/io never import streamlit or folium, ui never imports analysis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="the layer contract needs import-linter "
                    "(pip install import-linter, part of the test extra)")

ROOT = Path(__file__).resolve().parents[2]


def test_layer_contract_is_kept(tmp_path):
    # a fresh interpreter with this tree first on the path, so that the graph is built from
    # the code under test and not from another installed copy of gisapp
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    cmd = [sys.executable, "-c",
           "import sys; from importlinter.cli import lint_imports_command; "
           "sys.argv[0] = 'lint-imports'; lint_imports_command()",
           "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    out = done.stdout + done.stderr
    assert "Analyzed" in out, out
    assert done.returncode == 0, "the layer contract is broken:\n" + out
