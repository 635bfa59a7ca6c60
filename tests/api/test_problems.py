"""RFC 9457 problem responses: shape, 400/404/405/409/413."""
import re

import pytest

from csirtd_testlib import assert_problem


def test_unknown_route_404(server):
    for path in ("/nope", "/api/v1/nope", "/api/v2/me"):
        r = server.api().get(path)
        assert_problem(r, 404, path)
        r = server.admin().get(path)
        assert_problem(r, 404, path)


def test_wrong_method_405_allow(server):
    cases = [
        ("POST", "/api/v1/me", {"GET"}),
        ("DELETE", "/healthz", {"GET"}),
        ("PUT", "/api/v1/session", {"GET", "POST", "DELETE"}),
        ("PUT", "/api/v1/users", {"GET", "POST"}),
        ("POST", "/api/v1/audit", {"GET"}),
    ]
    for method, path, expected in cases:
        r = server.admin().request(method, path, json={})
        assert_problem(r, 405, path)
        allow = r.headers.get("Allow")
        assert allow, f"{method} {path}: 405 without Allow: {r.headers}"
        methods = {m.strip().upper() for m in allow.split(",")}
        assert expected <= methods, f"{method} {path}: Allow {allow!r}"
        assert method not in methods, allow


def test_validation_errors_field(server):
    a = server.admin()
    r = a.post("/api/v1/users", json={"login": "Bad Login!", "role": "viewer"})
    p = assert_problem(r, 400, "/api/v1/users")
    errs = p.get("errors")
    assert isinstance(errs, list) and errs, p
    e = [e for e in errs if e.get("field") == "login"]
    assert e, p
    assert e[0].get("pointer") == "#/login", p
    assert e[0].get("detail"), p

    r = a.post("/api/v1/users", json={"login": "goodlogin", "role": "emperor"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "role" for e in p["errors"]), p

    r = a.post("/api/v1/users", json={"login": "shortpw", "role": "viewer", "password": "short"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "password" for e in p["errors"]), p

    # constituent needs org, others must not have one
    r = a.post("/api/v1/users", json={"login": "c-noorg", "role": "constituent"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "org" for e in p["errors"]), p
    r = a.post("/api/v1/users", json={"login": "v-org", "role": "viewer", "org": "acme"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "org" for e in p["errors"]), p

    # nothing got created
    r = a.get("/api/v1/users", params={"limit": 500})
    logins = {u["login"] for u in r.json()["items"]}
    assert not logins & {"goodlogin", "shortpw", "c-noorg", "v-org"}, logins


@pytest.mark.parametrize("login", ["a" * 65, "-lead", ".lead", "UPPER", "sp ace", "", "x/y"])
def test_bad_logins(server, login):
    r = server.admin().post("/api/v1/users", json={"login": login, "role": "viewer"})
    p = assert_problem(r, 400)
    assert any(e.get("field") == "login" for e in p.get("errors", [])), p


def test_good_login_edge(server):
    r = server.admin().post("/api/v1/users", json={"login": "a" * 64, "role": "viewer"})
    assert r.status_code == 201, r.text
    r = server.admin().post("/api/v1/users", json={"login": "0a.b_c-d", "role": "viewer"})
    assert r.status_code == 201, r.text


def test_duplicate_409(server):
    a = server.admin()
    assert a.post("/api/v1/users", json={"login": "dup", "role": "viewer"}).status_code == 201
    r = a.post("/api/v1/users", json={"login": "dup", "role": "handler"})
    assert_problem(r, 409, "/api/v1/users")


@pytest.mark.parametrize("raw", [
    b'{"login": "x", "role": ',
    b'{"login": "x" "role": "viewer"}',
    b'{login: 1}',
    b'\xff\xfe garbage',
])
def test_malformed_json_400(server, raw):
    r = server.admin().post("/api/v1/users", data=raw,
                            headers={"Content-Type": "application/json"})
    p = assert_problem(r, 400, "/api/v1/users")
    assert p["detail"], p
    if raw != b'\xff\xfe garbage':
        assert re.search(r"\d", p["detail"]), f"detail does not name a position: {p}"


@pytest.mark.parametrize("raw", [b"[1,2]", b'"string"', b"42", b"null"])
def test_non_object_body_400(server, raw):
    r = server.admin().post("/api/v1/users", data=raw,
                            headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "/api/v1/users")


def test_empty_body_400(server):
    r = server.admin().post("/api/v1/users", data=b"",
                            headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_malformed_json_on_login_400(server):
    r = server.api().post("/api/v1/session", data=b'{"login":',
                          headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "/api/v1/session")


def test_oversize_413(server_factory):
    srv = server_factory(env={"CSIRTD_MAX_BODY": "1024"})
    a = srv.admin()
    big = {"login": "big", "role": "viewer", "name": "x" * 2000}
    r = a.post("/api/v1/users", json=big)
    assert_problem(r, 413)
    # unauthenticated endpoints are limited too
    r = srv.api().post("/api/v1/session", json={"login": "admin", "password": "p" * 4000})
    assert_problem(r, 413)
    # much larger than the limit
    r = a.post("/api/v1/tokens", data=b'{"name":"' + b"y" * 200000 + b'"}',
               headers={"Content-Type": "application/json"})
    assert_problem(r, 413)
    # chunked transfer (no Content-Length) is limited as well
    def chunks():
        yield b'{"name":"'
        for _ in range(64):
            yield b"z" * 256
        yield b'"}'
    r = a.post("/api/v1/tokens", data=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(r, 413)
    # nothing created; the server still works; a body under the limit is fine
    assert a.get("/api/v1/users/big").status_code == 404
    # exactly at the limit (JSON padded with whitespace) is accepted, one byte more is not
    def padded(login, size):
        head = ('{"login":"%s","role":"viewer"' % login).encode()
        return head + b" " * (size - len(head) - 1) + b"}"
    hdr = {"Content-Type": "application/json"}
    body = padded("small", 1024)
    assert len(body) == 1024
    r = a.post("/api/v1/users", data=body, headers=hdr)
    assert r.status_code == 201, r.text
    r = a.post("/api/v1/users", data=padded("small2", 1025), headers=hdr)
    assert_problem(r, 413)
    assert a.get("/api/v1/users/small2").status_code == 404


@pytest.mark.parametrize("path", [
    "/api/v1/users/..%2fadmin", "/api/v1/users/%2e%2e", "/api/v1/users/admin%00",
    "/api/v1/users/admin/extra", "/api/v1/jobs/abc", "/api/v1/tokens/abc",
])
def test_odd_paths_not_served(server, path):
    r = server.admin().get(path) if "tokens" not in path else server.admin().delete(path)
    assert r.status_code in (400, 404, 405), f"{path}: {r.status_code} {r.text}"
    assert r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/audit", "/api/v1/jobs"])
@pytest.mark.parametrize("params", [{"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 501}])
def test_bad_cursor_everywhere(server, path, params):
    assert_problem(server.admin().get(path, params=params), 400, path)


def test_deeply_nested_json_400(server):
    depth = 100000
    raw = b"[" * depth + b"]" * depth
    r = server.admin().post("/api/v1/tokens", data=raw, headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    raw = b'{"name":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    r = server.admin().post("/api/v1/tokens", data=raw, headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    assert server.api().get("/healthz").status_code == 200


@pytest.mark.parametrize("payload", [
    b'{"kind":"selftest","payload":{"sleep_ms":1e400}}',
    b'{"kind":"selftest","payload":{"sleep_ms":99999999999999999999999}}',
    b'{"kind":"selftest","payload":{"sleep_ms":1.5}}',
    b'{"kind":"selftest","payload":[]}',
])
def test_bad_numbers_400(server, payload):
    r = server.admin().post("/api/v1/jobs", data=payload, headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "/api/v1/jobs")


def test_parallel_load_no_5xx(server):
    import threading
    token = server.admin_token()
    codes = []
    def worker():
        api = server.api(token)
        for i in range(40):
            path = ("/api/v1/me", "/api/v1/tokens", "/api/v1/users", "/metrics", "/nope")[i % 5]
            codes.append(api.get(path).status_code)
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert len(codes) == 320
    assert not [c for c in codes if c >= 500], sorted(set(codes))
    assert set(codes) <= {200, 404}, sorted(set(codes))


def test_nul_in_path_segment_is_not_truncated(server):
    """A percent-encoded NUL must not cut the path segment short
    (/users/admin%00x is not /users/admin)."""
    a = server.admin()
    r = a.get("/api/v1/users/admin%00x")
    assert r.status_code in (400, 404), f"GET /api/v1/users/admin%00x -> {r.status_code} {r.text}"
    t = a.post("/api/v1/tokens", json={"name": "nul-victim"}).json()
    r = a.delete(f"/api/v1/tokens/{t['id']}%00x")
    assert r.status_code in (400, 404), \
        f"DELETE /api/v1/tokens/{t['id']}%00x -> {r.status_code} {r.text}"
    assert server.api(t["token"]).get("/api/v1/me").status_code == 200
