"""Progress reported by those who do the work, confirmed by the planner (maker–checker).

A liaison marks one village's gap closed (:func:`submit`): what closed it (a site on air
closes the signal gap, a grid connection the power gap), the date, a note and an optional
evidence file. The planner confirms or rejects it (:func:`confirm`, :func:`reject`).
Only a confirmed closure changes the village's class (:func:`current_villages`) and the
burn-down (:func:`history_with_updates`). The planner also assigns villages to carriers
(:func:`assign`). Every step is one append-only event in the store's ``events`` table
(:data:`gisapp.tracking.store.EVENT_COLUMNS`): who, when, what, the class before and after.

Which snapshot a closure applies to: a confirmed closure changes every snapshot whose
survey date is before the closure's date; a survey dated on or after it is taken as it is
(it saw the village itself).

Who may do what is checked one level up, in :mod:`gisapp.tracking.access`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePath

import geopandas as gpd
import pandas as pd

from gisapp import schema as S
from gisapp.errors import GisappError
from gisapp.tracking.store import SnapshotStore, StoreError
from gisapp.tracking.store.base import parse_day

__all__ = [
    "CLOSED_BY", "EVIDENCE_TYPES", "MAX_EVIDENCE_BYTES", "Evidence", "EvidenceError",
    "UpdateError", "submit", "confirm", "reject", "assign", "assignments", "pending",
    "village_history", "current_villages", "closed_class", "history_with_updates",
]

log = logging.getLogger(__name__)
G = S.GapClass

#: what closes a gap → the gap it closes
CLOSED_BY = {"site_on_air": "signal", "grid_connection": "power"}
#: evidence file types: suffix → (MIME type, leading bytes it must start with, or None for text)
EVIDENCE_TYPES = {
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"), ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"), ".pdf": ("application/pdf", b"%PDF-"),
    ".csv": ("text/csv", None), ".txt": ("text/plain", None), ".json": ("application/json", None),
    ".kml": ("application/vnd.google-earth.kml+xml", None),
}
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024

_CLOSE = {
    "signal": {str(G.NO_POWER_NO_SIGNAL): str(G.NO_POWER), str(G.NO_SIGNAL): str(G.SERVED)},
    "power": {str(G.NO_POWER_NO_SIGNAL): str(G.NO_SIGNAL), str(G.NO_POWER): str(G.SERVED)},
}


class UpdateError(GisappError, ValueError):
    """A progress update that cannot be taken (the message says what to do)."""


class EvidenceError(UpdateError):
    """An evidence file over the size limit or of a type not accepted."""


@dataclass(frozen=True)
class Evidence:
    """An evidence file: its name (for the type) and bytes."""

    name: str
    data: bytes

    def check(self, max_bytes: int = MAX_EVIDENCE_BYTES) -> str:
        """The MIME type, after checking size and type.

        Raises
        ------
        EvidenceError
        """
        suffix = PurePath(self.name).suffix.lower()
        if suffix not in EVIDENCE_TYPES:
            raise EvidenceError(
                f"evidence file '{self.name}' is of a type not accepted; send one of "
                f"{', '.join(sorted(EVIDENCE_TYPES))}")
        if len(self.data) > max_bytes:
            raise EvidenceError(
                f"evidence file '{self.name}' is {len(self.data) / 1e6:.1f} MB, over the limit "
                f"of {max_bytes / 1e6:.1f} MB; send a smaller file (a photo at lower "
                "resolution, or the measurement summary)")
        if not self.data:
            raise EvidenceError(f"evidence file '{self.name}' is empty; send the file itself")
        mime, magic = EVIDENCE_TYPES[suffix]
        if magic is not None and not self.data.startswith(magic):
            raise EvidenceError(
                f"evidence file '{self.name}' is not a {suffix[1:].upper()} file (its content "
                "does not match its name); send the original file")
        if magic is None:
            try:
                self.data.decode("utf-8")
            except UnicodeDecodeError:
                raise EvidenceError(
                    f"evidence file '{self.name}' is not UTF-8 text; save it as UTF-8 "
                    "and send it again") from None
        return mime


def closed_class(gap_class: str, gap: str) -> str | None:
    """The gap class after closing ``gap`` (``signal`` / ``power``); None if it has no such gap."""
    return _CLOSE[gap].get(str(gap_class))


def _day(value: object, what: str) -> _dt.date:
    return parse_day(value, what, UpdateError)


# --- the village as it stands -----------------------------------------------------------
def _latest_snapshot(store: SnapshotStore, as_of: _dt.date | None):
    snaps = store.list()
    if as_of is not None:
        snaps = snaps[[d <= as_of for d in snaps["date"]]]
    if snaps.empty:
        raise StoreError(f"store {store.url} has no snapshot"
                         + (f" dated on or before {as_of}" if as_of else "")
                         + "; save a survey first (gisapp snapshot save)")
    return snaps.iloc[-1]


def _confirmed(events: pd.DataFrame, as_of: _dt.date | None) -> pd.DataFrame:
    """The submissions confirmed (on or before ``as_of``), with the confirmation's date."""
    sub = events[events["kind"] == "submitted"]
    conf = events[events["kind"] == "confirmed"][["ref", "at", "actor"]]
    conf = conf.rename(columns={"ref": "seq", "at": "confirmed_at", "actor": "confirmed_by"})
    out = sub.merge(conf.astype({"seq": "Int64"}), on="seq", how="inner")
    out["confirmed_on"] = [_dt.date.fromisoformat(str(a)[:10]) for a in out["confirmed_at"]]
    if as_of is not None:
        out = out[out["confirmed_on"] <= as_of]
    return out.reset_index(drop=True)


def _apply(villages: gpd.GeoDataFrame, closures: pd.DataFrame,
           survey: _dt.date) -> gpd.GeoDataFrame:
    out = villages.copy()
    if closures.empty:
        return out
    pos = {str(v): i for i, v in enumerate(out[S.ID].astype(str))}
    classes = out[S.GAP_CLASS].astype(str).to_numpy(dtype=object)
    for row in closures.itertuples(index=False):
        i = pos.get(str(row.village_id))
        if i is None or _day(row.closed_on, "closed_on") <= survey:
            continue
        after = closed_class(classes[i], row.gap)
        if after is not None:
            classes[i] = after
    out[S.GAP_CLASS] = pd.Categorical(classes, categories=[str(g) for g in G]) \
        if isinstance(villages[S.GAP_CLASS].dtype, pd.CategoricalDtype) else classes
    return out


def current_villages(store: SnapshotStore, as_of: str | _dt.date | None = None,
                     ) -> tuple[gpd.GeoDataFrame, object]:
    """The latest survey (on or before ``as_of``) with the closures confirmed since.

    Returns
    -------
    (GeoDataFrame, row)
        The villages, gap class updated; the snapshot's row of ``store.list()``.
    """
    day = None if as_of is None else _day(as_of, "as_of")
    snap = _latest_snapshot(store, day)
    villages, _ = store.load(int(snap["id"]))
    closures = _confirmed(store.events(), day)
    return _apply(villages, closures, snap["date"]), snap


def _class_now(store: SnapshotStore, village_id: str) -> str:
    villages, snap = current_villages(store)
    hit = villages[villages[S.ID].astype(str) == str(village_id)]
    if hit.empty:
        raise UpdateError(f"village '{village_id}' is not in the latest survey "
                          f"'{snap['label']}'; check the village id")
    return str(hit[S.GAP_CLASS].iloc[0])


# --- the steps -----------------------------------------------------------------------------
def submit(store: SnapshotStore, *, actor: str, role: str, village_id: str, closed_by: str,
           closed_on: str | _dt.date, note: str = "", carrier: str | None = None,
           evidence: Evidence | None = None, today: _dt.date | None = None) -> dict:
    """A liaison marks a village's gap closed; pending until the planner decides.

    Raises
    ------
    UpdateError
        Unknown ``closed_by``, a date in the future, a village without that gap.
    EvidenceError
        The evidence file is too large or not of an accepted type.
    """
    if closed_by not in CLOSED_BY:
        raise UpdateError(f"what closed the gap must be one of {', '.join(CLOSED_BY)}, "
                          f"not '{closed_by}'")
    day = _day(closed_on, "the date the gap closed")
    if day > (today or _dt.date.today()):
        raise UpdateError(f"the date the gap closed ({day}) is in the future; give the day it "
                          "closed")
    gap = CLOSED_BY[closed_by]
    before = _class_now(store, village_id)
    after = closed_class(before, gap)
    if after is None:
        raise UpdateError(f"village '{village_id}' is '{before}': it has no {gap} gap to close")
    fields = {"actor": actor, "role": role, "kind": "submitted", "village_id": str(village_id),
              "carrier": carrier, "gap": gap, "closed_by": closed_by,
              "closed_on": day.isoformat(), "note": note or "", "before": before,
              "after": after}
    data = None
    if evidence is not None:
        fields["evidence_type"] = evidence.check()
        fields["evidence_name"] = PurePath(evidence.name).name
        fields["evidence_size"] = len(evidence.data)
        fields["evidence_sha256"] = hashlib.sha256(evidence.data).hexdigest()
        data = evidence.data
    event = store.append_event(fields, evidence=data)
    log.info("%s (%s) submitted: village %s %s closed on %s (event %s)", actor, role,
             village_id, gap, day, event["seq"])
    return event


def _submission(store: SnapshotStore, seq: int) -> pd.Series:
    ev = store.events()
    hit = ev[(ev["seq"] == int(seq)) & (ev["kind"] == "submitted")]
    if hit.empty:
        raise UpdateError(f"no submitted update {seq} in store {store.url}; pick one from the "
                          "pending list")
    return hit.iloc[0]


def _decide(store: SnapshotStore, kind: str, seq: int, actor: str, role: str,
            note: str) -> dict:
    sub = _submission(store, seq)
    before = _class_now(store, sub["village_id"])
    after = closed_class(before, sub["gap"]) if kind == "confirmed" else before
    if after is None:   # a later survey or update closed it already
        after = before
    fields = {"actor": actor, "role": role, "kind": kind, "ref": int(seq),
              "village_id": sub["village_id"], "carrier": sub["carrier"], "gap": sub["gap"],
              "closed_by": sub["closed_by"], "closed_on": sub["closed_on"], "note": note or "",
              "before": before, "after": after}
    event = store.append_event(fields, pending=int(seq))
    log.info("%s %s update %s (village %s)", actor, kind, seq, sub["village_id"])
    return event


def confirm(store: SnapshotStore, seq: int, *, actor: str, role: str = "planner",
            note: str = "") -> dict:
    """The planner confirms submission ``seq``: the village's class moves."""
    return _decide(store, "confirmed", seq, actor, role, note)


def reject(store: SnapshotStore, seq: int, *, actor: str, note: str,
           role: str = "planner") -> dict:
    """The planner rejects submission ``seq`` (say why in ``note``): nothing moves."""
    if not (note or "").strip():
        raise UpdateError("say why the update is rejected (a note), so the liaison can fix it")
    return _decide(store, "rejected", seq, actor, role, note)


def assign(store: SnapshotStore, village_ids, carrier: str, *, actor: str,
           role: str = "planner") -> list[dict]:
    """The planner assigns villages to a carrier (one event each; the latest one holds)."""
    current = assignments(store)
    out = []
    for vid in village_ids:
        out.append(store.append_event({
            "actor": actor, "role": role, "kind": "assigned", "village_id": str(vid),
            "carrier": carrier, "before": current.get(str(vid)), "after": carrier}))
    return out


def assignments(store: SnapshotStore) -> dict[str, str]:
    """village id → the carrier it is assigned to now."""
    ev = store.events()
    ev = ev[ev["kind"] == "assigned"]
    return {str(v): str(c) for v, c in zip(ev["village_id"], ev["carrier"])}


def pending(store: SnapshotStore) -> pd.DataFrame:
    """Submissions neither confirmed nor rejected yet, oldest first."""
    ev = store.events()
    decided = set(ev.loc[ev["kind"].isin(["confirmed", "rejected"]), "ref"].dropna().astype(int))
    sub = ev[(ev["kind"] == "submitted") & ~ev["seq"].isin(decided)]
    return sub.reset_index(drop=True)


def village_history(store: SnapshotStore, village_id: str) -> pd.DataFrame:
    """Every event about one village, in order (who, when, what, before → after)."""
    return store.events(str(village_id))


def history_with_updates(store: SnapshotStore, as_of: str | _dt.date | None = None,
                         ) -> pd.DataFrame:
    """:func:`gisapp.tracking.changes.history` plus one row set per day with confirmed
    closures after the latest survey (``label`` ``"updates YYYY-MM-DD"``, negative
    ``snapshot_id``), so :func:`~gisapp.tracking.changes.burndown` moves on confirmation."""
    from gisapp.tracking.changes import history, history_from_counts

    day = None if as_of is None else _day(as_of, "as_of")
    hist = history(store)
    snaps = store.list()
    if day is not None:
        keep = set(snaps.loc[[d <= day for d in snaps["date"]], "id"])
        hist = hist[hist["snapshot_id"].isin(keep)].reset_index(drop=True)
    if hist.empty:
        return hist
    snap = _latest_snapshot(store, day)
    closures = _confirmed(store.events(), day)
    closures = closures[[_day(c, "closed_on") > snap["date"] for c in closures["closed_on"]]]
    if closures.empty:
        return hist
    villages, _ = store.load(int(snap["id"]))
    frames, infos = [], []
    for k, when in enumerate(sorted(set(closures["confirmed_on"]))):
        upto = closures[closures["confirmed_on"] <= when]
        v = _apply(villages, upto, snap["date"])
        sid = -(k + 1)
        frames.append(counts_of(v, sid))
        infos.append((sid, f"updates {when.isoformat()}", max(when, snap["date"])))
    extra = history_from_counts(pd.DataFrame(infos, columns=["id", "label", "date"]),
                                pd.concat(frames, ignore_index=True))
    return pd.concat([hist, extra], ignore_index=True)


def counts_of(villages: pd.DataFrame, snapshot_id: int) -> pd.DataFrame:
    """``store.counts()``-shaped counts of one village table."""
    frame = pd.DataFrame({
        S.PROVINCE: villages[S.PROVINCE].astype(str) if S.PROVINCE in villages else "",
        S.COMMUNE: villages[S.COMMUNE].astype(str) if S.COMMUNE in villages else "",
        S.GAP_CLASS: villages[S.GAP_CLASS].astype(str),
        S.POP: pd.to_numeric(villages.get(S.POP, 0), errors="coerce").astype("float64").fillna(0.0),
    })
    out = frame.groupby([S.PROVINCE, S.COMMUNE, S.GAP_CLASS], sort=True).agg(
        villages=(S.GAP_CLASS, "size"), pop=(S.POP, "sum")).reset_index()
    out.insert(0, "snapshot_id", snapshot_id)
    return out.rename(columns={"pop": S.POP})[
        ["snapshot_id", S.PROVINCE, S.COMMUNE, S.GAP_CLASS, "villages", S.POP]]
