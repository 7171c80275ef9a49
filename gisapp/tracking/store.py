"""Snapshot stores: every run saved as a dated, labelled snapshot of its village results.

Two back ends share one layout and one API (:class:`SnapshotStore`):

* a **GeoPackage** file (the default; one file per province project, no server), and
* a **PostgreSQL/PostGIS** database given by a ``postgresql://`` URL (a shared office
  server); tables live in the schema named by the URL's ``?schema=`` (default ``gisapp``).

Layout
------
``snapshots``  one row per snapshot: ``id, label (unique), date, created_at, config_toml,
               manifest_json, n_villages, columns_json`` (the village columns and dtypes).
``villages``   one row per village per snapshot: ``snapshot_id, row_order`` and the
               identity and class columns as real fields (``village_id, name, commune,
               province, pop, gap_class, signal_class, power_status``) so a GIS user can
               filter them, the full row as JSON in ``attrs_json`` (the village table's
               columns differ between runs: one set per coverage layer), and the geometry
               in EPSG:4326.

Both back ends serialise the rows the same way, so a snapshot loads identically from
either.

Concurrency
-----------
A save is one database transaction: metadata and villages commit together or not at
all. In a GeoPackage the transaction starts with ``BEGIN IMMEDIATE`` and a busy timeout
(``timeout_s``), so a second process saving into the same file waits for the first and
then goes on; if it waits longer than the timeout it fails with
:class:`StoreBusyError` and nothing is written. The same holds on any OS (no ``fcntl``).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gisapp import jsonsafe
from gisapp import schema as S
from gisapp.errors import DuplicateIdError, GisappError, MissingCRSError, MissingColumnError

__all__ = [
    "SnapshotInfo", "SnapshotStore", "GpkgStore", "PostgisStore", "open_store",
    "StoreError", "SnapshotExistsError", "SnapshotNotFoundError", "StoreBusyError",
    "StoreUnavailableError", "SNAPSHOT_LIST_COLUMNS", "CORE_COLUMNS",
]

log = logging.getLogger(__name__)

#: village columns stored as real fields (besides the JSON of the full row)
CORE_COLUMNS = (S.ID, S.NAME, S.COMMUNE, S.PROVINCE, S.POP, S.GAP_CLASS, S.SIGNAL_CLASS,
                S.POWER_STATUS)
_TEXT_CORE = tuple(c for c in CORE_COLUMNS if c != S.POP)
#: columns of :meth:`SnapshotStore.list`
SNAPSHOT_LIST_COLUMNS = ("id", "label", "date", "created_at", "n_villages")
#: columns a village frame must have to be saved
REQUIRED_COLUMNS = (S.ID, S.GAP_CLASS)

_LABEL_RE = re.compile(r"^\S(.{0,118}\S)?$")


# --- errors ---------------------------------------------------------------------------
class StoreError(GisappError, ValueError):
    """A snapshot store cannot do what was asked (message says what to do)."""


class SnapshotExistsError(StoreError):
    """A snapshot with this label is already in the store."""


class SnapshotNotFoundError(StoreError, LookupError):
    """No snapshot with this label or id."""


class StoreBusyError(StoreError):
    """Another process held the store longer than the timeout."""


class StoreUnavailableError(GisappError, OSError):
    """The store file or server cannot be opened."""


# --- the snapshot record ------------------------------------------------------------
@dataclass(frozen=True)
class SnapshotInfo:
    """One saved snapshot's metadata.

    Attributes
    ----------
    id : int
        Store-assigned, increasing in save order.
    label : str
        Unique within the store (e.g. ``"survey-2025-06"``).
    date : datetime.date
        Date of the survey the snapshot describes (not of the save).
    created_at : str
        When it was saved, ISO 8601 UTC.
    n_villages : int
    config_toml : str
        The run's config as TOML text.
    manifest : dict
        The run's manifest (config, input hashes, version, time).
    """

    id: int
    label: str
    date: _dt.date
    created_at: str
    n_villages: int
    config_toml: str = ""
    manifest: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _parse_date(value: object) -> _dt.date:
    if value is None:
        return _dt.date.today()
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise StoreError(
            f"snapshot date '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2025-06-30"
        ) from None


def _check_label(label: object) -> str:
    if not isinstance(label, str) or not _LABEL_RE.match(label):
        raise StoreError(
            f"snapshot label {label!r} is not usable; give 1-120 characters that do not start "
            "or end with a space, e.g. 'survey-2025-06'"
        )
    if label.isdigit():
        raise StoreError(
            f"snapshot label '{label}' is only digits, which would be confused with a snapshot "
            "id; add a word, e.g. 'survey-" + label + "'"
        )
    return label


# --- row serialisation (shared by both back ends) ------------------------------------
@dataclass(frozen=True)
class _Rows:
    """A village frame flattened for storage."""

    core: pd.DataFrame          # CORE_COLUMNS as text / float
    attrs_json: list[str]
    wkb: np.ndarray             # object array of bytes or None (EPSG:4326, ISO WKB)
    geoms: np.ndarray           # shapely geometries (EPSG:4326)
    columns_json: str


def _prepare(villages: gpd.GeoDataFrame) -> _Rows:
    if not isinstance(villages, gpd.GeoDataFrame):
        raise StoreError("a snapshot is saved from a GeoDataFrame of villages (the run's "
                         "result.villages)")
    missing = [c for c in REQUIRED_COLUMNS if c not in villages.columns]
    if missing:
        raise MissingColumnError(
            f"the villages to save lack column(s) {', '.join(missing)}; save the result of "
            "gisapp.pipeline.run (result.villages)", layer="villages")
    if villages.crs is None:
        raise MissingCRSError("the villages to save have no CRS; set one (EPSG:4326)",
                              layer="villages")
    ids = villages[S.ID].astype("str")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DuplicateIdError(
            f"{len(dup)} village id(s) appear more than once (e.g. '{dup.iloc[0]}'); a snapshot "
            "needs one row per village", layer="villages")
    gdf = villages
    if not CRS.from_user_input(gdf.crs).equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs(4326)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    columns = [[str(c), str(attrs[c].dtype)] for c in attrs.columns]
    if len(attrs):
        text = attrs.to_json(orient="records", lines=True, date_format="iso",
                             default_handler=str, force_ascii=False)
        attrs_json = text.rstrip("\n").split("\n")
    else:
        attrs_json = []
    core = pd.DataFrame(index=range(len(attrs)))
    for col in CORE_COLUMNS:
        if col not in attrs.columns:
            core[col] = None if col != S.POP else np.nan
        elif col == S.POP:
            core[col] = pd.to_numeric(attrs[col], errors="coerce").astype("float64").to_numpy()
        else:
            vals = attrs[col].astype("object").to_numpy()
            core[col] = [None if pd.isna(v) else str(v) for v in vals]
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    wkb = shapely.to_wkb(geoms, flavor="iso", output_dimension=2)
    return _Rows(core, attrs_json, wkb, geoms, jsonsafe.dumps(columns))


def _rebuild(attrs_json: list[str], geoms: np.ndarray, columns_json: str) -> gpd.GeoDataFrame:
    columns = json.loads(columns_json) if columns_json else []
    names = [c for c, _ in columns]
    # one json.loads of the whole array, then one list per column (2-3x faster than
    # pandas.read_json for 100,000 rows)
    records = json.loads("[" + ",".join(attrs_json) + "]") if attrs_json else []
    out = pd.DataFrame(index=range(len(attrs_json)))
    for name, dtype in columns:
        col = pd.Series([r.get(name) for r in records], dtype=object)
        try:
            out[name] = col.astype(dtype)
        except (TypeError, ValueError):
            log.debug("column %s kept as read (could not restore dtype %s)", name, dtype)
            out[name] = col
    out = out[names] if names else out
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=4326, index=out.index))


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _manifest_json(manifest: dict[str, Any] | None) -> str:
    return jsonsafe.dumps(manifest or {}, default=str, ensure_ascii=False, sort_keys=True)


def _info(row: dict[str, Any]) -> SnapshotInfo:
    return SnapshotInfo(
        id=int(row["id"]), label=str(row["label"]), date=_parse_date(row["date"]),
        created_at=str(row["created_at"]), n_villages=int(row["n_villages"]),
        config_toml=str(row.get("config_toml") or ""),
        manifest=json.loads(row.get("manifest_json") or "{}"),
    )


# --- the interface ------------------------------------------------------------------
class SnapshotStore(ABC):
    """A place that keeps snapshots: ``save``, ``list``, ``load``, ``counts``.

    Use :func:`open_store` rather than the subclasses.
    """

    url: str

    def save(
        self,
        villages: gpd.GeoDataFrame,
        *,
        label: str,
        date: str | _dt.date | None = None,
        config_toml: str = "",
        manifest: dict[str, Any] | None = None,
    ) -> SnapshotInfo:
        """Save the villages of one run as a snapshot (one transaction).

        Parameters
        ----------
        villages
            The run's village table (any CRS; stored in EPSG:4326). Not changed.
        label
            Unique name of the snapshot in this store.
        date
            Survey date (``YYYY-MM-DD``); today when omitted.
        config_toml, manifest
            The run's config (TOML text) and manifest, kept for reproducibility.

        Returns
        -------
        SnapshotInfo

        Raises
        ------
        SnapshotExistsError
            The label is taken; choose another label.
        StoreBusyError
            Another process kept the store locked longer than the timeout.
        """
        label = _check_label(label)
        day = _parse_date(date)
        rows = _prepare(villages)
        info = self._save(rows, label=label, date=day, config_toml=config_toml or "",
                          manifest_json=_manifest_json(manifest))
        log.info("saved snapshot %s '%s' (%s, %d villages) in %s", info.id, info.label,
                 info.date, info.n_villages, self.url)
        return info

    def check_new(self, *, label: str, date: str | _dt.date | None = None) -> _dt.date:
        """Check a label and date before a long run (the save checks again atomically).

        Returns
        -------
        datetime.date
            The parsed date (today when ``date`` is None).

        Raises
        ------
        SnapshotExistsError, StoreError
        """
        label = _check_label(label)
        day = _parse_date(date)
        if self._find(label) is not None:
            raise SnapshotExistsError(
                f"a snapshot labelled '{label}' is already in store {self.url}; choose another "
                "label (labels are unique)")
        return day

    def list(self) -> pd.DataFrame:
        """The snapshots, oldest survey date first.

        Returns
        -------
        DataFrame
            Columns ``id, label, date`` (``datetime.date``), ``created_at, n_villages``.
        """
        rows = self._list()
        frame = pd.DataFrame(rows, columns=list(SNAPSHOT_LIST_COLUMNS))
        frame["id"] = frame["id"].astype("int64")
        frame["n_villages"] = frame["n_villages"].astype("int64")
        frame["date"] = [_parse_date(d) for d in frame["date"]]
        return frame.sort_values(["date", "id"], ignore_index=True)

    def info(self, label_or_id: str | int) -> SnapshotInfo:
        """Metadata of one snapshot, by label (or by id, an int or digits)."""
        row = self._find(label_or_id)
        if row is None:
            known = ", ".join(f"'{x}'" for x in self.list()["label"]) or "none yet"
            raise SnapshotNotFoundError(
                f"no snapshot '{label_or_id}' in store {self.url}; snapshots there: {known}")
        return _info(row)

    def load(self, label_or_id: str | int) -> tuple[gpd.GeoDataFrame, SnapshotInfo]:
        """One snapshot's villages (EPSG:4326, columns and dtypes as saved) and metadata."""
        info = self.info(label_or_id)
        attrs, wkb = self._villages(info.id)
        geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
        row = self._find(info.id)
        return _rebuild(attrs, geoms, row.get("columns_json") or "[]"), info

    def counts(self) -> pd.DataFrame:
        """Villages and people per gap class per commune per snapshot (computed in SQL).

        Returns
        -------
        DataFrame
            Columns ``snapshot_id, province, commune, gap_class, villages, pop``.
        """
        frame = pd.DataFrame(
            self._counts(),
            columns=["snapshot_id", S.PROVINCE, S.COMMUNE, S.GAP_CLASS, "villages", S.POP],
        )
        frame["snapshot_id"] = frame["snapshot_id"].astype("int64")
        frame["villages"] = frame["villages"].astype("int64")
        frame[S.POP] = frame[S.POP].astype("float64")
        for col in (S.PROVINCE, S.COMMUNE, S.GAP_CLASS):
            frame[col] = frame[col].astype("str").where(frame[col].notna(), "")
        return frame

    # back-end hooks
    @abstractmethod
    def _save(self, rows: _Rows, *, label: str, date: _dt.date, config_toml: str,
              manifest_json: str) -> SnapshotInfo: ...

    @abstractmethod
    def _list(self) -> list[tuple]: ...

    @abstractmethod
    def _find(self, label_or_id: str | int) -> dict[str, Any] | None: ...

    @abstractmethod
    def _villages(self, snapshot_id: int) -> tuple[list[str], list[bytes | None]]: ...

    @abstractmethod
    def _counts(self) -> list[tuple]: ...

    def close(self) -> None:
        """Release connections (the GeoPackage store holds none between calls)."""

    def __enter__(self) -> "SnapshotStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


_COUNTS_SQL = (
    "SELECT snapshot_id, province, commune, gap_class, COUNT(*), SUM(COALESCE(pop, 0)) "
    "FROM {villages} GROUP BY snapshot_id, province, commune, gap_class "
    "ORDER BY snapshot_id, province, commune, gap_class"
)


def _as_id(label_or_id: str | int) -> int | None:
    if isinstance(label_or_id, (int, np.integer)) and not isinstance(label_or_id, bool):
        return int(label_or_id)
    if isinstance(label_or_id, str) and label_or_id.isdigit():
        return int(label_or_id)
    return None


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


# --- PostGIS ------------------------------------------------------------------------
class PostgisStore(SnapshotStore):
    """Snapshots in a PostgreSQL/PostGIS database (tables in one schema).

    Parameters
    ----------
    url
        ``postgresql://user:password@host:port/database[?schema=name]``; the schema
        (default ``gisapp``) is created if missing, and the PostGIS extension must exist
        or be creatable by the user.
    """

    def __init__(self, url: str) -> None:
        try:
            import sqlalchemy as sa
        except ImportError:  # pragma: no cover - depends on the install
            raise StoreUnavailableError(
                "a postgresql:// store needs the packages sqlalchemy and psycopg2-binary; "
                "pip install them or use a .gpkg store") from None
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        schema = parsed.query.get("schema", "gisapp")
        if isinstance(schema, tuple):
            schema = schema[0]
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise StoreError(f"schema '{schema}' in the store URL must be lower-case letters, "
                             "digits and underscores")
        parsed = parsed.difference_update_query(["schema"])
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg2")
        self.url = parsed.render_as_string(hide_password=True)
        self.schema = schema
        self._sa = sa
        self.engine = sa.create_engine(parsed, pool_pre_ping=True)
        self._t_snap = f'"{schema}".snapshots'
        self._t_vil = f'"{schema}".villages'
        try:
            self._init_schema()
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(
                f"cannot connect to store {self.url}: {str(exc.orig).strip()}") from None

    def _init_schema(self) -> None:
        sa = self._sa
        with self.engine.begin() as con:
            # serialise concurrent first-time creation
            con.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                        {"k": f"gisapp-store-{self.schema}"})
            has = con.execute(sa.text(
                "SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).fetchone()
            if not has:
                try:
                    con.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
                except sa.exc.DBAPIError:
                    raise StoreUnavailableError(
                        f"database {self.url} has no PostGIS extension and this user cannot "
                        "create it; ask the administrator to run CREATE EXTENSION postgis"
                    ) from None
            con.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            con.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {self._t_snap} ("
                "id SERIAL PRIMARY KEY, label TEXT NOT NULL UNIQUE, date DATE NOT NULL, "
                "created_at TEXT NOT NULL, config_toml TEXT, manifest_json TEXT, "
                "n_villages INTEGER NOT NULL, columns_json TEXT)"))
            core = ", ".join(f"{c} TEXT" for c in _TEXT_CORE)
            con.execute(sa.text(
                f"CREATE TABLE IF NOT EXISTS {self._t_vil} ("
                f"fid BIGSERIAL PRIMARY KEY, snapshot_id INTEGER NOT NULL REFERENCES "
                f"{self._t_snap}(id) ON DELETE CASCADE, row_order INTEGER NOT NULL, {core}, "
                f"pop DOUBLE PRECISION, attrs_json TEXT, geom geometry(Geometry, 4326))"))
            con.execute(sa.text(
                f'CREATE INDEX IF NOT EXISTS villages_snapshot_idx ON {self._t_vil} (snapshot_id)'))
            con.execute(sa.text(
                f'CREATE INDEX IF NOT EXISTS villages_geom_idx ON {self._t_vil} USING GIST (geom)'))

    def _save(self, rows: _Rows, *, label: str, date: _dt.date, config_toml: str,
              manifest_json: str) -> SnapshotInfo:
        import psycopg2

        sa = self._sa
        created = _now()
        try:
            with self.engine.begin() as con:
                try:
                    sid = con.execute(sa.text(
                        f"INSERT INTO {self._t_snap} (label, date, created_at, config_toml, "
                        "manifest_json, n_villages, columns_json) VALUES (:label, :date, "
                        ":created, :config, :manifest, :n, :columns) RETURNING id"),
                        {"label": label, "date": date, "created": created, "config": config_toml,
                         "manifest": manifest_json, "n": len(rows.attrs_json),
                         "columns": rows.columns_json}).scalar_one()
                except sa.exc.IntegrityError:
                    raise SnapshotExistsError(
                        f"a snapshot labelled '{label}' is already in store {self.url}; choose "
                        "another label (labels are unique)") from None
                core = rows.core
                if len(core):
                    from psycopg2 import Binary
                    from psycopg2.extras import execute_values

                    pops = [None if np.isnan(p) else float(p)
                            for p in core[S.POP].to_numpy(dtype="float64")]
                    wkbs = [None if w is None else Binary(w) for w in rows.wkb]
                    records = list(zip(
                        [sid] * len(core), range(len(core)),
                        *(core[c].tolist() for c in _TEXT_CORE), pops, rows.attrs_json, wkbs))
                    cols = ", ".join(["snapshot_id", "row_order", *_TEXT_CORE, S.POP,
                                      "attrs_json", "geom"])
                    template = "(" + ", ".join(["%s"] * (len(CORE_COLUMNS) + 3)) + \
                        ", ST_SetSRID(ST_GeomFromWKB(%s), 4326))"
                    # execute_values on the transaction's own connection: ~10x faster
                    # than an executemany of bound statements
                    cur = con.connection.dbapi_connection.cursor()
                    execute_values(cur, f"INSERT INTO {self._t_vil} ({cols}) VALUES %s",
                                   records, template=template, page_size=2000)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(
                f"saving into store {self.url} failed: {str(exc.orig).strip()}; nothing was "
                "written") from None
        except psycopg2.OperationalError as exc:
            raise StoreUnavailableError(
                f"saving into store {self.url} failed: {str(exc).strip()}; nothing was "
                "written") from None
        return SnapshotInfo(int(sid), label, date, created, len(rows.attrs_json), config_toml,
                            json.loads(manifest_json))

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        with self.engine.connect() as con:
            return [tuple(r) for r in con.execute(self._sa.text(sql), params or {})]

    def _list(self) -> list[tuple]:
        return self._query(f"SELECT {', '.join(SNAPSHOT_LIST_COLUMNS)} FROM {self._t_snap}")

    def _find(self, label_or_id: str | int) -> dict[str, Any] | None:
        cols = ("id", "label", "date", "created_at", "n_villages", "config_toml",
                "manifest_json", "columns_json")
        sql = f"SELECT {', '.join(cols)} FROM {self._t_snap} WHERE "
        rows = self._query(sql + "label = :v", {"v": str(label_or_id)})
        if not rows and _as_id(label_or_id) is not None:
            rows = self._query(sql + "id = :v", {"v": _as_id(label_or_id)})
        return dict(zip(cols, rows[0])) if rows else None

    def _villages(self, snapshot_id: int) -> tuple[list[str], list[bytes | None]]:
        rows = self._query(f"SELECT attrs_json, ST_AsBinary(geom) FROM {self._t_vil} "
                           "WHERE snapshot_id = :s ORDER BY row_order", {"s": snapshot_id})
        return [r[0] for r in rows], [None if r[1] is None else bytes(r[1]) for r in rows]

    def _counts(self) -> list[tuple]:
        return self._query(_COUNTS_SQL.format(villages=self._t_vil))

    def close(self) -> None:
        self.engine.dispose()


def open_store(url_or_path: str | Path, *, timeout_s: float = 60.0) -> SnapshotStore:
    """Open (or create) a snapshot store.

    Parameters
    ----------
    url_or_path
        A ``.gpkg`` file path (created on first use), or a ``postgresql://`` URL
        (optionally ``?schema=name``, default schema ``gisapp``).
    timeout_s
        GeoPackage only: how long a save waits for a concurrent save.

    Returns
    -------
    SnapshotStore

    Raises
    ------
    StoreUnavailableError
        The file is not a store, its folder does not exist, or the server is unreachable.
    """
    text = str(url_or_path)
    if text.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
        if text.startswith("postgres://"):
            text = "postgresql://" + text[len("postgres://"):]
        return PostgisStore(text)
    if "://" in text:
        raise StoreError(f"store '{text}' is neither a .gpkg path nor a postgresql:// URL")
    path = Path(text).expanduser()
    if path.suffix.lower() != ".gpkg":
        raise StoreError(f"store '{text}' must be a .gpkg file (or a postgresql:// URL)")
    return GpkgStore(path, timeout_s=timeout_s)
