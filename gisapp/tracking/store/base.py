"""The snapshot store's interface and the row serialisation both back ends share.

:class:`SnapshotStore` is the interface; :mod:`~gisapp.tracking.store.gpkg` and
:mod:`~gisapp.tracking.store.postgis` implement it. The store's layout and its
concurrency rules are described in :mod:`gisapp.tracking.store`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
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
    "SnapshotInfo", "SnapshotStore", "StoreError", "SnapshotExistsError",
    "SnapshotNotFoundError", "StoreBusyError", "StoreUnavailableError",
    "SNAPSHOT_LIST_COLUMNS", "CORE_COLUMNS", "EventConflictError", "EVENT_COLUMNS",
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


class EventConflictError(StoreError):
    """A confirmation or rejection of an update that is not pending (any more)."""


#: columns of the append-only ``events`` table (besides the evidence bytes)
EVENT_COLUMNS = ("seq", "at", "actor", "role", "kind", "ref", "village_id", "carrier", "gap",
                 "closed_by", "closed_on", "note", "before", "after", "evidence_name",
                 "evidence_type", "evidence_size", "evidence_sha256")
#: the columns an append gives (``seq`` and ``at`` are the store's)
_EVENT_INPUT = EVENT_COLUMNS[2:]


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


def parse_day(value: object, what: str, error: type[GisappError] = StoreError) -> _dt.date:
    """``value`` (a date, a datetime or ``YYYY-MM-DD`` text) as a date; ``error`` naming
    ``what`` when it is none of those."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise error(f"{what} '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2025-06-30") from None


def _parse_date(value: object) -> _dt.date:
    return _dt.date.today() if value is None else parse_day(value, "snapshot date")


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


def _now_precise() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def _pending_conflict(pending: int, kinds: list[str]) -> str | None:
    """Why submission ``pending`` cannot be decided, given the kinds of the event with that
    seq (first) and of the events referring to it; None when it is pending."""
    if not kinds or kinds[0] != "submitted":
        return f"event {pending} is not a submitted update; pick a pending update"
    if any(k in ("confirmed", "rejected") for k in kinds[1:]):
        return (f"update {pending} was already confirmed or rejected; reload the list of "
                "pending updates")
    return None


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

    # --- the append-only event log (see :mod:`gisapp.tracking.events`) ---------------
    def append_event(self, event: dict[str, Any], *, evidence: bytes | None = None,
                     pending: int | None = None) -> dict[str, Any]:
        """Append one event in one transaction; the store gives its ``seq`` and ``at``.

        Parameters
        ----------
        event
            Values of :data:`EVENT_COLUMNS` but ``seq`` and ``at`` (missing ones are null).
        evidence
            The evidence file's bytes, kept with the event.
        pending
            When given, the ``seq`` of a submission that must still be pending (neither
            confirmed nor rejected); checked in the same transaction as the append.

        Returns
        -------
        dict
            The event as stored.

        Raises
        ------
        EventConflictError
            ``pending`` is not a submission, or it was already decided.
        """
        row = {c: event.get(c) for c in _EVENT_INPUT}
        unknown = sorted(set(event) - set(_EVENT_INPUT))
        if unknown:
            raise StoreError(f"unknown event field(s) {', '.join(unknown)}")
        # the back end stamps ``at`` once it holds the write lock, so seq order is time order
        seq, at = self._append_event(row, evidence, pending)
        return {"seq": seq, "at": at, **{c: row.get(c) for c in EVENT_COLUMNS[2:]}}

    def events(self, village_id: str | None = None) -> pd.DataFrame:
        """The event log (all, or one village's), in the order it was written."""
        rows = self._events(None if village_id is None else str(village_id))
        frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
        for col in ("seq", "ref", "evidence_size"):
            frame[col] = pd.array(frame[col], dtype="Int64")
        return frame.sort_values("seq", ignore_index=True)

    def evidence(self, seq: int) -> bytes | None:
        """The evidence bytes kept with event ``seq`` (None when it has none)."""
        return self._evidence(int(seq))

    def _before_commit(self) -> None:
        """Called inside every write transaction just before it commits (a test seam)."""

    def _append_event(self, row: dict[str, Any], evidence: bytes | None,
                      pending: int | None) -> tuple[int, str]:
        raise StoreError(f"{type(self).__name__} keeps no event log")

    def _events(self, village_id: str | None) -> list[tuple]:
        return []

    def _evidence(self, seq: int) -> bytes | None:
        return None

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
