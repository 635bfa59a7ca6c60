"""Online backup while the server takes writes, then restore and verify."""
import re
import shutil
import threading
import time

import pytest

from csirtd_testlib import Server, describe, login, paginate

pytestmark = pytest.mark.sqlite_only


@pytest.mark.slow
def test_backup_while_serving(server_factory, tmp_path):
    srv = server_factory()
    token = srv.admin_token()
    statuses = []
    errors = []
    stop = threading.Event()

    def load():
        api = srv.api(token)
        deadline = time.monotonic() + 120
        i = 0
        while not stop.is_set() and i < 5000 and time.monotonic() < deadline:
            try:
                r = api.post("/api/v1/tokens", json={"name": f"load-{i}"})
                statuses.append(r.status_code)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                break
            i += 1

    t = threading.Thread(target=load, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while len(statuses) < 20 and time.monotonic() < deadline and t.is_alive():
            time.sleep(0.02)
        assert len(statuses) >= 20, f"load did not get going: {statuses[:5]} {errors}"
        before = statuses.count(201)
        out = tmp_path / "out.db"
        r = srv.cli("backup", str(out))
        assert r.returncode == 0, describe(r)
        during = statuses.count(201) - before
        # verifying the chain while writes go on sees a consistent snapshot
        v = srv.cli("audit", "verify")
        assert v.returncode == 0, describe(v)
        time.sleep(0.2)
    finally:
        stop.set()
        t.join(timeout=60)
    assert not t.is_alive(), "load thread did not stop"
    assert not errors, errors
    bad = [s for s in statuses if s != 201]
    assert not bad, f"non-201 responses under backup: {sorted(set(bad))} ({len(bad)})"
    assert out.exists() and out.stat().st_size > 0
    # restore = copy DEST alone: it must be complete without -wal/-journal files
    for suffix in ("-wal", "-journal"):
        side = out.with_name(out.name + suffix)
        assert not side.exists() or side.stat().st_size == 0, f"{side} left next to the backup"
    import sqlite3
    con = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copyfile(out, restored / "csirtd.db")
    v = srv.cli("audit", "verify")  # the live one is still fine
    assert v.returncode == 0, describe(v)
    v = Server(restored).cli("audit", "verify")
    assert v.returncode == 0, describe(v)
    assert re.search(r"\bOK\b", v.stdout)

    rs = server_factory(init=False, data_dir=restored)
    s = rs.api()
    login(s, "admin", srv.password)
    me = s.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["login"] == "admin", me.text
    items, _ = paginate(s, "/api/v1/tokens", limit=500)
    names = {t["name"] for t in items}
    # everything committed before the backup started is in it
    missing = {f"load-{i}" for i in range(before)} - names
    assert not missing, f"{len(missing)} tokens committed before the backup are missing"
    # the bearer token created before the backup works on the restored copy
    assert rs.api(token).get("/api/v1/me").status_code == 200
    # the restored server keeps writing a valid chain
    assert rs.api(token).post("/api/v1/tokens", json={"name": "after-restore"}).status_code == 201
    v = rs.cli("audit", "verify")
    assert v.returncode == 0, describe(v)
    print(f"tokens created while backup ran: {during}")


def test_backup_bad_destination(server):
    r = server.cli("backup", "/nonexistent-dir/xyz/out.db")
    assert r.returncode == 1, describe(r)
    r = server.cli("backup")
    assert r.returncode == 2, describe(r)
