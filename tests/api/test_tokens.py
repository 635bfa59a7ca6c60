"""Bearer tokens: create, use, list, revoke; disabled users."""
import time
from csirtd_testlib import RFC3339_Z, assert_problem, describe

TOKEN_KEYS = ("id", "name", "user", "prefix", "created_at", "expires_at",
              "last_used_at", "revoked_at")


def test_create_and_use(server):
    a = server.admin()
    r = a.post("/api/v1/tokens", json={"name": "t-use"})
    assert r.status_code == 201, r.text
    t = r.json()
    for k in TOKEN_KEYS:
        assert k in t, f"TOKEN lacks {k}: {t}"
    assert t["token"].startswith("cst_") and len(t["token"]) > 20, t
    assert t["token"].startswith(t["prefix"]) or t["prefix"] in t["token"], t
    assert t["revoked_at"] is None and t["last_used_at"] is None, t
    assert RFC3339_Z.match(t["created_at"]), t
    user = t["user"]
    assert user == "admin" or (isinstance(user, dict) and user.get("login") == "admin"), t
    b = server.api(t["token"])
    r = b.get("/api/v1/me")
    assert r.status_code == 200, r.text
    assert r.json()["login"] == "admin"
    # the secret is never listed again
    r = a.get("/api/v1/tokens", params={"limit": 500})
    assert r.status_code == 200
    assert t["token"] not in r.text
    listed = [x for x in r.json()["items"] if x["id"] == t["id"]]
    assert len(listed) == 1 and "token" not in listed[0], listed
    assert listed[0]["last_used_at"] and RFC3339_Z.match(listed[0]["last_used_at"]), \
        f"last_used_at not set after use: {listed[0]}"


def test_expires_in_days(server):
    r = server.admin().post("/api/v1/tokens", json={"name": "t-exp", "expires_in_days": 2})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["expires_at"] and RFC3339_Z.match(t["expires_at"]), t
    assert t["expires_at"] > t["created_at"], t


def test_create_token_validation(server):
    a = server.admin()
    r = a.post("/api/v1/tokens", json={})
    p = assert_problem(r, 400, "/api/v1/tokens")
    assert any(e.get("field") == "name" for e in p.get("errors", [])), p
    r = a.post("/api/v1/tokens", json={"name": "x", "expires_in_days": -1})
    assert_problem(r, 400)
    r = a.post("/api/v1/tokens", json={"name": "x", "user": "no-such-user"})
    assert r.status_code in (400, 404), r.text


def test_bad_tokens_401(server):
    base = server.api()
    for hdr in ("Bearer cst_not_a_real_token_000000000000", "Bearer ", "Bearer garbage",
                "Basic YWRtaW46YWRtaW4="):
        r = base.get("/api/v1/me", headers={"Authorization": hdr})
        assert_problem(r, 401, "/api/v1/me")
    r = base.get("/api/v1/me", headers={"Authorization": "Bearer cst_not_a_real_token_00000"})
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers
    # a real token with one character changed
    good = server.admin_token()
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    r = base.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
    assert r.status_code == 401


def test_revoke_via_api(server):
    a = server.admin()
    t = a.post("/api/v1/tokens", json={"name": "t-revoke"}).json()
    b = server.api(t["token"])
    assert b.get("/api/v1/me").status_code == 200
    r = a.delete(f"/api/v1/tokens/{t['id']}")
    assert r.status_code == 204, r.text
    r = b.get("/api/v1/me")
    assert_problem(r, 401)
    r = a.get("/api/v1/tokens", params={"limit": 500})
    row = [x for x in r.json()["items"] if x["id"] == t["id"]]
    if row:  # listing revoked tokens is allowed; then revoked_at must be set
        assert row[0]["revoked_at"] and RFC3339_Z.match(row[0]["revoked_at"]), row
    r = a.delete("/api/v1/tokens/999999999")
    assert_problem(r, 404)


def test_revoke_own_token_with_itself(server):
    t = server.admin().post("/api/v1/tokens", json={"name": "t-self"}).json()
    b = server.api(t["token"])
    assert b.delete(f"/api/v1/tokens/{t['id']}").status_code == 204
    assert b.get("/api/v1/me").status_code == 401


def test_revoke_via_cli(server):
    t = server.admin().post("/api/v1/tokens", json={"name": "t-cli-revoke"}).json()
    b = server.api(t["token"])
    assert b.get("/api/v1/me").status_code == 200
    r = server.cli("token", "revoke", str(t["id"]))
    assert r.returncode == 0, describe(r)
    assert b.get("/api/v1/me").status_code == 401


def test_disabled_users_token_401(server):
    server.create_user("tok-dis", "handler", password="tok-dis-password-1")
    r = server.admin().post("/api/v1/tokens", json={"name": "for-dis", "user": "tok-dis"})
    assert r.status_code == 201, r.text
    b = server.api(r.json()["token"])
    me = b.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["login"] == "tok-dis", me.text
    r = server.admin().patch("/api/v1/users/tok-dis", json={"disabled": True})
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True
    assert_problem(b.get("/api/v1/me"), 401)


def test_disabled_via_cli_token_401(server):
    server.create_user("tok-dis2", "viewer", password="tok-dis2-password")
    tok = server.create_token_cli("tok-dis2", "x")
    b = server.api(tok)
    assert b.get("/api/v1/me").status_code == 200
    r = server.cli("user", "disable", "tok-dis2")
    assert r.returncode == 0, describe(r)
    assert b.get("/api/v1/me").status_code == 401


def test_non_admin_token_scope(server):
    server.create_user("tok-h1", "handler", password="tok-h1-password")
    server.create_user("tok-h2", "handler", password="tok-h2-password")
    h1 = server.api(server.create_token_cli("tok-h1", "h1"))
    h2tok = server.admin().post("/api/v1/tokens", json={"name": "h2", "user": "tok-h2"}).json()
    # own token creation works and is owned by the caller
    r = h1.post("/api/v1/tokens", json={"name": "h1-own"})
    assert r.status_code == 201, r.text
    # a non-admin cannot create tokens for others or list theirs
    r = h1.post("/api/v1/tokens", json={"name": "evil", "user": "tok-h2"})
    assert_problem(r, 403)
    r = h1.get("/api/v1/tokens", params={"user": "tok-h2"})
    assert_problem(r, 403)
    # own list shows only own tokens
    r = h1.get("/api/v1/tokens", params={"limit": 500})
    assert r.status_code == 200
    names = {t["name"] for t in r.json()["items"]}
    assert names == {"h1", "h1-own"}, names
    # cannot revoke someone else's token
    r = h1.delete(f"/api/v1/tokens/{h2tok['id']}")
    assert r.status_code in (403, 404), r.text
    assert server.api(h2tok["token"]).get("/api/v1/me").status_code == 200
    # admin sees them with ?user=
    r = server.admin().get("/api/v1/tokens", params={"user": "tok-h2", "limit": 500})
    assert r.status_code == 200, r.text
    assert {t["name"] for t in r.json()["items"]} == {"h2"}


def test_expired_token_401(server_factory):
    """Expire a token by editing its row while the server is stopped."""
    srv = server_factory()
    t = srv.admin().post("/api/v1/tokens", json={"name": "soon", "expires_in_days": 1}).json()
    assert srv.api(t["token"]).get("/api/v1/me").status_code == 200
    assert srv.stop() == 0
    n = srv.sql(f"UPDATE token SET expires_at = {int(time.time()) - 10} WHERE id = {t['id']}")
    assert n == 1
    srv.start()
    r = srv.api(t["token"]).get("/api/v1/me")
    assert_problem(r, 401)
    assert srv.admin().get("/api/v1/me").status_code == 200


def test_expired_session_401(server_factory):
    srv = server_factory()
    s = srv.session("admin", srv.password)
    assert s.get("/api/v1/me").status_code == 200
    assert srv.stop() == 0
    n = srv.sql(f"UPDATE session SET expires_at = {int(time.time()) - 10}")
    assert n >= 1
    srv.start()
    s.base = srv.base
    assert s.get("/api/v1/me").status_code == 401


def test_expires_in_days_edge_values(server):
    """expires_in_days: out-of-range values are refused; 0 must not silently
    mean 'never expires'."""
    a = server.admin()
    for days in (100000000, 2 ** 62, 1.5, "7"):
        r = a.post("/api/v1/tokens", json={"name": "edge", "expires_in_days": days})
        p = assert_problem(r, 400)
        assert any(e.get("field") == "expires_in_days" for e in p.get("errors", [])), p
    r = a.post("/api/v1/tokens", json={"name": "zero-days", "expires_in_days": 0})
    if r.status_code == 201:
        assert r.json()["expires_at"] is not None, \
            f"expires_in_days=0 gave a token that never expires: {r.text}"
    else:
        assert_problem(r, 400)
    r = a.post("/api/v1/tokens", json={"name": "no-expiry", "expires_in_days": None})
    assert r.status_code in (201, 400), r.text


def test_auth_scheme_details(server):
    base = server.api()
    r = base.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers
    # the auth scheme is case-insensitive (RFC 9110 11.1)
    r = base.get("/api/v1/me", headers={"Authorization": "bearer " + server.admin_token()})
    assert r.status_code == 200, r.text
