"""`csirtd audit verify` detects edits, deletions and swaps in the audit table."""
import re
import shutil
import signal
import sqlite3

import pytest

from csirtd_testlib import cli, copy_db, describe, login

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def pristine(server, tmp_path_factory):
    """A stopped server's data dir with at least 8 audit rows; returns the
    path of a consistent copy of its database."""
    a = server.admin()
    for i in range(3):
        assert a.post("/api/v1/users", json={"login": f"tamper-{i}", "role": "viewer",
                                             "password": f"tamper-{i}-password"}).status_code == 201
        assert a.post("/api/v1/tokens", json={"name": f"tamper-{i}"}).status_code == 201
    login(server.api(), "tamper-0", "tamper-0-password")
    rc = server.stop(signal.SIGTERM)
    assert rc == 0, f"serve exited {rc} on SIGTERM\n{server.log_tail()}"
    out = tmp_path_factory.mktemp("pristine") / "csirtd.db"
    copy_db(server.db, out)
    con = sqlite3.connect(str(out))
    n = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    con.close()
    assert n >= 8, f"only {n} audit rows"
    return out


def _workdir(pristine, tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copyfile(pristine, d / "csirtd.db")
    return d


def _open_for_tamper(path):
    """Open the copy like an attacker with file access would: drop any
    append-only triggers on the audit table first."""
    con = sqlite3.connect(str(path))
    for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    return con


def _columns(con):
    return [r[1] for r in con.execute("PRAGMA table_info(audit)")]


def _verify(d):
    r = cli("audit", "verify", data=d)
    return r, r.stdout + r.stderr


def _mentions(out, *seqs):
    return any(re.search(rf"\bseq {s}\b", out) for s in seqs)


def test_untampered_ok(pristine, tmp_path):
    d = _workdir(pristine, tmp_path)
    r, out = _verify(d)
    assert r.returncode == 0, describe(r)
    assert re.search(r"\bOK\b", r.stdout), describe(r)
    n = sqlite3.connect(str(d / "csirtd.db")).execute("SELECT count(*) FROM audit").fetchone()[0]
    assert re.search(rf"\b{n}\b", r.stdout), f"row count {n} not in {r.stdout!r}"


def test_schema_has_expected_columns(pristine):
    con = sqlite3.connect(str(pristine))
    cols = set(_columns(con))
    con.close()
    assert {"seq", "action", "prev_hash", "hash"} <= cols, cols


def test_update_detected(pristine, tmp_path):
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    cols = _columns(con)
    target = "detail" if "detail" in cols else "action"
    cur = con.execute(f"UPDATE audit SET {target}=? WHERE seq=3",
                      ('{"tampered":true}' if target == "detail" else "user.tampered",))
    assert cur.rowcount == 1
    con.commit()
    con.close()
    r, out = _verify(d)
    assert r.returncode == 1, describe(r)
    assert _mentions(out, 3), describe(r)
    assert not re.search(r"\bOK\b", r.stdout), describe(r)


@pytest.mark.parametrize("column", ["actor", "object_id", "at"])
def test_other_column_update_detected(pristine, tmp_path, column):
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    if column not in _columns(con):
        pytest.skip(f"no column {column}")
    if column == "at":  # Unix seconds in a STRICT INTEGER column
        con.execute("UPDATE audit SET at = at + 1 WHERE seq=5")
    else:
        con.execute(f"UPDATE audit SET {column}='evil' WHERE seq=5")
    con.commit()
    con.close()
    r, out = _verify(d)
    assert r.returncode == 1, describe(r)
    assert _mentions(out, 5), describe(r)


def test_rehash_of_one_row_still_detected(pristine, tmp_path):
    """Editing a row and copying the next row's prev_hash into its hash is
    still caught (the hash is recomputed, not trusted)."""
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    nxt = con.execute("SELECT prev_hash FROM audit WHERE seq=5").fetchone()[0]
    con.execute("UPDATE audit SET action='user.tampered', hash=? WHERE seq=4", (nxt,))
    con.commit()
    con.close()
    r, out = _verify(d)
    assert r.returncode == 1, describe(r)
    assert _mentions(out, 4), describe(r)


def test_delete_middle_detected(pristine, tmp_path):
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    n = con.execute("SELECT max(seq) FROM audit").fetchone()[0]
    mid = n // 2
    assert con.execute("DELETE FROM audit WHERE seq=?", (mid,)).rowcount == 1
    con.commit()
    con.close()
    r, out = _verify(d)
    assert r.returncode == 1, describe(r)
    assert _mentions(out, mid, mid + 1), f"deleted seq {mid}\n{describe(r)}"


def test_delete_last_row_detected_or_documented(pristine, tmp_path):
    """Truncating the tail cannot be detected by a hash chain alone; only
    check that verify does not crash and stays consistent."""
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    con.execute("DELETE FROM audit WHERE seq=(SELECT max(seq) FROM audit)")
    con.commit()
    con.close()
    r, _ = _verify(d)
    assert r.returncode in (0, 1), describe(r)


def test_swap_detected(pristine, tmp_path):
    d = _workdir(pristine, tmp_path)
    con = _open_for_tamper(d / "csirtd.db")
    cols = [c for c in _columns(con) if c != "seq"]
    a, b = 3, 4
    ra = con.execute(f"SELECT {','.join(cols)} FROM audit WHERE seq=?", (a,)).fetchone()
    rb = con.execute(f"SELECT {','.join(cols)} FROM audit WHERE seq=?", (b,)).fetchone()
    # delete both and re-insert with swapped contents (avoids UNIQUE clashes)
    con.execute("DELETE FROM audit WHERE seq IN (?,?)", (a, b))
    ph = ",".join("?" * (len(cols) + 1))
    collist = ",".join(["seq"] + cols)
    con.execute(f"INSERT INTO audit ({collist}) VALUES ({ph})", (a, *rb))
    con.execute(f"INSERT INTO audit ({collist}) VALUES ({ph})", (b, *ra))
    con.commit()
    con.close()
    r, out = _verify(d)
    assert r.returncode == 1, describe(r)
    assert _mentions(out, a, b), describe(r)


def test_verify_on_missing_db_fails(tmp_path):
    r = cli("audit", "verify", data=tmp_path / "nothing-here")
    assert r.returncode == 1, describe(r)
