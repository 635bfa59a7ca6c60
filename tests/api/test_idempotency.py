"""Idempotency-Key on POST."""
import uuid

from csirtd_testlib import assert_problem


def _replayed(r):
    return r.headers.get("Idempotency-Replayed", "").lower() == "true"


def test_user_create_replay(server):
    a = server.admin()
    key = str(uuid.uuid4())
    body = {"login": "idem-user", "role": "viewer"}  # server generates a password
    r1 = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.text
    assert not _replayed(r1), r1.headers
    r2 = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201, r2.text
    assert _replayed(r2), r2.headers
    assert r2.json() == r1.json()
    assert r2.json()["initial_password"] == r1.json()["initial_password"]
    r3 = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert r3.status_code == 201 and _replayed(r3) and r3.json() == r1.json()
    users = a.get("/api/v1/users", params={"limit": 500}).json()["items"]
    assert [u["login"] for u in users].count("idem-user") == 1
    # without the key, the same body is a real second attempt -> 409
    r4 = a.post("/api/v1/users", json=body)
    assert_problem(r4, 409)


def test_token_create_replay(server):
    a = server.admin()
    key = "tok-" + uuid.uuid4().hex
    body = {"name": "idem-token"}
    r1 = a.post("/api/v1/tokens", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.text
    r2 = a.post("/api/v1/tokens", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201, r2.text
    assert _replayed(r2), r2.headers
    assert r2.json() == r1.json()
    assert r2.content == r1.content
    toks = a.get("/api/v1/tokens", params={"limit": 500}).json()["items"]
    assert [t["name"] for t in toks].count("idem-token") == 1, toks
    # the replayed token is the one real token and works
    assert server.api(r2.json()["token"]).get("/api/v1/me").status_code == 200


def test_different_body_same_key_422(server):
    a = server.admin()
    key = str(uuid.uuid4())
    r1 = a.post("/api/v1/tokens", json={"name": "idem-a"}, headers={"Idempotency-Key": key})
    assert r1.status_code == 201, r1.text
    r2 = a.post("/api/v1/tokens", json={"name": "idem-b"}, headers={"Idempotency-Key": key})
    assert_problem(r2, 422, "/api/v1/tokens")
    names = [t["name"] for t in a.get("/api/v1/tokens", params={"limit": 500}).json()["items"]]
    assert "idem-b" not in names and names.count("idem-a") == 1


def test_error_responses_replay_too_or_not_created(server):
    """A key used for a failed request must not create anything later with
    the same body either."""
    a = server.admin()
    key = str(uuid.uuid4())
    body = {"login": "BAD LOGIN", "role": "viewer"}
    r1 = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 400
    r2 = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 400


def test_keys_are_per_user(server):
    """The same key from two different users are two different requests."""
    server.create_user("idem-h", "handler", password="idem-h-password")
    h = server.api(server.create_token_cli("idem-h", "h"))
    key = str(uuid.uuid4())
    r1 = server.admin().post("/api/v1/tokens", json={"name": "shared-key"},
                             headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    r2 = h.post("/api/v1/tokens", json={"name": "shared-key"}, headers={"Idempotency-Key": key})
    assert r2.status_code == 201, r2.text
    assert not _replayed(r2)
    assert r2.json()["id"] != r1.json()["id"]
    assert r2.json()["token"] != r1.json()["token"]


def test_concurrent_same_key_creates_once(server):
    """Parallel retries with one key: one user, the rest replays (or 409
    'in progress'), never a second row and never a 5xx."""
    import threading
    key = str(uuid.uuid4())
    body = {"login": "idem-race", "role": "viewer", "password": "idem-race-password"}
    results = []
    barrier = threading.Barrier(6)

    def go():
        a = server.admin()
        barrier.wait(timeout=30)
        r = a.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
        results.append((r.status_code, r.headers.get("Idempotency-Replayed"), r.text))

    ts = [threading.Thread(target=go) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert len(results) == 6, results
    codes = sorted(c for c, _, _ in results)
    assert all(c in (201, 409) for c in codes), results
    assert codes.count(201) >= 1, results
    fresh = [x for x in results if x[0] == 201 and (x[1] or "").lower() != "true"]
    assert len(fresh) == 1, f"more than one non-replayed 201: {results}"
    users = server.admin().get("/api/v1/users", params={"limit": 500}).json()["items"]
    assert [u["login"] for u in users].count("idem-race") == 1


def test_replay_adds_no_audit_row(server):
    from csirtd_testlib import paginate
    a = server.admin()
    key = str(uuid.uuid4())
    r1 = a.post("/api/v1/tokens", json={"name": "idem-audit"}, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    before, _ = paginate(a, "/api/v1/audit", limit=500, params={"action": "token.create"})
    for _ in range(3):
        r = a.post("/api/v1/tokens", json={"name": "idem-audit"}, headers={"Idempotency-Key": key})
        assert r.status_code == 201 and _replayed(r)
    after, _ = paginate(a, "/api/v1/audit", limit=500, params={"action": "token.create"})
    assert len(after) == len(before), "a replay wrote another audit row"


def test_job_create_replay(server):
    from csirtd_testlib import paginate
    a = server.admin()
    key = str(uuid.uuid4())
    body = {"kind": "selftest", "payload": {"sleep_ms": 0}}
    r1 = a.post("/api/v1/jobs", json=body, headers={"Idempotency-Key": key})
    assert r1.status_code == 202, r1.text
    r2 = a.post("/api/v1/jobs", json=body, headers={"Idempotency-Key": key})
    assert r2.status_code == 202 and _replayed(r2), (r2.status_code, r2.headers)
    assert r2.json()["id"] == r1.json()["id"]
    jobs, _ = paginate(a, "/api/v1/jobs", limit=500)
    assert [str(j["id"]) for j in jobs].count(str(r1.json()["id"])) == 1
