"""The README's two commands: `.ci/run` runs the test command exactly, and both make and use
their own virtual environment (so they work on a system Python that refuses pip, PEP 668)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_has_an_app_command_and_a_test_command():
    app, test = _readme_commands()[:2]
    assert "streamlit run streamlit_app.py" in app and '".[app]"' in app
    assert test.endswith("-m pytest") and '".[test]"' in test
    for cmd in (app, test):
        assert cmd.startswith("python3 -m venv --without-pip .venv && ")
        assert "python3 -m pip --python .venv/bin/python install" in cmd


def test_ci_runs_the_readme_test_command_exactly():
    test = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last = [ln for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")][-1]
    assert last.strip() == test


def test_the_virtual_environment_is_not_committed():
    assert ".venv/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
