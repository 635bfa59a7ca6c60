"""Login, logout, cookie flags, lockout (per account and per address)."""
import re

import pytest

from csirtd_testlib import RFC3339_Z, assert_problem, describe, login


def _set_cookie_headers(r):
    # urllib3 joins repeated headers with ", "; keep the raw list if possible.
    raw = r.raw.headers.getlist("Set-Cookie") if hasattr(r.raw.headers, "getlist") else []
    return raw or [r.headers.get("Set-Cookie", "")]


def _session_cookie_header(r):
    for h in _set_cookie_headers(r):
        if h.strip().startswith("csirtd_session="):
            return h
    raise AssertionError(f"no csirtd_session Set-Cookie in {r.headers}")


def test_login_ok_shape(server):
    s = server.api()
    r = s.post("/api/v1/session", json={"login": "admin", "password": server.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 16, body
    u = body["user"]
    assert u["login"] == "admin" and u["role"] == "admin", u
    assert u["disabled"] is False, u
    for k in ("id", "login", "name", "email", "role", "org", "disabled",
              "created_at", "updated_at", "last_login_at"):
        assert k in u, f"USER lacks {k}: {u}"
    assert RFC3339_Z.match(body["expires_at"]), body
    # The cookie now authenticates GET requests without CSRF.
    r = s.get("/api/v1/session")
    assert r.status_code == 200, r.text
    assert r.json()["user"]["login"] == "admin"
    assert r.json()["csrf_token"] == body["csrf_token"]
    r = s.get("/api/v1/me")
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["login"] == "admin"
    assert me["last_login_at"] is not None and RFC3339_Z.match(me["last_login_at"]), me
    assert r.headers.get("ETag"), r.headers


def test_cookie_flags(server):
    s = server.api()
    r = s.post("/api/v1/session", json={"login": "admin", "password": server.password})
    assert r.status_code == 200, r.text
    h = _session_cookie_header(r)
    attrs = [a.strip().lower() for a in h.split(";")]
    assert "httponly" in attrs, h
    assert "samesite=strict" in attrs, h
    assert "path=/" in attrs, h
    assert "secure" not in attrs, f"Secure on a plain-HTTP listener: {h}"
    value = h.split(";")[0].split("=", 1)[1]
    assert len(value) >= 16, h


def test_password_hash_never_exposed(server):
    s = server.api()
    login(s, "admin", server.password)
    for path in ("/api/v1/me", "/api/v1/session", "/api/v1/users/admin"):
        r = s.get(path)
        assert r.status_code == 200, (path, r.text)
        low = r.text.lower()
        assert "argon2" not in low and "hash" not in low, (path, r.text)
        assert server.password not in r.text, path


def test_wrong_password_401(server):
    s = server.api()
    r = s.post("/api/v1/session", json={"login": "admin", "password": "definitely-wrong-pw"})
    assert_problem(r, 401, "/api/v1/session")
    assert "csirtd_session=" not in r.headers.get("Set-Cookie", "")
    # unknown user: same status
    r = s.post("/api/v1/session", json={"login": "nosuchuser", "password": "definitely-wrong-pw"})
    assert_problem(r, 401, "/api/v1/session")
    # not logged in
    assert s.get("/api/v1/session").status_code == 401
    assert s.get("/api/v1/me").status_code == 401
    # one more good login so the account's failure count does not pile up
    login(s, "admin", server.password)


def test_unauthenticated_401_problem(server):
    r = server.api().get("/api/v1/me")
    assert_problem(r, 401, "/api/v1/me")


@pytest.mark.parametrize("body", [{"login": "admin"}, {"password": "xxxxxxxxxxxxxx"}, {}])
def test_login_missing_field_400(server, body):
    r = server.api().post("/api/v1/session", json=body)
    p = assert_problem(r, 400, "/api/v1/session")
    assert isinstance(p.get("errors"), list) and p["errors"], p
    fields = {e.get("field") for e in p["errors"]}
    for f in ("login", "password"):
        if f not in body:
            assert f in fields, p
    for e in p["errors"]:
        assert "detail" in e, p


def test_login_wrong_type_400(server):
    r = server.api().post("/api/v1/session", json={"login": 5, "password": ["x"]})
    assert_problem(r, 400)


def test_logout(server):
    s = server.api()
    csrf = login(s, "admin", server.password)
    cookie = s.cookies.get("csirtd_session")
    assert cookie
    # without CSRF: refused, session still alive
    r = s.delete("/api/v1/session")
    assert_problem(r, 403)
    assert s.get("/api/v1/me").status_code == 200
    r = s.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204, r.text
    h = _session_cookie_header(r)
    low = h.lower()
    assert "max-age=0" in low or "expires=thu, 01 jan 1970" in low or \
        re.search(r"csirtd_session=\s*;", h), f"cookie not cleared: {h}"
    # the old cookie value is dead server-side, even if a client keeps it
    fresh = server.api()
    r = fresh.get("/api/v1/me", headers={"Cookie": f"csirtd_session={cookie}"})
    assert r.status_code == 401, r.text
    r = fresh.get("/api/v1/session", headers={"Cookie": f"csirtd_session={cookie}"})
    assert r.status_code == 401, r.text


def test_garbage_cookie_401(server):
    r = server.api().get("/api/v1/me", headers={"Cookie": "csirtd_session=AAAAAAAAAAAAAAAAAAAAAAAA"})
    assert r.status_code == 401, r.text


def test_disabled_user_cannot_login(server):
    server.create_user("dis-login", "viewer", password="dis-login-password-1")
    login(server.api(), "dis-login", "dis-login-password-1")
    r = server.cli("user", "disable", "dis-login")
    assert r.returncode == 0, describe(r)
    r = login(server.api(), "dis-login", "dis-login-password-1", expect=401)
    assert_problem(r, 401)


def _retry_after_ok(r):
    ra = r.headers.get("Retry-After")
    assert ra is not None, f"429 without Retry-After: {r.headers}"
    assert ra.strip().isdigit() and int(ra) > 0, f"Retry-After {ra!r}"


def test_account_lockout(server_factory):
    srv = server_factory(env={"CSIRTD_LOGIN_MAX_FAILURES": "3"})
    r = srv.cli("user", "add", "other", "--role", "viewer", "--password-stdin",
                input="other-password-123\n")
    assert r.returncode == 0, describe(r)
    s = srv.api()
    for i in range(3):
        r = s.post("/api/v1/session", json={"login": "admin", "password": f"wrong-{i}-xxxxxxxx"})
        assert r.status_code == 401, f"failure {i + 1}: {r.status_code} {r.text}"
    # now even the right password is refused
    r = s.post("/api/v1/session", json={"login": "admin", "password": srv.password})
    assert_problem(r, 429, "/api/v1/session")
    _retry_after_ok(r)
    assert "csirtd_session=" not in r.headers.get("Set-Cookie", "")
    r = s.post("/api/v1/session", json={"login": "admin", "password": "wrong-again-xxxxx"})
    assert r.status_code == 429, r.text
    # the lockout is per account: another account from the same address is fine
    login(srv.api(), "other", "other-password-123")
    # bearer tokens of the locked-out account still work (lockout is about passwords)
    assert srv.admin().get("/api/v1/me").status_code == 200


def test_address_lockout(server_factory):
    srv = server_factory(env={"CSIRTD_LOGIN_MAX_FAILURES": "100",
                              "CSIRTD_ADDRESS_MAX_FAILURES": "4"})
    for u in ("u1", "u2"):
        r = srv.cli("user", "add", u, "--role", "viewer", "--password-stdin",
                    input=f"{u}-password-123\n")
        assert r.returncode == 0, describe(r)
    s = srv.api()
    # four failures spread over different accounts (and an unknown one)
    for who in ("u1", "u2", "nobody", "admin"):
        r = s.post("/api/v1/session", json={"login": who, "password": "wrong-password-xx"})
        assert r.status_code == 401, f"{who}: {r.status_code} {r.text}"
    for who, pw in (("admin", srv.password), ("u1", "u1-password-123")):
        r = s.post("/api/v1/session", json={"login": who, "password": pw})
        assert_problem(r, 429, "/api/v1/session")
        _retry_after_ok(r)


def test_lockout_expires(server_factory):
    srv = server_factory(env={"CSIRTD_LOGIN_MAX_FAILURES": "2", "CSIRTD_LOGIN_LOCKOUT": "2s"})
    s = srv.api()
    for i in range(2):
        r = s.post("/api/v1/session", json={"login": "admin", "password": f"wrong-{i}-xxxxxxxx"})
        assert r.status_code == 401, r.text
    r = s.post("/api/v1/session", json={"login": "admin", "password": srv.password})
    assert r.status_code == 429, r.text
    ra = int(r.headers.get("Retry-After", "0"))
    assert 1 <= ra <= 3, f"Retry-After {ra} for a 2 s lockout"

    def ok():
        r = srv.api().post("/api/v1/session",
                           json={"login": "admin", "password": srv.password})
        assert r.status_code in (200, 429), r.text
        return r.status_code == 200
    from csirtd_testlib import wait_until
    wait_until(ok, timeout=15, interval=0.5, what="lockout to expire")


def test_address_limit_ignores_forwarded_headers(server_factory):
    """The per-address limit must key on the TCP peer, not on a header the
    client controls."""
    srv = server_factory(env={"CSIRTD_LOGIN_MAX_FAILURES": "100",
                              "CSIRTD_ADDRESS_MAX_FAILURES": "3"})
    s = srv.api()
    for i in range(3):
        r = s.post("/api/v1/session", json={"login": f"nobody{i}", "password": "wrong-password-xx"},
                   headers={"X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.0.0.{i}"})
        assert r.status_code == 401, r.text
    r = s.post("/api/v1/session", json={"login": "admin", "password": srv.password},
               headers={"X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9"})
    assert_problem(r, 429)


def _time_passes(srv, seconds):
    """Simulate `seconds` passing for every session by moving all its
    timestamps into the past (the server is left running)."""
    s = int(seconds)
    return srv.sql(f"UPDATE session SET created_at = created_at - {s}, "
                   f"last_seen_at = last_seen_at - {s}, expires_at = expires_at - {s}")


def test_session_idle_timeout(server_factory):
    """session_idle (min 60 s), simulated by moving session times back."""
    srv = server_factory(env={"CSIRTD_SESSION_IDLE": "60s"})
    s = srv.session("admin", srv.password)
    assert s.get("/api/v1/me").status_code == 200
    assert _time_passes(srv, 30) >= 1
    assert s.get("/api/v1/me").status_code == 200, "ended before session_idle"
    assert _time_passes(srv, 100) >= 1
    assert s.get("/api/v1/me").status_code == 401, "idle session still valid"


def test_session_max_lifetime(server_factory):
    """Used every 300 s, a session with idle 600 s still ends at session_max
    (1200 s)."""
    srv = server_factory(env={"CSIRTD_SESSION_IDLE": "600s", "CSIRTD_SESSION_MAX": "1200s"})
    s = srv.session("admin", srv.password)
    assert s.get("/api/v1/me").status_code == 200
    for t in (300, 600, 900):
        assert _time_passes(srv, 300) >= 1
        assert s.get("/api/v1/me").status_code == 200, f"active session ended at t={t}s"
    assert _time_passes(srv, 350) >= 1
    assert s.get("/api/v1/me").status_code == 401, "session outlived session_max (t=1250s)"


def test_active_session_survives_smallest_idle(server_factory):
    """session_idle = 60 s (the smallest allowed): a session used every 50 s
    is never 'unused for 60 s' and must stay valid."""
    srv = server_factory(env={"CSIRTD_SESSION_IDLE": "60s"})
    s = srv.session("admin", srv.password)
    for t in (50, 100, 150):
        assert _time_passes(srv, 50) >= 1
        r = s.get("/api/v1/me")
        assert r.status_code == 200, f"session used every 50 s ended at t={t}s (idle 60 s)"


def test_unknown_login_locks_out_like_a_real_one(server_factory):
    """No account enumeration through the lockout: an unknown login answers
    401 then 429 exactly like an existing one."""
    srv = server_factory(env={"CSIRTD_LOGIN_MAX_FAILURES": "3",
                              "CSIRTD_ADDRESS_MAX_FAILURES": "100"})
    seen = {}
    for who in ("admin", "ghost-user"):
        codes = []
        for i in range(5):
            r = srv.api().post("/api/v1/session",
                               json={"login": who, "password": f"wrong-{i}-xxxxxxxx"})
            codes.append(r.status_code)
        seen[who] = codes
    assert seen["admin"] == [401, 401, 401, 429, 429], seen
    assert seen["ghost-user"] == seen["admin"], seen
