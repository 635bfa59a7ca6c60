"""User management over the API: create, get, patch, ETag/If-Match, last admin."""
from csirtd_testlib import RFC3339_Z, assert_problem, login

USER_KEYS = ("id", "login", "name", "email", "role", "org", "disabled",
             "created_at", "updated_at", "last_login_at")


def test_create_with_password(server):
    a = server.admin()
    r = a.post("/api/v1/users", json={"login": "alice", "role": "handler",
                                      "password": "alice-password-1",
                                      "name": "Alice A", "email": "alice@example.org"})
    assert r.status_code == 201, r.text
    u = r.json()
    for k in USER_KEYS:
        assert k in u, f"USER lacks {k}: {u}"
    assert u["login"] == "alice" and u["role"] == "handler"
    assert u["name"] == "Alice A" and u["email"] == "alice@example.org"
    assert u["org"] is None and u["disabled"] is False and u["last_login_at"] is None
    assert RFC3339_Z.match(u["created_at"]) and RFC3339_Z.match(u["updated_at"]), u
    assert "initial_password" not in u and "alice-password-1" not in r.text
    assert r.headers.get("ETag"), r.headers
    loc = r.headers.get("Location", "")
    assert loc.endswith("/api/v1/users/alice"), r.headers
    login(server.api(), "alice", "alice-password-1")
    r = a.get("/api/v1/users/alice")
    assert r.status_code == 200
    assert r.json()["last_login_at"] is not None


def test_create_without_password(server):
    r = server.admin().post("/api/v1/users", json={"login": "bob", "role": "constituent",
                                                   "org": "acme"})
    assert r.status_code == 201, r.text
    u = r.json()
    pw = u.get("initial_password")
    assert isinstance(pw, str) and len(pw) >= 12, u
    assert u["org"] == "acme"
    login(server.api(), "bob", pw)
    r = server.admin().get("/api/v1/users/bob")
    assert "initial_password" not in r.json()


def test_if_match(server):
    a = server.admin()
    server.create_user("carol", "viewer", password="carol-password-1")
    r = a.get("/api/v1/users/carol")
    e1 = r.headers.get("ETag")
    assert e1, r.headers
    # same representation, same ETag
    assert a.get("/api/v1/users/carol").headers.get("ETag") == e1
    r = a.patch("/api/v1/users/carol", json={"name": "Carol One"}, headers={"If-Match": e1})
    assert r.status_code == 200, r.text
    e2 = r.headers.get("ETag")
    assert e2 and e2 != e1, (e1, e2)
    assert r.json()["name"] == "Carol One"
    assert a.get("/api/v1/users/carol").headers.get("ETag") == e2
    # stale
    r = a.patch("/api/v1/users/carol", json={"name": "Carol Stale"}, headers={"If-Match": e1})
    assert_problem(r, 412, "/api/v1/users/carol")
    assert a.get("/api/v1/users/carol").json()["name"] == "Carol One"
    r = a.patch("/api/v1/users/carol", json={"name": "Carol Two"},
                headers={"If-Match": '"bogus-etag"'})
    assert_problem(r, 412)
    # fresh
    r = a.patch("/api/v1/users/carol", json={"name": "Carol Two"}, headers={"If-Match": e2})
    assert r.status_code == 200, r.text
    e3 = r.headers.get("ETag")
    assert e3 and e3 not in (e1, e2)
    # If-Match is optional
    r = a.patch("/api/v1/users/carol", json={"email": "c@example.org"})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "c@example.org" and r.json()["name"] == "Carol Two"


def test_patch_validation_and_unknown(server):
    a = server.admin()
    assert_problem(a.patch("/api/v1/users/nobody-here", json={"name": "x"}), 404)
    server.create_user("dave", "viewer", password="dave-password-1")
    r = a.patch("/api/v1/users/dave", json={"role": "emperor"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "role" for e in p.get("errors", [])), p
    r = a.patch("/api/v1/users/dave", json={"disabled": "yes"})
    assert_problem(r, 400)
    r = a.patch("/api/v1/users/dave", json={"password": "short"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "password" for e in p.get("errors", [])), p


def test_patch_password_and_role(server):
    a = server.admin()
    server.create_user("erin", "viewer", password="erin-password-1")
    r = a.patch("/api/v1/users/erin", json={"password": "erin-password-2", "role": "handler"})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "handler"
    login(server.api(), "erin", "erin-password-1", expect=401)
    login(server.api(), "erin", "erin-password-2")


def test_disable_kills_sessions_and_tokens(server):
    a = server.admin()
    server.create_user("frank", "handler", password="frank-password-1")
    s = server.session("frank", "frank-password-1")
    tok = s.post("/api/v1/tokens", json={"name": "frank-t"})
    assert tok.status_code == 201, tok.text
    b = server.api(tok.json()["token"])
    assert s.get("/api/v1/me").status_code == 200 and b.get("/api/v1/me").status_code == 200
    r = a.patch("/api/v1/users/frank", json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True, r.text
    assert s.get("/api/v1/me").status_code == 401
    assert b.get("/api/v1/me").status_code == 401
    login(server.api(), "frank", "frank-password-1", expect=401)
    r = a.patch("/api/v1/users/frank", json={"disabled": False})
    assert r.status_code == 200 and r.json()["disabled"] is False
    login(server.api(), "frank", "frank-password-1")
    assert s.get("/api/v1/me").status_code == 401  # old session stays dead


def test_last_admin_protected(server_factory):
    srv = server_factory()
    a = srv.admin()
    for body in ({"disabled": True}, {"role": "viewer"}, {"role": "handler"}):
        r = a.patch("/api/v1/users/admin", json=body)
        assert_problem(r, 409, "/api/v1/users/admin")
    me = a.get("/api/v1/me").json()
    assert me["role"] == "admin" and me["disabled"] is False
    # with a second active admin, demoting the first is fine
    srv.create_user("admin2", "admin", password="admin2-password-1")
    r = a.patch("/api/v1/users/admin2", json={"disabled": True})
    assert r.status_code == 200, r.text
    # admin2 disabled -> admin is again the last active admin
    assert_problem(a.patch("/api/v1/users/admin", json={"role": "viewer"}), 409)
    r = a.patch("/api/v1/users/admin2", json={"disabled": False})
    assert r.status_code == 200, r.text
    r = srv.api(srv.create_token_cli("admin2", "a2")).patch(
        "/api/v1/users/admin", json={"role": "viewer"})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "viewer"


def test_users_list_pagination(server):
    a = server.admin()
    for i in range(7):
        server.create_user(f"pg-{i}", "viewer")
    all_items = a.get("/api/v1/users", params={"limit": 500}).json()["items"]
    seen = []
    cursor = None
    for _ in range(100):
        p = {"limit": 2}
        if cursor:
            p["cursor"] = cursor
        body = a.get("/api/v1/users", params=p).json()
        assert len(body["items"]) <= 2
        seen += [u["login"] for u in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(u["login"] for u in all_items)
    assert len(seen) == len(set(seen))
    assert {f"pg-{i}" for i in range(7)} <= set(seen)
