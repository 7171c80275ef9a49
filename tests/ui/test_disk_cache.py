"""The demo's measured result kept on disk (gisapp.ui.cache.on_disk): a fresh server skips
the slow stage; a damaged file is computed again."""

from __future__ import annotations

from gisapp.ui import cache


def test_on_disk_computes_once_then_reads(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"x": [1, 2, 3]}

    assert cache.on_disk(tmp_path, "k", compute) == {"x": [1, 2, 3]}
    assert cache.on_disk(tmp_path, "k", compute) == {"x": [1, 2, 3]}
    assert len(calls) == 1
    assert cache.on_disk(tmp_path, "other", compute) == {"x": [1, 2, 3]}
    assert len(calls) == 2


def test_on_disk_damaged_file_is_computed_again(tmp_path):
    cache.on_disk(tmp_path, "k", lambda: 1)
    (f,) = tmp_path.glob(".measured-*.pickle")
    f.write_bytes(b"not a pickle")
    assert cache.on_disk(tmp_path, "k", lambda: 2) == 2
    assert cache.on_disk(tmp_path, "k", lambda: 3) == 2


def test_on_disk_read_only_folder_still_returns(tmp_path):
    missing = tmp_path / "absent"
    assert cache.on_disk(missing, "k", lambda: 5) == 5
