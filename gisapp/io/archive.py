"""Unpack user zip archives without trusting them.

A zip from outside can hold entries that escape the target folder (``../x``, ``/etc/x``,
``C:\\x``), symbolic links, or a "zip bomb" whose declared sizes lie. :func:`safe_extract`
refuses all of these and never leaves more than ``max_bytes`` on disk.

Zip limits of their own
-----------------------
Two limits are checked on the declared sizes *before* anything is extracted, and the
bytes actually written are counted against the same limit while extracting. They do
not grow with ``options.max_file_mb`` (that limit only applies to the zip file itself;
a smaller ``max_bytes`` from the caller lowers the expanded limit further):

* :data:`MAX_EXPANDED_BYTES` = 1 GiB in total. A vector layer for a province is tens of
  MB; all of Vietnam's 2025 communes as GeoJSON are about 300 MB. GeoPandas needs several
  times a layer's size in memory, so a layer over 1 GiB cannot be read on the laptops
  this tool is made for anyway.
* :data:`MAX_RATIO` = 200 (expanded size ÷ zip size). Shapefiles and GeoPackages deflate
  by 2–10×, GeoJSON text with repeated keys by 10–50×; 200 leaves four times that head
  room, while a deflate bomb reaches about 1,000× (a 1 GiB member in a 1 MB zip).
  Archives that expand to less than :data:`RATIO_FREE_BYTES` (64 MB) are not held to
  the ratio: a tiny, very compressible layer harms no one.
"""

from __future__ import annotations

import logging
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from gisapp.errors import UnreadableFileError, UnsafeArchiveError

__all__ = ["safe_extract", "MAX_EXPANDED_BYTES", "MAX_RATIO", "RATIO_FREE_BYTES"]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")

#: total expanded size an archive may declare or write (see the module doc)
MAX_EXPANDED_BYTES = 1024**3
#: largest expanded size ÷ archive size (see the module doc)
MAX_RATIO = 200.0
#: below this expanded size the ratio is not checked
RATIO_FREE_BYTES = 64 * 1024**2


def _check_ratio(declared: int, zip_path: Path, max_ratio: float) -> None:
    """Refuse an archive whose declared sizes expand more than ``max_ratio`` times."""
    packed = max(zip_path.stat().st_size, 1)
    if declared > RATIO_FREE_BYTES and declared > max_ratio * packed:
        raise UnsafeArchiveError(
            f"the archive ({packed / 1024**2:.1f} MB) says it expands to "
            f"{declared / 1024**2:.0f} MB, {declared / packed:.0f} times its size, over the "
            f"limit of {max_ratio:g} times (a zip bomb?); refusing to extract. Zip the layer's "
            "files themselves, or send them unzipped", path=zip_path,
        )


def _check_name(name: str, zip_path: Path) -> PurePosixPath:
    norm = name.replace("\\", "/")
    parts = PurePosixPath(norm).parts
    if (norm.startswith("/") or _DRIVE.match(norm) or ".." in parts or "\x00" in norm):
        raise UnsafeArchiveError(
            f"entry '{name}' points outside the archive's folder; refusing to extract it. "
            "Re-create the zip from the data folder itself",
            path=zip_path,
        )
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def safe_extract(zip_path: str | Path, dest: str | Path, *,
                 max_bytes: int = MAX_EXPANDED_BYTES, max_files: int = 10_000,
                 max_ratio: float = MAX_RATIO) -> list[Path]:
    """Extract a zip archive into ``dest``, refusing anything unsafe.

    Parameters
    ----------
    zip_path
        The archive.
    dest
        Target folder (created if needed).
    max_bytes
        Limit on the total uncompressed size, never above :data:`MAX_EXPANDED_BYTES`;
        checked on the declared sizes and again on the bytes actually written, so a bomb
        that lies about its sizes is stopped too.
    max_ratio
        Limit on the declared expanded size ÷ the archive's size, checked before
        extracting (:data:`MAX_RATIO`).
    max_files
        Limit on the number of entries.

    Returns
    -------
    list of Path
        The extracted files (not folders), in archive order.

    Raises
    ------
    UnsafeArchiveError
        An entry escapes ``dest`` (``..``, absolute path, drive letter), is a symbolic
        link, or the archive is over ``max_files`` / ``max_bytes``.
    UnreadableFileError
        The file is not a zip archive.
    """
    zpath = Path(zip_path)
    out = Path(dest)
    max_bytes = min(int(max_bytes), MAX_EXPANDED_BYTES)
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFileError(f"not a readable zip archive ({exc})", path=zpath) from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise UnsafeArchiveError(
                f"the archive has {len(infos)} entries, over the limit of {max_files}; "
                "zip only the layer's files", path=zpath,
            )
        declared = 0
        plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in infos:
            rel = _check_name(info.filename, zpath)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeArchiveError(
                    f"entry '{info.filename}' is a symbolic link; refusing to extract it",
                    path=zpath,
                )
            declared += info.file_size
            if declared > max_bytes:
                raise UnsafeArchiveError(
                    f"entry '{info.filename}' takes the uncompressed size over the limit of "
                    f"{max_bytes / 1024**2:.0f} MB; refusing to extract", path=zpath,
                )
            plan.append((info, rel))
        _check_ratio(declared, zpath, max_ratio)
        # what is written is held to both limits too (declared sizes can lie)
        packed = max(zpath.stat().st_size, 1)
        write_limit = min(max_bytes, max(RATIO_FREE_BYTES, int(max_ratio * packed)))

        out.mkdir(parents=True, exist_ok=True)
        root = out.resolve()
        written = 0
        files: list[Path] = []
        for info, rel in plan:
            target = (root / rel).resolve() if rel.parts else root
            if target != root and root not in target.parents:
                raise UnsafeArchiveError(
                    f"entry '{info.filename}' points outside the archive's folder", path=zpath)
            if info.is_dir() or not rel.parts:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > write_limit:
                            raise UnsafeArchiveError(
                                f"entry '{info.filename}' expands beyond the declared sizes, "
                                f"over the limit of {write_limit / 1024**2:.0f} MB (a zip bomb?); "
                                "refusing to extract", path=zpath,
                            )
                        dst.write(chunk)
            except UnsafeArchiveError:
                target.unlink(missing_ok=True)
                raise
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                target.unlink(missing_ok=True)
                raise UnreadableFileError(
                    f"entry '{info.filename}' is corrupt ({exc})", path=zpath) from exc
            files.append(target)
    log.info("extracted %d file(s), %.1f MB from %s", len(files), written / 1024**2, zpath)
    return files
