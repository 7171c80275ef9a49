"""What changed between two snapshots, counts over time, and burn-down against targets.

Per village change (:class:`Change`), from the old gap class ``o`` to the new ``n``
(a *signal gap* is ``no_signal`` or ``no_power_no_signal``, a *power gap* ``no_power``
or ``no_power_no_signal``):

=================  ===============================================================
change             rule (first that applies)
=================  ===============================================================
disappeared        in the old snapshot only
newly_found_gap    new village with a gap; or ``o`` unknown and ``n`` a gap; or ``n``
                   has a signal or power gap that ``o`` did not have (got worse)
appeared           new village, served or unknown
unknown            ``n`` is unknown (the new survey cannot judge the village)
judged_served      ``o`` unknown, ``n`` served
resolved           ``o`` a gap, ``n`` served
newly_covered      ``o`` had a signal gap, ``n`` has none (power gap still open)
newly_powered      ``o`` had a power gap, ``n`` has none (signal gap still open)
still_open         the same gap in both
unchanged_served   served in both
=================  ===============================================================

The flags ``signal_gap_closed`` / ``power_gap_closed`` say which gaps closed, so a
village going from ``no_power_no_signal`` to ``served`` is ``resolved`` and counts in
both "newly covered" and "newly powered" totals.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp import jsonsafe
from gisapp import schema as S
from gisapp.errors import ConfigError
from gisapp.config.tracking import SERIES, Target, TrackingTargets  # noqa: F401 (re-exported)
from gisapp.tracking.match import Matching, match_villages
from gisapp.tracking.store import SnapshotInfo, SnapshotStore

__all__ = [
    "Change", "Changes", "compare", "diff", "history", "Target", "TrackingTargets",
    "targets_from_toml", "burndown", "write_changes", "CHANGE_COLUMNS", "SERIES",
    "HISTORY_COLUMNS", "BURNDOWN_COLUMNS",
]

log = logging.getLogger(__name__)

G = S.GapClass
_SIGNAL_GAP = (str(G.NO_POWER_NO_SIGNAL), str(G.NO_SIGNAL))
_POWER_GAP = (str(G.NO_POWER_NO_SIGNAL), str(G.NO_POWER))


class Change(StrEnum):
    NEWLY_FOUND_GAP = "newly_found_gap"
    STILL_OPEN = "still_open"
    NEWLY_COVERED = "newly_covered"
    NEWLY_POWERED = "newly_powered"
    RESOLVED = "resolved"
    UNCHANGED_SERVED = "unchanged_served"
    JUDGED_SERVED = "judged_served"
    UNKNOWN = "unknown"
    APPEARED = "appeared"
    DISAPPEARED = "disappeared"


#: old-snapshot columns carried into the change list with the suffix ``_old``
_OLD_COLS = (S.ID, S.NAME, S.COMMUNE, S.POP, S.GAP_CLASS, S.SIGNAL_CLASS, S.POWER_STATUS,
             S.SIGNAL_EVIDENCE, S.POWER_EVIDENCE, S.WHY)
#: new-snapshot columns carried under their schema names
_NEW_COLS = (S.POP, S.GAP_CLASS, S.SIGNAL_CLASS, S.POWER_STATUS, S.SIGNAL_EVIDENCE,
             S.POWER_EVIDENCE, S.WHY, S.PRIORITY_RANK, S.PRIORITY_TIER)

#: columns of :attr:`Changes.villages` (before ``geometry``)
CHANGE_COLUMNS = (
    S.ID, S.NAME, S.COMMUNE, S.PROVINCE, "change", "signal_gap_closed", "power_gap_closed",
    "match_method", "iou", "renamed", "id_changed",
    *_NEW_COLS, *(f"{c}_old" for c in _OLD_COLS),
)

HISTORY_COLUMNS = (
    "snapshot_id", "label", "date", "level", S.PROVINCE, S.COMMUNE, "villages", S.POP,
    *(f"villages_{g}" for g in G), *(f"pop_{g}" for g in G),
)
BURNDOWN_COLUMNS = ("series", "date", "kind", "label", "remaining", "target", "on_track")


@dataclass(frozen=True)
class Changes:
    """What changed between snapshot ``a`` (old) and ``b`` (new).

    Attributes
    ----------
    villages : GeoDataFrame
        One row per village of either snapshot, :data:`CHANGE_COLUMNS` + geometry
        (EPSG:4326; the new shape, the old one for ``disappeared``). Identity columns
        (``village_id, name, commune, province``) are the new snapshot's, the old one's
        for ``disappeared``; class and evidence columns without suffix are the new
        snapshot's, with ``_old`` the old one's. ``iou`` is the shapes' intersection
        over union (NaN for points), ``match_method`` id / name / geometry / none.
    summary : DataFrame
        Per commune (``level="commune"``) and province (``level="province"``): villages
        per change, ``signal_gap_closed``, ``power_gap_closed``, ``villages_old``,
        ``villages_new``, ``gaps_old``, ``gaps_new``.
    unmatched_old, unmatched_new : DataFrame
        Identity columns of the villages that found no partner.
    matching : dict
        Matches per method and unmatched per side.
    a, b : SnapshotInfo or None
    """

    villages: gpd.GeoDataFrame
    summary: pd.DataFrame
    unmatched_old: pd.DataFrame
    unmatched_new: pd.DataFrame
    matching: dict[str, int]
    a: SnapshotInfo | None = None
    b: SnapshotInfo | None = None

    def count(self, change: str) -> int:
        return int((self.villages["change"] == str(change)).sum())


def _col(frame: pd.DataFrame, name: str, pos: np.ndarray) -> pd.Series:
    if name in frame.columns:
        return frame[name].iloc[pos].reset_index(drop=True)
    return pd.Series([pd.NA] * len(pos), dtype="object")


def _classify(o: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Change per pair of gap classes (None = village absent on that side)."""
    o = np.array([None if pd.isna(v) else str(v) for v in o], dtype=object)
    n = np.array([None if pd.isna(v) else str(v) for v in n], dtype=object)
    o_abs, n_abs = pd.isna(o), pd.isna(n)
    unk = str(G.UNKNOWN)
    o_unk = ~o_abs & (o == unk)
    n_unk = ~n_abs & (n == unk)
    o_known, n_known = ~o_abs & ~o_unk, ~n_abs & ~n_unk
    sig_o, sig_n = np.isin(o, _SIGNAL_GAP), np.isin(n, _SIGNAL_GAP)
    pow_o, pow_n = np.isin(o, _POWER_GAP), np.isin(n, _POWER_GAP)
    gap_o, gap_n = sig_o | pow_o, sig_n | pow_n
    both = o_known & n_known
    worse = both & ((sig_n & ~sig_o) | (pow_n & ~pow_o))
    sig_closed = both & sig_o & ~sig_n
    pow_closed = both & pow_o & ~pow_n
    conditions = [
        n_abs,
        (o_abs & gap_n) | (o_unk & gap_n) | worse,
        o_abs,
        n_unk,
        o_unk,                      # n known and not a gap: served
        both & gap_o & ~gap_n,
        sig_closed,
        pow_closed,
        both & gap_n,
    ]
    choices = [Change.DISAPPEARED, Change.NEWLY_FOUND_GAP, Change.APPEARED, Change.UNKNOWN,
               Change.JUDGED_SERVED, Change.RESOLVED, Change.NEWLY_COVERED,
               Change.NEWLY_POWERED, Change.STILL_OPEN]
    change = np.select(conditions, [str(c) for c in choices],
                       default=str(Change.UNCHANGED_SERVED)).astype(object)
    return change, sig_closed, pow_closed


def _summary(villages: pd.DataFrame) -> pd.DataFrame:
    gap = [str(G.NO_POWER_NO_SIGNAL), str(G.NO_SIGNAL), str(G.NO_POWER)]
    frame = pd.DataFrame({
        S.PROVINCE: villages[S.PROVINCE].astype("str").fillna(""),
        S.COMMUNE: villages[S.COMMUNE].astype("str").fillna(""),
        "change": villages["change"].astype("str"),
        "signal_gap_closed": villages["signal_gap_closed"].astype(int),
        "power_gap_closed": villages["power_gap_closed"].astype(int),
        "villages_old": villages[f"{S.GAP_CLASS}_old"].notna().astype(int),
        "villages_new": villages[S.GAP_CLASS].notna().astype(int),
        "gaps_old": villages[f"{S.GAP_CLASS}_old"].astype(object).isin(gap).astype(int),
        "gaps_new": villages[S.GAP_CLASS].astype(object).isin(gap).astype(int),
    })
    for c in Change:
        frame[str(c)] = (frame["change"] == str(c)).astype(int)
    value_cols = [str(c) for c in Change] + ["signal_gap_closed", "power_gap_closed",
                                             "villages_old", "villages_new", "gaps_old",
                                             "gaps_new"]
    communes = frame.groupby([S.PROVINCE, S.COMMUNE], sort=True)[value_cols].sum().reset_index()
    communes.insert(0, "level", "commune")
    provinces = frame.groupby([S.PROVINCE], sort=True)[value_cols].sum().reset_index()
    provinces.insert(0, "level", "province")
    provinces.insert(2, S.COMMUNE, "")
    out = pd.concat([provinces, communes], ignore_index=True)
    for c in value_cols:
        out[c] = out[c].astype("int64")
    return out


def compare(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    iou_min: float = 0.5,
    crs: str | None = None,
    a: SnapshotInfo | None = None,
    b: SnapshotInfo | None = None,
) -> Changes:
    """Changes between two village tables (the core of :func:`diff`; no store needed).

    Parameters
    ----------
    old, new
        Village tables of the earlier and later survey (schema columns + geometry).
        Not changed.
    iou_min, crs
        Passed to :func:`gisapp.tracking.match.match_villages`.
    a, b
        The snapshots' metadata, kept on the result.

    Returns
    -------
    Changes
    """
    old4326 = old.to_crs(4326) if old.crs is not None else old
    new4326 = new.to_crs(4326) if new.crs is not None else new
    m: Matching = match_villages(old4326, new4326, iou_min=iou_min, crs=crs)
    p = m.pairs
    pos_old = np.concatenate([p["pos_old"].to_numpy(), m.unmatched_old,
                              np.full(len(m.unmatched_new), -1)]).astype("int64")
    pos_new = np.concatenate([p["pos_new"].to_numpy(), np.full(len(m.unmatched_old), -1),
                              m.unmatched_new]).astype("int64")
    method = np.concatenate([p["method"].to_numpy(dtype=object),
                             np.full(len(m.unmatched_old) + len(m.unmatched_new), "none",
                                     dtype=object)])
    iou = np.concatenate([p["iou"].to_numpy(dtype="float64"),
                          np.full(len(m.unmatched_old) + len(m.unmatched_new), np.nan)])
    has_o, has_n = pos_old >= 0, pos_new >= 0

    def take(frame: pd.DataFrame, name: str, pos: np.ndarray, has: np.ndarray) -> pd.Series:
        vals = _col(frame, name, np.where(has, pos, 0)) if len(frame) else pd.Series(
            [pd.NA] * len(pos), dtype="object")
        vals = vals.astype(object)
        vals[~has] = None
        return vals

    out = pd.DataFrame(index=range(len(pos_old)))
    for c in (S.ID, S.NAME, S.COMMUNE, S.PROVINCE):
        nv = take(new4326, c, pos_new, has_n)
        ov = take(old4326, c, pos_old, has_o)
        out[c] = nv.where(has_n, ov)
    for c in _NEW_COLS:
        out[c] = take(new4326, c, pos_new, has_n)
    for c in _OLD_COLS:
        out[f"{c}_old"] = take(old4326, c, pos_old, has_o)
    change, sig_closed, pow_closed = _classify(out[f"{S.GAP_CLASS}_old"].to_numpy(),
                                               out[S.GAP_CLASS].to_numpy())
    out["change"] = change
    out["signal_gap_closed"] = sig_closed
    out["power_gap_closed"] = pow_closed
    out["match_method"] = method
    out["iou"] = iou
    name_new = take(new4326, S.NAME, pos_new, has_n).astype("str")
    name_old = take(old4326, S.NAME, pos_old, has_o).astype("str")
    out["renamed"] = (has_o & has_n) & (name_new != name_old).to_numpy()
    out["id_changed"] = (has_o & has_n) & (out[S.ID].astype("str") !=
                                           out[f"{S.ID}_old"].astype("str")).to_numpy()
    # tidy dtypes: text as str, numbers as float / Int64
    for c in out.columns:
        if c in ("signal_gap_closed", "power_gap_closed", "renamed", "id_changed"):
            out[c] = out[c].astype(bool)
        elif c in (S.POP, f"{S.POP}_old", "iou"):
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        elif c == S.PRIORITY_RANK:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
        else:
            out[c] = out[c].astype("str")
    geom_new = np.asarray(new4326.geometry.values, dtype=object)
    geom_old = np.asarray(old4326.geometry.values, dtype=object)
    geom = np.where(has_n, geom_new[np.where(has_n, pos_new, 0)] if len(geom_new) else None,
                    geom_old[np.where(has_o, pos_old, 0)] if len(geom_old) else None)
    rank = {str(c): i for i, c in enumerate(Change)}
    order = np.lexsort((out[S.ID].astype(object).fillna("").to_numpy(dtype=str),
                        out["change"].map(rank).to_numpy(dtype="int64")))
    out = out.iloc[order].reset_index(drop=True)
    geom = geom[order]
    villages = gpd.GeoDataFrame(out[list(CHANGE_COLUMNS)],
                                geometry=gpd.GeoSeries(geom, crs=4326, index=out.index))
    ident = [S.ID, S.NAME, S.COMMUNE, S.PROVINCE]
    unmatched_old = pd.DataFrame({c: _col(old4326, c, m.unmatched_old) for c in ident})
    unmatched_new = pd.DataFrame({c: _col(new4326, c, m.unmatched_new) for c in ident})
    return Changes(villages, _summary(villages), unmatched_old, unmatched_new, m.counts(), a, b)


def diff(store: SnapshotStore, a: str | int, b: str | int, *, iou_min: float = 0.5,
         crs: str | None = None) -> Changes:
    """Changes from snapshot ``a`` (earlier) to ``b`` (later) of one store.

    Raises
    ------
    SnapshotNotFoundError
        ``a`` or ``b`` is not in the store.
    """
    old, info_a = store.load(a)
    new, info_b = store.load(b)
    if info_a.date > info_b.date:
        log.warning("snapshot '%s' (%s) is later than '%s' (%s): the changes run backwards",
                    info_a.label, info_a.date, info_b.label, info_b.date)
    return compare(old, new, iou_min=iou_min, crs=crs, a=info_a, b=info_b)


# --- counts over time ------------------------------------------------------------------
def history(store: SnapshotStore) -> pd.DataFrame:
    """Villages and people per gap class per commune and province, for every snapshot.

    Returns
    -------
    DataFrame
        :data:`HISTORY_COLUMNS`: one row per snapshot × commune (``level="commune"``)
        and per snapshot × province (``level="province"``, ``commune`` empty), ordered by
        survey date. ``villages_<class>`` and ``pop_<class>`` for each gap class.
    """
    snaps = store.list()
    counts = store.counts()
    if counts.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
    wide_v = counts.pivot_table(index=["snapshot_id", S.PROVINCE, S.COMMUNE],
                                columns=S.GAP_CLASS, values="villages", aggfunc="sum",
                                fill_value=0)
    wide_p = counts.pivot_table(index=["snapshot_id", S.PROVINCE, S.COMMUNE],
                                columns=S.GAP_CLASS, values=S.POP, aggfunc="sum",
                                fill_value=0.0)
    frame = pd.DataFrame(index=wide_v.index)
    for g in G:
        frame[f"villages_{g}"] = wide_v[str(g)] if str(g) in wide_v.columns else 0
        frame[f"pop_{g}"] = wide_p[str(g)] if str(g) in wide_p.columns else 0.0
    frame["villages"] = wide_v.sum(axis=1)
    frame[S.POP] = wide_p.sum(axis=1)
    frame = frame.reset_index()
    value_cols = ["villages", S.POP, *(f"villages_{g}" for g in G), *(f"pop_{g}" for g in G)]
    communes = frame.assign(level="commune")
    provinces = frame.groupby(["snapshot_id", S.PROVINCE], sort=True)[value_cols].sum()
    provinces = provinces.reset_index().assign(level="province", **{S.COMMUNE: ""})
    out = pd.concat([provinces, communes], ignore_index=True)
    out = out.merge(snaps[["id", "label", "date"]].rename(columns={"id": "snapshot_id"}),
                    on="snapshot_id", how="left")
    lvl = out["level"].map({"province": 0, "commune": 1})
    out = out.assign(_lvl=lvl).sort_values(["date", "snapshot_id", "_lvl", S.PROVINCE,
                                            S.COMMUNE], ignore_index=True)
    for c in value_cols:
        out[c] = out[c].astype("float64" if c.startswith("pop") else "int64")
    return out[list(HISTORY_COLUMNS)]


# --- targets and burn-down ------------------------------------------------------------
def targets_from_toml(text: str) -> TrackingTargets:
    """The ``[tracking]`` targets of a config's TOML text (empty when it has none)."""
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config text is not valid TOML: {exc}") from None
    return TrackingTargets.from_mapping(data.get("tracking", {}))


def burndown(hist: pd.DataFrame, targets: TrackingTargets | Sequence[Target], *,
             province: str | None = None) -> pd.DataFrame:
    """Remaining villages per series over time, against the targets' line.

    Parameters
    ----------
    hist
        :func:`history` of a store (province rows are used; all provinces summed unless
        ``province`` is given).
    targets
        The deadlines. A series without targets still gets its remaining counts.

    Returns
    -------
    DataFrame
        :data:`BURNDOWN_COLUMNS`, one row per series × date, dates being the snapshots'
        (``kind="snapshot"``, ``label`` the snapshot) and the targets'
        (``kind="target"``). ``remaining`` is the villages open at a snapshot (NaN on a
        target-only date); ``target`` the planned line: straight from the first
        snapshot's count to each target in turn, flat after the last (NaN for series
        without targets or before the first snapshot); ``on_track`` is
        ``remaining <= target`` (NA when either is missing).
    """
    if not isinstance(targets, TrackingTargets):
        targets = TrackingTargets(tuple(targets))
    prov = hist[hist["level"] == "province"]
    if province is not None:
        prov = prov[prov[S.PROVINCE] == province]
    per_snap = prov.groupby(["snapshot_id", "label", "date"], sort=False)[
        [f"villages_{g}" for g in G]].sum().reset_index().sort_values(["date", "snapshot_id"])
    by_series: dict[str, list[Target]] = {}
    for t in targets.targets:
        by_series.setdefault(t.series, []).append(t)
    rows = []
    for series, classes in SERIES.items():
        remaining = per_snap[[f"villages_{c}" for c in classes]].sum(axis=1).to_numpy(float)
        snap_dates = list(per_snap["date"])
        tgs = sorted(by_series.get(series, []), key=lambda t: t.date)
        plan = _plan(snap_dates[0] if snap_dates else None,
                     remaining[0] if len(remaining) else np.nan, tgs)
        for day, label, rem in zip(snap_dates, per_snap["label"], remaining):
            rows.append((series, day, "snapshot", label, rem, plan(day)))
        for t in tgs:
            rows.append((series, t.date, "target", "", np.nan, plan(t.date)))
    out = pd.DataFrame(rows, columns=list(BURNDOWN_COLUMNS[:-1]))
    out["remaining"] = out["remaining"].astype("float64")
    out["target"] = out["target"].astype("float64")
    ok = out["remaining"] <= out["target"]
    out["on_track"] = pd.array(np.where(out["remaining"].isna() | out["target"].isna(), None,
                                        ok), dtype="boolean")
    order = {s: i for i, s in enumerate(SERIES)}
    out = out.assign(_s=out["series"].map(order), _k=(out["kind"] == "target").astype(int))
    return out.sort_values(["_s", "date", "_k"], ignore_index=True)[list(BURNDOWN_COLUMNS)]


def _plan(start_date: _dt.date | None, start_value: float, tgs: list[Target]):
    if not tgs or start_date is None:
        return lambda day: np.nan
    xs = [start_date] + [t.date for t in tgs]
    ys = [start_value] + [float(t.max_remaining) for t in tgs]
    # targets dated before the first snapshot start the line themselves
    pts = sorted(zip(xs, ys), key=lambda p: p[0])
    ords = np.array([d.toordinal() for d, _ in pts], dtype=float)
    vals = np.array([v for _, v in pts], dtype=float)

    def plan(day: _dt.date) -> float:
        x = day.toordinal()
        if x < ords[0]:
            return np.nan
        return float(np.interp(x, ords, vals))

    return plan


# --- exports ----------------------------------------------------------------------------
def write_changes(changes: Changes, out_dir: str | Path, *,
                  formats: Sequence[str] = ("gpkg", "geojson", "csv", "xlsx", "kml"),
                  ) -> dict[str, Path]:
    """Write the change list in the engine's export formats, plus summaries and a manifest.

    Files in ``out_dir``: ``changes.<fmt>`` for each format (KML folders per change,
    Excel sheets Summary / Ranked / one per commune), ``change_summary.csv``,
    ``unmatched_old.csv``, ``unmatched_new.csv`` and ``manifest.json`` (the two
    snapshots, match counts and the SHA-256 of every file).

    Returns
    -------
    dict
        ``name → path`` of every file written.
    """
    from gisapp.io import export as ex

    out = Path(out_dir)
    v = changes.villages
    title = _title(changes)
    written = ex.write_formats(
        v, changes.summary, out, stem="changes", formats=formats, title=title,
        kml_options={
            "folder_col": "change", "document_name": title,
            "description_cols": (S.ID, S.COMMUNE, "change", f"{S.GAP_CLASS}_old", S.GAP_CLASS,
                                 f"{S.SIGNAL_EVIDENCE}_old", S.SIGNAL_EVIDENCE,
                                 f"{S.POWER_EVIDENCE}_old", S.POWER_EVIDENCE, S.POP),
        })
    written["summary"] = ex.write_csv(changes.summary, out / "change_summary.csv")
    written["unmatched_old"] = ex.write_csv(changes.unmatched_old, out / "unmatched_old.csv")
    written["unmatched_new"] = ex.write_csv(changes.unmatched_new, out / "unmatched_new.csv")
    manifest = {
        "kind": "gisapp snapshot diff",
        "a": _info_dict(changes.a), "b": _info_dict(changes.b),
        "matching": changes.matching,
        "changes": {str(c): changes.count(c) for c in Change},
        "outputs": {p.name: ex.file_sha256(p) for p in written.values()},
    }
    written["manifest"] = ex.write_manifest(manifest, out / "manifest.json")
    log.info("wrote %d change files to %s", len(written), out)
    return written


def _title(changes: Changes) -> str:
    if changes.a and changes.b:
        return (f"Changes from '{changes.a.label}' ({changes.a.date}) to "
                f"'{changes.b.label}' ({changes.b.date})")
    return "Changes between two surveys"


def _info_dict(info: SnapshotInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {"id": info.id, "label": info.label, "date": info.date.isoformat(),
            "created_at": info.created_at, "n_villages": info.n_villages,
            "manifest": json.loads(jsonsafe.dumps(info.manifest, default=str))}
