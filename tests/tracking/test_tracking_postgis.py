"""The PostGIS snapshot store, against a real server; it must give the GeoPackage's diffs.

Server: ``GISAPP_TEST_POSTGIS_URL`` (e.g. ``postgresql://user:pw@127.0.0.1:5432/db``; the
tests use a fresh schema in it) or, when unset, a private throw-away cluster started
here from Debian's binaries (``/usr/lib/postgresql/*/bin/initdb`` and ``pg_ctl``, from
the packages ``postgresql`` and ``postgresql-15-postgis-3``) in a temporary folder, on a
free port on 127.0.0.1, with trust authentication, stopped at the end. As root the
cluster runs as the ``postgres`` user (initdb refuses root) through ``runuser``.
Without either, the tests skip and say why.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import pytest
from test_tracking_data import EXPECTED, surveys

from gisapp.tracking.changes import Change, diff, history
from gisapp.tracking.store import (
    PostgisStore, SnapshotExistsError, SnapshotNotFoundError, StoreUnavailableError, open_store,
)

pytest.importorskip("sqlalchemy", reason="the PostGIS store needs sqlalchemy (pip install "
                    "sqlalchemy psycopg2-binary)")
pytest.importorskip("psycopg2", reason="the PostGIS store needs psycopg2-binary")


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(cands[-1]).parent if cands else None


def _has_postgis(bindir: Path) -> bool:
    try:
        share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        share = str(Path("/usr/share/postgresql") / bindir.parent.name)
    return Path(share, "extension", "postgis.control").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgis_url():
    """URL of a PostGIS database for the tests (a private cluster, or the env var's)."""
    env = os.environ.get("GISAPP_TEST_POSTGIS_URL")
    if env:
        yield env
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql "
                    "postgresql-15-postgis-3, or set GISAPP_TEST_POSTGIS_URL")
    if not _has_postgis(bindir):
        pytest.skip(f"PostgreSQL in {bindir} has no PostGIS extension: apt-get install "
                    "postgresql-15-postgis-3 (matching the server version)")
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run initdb as")
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser to start PostgreSQL as 'postgres'")
        prefix = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="gisapp-pg-"))
    data = root / "data"
    if prefix:
        os.chown(root, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    log = root / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    r = run(str(bindir / "initdb"), "-D", str(data), "-U", "gisapp", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync")
    if r.returncode:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {r.stderr[-2000:]}")
    r = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    if r.returncode:
        text = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {r.stderr[-1000:]} {text[-2000:]}")
    url = f"postgresql://gisapp@127.0.0.1:{port}/postgres"
    try:
        import sqlalchemy as sa

        eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
        with eng.begin() as con:
            con.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        eng.dispose()
        yield url
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_store(postgis_url):
    """A store in a fresh schema (so runs never see each other's snapshots)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in postgis_url else "?"
    store = open_store(f"{postgis_url}{sep}schema={schema}")
    yield store
    import sqlalchemy as sa

    with store.engine.begin() as con:
        con.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    store.close()


def test_postgis_round_trip_and_errors(pg_store):
    assert isinstance(pg_store, PostgisStore)
    one, two = surveys()
    info = pg_store.save(one, label="s2024", date="2024-06-30", config_toml="x = 1\n",
                         manifest={"a": [1, 2]})
    assert (info.id, info.n_villages) == (1, 200)
    back, info2 = pg_store.load("s2024")
    assert info2.manifest == {"a": [1, 2]} and info2.date == dt.date(2024, 6, 30)
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(one.drop(columns="geometry")))
    assert back.geometry.geom_equals_exact(one.geometry, tolerance=0).all()
    with pytest.raises(SnapshotExistsError, match="a snapshot labelled 's2024' is already"):
        pg_store.save(two, label="s2024")
    assert list(pg_store.list()["n_villages"]) == [200]   # the failed save left nothing
    with pytest.raises(SnapshotNotFoundError, match="no snapshot 'zz'"):
        pg_store.load("zz")
    assert "password" not in pg_store.url


def test_postgis_and_geopackage_give_identical_diffs(pg_store, tmp_path):
    one, two = surveys()
    gp = open_store(tmp_path / "p.gpkg")
    for store in (gp, pg_store):
        store.save(one, label="s2024", date="2024-06-30")
        store.save(two, label="s2025", date="2025-06-30")
    a, b = diff(gp, "s2024", "s2025"), diff(pg_store, "s2024", "s2025")
    assert {str(c): b.count(c) for c in Change} == EXPECTED
    pd.testing.assert_frame_equal(pd.DataFrame(a.villages.drop(columns="geometry")),
                                  pd.DataFrame(b.villages.drop(columns="geometry")))
    assert a.villages.geometry.geom_equals_exact(b.villages.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.unmatched_old, b.unmatched_old)
    assert a.matching == b.matching
    ha, hb = history(gp), history(pg_store)
    pd.testing.assert_frame_equal(ha.drop(columns="date"), hb.drop(columns="date"))
    assert list(ha["date"]) == list(hb["date"])
    pd.testing.assert_frame_equal(gp.list().drop(columns="created_at"),
                                  pg_store.list().drop(columns="created_at"))


def test_unreachable_server_is_a_plain_error():
    port = _free_port()   # nothing listens there
    with pytest.raises(StoreUnavailableError, match=r"cannot connect to store postgresql"):
        open_store(f"postgresql://nobody@127.0.0.1:{port}/db")
