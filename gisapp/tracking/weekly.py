"""The tables of the weekly progress report, computed from a store (no words, no files).

:func:`weekly` gives a :class:`Weekly`; :mod:`gisapp.tracking.report` writes it as a DOCX
and an XLSX annex. The state at the end of the period is the latest survey on or before
``date_to`` with the closures confirmed up to then (:func:`gisapp.tracking.events.current_villages`);
the state "last period" is the same on the day before ``date_from``.

Who owes what (:attr:`Weekly.owners`): a village's signal gap belongs to the carrier it is
assigned to (:func:`gisapp.tracking.events.assign`; ``None`` when unassigned), its power gap
to EVN. *Due* is an open gap; *overdue* an open gap past the deadline, the first ``[tracking]``
target with ``max_remaining = 0`` in a series that counts the gap; *done* a confirmed closure.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gisapp import schema as S
from gisapp.config.tracking import SERIES
from gisapp.tracking import events as E
from gisapp.tracking.changes import burndown, targets_from_toml
from gisapp.tracking.store import SnapshotStore, StoreError

__all__ = ["Weekly", "weekly", "GAPS_OF", "EVN"]

G = S.GapClass
CLASSES = [str(g) for g in G]
EVN = "EVN"
#: gap class → the gaps it has
GAPS_OF = {str(G.NO_POWER_NO_SIGNAL): {"signal", "power"}, str(G.NO_SIGNAL): {"signal"},
           str(G.NO_POWER): {"power"}, str(G.SERVED): set(), str(G.UNKNOWN): set()}


@dataclass
class Weekly:
    """Everything the report shows; tables use codes (gap classes, series), not words."""

    date_from: _dt.date
    date_to: _dt.date
    snapshot_label: str
    snapshot_date: _dt.date
    cutoff: str
    n_confirmed: int
    name: str
    synthetic: bool
    headline: pd.DataFrame      # gap_class, villages, pop, villages_prev, pop_prev, change
    targets: pd.DataFrame       # series, deadline, max_remaining, remaining, planned, status
    communes: pd.DataFrame      # commune, villages, pop, <classes>, closed_period
    owners: pd.DataFrame        # owner, gap, due, overdue, done_period, done_total, awaiting
    changes: pd.DataFrame       # village_id, name, commune, what, before, after
    sources: pd.DataFrame       # layer, file, date, sha256
    burndown: pd.DataFrame
    villages: gpd.GeoDataFrame = field(repr=False)


def _state(store: SnapshotStore, day: _dt.date):
    try:
        return E.current_villages(store, day)
    except StoreError:
        return None, None


def _headline(end: pd.DataFrame, start: pd.DataFrame | None) -> pd.DataFrame:
    def per_class(v):
        if v is None:
            return pd.Series(0, index=CLASSES), pd.Series(0.0, index=CLASSES)
        g = v[S.GAP_CLASS].astype(str)
        pop = pd.to_numeric(v[S.POP], errors="coerce").fillna(0.0) if S.POP in v else 0.0
        return (g.value_counts().reindex(CLASSES, fill_value=0),
                pd.Series(pop, index=v.index).groupby(g).sum().reindex(CLASSES, fill_value=0.0))

    nv, npop = per_class(end)
    pv, ppop = per_class(start)
    out = pd.DataFrame({S.GAP_CLASS: CLASSES, "villages": nv.to_numpy(), "pop": npop.to_numpy(),
                        "villages_prev": pv.to_numpy(), "pop_prev": ppop.to_numpy()})
    total = out.drop(columns=S.GAP_CLASS).sum().to_frame().T
    total.insert(0, S.GAP_CLASS, "total")
    out = pd.concat([out, total], ignore_index=True)
    out["change"] = out["villages"] - out["villages_prev"]
    return out.astype({"villages": "int64", "villages_prev": "int64", "change": "int64"})


def _series_now(end: pd.DataFrame) -> dict[str, int]:
    g = end[S.GAP_CLASS].astype(str)
    return {s: int(g.isin(classes).sum()) for s, classes in SERIES.items()}


def _targets(tg, bd: pd.DataFrame, end: pd.DataFrame, day: _dt.date) -> pd.DataFrame:
    now = _series_now(end)
    rows = []
    for t in tg.targets:
        snaps = bd[(bd["series"] == t.series) & (bd["kind"] == "snapshot")]
        planned = float(snaps["target"].iloc[-1]) if len(snaps) else np.nan
        rem = now[t.series]
        if t.date <= day:
            status = "met" if rem <= t.max_remaining else "missed"
        else:
            status = "on_track" if np.isnan(planned) or rem <= planned else "behind"
        rows.append((t.series, t.date, t.max_remaining, rem, planned, status))
    return pd.DataFrame(rows, columns=["series", "deadline", "max_remaining", "remaining",
                                       "planned", "status"])


#: the series whose targets set the deadline of a gap
_DEADLINE_SERIES = {"signal": ("any_no_signal", str(G.NO_SIGNAL), "any_gap"),
                    "power": ("any_no_power", str(G.NO_POWER), "any_gap")}


def _deadline(tg, gap: str) -> _dt.date | None:
    days = [t.date for t in tg.targets
            if t.max_remaining == 0 and t.series in _DEADLINE_SERIES[gap]]
    return min(days) if days else None


def _owners(store, end, tg, day_from, day_to, confirmed, waiting) -> pd.DataFrame:
    assigned = E.assignments(store)
    ids = end[S.ID].astype(str)
    gaps = end[S.GAP_CLASS].astype(str)
    carrier_of = ids.map(assigned)
    rows = []
    owners = sorted({c for c in assigned.values()}) + [None]
    for gap in ("signal", "power"):
        open_ = gaps.map(lambda c: gap in GAPS_OF.get(c, set()))
        late = _deadline(tg, gap)
        overdue_on = late is not None and late < day_to
        conf = confirmed[confirmed["gap"] == gap]
        wait = waiting[waiting["gap"] == gap]
        if gap == "signal":
            keys = owners
            owner_of = carrier_of
            conf_owner = conf["village_id"].astype(str).map(assigned)
            wait_owner = wait["village_id"].astype(str).map(assigned)
        else:
            keys = [EVN]
            owner_of = pd.Series(EVN, index=end.index)
            conf_owner = pd.Series(EVN, index=conf.index)
            wait_owner = pd.Series(EVN, index=wait.index)
        for key in keys:
            mine = (owner_of.isna() if key is None else owner_of == key)
            cm = conf_owner.isna() if key is None else conf_owner == key
            wm = wait_owner.isna() if key is None else wait_owner == key
            due = int((open_ & mine).sum())
            inside = np.array([day_from <= d <= day_to for d in conf["confirmed_on"]], dtype=bool)
            period = conf[cm.to_numpy(dtype=bool) & inside]
            rows.append((key, gap, due, due if overdue_on else 0, int(len(period)),
                         int(cm.sum()), int(wm.sum())))
    return pd.DataFrame(rows, columns=["owner", "gap", "due", "overdue", "done_period",
                                       "done_total", "awaiting"])


def _changes(end: pd.DataFrame, start: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["village_id", "name", "commune", "what", "before", "after"]
    prev = {} if start is None else dict(zip(start[S.ID].astype(str),
                                             start[S.GAP_CLASS].astype(str)))
    rows = []
    for vid, name, commune, now in zip(end[S.ID].astype(str), end.get(S.NAME, ""),
                                       end.get(S.COMMUNE, ""), end[S.GAP_CLASS].astype(str)):
        was = prev.get(vid)
        g_now, g_was = GAPS_OF.get(now, set()), GAPS_OF.get(was, set()) if was else set()
        if was is None or was == str(G.UNKNOWN):
            what = "new" if g_now else None
        elif g_now - g_was:
            what = "reopened"
        elif g_was - g_now:
            what = "closed"
        else:
            what = None
        if what:
            rows.append((vid, str(name), str(commune), what, was or "", now))
    order = {"closed": 0, "new": 1, "reopened": 2}
    out = pd.DataFrame(rows, columns=cols)
    return out.assign(_o=out["what"].map(order)).sort_values(
        ["_o", "commune", "village_id"], ignore_index=True).drop(columns="_o")


def _communes(end: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    g = end[S.GAP_CLASS].astype(str)
    c = end[S.COMMUNE].astype(str) if S.COMMUNE in end else pd.Series("", index=end.index)
    pop = pd.to_numeric(end[S.POP], errors="coerce").fillna(0.0) if S.POP in end else 0.0
    wide = pd.crosstab(c, g).reindex(columns=CLASSES, fill_value=0)
    out = pd.DataFrame({"commune": wide.index, "villages": wide.sum(axis=1).to_numpy(),
                        "pop": pd.Series(pop, index=end.index).groupby(c).sum()
                        .reindex(wide.index).to_numpy()})
    for cls in CLASSES:
        out[cls] = wide[cls].to_numpy()
    closed = changes[changes["what"] == "closed"].groupby("commune").size()
    out["closed_period"] = out["commune"].map(closed).fillna(0).astype("int64")
    total = out.drop(columns="commune").sum().to_frame().T
    total.insert(0, "commune", "total")
    return pd.concat([out, total], ignore_index=True)


def _layer_rows(node: Any, section: str, rows: list) -> None:
    if isinstance(node, dict):
        for key in ("path", "list_path"):
            if isinstance(node.get(key), str):
                date = node.get("date" if key == "path" else "list_date")
                label = section + (f" {node['carrier']} {node.get('technology', '')}".rstrip()
                                   if "carrier" in node and "technology" in node
                                   and "kind" in node else "")
                rows.append((label, node[key], str(date) if date else ""))
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                _layer_rows(v, k if section == "" else f"{section}.{k}", rows)
    elif isinstance(node, list):
        for item in node:
            _layer_rows(item, section, rows)


def _sources(manifest: dict) -> pd.DataFrame:
    rows: list = []
    _layer_rows(manifest.get("config", {}), "", rows)
    hashes = manifest.get("inputs", {})
    from pathlib import PurePath

    out = [(layer, f, d, hashes.get(PurePath(f).name, "")) for layer, f, d in rows]
    return pd.DataFrame(out, columns=["layer", "file", "date", "sha256"]).drop_duplicates(
        ignore_index=True)


def weekly(store: SnapshotStore, date_from: str | _dt.date, date_to: str | _dt.date,
           ) -> Weekly:
    """The report's tables for the period ``date_from`` … ``date_to`` (both included).

    Raises
    ------
    StoreError
        No survey on or before ``date_to``, or ``date_from`` after ``date_to``.
    """
    d0, d1 = E._day(date_from, "--from"), E._day(date_to, "--to")
    if d0 > d1:
        raise StoreError(f"the period starts ({d0}) after it ends ({d1}); swap --from and --to")
    end, snap = E.current_villages(store, d1)
    start, _ = _state(store, d0 - _dt.timedelta(days=1))
    info = store.info(int(snap["id"]))
    tg = targets_from_toml(info.config_toml)
    hist = E.history_with_updates(store, d1)
    bd = burndown(hist, tg)
    ev = store.events()
    ev_to = ev[[str(a)[:10] <= d1.isoformat() for a in ev["at"]]]
    confirmed = E._confirmed(ev_to, d1)
    decided = set(ev_to.loc[ev_to["kind"].isin(["confirmed", "rejected"]), "ref"].dropna())
    waiting = ev_to[(ev_to["kind"] == "submitted") & ~ev_to["seq"].isin(decided)]
    changes = _changes(end, start)
    cutoff = max([f"{d1.isoformat()}"] + [str(a)[:19] for a in ev_to["at"]])
    opts = info.manifest.get("config", {}).get("options", {})
    name = str(opts.get("name") or (end[S.PROVINCE].astype(str).iloc[0]
                                    if S.PROVINCE in end and len(end) else ""))
    return Weekly(
        date_from=d0, date_to=d1, snapshot_label=str(snap["label"]), snapshot_date=snap["date"],
        cutoff=cutoff[:10] if cutoff == d1.isoformat() else cutoff.replace("T", " ") + " UTC",
        n_confirmed=int(len(confirmed)), name=name,
        synthetic=bool(opts.get("synthetic", info.manifest.get("synthetic", False))),
        headline=_headline(end, start), targets=_targets(tg, bd, end, d1),
        communes=_communes(end, changes),
        owners=_owners(store, end, tg, d0, d1, confirmed, waiting), changes=changes,
        sources=_sources(json.loads(json.dumps(info.manifest, default=str))), burndown=bd,
        villages=end,
    )
