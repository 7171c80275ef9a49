"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*$")


def _norm(requirement: str) -> tuple[str, str] | None:
    """``"Tomli_W >= 1.0"`` → ``("tomli-w", ">=1.0")``; None for gisapp itself."""
    m = _REQ.match(requirement.split("#", 1)[0])
    if not m:
        raise AssertionError(f"cannot read requirement {requirement!r}")
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    if name == "gisapp":
        return None
    return name, m.group(3).replace(" ", "")


def pyproject_deps() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    reqs = list(project["dependencies"]) + [
        r for extra in project["optional-dependencies"].values() for r in extra]
    out: dict[str, str] = {}
    for r in reqs:
        got = _norm(r)
        if got:
            assert out.get(got[0], got[1]) == got[1], f"{got[0]} has two versions in pyproject"
            out[got[0]] = got[1]
    return out


def environment_deps() -> dict[str, str]:
    """The conda and pip entries of environment.yml (a flat YAML list; no YAML parser
    needed): everything but python, pip and the editable install of gisapp."""
    out: dict[str, str] = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if not in_deps or not line.strip().startswith("- "):
            continue
        item = line.strip()[2:].split("#", 1)[0].strip()
        if item in ("pip", "pip:") or item.startswith("-e ") or item.startswith("python"):
            continue
        got = _norm(item)
        if got:
            assert got[0] not in out, f"{got[0]} is listed twice in environment.yml"
            out[got[0]] = got[1]
    return out


def test_environment_and_pyproject_list_the_same_dependencies():
    pip, conda = pyproject_deps(), environment_deps()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml only: add them to environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml only: add them to pyproject.toml"
    differ = {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}
    assert differ == {}, "versions differ (pyproject, environment.yml)"


def test_the_notebook_runner_is_a_test_dependency():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test = {(_norm(r) or ("",))[0] for r in data["project"]["optional-dependencies"]["test"]}
    assert {"nbclient", "nbformat", "ipykernel"} <= test
