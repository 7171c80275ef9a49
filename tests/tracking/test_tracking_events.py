"""Progress updates: submit, confirm, reject; append-only; both stores; kill -9 mid-write.

The PostGIS cases use the server of :mod:`test_tracking_postgis` (and skip as it does).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pandas as pd
import pytest
from test_tracking_data import surveys
from test_tracking_postgis import postgis_url  # noqa: F401 (a fixture)

from gisapp import schema as S
from gisapp.tracking import events as E
from gisapp.tracking.changes import burndown
from gisapp.tracking.store import EventConflictError, open_store

TESTS = Path(__file__).parent
ROOT = TESTS.parents[1]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _gpkg(tmp_path):
    return open_store(tmp_path / "p.gpkg")


@pytest.fixture(params=["gpkg", "postgis"])
def store(request, tmp_path):
    if request.param == "gpkg":
        st = _gpkg(tmp_path)
        yield st
        return
    url = request.getfixturevalue("postgis_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in url else "?"
    st = open_store(f"{url}{sep}schema={schema}")
    yield st
    import sqlalchemy as sa

    with st.engine.begin() as con:
        con.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    st.close()


def _seed(store):
    one, _ = surveys()
    store.save(one, label="s2024", date="2024-06-30")
    return one


def _village(one, gap_class: str, k: int = 0) -> str:
    return str(one.loc[one[S.GAP_CLASS].astype(str) == gap_class, S.ID].iloc[k])


def test_maker_checker_moves_the_class_only_on_confirmation(store):
    one = _seed(store)
    vid = _village(one, "no_signal")
    other = _village(one, "no_signal", 1)
    hist0 = E.history_with_updates(store)
    sub = E.submit(store, actor="lan@viettel", role="carrier_liaison", carrier="Viettel",
                   village_id=vid, closed_by="site_on_air", closed_on="2024-08-01",
                   note="site LCU-123 on air", evidence=E.Evidence("drive.png", PNG))
    assert (sub["before"], sub["after"], sub["kind"]) == ("no_signal", "served", "submitted")
    v, _ = E.current_villages(store)
    assert v.loc[v[S.ID] == vid, S.GAP_CLASS].astype(str).iloc[0] == "no_signal"
    pd.testing.assert_frame_equal(E.history_with_updates(store), hist0)   # not yet
    assert list(E.pending(store)["seq"]) == [sub["seq"]]
    rej = E.submit(store, actor="lan@viettel", role="carrier_liaison", carrier="Viettel",
                   village_id=other, closed_by="site_on_air", closed_on="2024-08-02")
    E.reject(store, rej["seq"], actor="planner", note="no drive test attached")
    conf = E.confirm(store, sub["seq"], actor="planner")
    assert (conf["before"], conf["after"], conf["ref"]) == ("no_signal", "served", sub["seq"])
    v, _ = E.current_villages(store)
    assert v.loc[v[S.ID] == vid, S.GAP_CLASS].astype(str).iloc[0] == "served"
    assert v.loc[v[S.ID] == other, S.GAP_CLASS].astype(str).iloc[0] == "no_signal"
    hist = E.history_with_updates(store)
    bd = burndown(hist, [])
    rem = bd[(bd["series"] == "no_signal") & (bd["kind"] == "snapshot")]["remaining"].tolist()
    assert rem[1] == rem[0] - 1          # the burn-down moved by the one confirmed village
    assert E.pending(store).empty
    h = E.village_history(store, vid)
    assert list(h["kind"]) == ["submitted", "confirmed"]
    assert list(h["actor"]) == ["lan@viettel", "planner"]
    assert store.evidence(sub["seq"]) == PNG
    assert h["evidence_sha256"].iloc[0] and h["evidence_size"].iloc[0] == len(PNG)
    assert list(store.events()["kind"]) == ["submitted", "submitted", "rejected", "confirmed"]
    with pytest.raises(EventConflictError, match="already confirmed or rejected"):
        E.confirm(store, sub["seq"], actor="planner")
    with pytest.raises(EventConflictError, match="already confirmed or rejected"):
        E.confirm(store, rej["seq"], actor="planner")


def test_bad_updates_are_refused_with_a_message(tmp_path):
    store = _gpkg(tmp_path)
    one = _seed(store)
    served = _village(one, "served")
    kw = {"actor": "a", "role": "carrier_liaison", "carrier": "Viettel"}
    with pytest.raises(E.UpdateError, match="has no signal gap"):
        E.submit(store, village_id=served, closed_by="site_on_air", closed_on="2024-08-01", **kw)
    with pytest.raises(E.UpdateError, match="not in the latest survey"):
        E.submit(store, village_id="nope", closed_by="site_on_air", closed_on="2024-08-01", **kw)
    with pytest.raises(E.UpdateError, match="in the future"):
        E.submit(store, village_id=_village(one, "no_signal"), closed_by="site_on_air",
                 closed_on="2999-01-01", **kw)
    vid = _village(one, "no_signal")
    for ev, msg in [(E.Evidence("x.exe", b"MZ"), "type not accepted"),
                    (E.Evidence("x.png", b"GIF89a"), "not a PNG file"),
                    (E.Evidence("x.jpg", b"\xff\xd8\xff" + b"0" * (E.MAX_EVIDENCE_BYTES)),
                     "over the limit"),
                    (E.Evidence("x.csv", b"\xff\xfe\x00bad"), "not UTF-8")]:
        with pytest.raises(E.EvidenceError, match=msg):
            E.submit(store, village_id=vid, closed_by="site_on_air", closed_on="2024-08-01",
                     evidence=ev, **kw)
    with pytest.raises(E.UpdateError, match="say why"):
        E.reject(store, 1, actor="planner", note=" ")
    assert store.events().empty          # nothing refused was written


def test_events_are_append_only_in_the_file(tmp_path):
    import sqlite3

    store = _gpkg(tmp_path)
    one = _seed(store)
    E.assign(store, [_village(one, "no_signal")], "Viettel", actor="planner")
    con = sqlite3.connect(store.path)
    for sql in ("UPDATE events SET actor = 'x'", "DELETE FROM events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()
    assert E.assignments(store) == {_village(one, "no_signal"): "Viettel"}


def test_two_liaisons_submitting_at_once_are_both_kept_in_order(store):
    one = _seed(store)
    ids = list(one.loc[one[S.GAP_CLASS].astype(str) == "no_signal", S.ID].astype(str))[:10]
    errors = []

    def work(who, mine):
        try:
            for vid in mine:
                E.submit(store, actor=who, role="carrier_liaison", village_id=vid,
                         closed_by="site_on_air", closed_on="2024-08-01")
        except Exception as exc:   # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=("a", ids[:5])),
               threading.Thread(target=work, args=("b", ids[5:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ev = store.events()
    assert sorted(ev["village_id"]) == sorted(ids) and ev["seq"].is_unique
    assert ev["seq"].is_monotonic_increasing
    assert list(ev["at"]) == sorted(ev["at"])      # seq order is time order
    for who, mine in (("a", ids[:5]), ("b", ids[5:])):
        assert list(ev.loc[ev["actor"] == who, "village_id"]) == mine


_KILLED = textwrap.dedent("""
    import sys, time
    from test_tracking_data import surveys
    from gisapp.tracking import events as E
    from gisapp.tracking.store import open_store
    store = open_store(sys.argv[1])
    def pause():
        print("in-transaction", flush=True)
        time.sleep(120)
    store._before_commit = pause
    what = sys.argv[2]
    if what == "submit":
        E.submit(store, actor="x", role="carrier_liaison", village_id=sys.argv[3],
                 closed_by="site_on_air", closed_on="2024-08-01")
    elif what == "confirm":
        E.confirm(store, int(sys.argv[3]), actor="planner")
    else:
        store.save(surveys()[1], label="s2025", date="2025-06-30")
""")


def _kill_mid_write(url: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)])}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, url, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "in-transaction", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_kill_9_mid_write_leaves_the_store_consistent(store):
    one = _seed(store)
    url = str(store.path) if hasattr(store, "path") else _pg_url(store)
    vid = _village(one, "no_signal")
    sub = E.submit(store, actor="a", role="carrier_liaison", village_id=vid,
                   closed_by="site_on_air", closed_on="2024-08-01")
    before = store.events()
    _kill_mid_write(url, "confirm", str(sub["seq"]))
    _kill_mid_write(url, "submit", _village(one, "no_signal", 1))
    _kill_mid_write(url, "save")
    again = open_store(url)
    try:
        pd.testing.assert_frame_equal(again.events(), before)
        assert list(again.list()["label"]) == ["s2024"]
        assert list(E.pending(again)["seq"]) == [sub["seq"]]
        E.confirm(again, sub["seq"], actor="planner")      # the store still takes writes
        assert list(again.events()["kind"]) == ["submitted", "confirmed"]
        again.save(surveys()[1], label="s2025", date="2025-06-30")
    finally:
        again.close()


def _pg_url(store) -> str:
    return store.engine.url.render_as_string(hide_password=False) + f"?schema={store.schema}"
