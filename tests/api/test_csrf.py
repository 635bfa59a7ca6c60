"""CSRF protection of cookie-authenticated unsafe methods."""
import pytest

from csirtd_testlib import assert_problem, login


@pytest.fixture
def cookie_session(server):
    s = server.api()
    csrf = login(s, "admin", server.password)
    return s, csrf


def test_post_without_csrf_403(server, cookie_session):
    s, _ = cookie_session
    r = s.post("/api/v1/tokens", json={"name": "csrf-none"})
    assert_problem(r, 403, "/api/v1/tokens")
    assert not _token_named(server, "csrf-none")


def test_post_wrong_csrf_403(server, cookie_session):
    s, csrf = cookie_session
    wrong = ("A" if csrf[0] != "A" else "B") + csrf[1:]
    for bad in (wrong, "", "x", csrf + "x"):
        r = s.post("/api/v1/tokens", json={"name": "csrf-wrong"},
                   headers={"X-CSRF-Token": bad})
        assert_problem(r, 403, "/api/v1/tokens")
    assert not _token_named(server, "csrf-wrong")


def test_csrf_of_other_session_403(server, cookie_session):
    s, _ = cookie_session
    other_csrf = login(server.api(), "admin", server.password)
    r = s.post("/api/v1/tokens", json={"name": "csrf-other"},
               headers={"X-CSRF-Token": other_csrf})
    assert_problem(r, 403)


def test_post_with_csrf_ok(server, cookie_session):
    s, csrf = cookie_session
    r = s.post("/api/v1/tokens", json={"name": "csrf-ok"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    assert r.json()["token"].startswith("cst_")
    assert _token_named(server, "csrf-ok")


def test_patch_and_delete_need_csrf(server, cookie_session):
    s, csrf = cookie_session
    server.create_user("csrf-victim", "viewer", password="csrf-victim-pw-1")
    r = s.patch("/api/v1/users/csrf-victim", json={"name": "pwned"})
    assert_problem(r, 403)
    r = s.patch("/api/v1/users/csrf-victim", json={"name": "fine"},
                headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "fine"
    tok = server.admin().post("/api/v1/tokens", json={"name": "csrf-del"}).json()
    r = s.delete(f"/api/v1/tokens/{tok['id']}")
    assert_problem(r, 403)
    r = s.delete(f"/api/v1/tokens/{tok['id']}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204, r.text


def test_get_needs_no_csrf(cookie_session):
    s, _ = cookie_session
    assert s.get("/api/v1/me").status_code == 200
    assert s.get("/api/v1/tokens").status_code == 200


def test_bearer_needs_no_csrf(server):
    r = server.admin().post("/api/v1/tokens", json={"name": "bearer-nocsrf"})
    assert r.status_code == 201, r.text


def _token_named(server, name):
    r = server.admin().get("/api/v1/tokens", params={"limit": 500})
    assert r.status_code == 200, r.text
    return [t for t in r.json()["items"] if t["name"] == name]
