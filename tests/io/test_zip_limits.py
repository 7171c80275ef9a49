"""Issue 12, finding 1: zip limits of their own, checked before extracting, and zip errors
that name the user's zip (never a temporary path)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import gisapp
from gisapp.config import config_from_dict
from gisapp.errors import UnreadableFileError, UnsafeArchiveError
from gisapp.io.archive import safe_extract

REPO = Path(gisapp.__file__).resolve().parents[1]   # the gisapp under test


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A 1 GiB member (zeros named villages.geojson) in a zip of about 1 MB."""
    z = tmp_path_factory.mktemp("bomb") / "thon.zip"
    block = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("villages.geojson", "w", force_zip64=True) as fh:
            for _ in range(1024):
                fh.write(block)
    assert z.stat().st_size < 1.2 * 1024 * 1024
    return z


_PROBE = r"""
import json, resource, sys, time
import gisapp
import gisapp.pipeline  # imports are not the bomb's cost: load them before the clock starts
from gisapp.config import config_from_dict
from gisapp.errors import GisappError

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

t, c = time.perf_counter(), cpu()
try:
    gisapp.run(config_from_dict({"villages": {"path": sys.argv[1]}}))
    out = {"error": None}
except GisappError as exc:
    out = {"error": type(exc).__name__, "message": str(exc)}
out["seconds"] = time.perf_counter() - t
out["cpu_seconds"] = cpu() - c
out["rss_mb_getrusage"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# Linux carries the parent's resident size into ru_maxrss across fork + exec (pytest is
# large by then); VmHWM is this process's own peak since exec
try:
    with open("/proc/self/status") as fh:
        hwm = [ln for ln in fh if ln.startswith("VmHWM:")][0]
    out["rss_mb"] = int(hwm.split()[1]) / 1024
except (OSError, IndexError):
    out["rss_mb"] = out["rss_mb_getrusage"]
print(json.dumps(out))
"""


def test_zip_bomb_as_village_layer_is_refused_fast_and_small(bomb, tmp_path):
    """Default config: refused before extracting, < 300 MB peak RSS, < 2 s.

    The time is CPU time (user + system) of the run, so that a busy machine does not
    fail the test; on an idle one the wall time is about the same (0.1 s)."""
    res = subprocess.run([sys.executable, "-c", _PROBE, str(bomb)], capture_output=True,
                         text=True, cwd=tmp_path, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["error"] == "UnsafeArchiveError", out
    assert "thon.zip" in out["message"] and "zip bomb" in out["message"]
    assert "gisapp-zip-" not in out["message"] and "/tmp/tmp" not in out["message"]
    assert out["rss_mb"] < 300, out
    assert out["cpu_seconds"] < 2.0, out


def test_zip_limits_do_not_grow_with_max_file_mb(bomb, tmp_path):
    cfg = config_from_dict({"villages": {"path": str(bomb)},
                            "options": {"max_file_mb": 1_000_000.0}})
    with pytest.raises(UnsafeArchiveError, match=r"thon\.zip.*over the limit of 200 times"):
        gisapp.run(cfg)
    with pytest.raises(UnsafeArchiveError):
        safe_extract(bomb, tmp_path / "out", max_bytes=10**15)
    assert not any((tmp_path / "out").rglob("*.geojson"))


def test_absolute_limit_is_checked_on_declared_sizes(tmp_path, monkeypatch):
    """A zip that expands beyond MAX_EXPANDED_BYTES (here lowered) is refused unread."""
    import gisapp.io.archive as archive
    monkeypatch.setattr(archive, "MAX_EXPANDED_BYTES", 1024 * 1024)
    z = tmp_path / "big.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("a.bin", b"x" * (2 * 1024 * 1024))
    with pytest.raises(UnsafeArchiveError, match=r"big\.zip.*over the limit of 1 MB"):
        archive.safe_extract(z, tmp_path / "out", max_bytes=10**12)
    assert not (tmp_path / "out" / "a.bin").exists()
    assert archive.MAX_EXPANDED_BYTES == 1024 * 1024      # lowered for this test only


def test_error_inside_a_zip_names_the_users_zip(tmp_path):
    z = tmp_path / "lang_ban.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("data/villages.geojson", "{ this is not json")
    with pytest.raises(UnreadableFileError) as info:
        gisapp.run(config_from_dict({"villages": {"path": str(z)}}))
    msg = str(info.value)
    assert "lang_ban.zip" in msg and "data/villages.geojson" in msg
    assert "not valid GeoJSON" in msg
    assert "gisapp-zip-" not in msg and info.value.path == str(z)
