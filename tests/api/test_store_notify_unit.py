"""The store's notification unit test (tests/unit/test_store_notify.c) on
PostgreSQL: ctest runs it on SQLite only, as CSIRTD_TEST_PG is set for the
API suite alone (tests/api/run_pg.sh)."""
import os
import subprocess

import pytest

import csirtd_testlib as lib

BIN = os.environ.get("TEST_STORE_NOTIFY")

pytestmark = [
    pytest.mark.skipif(not lib.PG_BASE, reason="needs CSIRTD_TEST_PG (PostgreSQL)"),
    pytest.mark.skipif(not BIN, reason="needs TEST_STORE_NOTIFY (the test binary)"),
]


def test_store_notify_on_postgres():
    env = dict(os.environ, CSIRTD_TEST_PG=lib.PG_BASE)
    r = subprocess.run([BIN], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    # both groups ran: SQLite, then PostgreSQL
    out = r.stdout + r.stderr
    assert out.count("PASSED  ] 4 test(s)") == 2, out
