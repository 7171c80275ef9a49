"""safe_extract: path escapes, links and zip bombs are refused."""

from __future__ import annotations

import stat
import zipfile

import pytest

from gisapp.errors import UnsafeArchiveError
from gisapp.io.archive import safe_extract


def test_extracts_plain_archive(tmp_path):
    z = tmp_path / "ok.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a/b.txt", "hello")
        zf.writestr("c.txt", "x" * 10)
    files = safe_extract(z, tmp_path / "out")
    assert sorted(f.name for f in files) == ["b.txt", "c.txt"]
    assert (tmp_path / "out" / "a" / "b.txt").read_text() == "hello"


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt",
                                  "C:/evil.txt", "..\\evil.txt"])
def test_refuses_escaping_entries(tmp_path, name):
    z = tmp_path / "bad.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("good.txt", "fine")
        zf.writestr(name, "evil")
    with pytest.raises(UnsafeArchiveError, match=r"bad\.zip.*entry '.*evil\.txt' points outside"):
        safe_extract(z, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not list(tmp_path.rglob("evil.txt"))


def test_refuses_symlink_entry(tmp_path):
    z = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="entry 'link' is a symbolic link"):
        safe_extract(z, tmp_path / "out")


def test_refuses_zip_bomb_by_declared_size(tmp_path):
    z = tmp_path / "bomb.zip"
    block = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.bin", "w", force_zip64=True) as fh:
            for _ in range(200):
                fh.write(block)
    assert z.stat().st_size < 1024 * 1024          # 200 MB compressed into < 1 MB
    with pytest.raises(UnsafeArchiveError, match=r"entry 'zeros\.bin' .*over the limit of 10 MB"):
        safe_extract(z, tmp_path / "out", max_bytes=10 * 1024**2)
    assert not (tmp_path / "out" / "zeros.bin").exists()


def test_refuses_bomb_that_lies_about_its_size(tmp_path):
    """Declared sizes patched to 1 byte: the streaming counter still stops it."""
    z = tmp_path / "liar.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * (20 * 1024 * 1024))
    data = bytearray(z.read_bytes())
    # patch uncompressed size in the central directory (offset 24 after signature)
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (1).to_bytes(4, "little")
    lh = data.find(b"PK\x03\x04")
    data[lh + 22:lh + 26] = (1).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    with pytest.raises((UnsafeArchiveError, Exception)) as info:
        safe_extract(z, tmp_path / "out", max_bytes=1024 * 1024)
    # either our limit or zipfile's own size/CRC check stops it; never 20 MB on disk
    assert sum(f.stat().st_size for f in (tmp_path / "out").rglob("*") if f.is_file()) <= 1024**2
    assert info.type.__name__ in ("UnsafeArchiveError", "UnreadableFileError")


def test_refuses_too_many_files(tmp_path):
    z = tmp_path / "many.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(5):
            zf.writestr(f"f{i}.txt", "x")
    with pytest.raises(UnsafeArchiveError, match="5 entries, over the limit of 3"):
        safe_extract(z, tmp_path / "out", max_files=3)
