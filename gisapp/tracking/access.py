"""Who may see and do what, enforced where the data is served (the app calls these).

Roles (:data:`gisapp.config.server.ROLES`):

* **planner**: everything;
* **carrier liaison** (with a carrier): the province's map and summary
  (:func:`province_villages`), but only their own carrier's pack and the villages
  assigned to that carrier (:func:`villages`, :func:`village`); submits site-on-air closures
  for those villages;
* **EVN liaison**: the power side: the villages with a power gap (or one closed), and
  grid-connection closures for them;
* **viewer**: reads the province's map, summary and report; submits nothing.

Every refusal raises :class:`AccessDenied` and is logged (logger ``gisapp.access``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from gisapp import schema as S
from gisapp.config.server import UserRole
from gisapp.errors import GisappError
from gisapp.tracking import events as E
from gisapp.tracking.store import SnapshotStore

__all__ = ["AccessDenied", "province_villages", "villages", "village", "pack", "submit",
           "confirm", "reject", "assign", "pending", "can_submit"]

log = logging.getLogger("gisapp.access")
_POWER = {str(S.GapClass.NO_POWER), str(S.GapClass.NO_POWER_NO_SIGNAL)}


class AccessDenied(GisappError, PermissionError):
    """The signed-in user's role does not allow this (the message says whose it is)."""


def _refuse(user: UserRole | None, what: str) -> AccessDenied:
    who = "an unknown user" if user is None else f"{user.name} ({user.role}" + (
        f", {user.carrier})" if user.carrier else ")")
    log.warning("refused: %s asked for %s", who, what)
    return AccessDenied(f"{who} may not {what}; ask the province's planner if you need it")


def _need(user: UserRole | None, roles: tuple[str, ...], what: str) -> UserRole:
    if user is None or user.role not in roles:
        raise _refuse(user, what)
    return user


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def province_villages(user: UserRole | None, store: SnapshotStore) -> gpd.GeoDataFrame:
    """The province's map and summary data (every signed-in role)."""
    _need(user, ("planner", "carrier_liaison", "evn_liaison", "viewer"), "see the province")
    return E.current_villages(store)[0]


def _mine(user: UserRole, store: SnapshotStore, frame: pd.DataFrame) -> pd.Series:
    ids = frame[S.ID].astype(str)
    if user.role in ("planner", "viewer"):
        return pd.Series(True, index=frame.index)
    if user.role == "carrier_liaison":
        assigned = E.assignments(store)
        return ids.map(lambda v: _same(assigned.get(v), user.carrier))
    power_ever = set(store.events().query("gap == 'power'")["village_id"].astype(str))
    return frame[S.GAP_CLASS].astype(str).isin(_POWER) | ids.isin(power_ever)


def villages(user: UserRole | None, store: SnapshotStore) -> gpd.GeoDataFrame:
    """The villages this user works on, with their details (the rows of :func:`village`)."""
    user = _need(user, ("planner", "carrier_liaison", "evn_liaison", "viewer"),
                 "see village details")
    v = E.current_villages(store)[0]
    return v[_mine(user, store, v).to_numpy(dtype=bool)]


def village(user: UserRole | None, store: SnapshotStore, village_id: str,
            ) -> tuple[dict[str, Any], pd.DataFrame]:
    """One village's row and its event history, if the user may see it."""
    user = _need(user, ("planner", "carrier_liaison", "evn_liaison", "viewer"),
                 f"see village {village_id}")
    v = E.current_villages(store)[0]
    row = v[v[S.ID].astype(str) == str(village_id)]
    if row.empty or not bool(_mine(user, store, row).iloc[0]):
        raise _refuse(user, f"see village {village_id}")
    hist = E.village_history(store, village_id)
    return row.drop(columns=row.geometry.name).iloc[0].to_dict(), hist.drop(
        columns=[c for c in ("evidence_sha256",) if c in hist])


def pack(user: UserRole | None, carrier: str, build: Callable[[], bytes]) -> bytes:
    """A carrier's pack, built by ``build`` only if the user may have it."""
    if user is not None and user.role == "planner":
        return build()
    if user is not None and user.role == "carrier_liaison" and _same(user.carrier, carrier):
        return build()
    raise _refuse(user, f"get the {carrier} pack")


def can_submit(user: UserRole | None) -> bool:
    return user is not None and user.role in ("planner", "carrier_liaison", "evn_liaison")


def submit(user: UserRole | None, store: SnapshotStore, *, village_id: str, closed_by: str,
           **kw: Any) -> dict:
    """A liaison's closure of one of their villages (see :func:`gisapp.tracking.events.submit`)."""
    user = _need(user, ("planner", "carrier_liaison", "evn_liaison"), "submit updates")
    if user.role == "carrier_liaison" and closed_by != "site_on_air":
        raise _refuse(user, f"report '{closed_by}' (a carrier reports sites on air)")
    if user.role == "evn_liaison" and closed_by != "grid_connection":
        raise _refuse(user, f"report '{closed_by}' (EVN reports grid connections)")
    if user.role != "planner":
        village(user, store, village_id)          # refuses another carrier's village
    carrier = user.carrier if user.role == "carrier_liaison" else (
        "EVN" if user.role == "evn_liaison" else kw.pop("carrier", None))
    kw.pop("carrier", None)
    return E.submit(store, actor=user.name, role=user.role, village_id=village_id,
                    closed_by=closed_by, carrier=carrier, **kw)


def pending(user: UserRole | None, store: SnapshotStore) -> pd.DataFrame:
    """Pending submissions: all for the planner, a liaison's own otherwise."""
    user = _need(user, ("planner", "carrier_liaison", "evn_liaison"), "see pending updates")
    p = E.pending(store)
    return p if user.role == "planner" else p[p["actor"] == user.name].reset_index(drop=True)


def confirm(user: UserRole | None, store: SnapshotStore, seq: int, note: str = "") -> dict:
    user = _need(user, ("planner",), "confirm updates")
    return E.confirm(store, seq, actor=user.name, role=user.role, note=note)


def reject(user: UserRole | None, store: SnapshotStore, seq: int, note: str) -> dict:
    user = _need(user, ("planner",), "reject updates")
    return E.reject(store, seq, actor=user.name, role=user.role, note=note)


def assign(user: UserRole | None, store: SnapshotStore, village_ids, carrier: str) -> list:
    user = _need(user, ("planner",), "assign villages")
    return E.assign(store, village_ids, carrier, actor=user.name, role=user.role)
