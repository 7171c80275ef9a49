"""The GeoPackage back end: snapshots in one ``.gpkg`` file, saved under ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisapp import schema as S
from gisapp.tracking.store.base import (
    _COUNTS_SQL, _TEXT_CORE, CORE_COLUMNS, SNAPSHOT_LIST_COLUMNS, SnapshotExistsError,
    SnapshotInfo, SnapshotStore, StoreBusyError, StoreUnavailableError, _as_id, _now, _Rows,
)

__all__ = ["GpkgStore"]

log = logging.getLogger(__name__)

# --- GeoPackage -----------------------------------------------------------------------
_GPKG_HEADER = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"),
                         ("env", "<f8", (4,))])


def _gpkg_blobs(geoms: np.ndarray, wkb: np.ndarray, srs_id: int = 4326) -> list[bytes | None]:
    """GeoPackage geometry blobs: 40-byte header (xy envelope, little endian) + ISO WKB."""
    n = len(geoms)
    header = np.zeros(n, dtype=_GPKG_HEADER)
    header["magic"] = b"GP"
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    # flags: bit 0 little endian, bits 1-3 = 1 (envelope minx maxx miny maxy), bit 4 empty
    header["flags"] = np.where(empty, 0b10011, 0b00011)
    header["srs"] = srs_id
    b = shapely.bounds(geoms)  # minx, miny, maxx, maxy (NaN for empty)
    header["env"] = b[:, [0, 2, 1, 3]]
    raw = header.tobytes()
    size = _GPKG_HEADER.itemsize
    missing = shapely.is_missing(geoms)
    return [None if missing[i] else raw[i * size:(i + 1) * size] + wkb[i] for i in range(n)]


def _gpkg_wkb(blobs: list[bytes | None]) -> list[bytes | None]:
    """Strip GeoPackage headers (any envelope kind) back to WKB."""
    env_size = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    out: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            out.append(None)
            continue
        flags = blob[3]
        out.append(bytes(blob[8 + env_size.get((flags >> 1) & 0b111, 0):]))
    return out


_GPKG_SNAPSHOTS_DDL = """
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    label TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    config_toml TEXT,
    manifest_json TEXT,
    n_villages INTEGER NOT NULL,
    columns_json TEXT
)"""


class GpkgStore(SnapshotStore):
    """Snapshots in one GeoPackage file (layers ``villages`` and table ``snapshots``).

    Parameters
    ----------
    path
        The ``.gpkg`` file; created with its tables on first use.
    timeout_s
        How long a save waits for another process's save to finish.
    """

    def __init__(self, path: str | Path, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self.timeout_s = float(timeout_s)
        if self.path.exists():
            self._check_file()
        else:
            self._create()

    # file creation: a complete GeoPackage made aside, then linked in place atomically
    def _create(self) -> None:
        folder = self.path.parent
        if not folder.is_dir():
            raise StoreUnavailableError(
                f"cannot create store '{self.path}': folder '{folder}' does not exist")
        import pyogrio

        empty = gpd.GeoDataFrame(
            {"snapshot_id": pd.Series([], dtype="int64"), "row_order": pd.Series([], dtype="int64"),
             **{c: pd.Series([], dtype="str") for c in _TEXT_CORE},
             S.POP: pd.Series([], dtype="float64"), "attrs_json": pd.Series([], dtype="str")},
            geometry=gpd.GeoSeries([], crs=4326),
        )
        empty = empty[["snapshot_id", "row_order", *CORE_COLUMNS, "attrs_json", "geometry"]]
        fd, tmp = tempfile.mkstemp(prefix=".gisapp-store-", suffix=".gpkg", dir=folder)
        os.close(fd)
        os.unlink(tmp)
        try:
            pyogrio.write_dataframe(empty, tmp, layer="villages", driver="GPKG",
                                    geometry_type="Unknown",
                                    layer_options={"SPATIAL_INDEX": "NO"})
            with sqlite3.connect(tmp) as con:
                con.execute(_GPKG_SNAPSHOTS_DDL)
                con.execute("CREATE INDEX IF NOT EXISTS villages_snapshot_idx "
                            "ON villages(snapshot_id)")
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                    "VALUES ('snapshots', 'attributes', 'snapshots', 'gisapp snapshots')")
            con.close()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                log.debug("store %s was created meanwhile by another process", self.path)
            except OSError:  # file systems without hard links: small race, still safe to read
                if not self.path.exists():
                    os.replace(tmp, self.path)
            log.info("created snapshot store %s", self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._check_file()

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"cannot open store '{self.path}': {exc}") from None
        return con

    def _check_file(self) -> None:
        try:
            con = self._connect()
            try:
                names = {r[0] for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                con.close()
        except sqlite3.DatabaseError:
            raise StoreUnavailableError(
                f"'{self.path}' is not a GeoPackage snapshot store (not an SQLite file); "
                "give a new .gpkg path or an existing store") from None
        if not {"snapshots", "villages"} <= names:
            raise StoreUnavailableError(
                f"'{self.path}' is a GeoPackage but not a gisapp snapshot store (no 'snapshots' "
                "and 'villages' tables); give another path for the store")

    def _save(self, rows: _Rows, *, label: str, date: _dt.date, config_toml: str,
              manifest_json: str) -> SnapshotInfo:
        blobs = _gpkg_blobs(rows.geoms, rows.wkb)
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise StoreBusyError(
                        f"store '{self.path}' stayed locked by another save for more than "
                        f"{self.timeout_s:g} s; nothing was written, try again") from None
                raise
            try:
                if con.execute("SELECT 1 FROM snapshots WHERE label = ?", (label,)).fetchone():
                    raise SnapshotExistsError(
                        f"a snapshot labelled '{label}' is already in store '{self.path}'; "
                        "choose another label (labels are unique)")
                created = _now()
                cur = con.execute(
                    "INSERT INTO snapshots (label, date, created_at, config_toml, manifest_json, "
                    "n_villages, columns_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (label, date.isoformat(), created, config_toml, manifest_json,
                     len(rows.attrs_json), rows.columns_json),
                )
                sid = int(cur.lastrowid)
                core = rows.core
                records = zip(
                    [sid] * len(core), range(len(core)),
                    *(core[c].tolist() for c in CORE_COLUMNS), rows.attrs_json, blobs,
                )
                cols = ", ".join(["snapshot_id", "row_order", *CORE_COLUMNS, "attrs_json", "geom"])
                marks = ", ".join("?" * (len(CORE_COLUMNS) + 4))
                con.executemany(f"INSERT INTO villages ({cols}) VALUES ({marks})", records)
                con.execute("UPDATE gpkg_contents SET last_change = "
                            "strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                            "WHERE table_name IN ('villages', 'snapshots')")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()
        return SnapshotInfo(sid, label, date, created, len(rows.attrs_json), config_toml,
                            json.loads(manifest_json))

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def _list(self) -> list[tuple]:
        return self._query(f"SELECT {', '.join(SNAPSHOT_LIST_COLUMNS)} FROM snapshots")

    def _find(self, label_or_id: str | int) -> dict[str, Any] | None:
        cols = ("id", "label", "date", "created_at", "n_villages", "config_toml",
                "manifest_json", "columns_json")
        sql = f"SELECT {', '.join(cols)} FROM snapshots WHERE "
        rows = self._query(sql + "label = ?", (str(label_or_id),))
        if not rows and _as_id(label_or_id) is not None:
            rows = self._query(sql + "id = ?", (_as_id(label_or_id),))
        return dict(zip(cols, rows[0])) if rows else None

    def _villages(self, snapshot_id: int) -> tuple[list[str], list[bytes | None]]:
        rows = self._query("SELECT attrs_json, geom FROM villages WHERE snapshot_id = ? "
                           "ORDER BY row_order", (snapshot_id,))
        return [r[0] for r in rows], _gpkg_wkb([r[1] for r in rows])

    def _counts(self) -> list[tuple]:
        return self._query(_COUNTS_SQL.format(villages="villages"))
