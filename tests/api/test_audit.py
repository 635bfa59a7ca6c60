"""GET /api/v1/audit: rows for the actions done, chain fields, filters."""
import re
import json

import pytest

from csirtd_testlib import RFC3339_Z, login, paginate

AUDIT_KEYS = ("seq", "at", "actor", "action", "object_type", "object_id", "detail",
              "prev_hash", "hash")


@pytest.fixture(scope="module")
def actions(server):
    """Do one of each auditable thing; returns facts to look for."""
    a = server.admin()
    facts = {}
    r = a.post("/api/v1/users", json={"login": "aud-user", "role": "viewer",
                                      "password": "aud-user-secret-pw"})
    assert r.status_code == 201, r.text
    facts["user_id"] = r.json()["id"]
    r = a.patch("/api/v1/users/aud-user", json={"name": "Audited"})
    assert r.status_code == 200, r.text
    r = a.patch("/api/v1/users/aud-user", json={"password": "aud-user-secret-pw2"})
    assert r.status_code == 200, r.text
    r = a.patch("/api/v1/users/aud-user", json={"disabled": True})
    assert r.status_code == 200, r.text
    r = a.patch("/api/v1/users/aud-user", json={"disabled": False})
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/tokens", json={"name": "aud-token"})
    assert r.status_code == 201, r.text
    facts["token_id"] = r.json()["id"]
    facts["token_secret"] = r.json()["token"]
    r = a.delete(f"/api/v1/tokens/{facts['token_id']}")
    assert r.status_code == 204, r.text
    s = server.api()
    csrf = login(s, "aud-user", "aud-user-secret-pw2")
    r = s.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204, r.text
    return facts


@pytest.fixture(scope="module")
def rows(server, actions):
    items, _ = paginate(server.admin(), "/api/v1/audit", limit=500)
    return items


def _is(obj_id, *candidates):
    return str(obj_id) in {str(c) for c in candidates}


def test_row_shape_and_order(rows):
    assert rows
    for row in rows:
        for k in AUDIT_KEYS:
            assert k in row, f"audit row lacks {k}: {row}"
        assert RFC3339_Z.match(row["at"]), row
        assert isinstance(row["detail"], dict), row
        assert isinstance(row["hash"], str) and len(row["hash"]) >= 32, row
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gaps in seq"


def test_hash_chain_links(rows):
    for prev, cur in zip(rows, rows[1:]):
        assert cur["prev_hash"] == prev["hash"], (prev, cur)
    assert len({r["hash"] for r in rows}) == len(rows)


@pytest.mark.parametrize("action,otype", [
    ("user.create", "user"),
    ("user.update", "user"),
    ("user.passwd", "user"),
    ("user.disable", "user"),
    ("user.enable", "user"),
    ("session.login", None),
    ("session.logout", None),
])
def test_user_actions_recorded(rows, actions, action, otype):
    hits = [r for r in rows if r["action"] == action]
    assert hits, f"no {action} row; actions seen: {sorted({r['action'] for r in rows})}"
    if otype:
        hits = [r for r in hits if r["object_type"] == otype]
        assert any(_is(r["object_id"], "aud-user", actions["user_id"]) for r in hits), hits
    else:
        assert any("aud-user" in json.dumps(r) or _is(r["actor"], "aud-user", actions["user_id"])
                   for r in hits), hits


@pytest.mark.parametrize("action", ["token.create", "token.revoke"])
def test_token_actions_recorded(rows, actions, action):
    hits = [r for r in rows if r["action"] == action and
            _is(r["object_id"], actions["token_id"])]
    assert hits, [r for r in rows if r["action"] == action]
    assert hits[0]["object_type"] == "token"
    assert "admin" in str(hits[0]["actor"]) or hits[0]["actor"] is not None


def test_no_secrets_in_audit(server, rows, actions):
    blob = json.dumps(rows)
    for secret in ("aud-user-secret-pw", "aud-user-secret-pw2", actions["token_secret"],
                   server.password, server.admin_token()):
        assert secret not in blob, "a secret leaked into the audit log"


def test_action_filter(server, rows):
    a = server.admin()
    items, _ = paginate(a, "/api/v1/audit", limit=500, params={"action": "user.create"})
    assert items and all(r["action"] == "user.create" for r in items)
    assert len(items) == len([r for r in rows if r["action"] == "user.create"])
    items, _ = paginate(a, "/api/v1/audit", limit=500, params={"action": "no.such.action"})
    assert items == []


def test_actor_filter(server, rows):
    actor = next(r["actor"] for r in rows if r["action"] == "token.create")
    items, _ = paginate(server.admin(), "/api/v1/audit", limit=500, params={"actor": actor})
    assert items and all(r["actor"] == actor for r in items)


def test_audit_pagination_small_pages(server, rows):
    items, pages = paginate(server.admin(), "/api/v1/audit", limit=3)
    # the log may have grown by reads? it must not: GETs are not audited
    assert [r["seq"] for r in items][:len(rows)] == [r["seq"] for r in rows]
    assert all(p == 3 for p in pages[:-1])


def test_verify_ok_while_serving(server, rows):
    r = server.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"\bOK\b", r.stdout), r.stdout
