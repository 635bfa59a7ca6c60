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


def test_role_org_consistency(server):
    """constituent <-> org: role changes must not break the rule (and never 500)."""
    a = server.admin()
    server.create_user("org-c", "constituent", password="org-c-password1", org="acme")
    r = a.patch("/api/v1/users/org-c", json={"role": "viewer"})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json()["org"] is None, r.json()
    else:
        assert_problem(r, 400)
    r = a.patch("/api/v1/users/org-c", json={"role": "viewer", "org": None})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "viewer" and r.json()["org"] is None
    # viewer -> constituent without org is invalid; with org it is fine
    r = a.patch("/api/v1/users/org-c", json={"role": "constituent"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "org" for e in p.get("errors", [])), p
    r = a.patch("/api/v1/users/org-c", json={"org": "acme"})
    assert_problem(r, 400)
    r = a.patch("/api/v1/users/org-c", json={"role": "constituent", "org": "beta"})
    assert r.status_code == 200, r.text
    assert r.json()["org"] == "beta"


def test_etag_changes_with_representation(server):
    """A strong ETag identifies one representation: after a login changes
    last_login_at, the user's ETag must change too (or be weak)."""
    a = server.admin()
    server.create_user("etag-u", "viewer", password="etag-u-password")
    r1 = a.get("/api/v1/users/etag-u")
    login(server.api(), "etag-u", "etag-u-password")
    r2 = a.get("/api/v1/users/etag-u")
    assert r1.json()["last_login_at"] != r2.json()["last_login_at"]
    e1, e2 = r1.headers["ETag"], r2.headers["ETag"]
    assert e1 != e2 or e1.startswith("W/"), \
        f"same strong ETag {e1} for two different representations:\n{r1.text}\n{r2.text}"


def test_initial_password_file_removed_on_api_password_change(server_factory):
    srv = server_factory()
    f = srv.data / "initial-admin-password"
    assert f.exists()
    s = srv.session("admin", srv.password)
    r = s.patch("/api/v1/users/admin", json={"name": "Still Admin"})
    assert r.status_code == 200, r.text
    assert f.exists(), "file removed although the password did not change"
    r = s.patch("/api/v1/users/admin", json={"password": "new-admin-password-1"})
    assert r.status_code == 200, r.text
    assert not f.exists()
    login(srv.api(), "admin", "new-admin-password-1")
