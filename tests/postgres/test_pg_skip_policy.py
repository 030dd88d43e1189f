"""No server binaries: skipped with the reason on a workstation, a failure under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def run_without_server(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SQLBATCH_TEST_POSTGRES_URL", "CI")}
    env["PG_BIN"] = str(tmp_path / "no-such-bin")  # the fixture and the script look nowhere else
    if ci is not None:
        env["CI"] = ci
    test = HERE / "test_pg_cluster.py"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            f"{test}::test_server_is_socket_only_and_new_enough",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE.parents[1],
    )


@pytest.mark.parametrize("ci", [None, "false"])
def test_missing_server_skips_with_the_reason(tmp_path: Path, ci: str | None) -> None:
    done = run_without_server(tmp_path, ci)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
    assert "no PostgreSQL server binaries (pg_ctl) found" in done.stdout


def test_missing_server_fails_under_ci(tmp_path: Path) -> None:
    done = run_without_server(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    assert "CI=true but no PostgreSQL server for the tests" in done.stdout
    assert "skipped" not in done.stdout
