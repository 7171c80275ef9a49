"""Unpack user zip archives without trusting them.

A zip from outside can hold entries that escape the target folder (``../x``, ``/etc/x``,
``C:\\x``), symbolic links, or a "zip bomb" whose declared sizes lie. :func:`safe_extract`
refuses all of these and never leaves more than ``max_bytes`` on disk.
"""

from __future__ import annotations

import logging
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from gisapp.errors import UnreadableFileError, UnsafeArchiveError

__all__ = ["safe_extract"]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


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


def safe_extract(zip_path: str | Path, dest: str | Path, *, max_bytes: int = 2 * 1024**3,
                 max_files: int = 10_000) -> list[Path]:
    """Extract a zip archive into ``dest``, refusing anything unsafe.

    Parameters
    ----------
    zip_path
        The archive.
    dest
        Target folder (created if needed).
    max_bytes
        Limit on the total uncompressed size; checked on the declared sizes and again on
        the bytes actually written, so a bomb that lies about its sizes is stopped too.
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
                        if written > max_bytes:
                            raise UnsafeArchiveError(
                                f"entry '{info.filename}' expands beyond the declared sizes, "
                                f"over the limit of {max_bytes / 1024**2:.0f} MB (a zip bomb?); "
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
