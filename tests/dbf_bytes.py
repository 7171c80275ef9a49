"""Shapefile attribute tables written byte by byte, as Vietnamese Windows software writes
them (cp1258), for the reader tests; shared by test_io_vector and test_bad_inputs."""

from __future__ import annotations

import struct
import unicodedata
from pathlib import Path


def cp1258(text: str) -> bytes:
    """Encode like Vietnamese Windows software: precomposed where cp1258 has the letter,
    else base letter + combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", ch)
            out += unicodedata.normalize("NFC", d[:-1]).encode("cp1258") + d[-1].encode("cp1258")
    return out


def write_dbf(path: Path, fields: list[tuple[bytes, int]], rows: list[list[bytes]]) -> None:
    """A dBASE III file written byte by byte (character fields only)."""
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(w for _, w in fields)
    head = struct.pack("<BBBBIHH20x", 3, 125, 1, 1, len(rows), header_len, record_len)
    for name, width in fields:
        head += struct.pack("<11sc4xBB14x", name.ljust(11, b"\0"), b"C", width, 0)
    body = b"".join(b" " + b"".join(v.ljust(w, b" ") for v, (_, w) in zip(r, fields))
                    for r in rows)
    path.write_bytes(head + b"\r" + body + b"\x1a")
