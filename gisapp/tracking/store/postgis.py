"""The PostgreSQL/PostGIS back end: snapshots in one schema of a shared database."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from typing import Any

import numpy as np

from gisapp import schema as S
from gisapp.tracking.store.base import (
    _COUNTS_SQL, _TEXT_CORE, CORE_COLUMNS, SNAPSHOT_LIST_COLUMNS, SnapshotExistsError,
    SnapshotInfo, SnapshotStore, StoreError, StoreUnavailableError, _as_id, _now, _Rows,
)

__all__ = ["PostgisStore"]

log = logging.getLogger(__name__)


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
