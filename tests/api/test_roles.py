"""Role checks: admin-only endpoints, self access."""
import pytest

from csirtd_testlib import assert_problem

ROLES = {
    "r-viewer": ("viewer", None),
    "r-handler": ("handler", None),
    "r-const": ("constituent", "acme"),
}


@pytest.fixture(scope="module")
def tokens(server):
    out = {}
    for login_name, (role, org) in ROLES.items():
        server.create_user(login_name, role, password=f"{login_name}-password-1", org=org)
        out[login_name] = server.create_token_cli(login_name, "role-test")
    return out


@pytest.mark.parametrize("who", list(ROLES))
def test_me_has_role(server, tokens, who):
    r = server.api(tokens[who]).get("/api/v1/me")
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["login"] == who and u["role"] == ROLES[who][0], u
    assert u["org"] == ROLES[who][1], u


@pytest.mark.parametrize("who", list(ROLES))
@pytest.mark.parametrize("method,path,body", [
    ("GET", "/api/v1/users", None),
    ("GET", "/api/v1/audit", None),
    ("GET", "/api/v1/jobs", None),
    ("POST", "/api/v1/users", {"login": "sneaky", "role": "admin", "password": "sneaky-password-1"}),
    ("POST", "/api/v1/jobs", {"kind": "selftest", "payload": {"sleep_ms": 0}}),
    ("PATCH", "/api/v1/users/admin", {"name": "pwned"}),
])
def test_non_admin_forbidden(server, tokens, who, method, path, body):
    r = server.api(tokens[who]).request(method, path, json=body)
    assert_problem(r, 403, path)


def test_non_admin_cannot_promote_self(server, tokens):
    r = server.api(tokens["r-viewer"]).patch("/api/v1/users/r-viewer", json={"role": "admin"})
    assert_problem(r, 403)
    assert server.admin().get("/api/v1/users/r-viewer").json()["role"] == "viewer"


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/audit", "/api/v1/jobs"])
def test_admin_allowed(server, tokens, path):
    r = server.admin().get(path)
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["items"], list)


@pytest.mark.parametrize("who", list(ROLES))
def test_self_but_not_other(server, tokens, who):
    api = server.api(tokens[who])
    r = api.get(f"/api/v1/users/{who}")
    assert r.status_code == 200, r.text
    assert r.json()["login"] == who
    assert r.headers.get("ETag")
    other = "r-viewer" if who != "r-viewer" else "r-handler"
    for target in (other, "admin"):
        r = api.get(f"/api/v1/users/{target}")
        assert r.status_code in (403, 404), f"{who} read {target}: {r.status_code} {r.text}"
        assert r.headers.get("Content-Type", "").startswith("application/problem+json")
        assert target not in (r.json().get("login"),)


def test_admin_reads_any_user_unknown_404(server, tokens):
    a = server.admin()
    assert a.get("/api/v1/users/r-handler").json()["role"] == "handler"
    assert_problem(a.get("/api/v1/users/no-such-user"), 404, "/api/v1/users/no-such-user")


def test_users_role_filter(server, tokens):
    r = server.admin().get("/api/v1/users", params={"role": "handler", "limit": 500})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and all(u["role"] == "handler" for u in items), items
    assert "r-handler" in {u["login"] for u in items}
    r = server.admin().get("/api/v1/users", params={"role": "emperor"})
    assert r.status_code == 400, r.text
