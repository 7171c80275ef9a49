"""Progress tracking between surveys: snapshots, village matching, changes, burn-down.

::

    from gisapp.tracking import open_store, diff, write_changes
    store = open_store("lai_chau.gpkg")            # or "postgresql://user@host/db"
    store.save(result.villages, label="survey-2025-06", date="2025-06-30",
               config_toml=text, manifest=result.manifest)
    changes = diff(store, "survey-2024-12", "survey-2025-06")
    write_changes(changes, "out/changes")

Modules: :mod:`~gisapp.tracking.store` (GeoPackage / PostGIS snapshot stores),
:mod:`~gisapp.tracking.match` (pair villages across snapshots),
:mod:`~gisapp.tracking.changes` (per-village changes, counts over time, burn-down).
"""

from gisapp.tracking.changes import (
    Change, Changes, Target, TrackingTargets, burndown, compare, diff, history,
    targets_from_toml, write_changes,
)
from gisapp.tracking.match import Matching, match_villages
from gisapp.tracking.store import (
    SnapshotExistsError, SnapshotInfo, SnapshotNotFoundError, SnapshotStore, StoreBusyError,
    StoreError, StoreUnavailableError, open_store,
)

__all__ = [
    "open_store", "SnapshotStore", "SnapshotInfo", "StoreError", "SnapshotExistsError",
    "SnapshotNotFoundError", "StoreBusyError", "StoreUnavailableError",
    "match_villages", "Matching",
    "Change", "Changes", "compare", "diff", "history", "Target", "TrackingTargets",
    "targets_from_toml", "burndown", "write_changes",
]
