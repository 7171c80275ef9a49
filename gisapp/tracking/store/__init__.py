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

Modules
-------
``base``     the interface (:class:`SnapshotStore`), errors, row serialisation;
``gpkg``     :class:`GpkgStore`;
``postgis``  :class:`PostgisStore`.
"""

from __future__ import annotations

from pathlib import Path

from gisapp.tracking.store.base import (
    CORE_COLUMNS, SNAPSHOT_LIST_COLUMNS, SnapshotExistsError, SnapshotInfo,
    SnapshotNotFoundError, SnapshotStore, StoreBusyError, StoreError, StoreUnavailableError,
)
from gisapp.tracking.store.gpkg import GpkgStore
from gisapp.tracking.store.postgis import PostgisStore

__all__ = [
    "SnapshotInfo", "SnapshotStore", "GpkgStore", "PostgisStore", "open_store",
    "StoreError", "SnapshotExistsError", "SnapshotNotFoundError", "StoreBusyError",
    "StoreUnavailableError", "SNAPSHOT_LIST_COLUMNS", "CORE_COLUMNS",
]


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
