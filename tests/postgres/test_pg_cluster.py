"""The throwaway cluster and the per-test database: what every PostgreSQL test stands on."""

from __future__ import annotations

import os
import pwd
import subprocess

import psycopg
import pytest
from pg_cluster import SCRIPT, Server, server_binaries


def test_each_test_gets_its_own_empty_database(pg_conn: psycopg.Connection, pg_server: Server) -> None:
    name = pg_conn.execute("SELECT current_database()").fetchone()[0]
    assert name.startswith("sqlbatch_t")
    tables = pg_conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
    assert tables == 0
    pg_conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    pg_conn.commit()
    with psycopg.connect(pg_server.url, autocommit=True) as admin:
        listed = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
    assert listed == [(1,)]


def test_server_is_socket_only_and_new_enough(pg_conn: psycopg.Connection) -> None:
    # PostgreSQL 15+: CREATE DATABASE ... STRATEGY, has_parameter_privilege (the capture's undo)
    assert pg_conn.info.server_version >= 150000
    if os.environ.get("SQLBATCH_TEST_POSTGRES_URL"):
        return  # a given server's settings are its own
    assert pg_conn.execute("SHOW listen_addresses").fetchone()[0] == ""  # no TCP at all
    assert pg_conn.info.host.startswith("/")  # the unix socket's folder
    assert pg_conn.execute("SHOW fsync").fetchone()[0] == "off"
    data = pg_conn.execute("SHOW data_directory").fetchone()[0]
    if os.getuid() == 0:  # PostgreSQL refuses root: the cluster belongs to the postgres user
        assert os.stat(data).st_uid == pwd.getpwnam("postgres").pw_uid


@pytest.mark.skipif(server_binaries() is None, reason="no PostgreSQL server binaries")
def test_script_run_starts_exports_and_always_stops(tmp_path) -> None:
    probe = tmp_path / "probe.sh"
    probe.write_text('psql "$SQLBATCH_TEST_POSTGRES_URL" -Atc "select 40+2" && echo "$SQLBATCH_PG_BASE"; exit 7\n')
    env = dict(os.environ, PG_BIN=server_binaries() or "")
    env["PATH"] = env["PG_BIN"] + ":" + env["PATH"]
    done = subprocess.run(
        ["bash", str(SCRIPT), "run", "--", "bash", str(probe)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 7, done.stderr  # the command's own exit code comes through
    answer, base = done.stdout.split()
    assert answer == "42"
    assert not os.path.exists(base)  # stopped and removed although the command failed


def test_script_refuses_stop_without_a_cluster(tmp_path) -> None:
    done = subprocess.run(["bash", str(SCRIPT), "stop", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "no cluster folder" in done.stderr
