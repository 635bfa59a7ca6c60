"""Several csirtd processes on one PostgreSQL database (CSIRTD_TEST_PG):
clients spread over two processes see one installation."""
import concurrent.futures as cf
import re
import time

import pytest

import csirtd_testlib as lib
from csirtd_testlib import Api, describe, paginate

pytestmark = pytest.mark.skipif(not lib.PG_BASE, reason="needs CSIRTD_TEST_PG (PostgreSQL)")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two serve processes, each with its own data directory, one database."""
    a = lib.Server(tmp_path_factory.mktemp("a") / "data")
    a.init()
    a.start(env={"CSIRTD_THREADS": "4"})
    # the second host never ran init: serve makes its data directory
    b = lib.Server(tmp_path_factory.mktemp("b") / "host-b" / "data",
                   env={"CSIRTD_DATABASE": a.env["CSIRTD_DATABASE"]})
    b.start(env={"CSIRTD_THREADS": "4"})
    tok = a.admin_token()
    yield a, b, tok
    for s in (a, b):
        assert s.stop() == 0, s.log_tail()
        assert not lib.sanitizer_findings(s.log_path.read_text(errors="replace"))


def clients(pair):
    a, b, tok = pair
    return Api(a.base, tok), Api(b.base, tok)


def test_session_on_one_process_works_on_the_other(pair):
    a, b, _ = pair
    s = a.session("admin", a.password)
    s.base = b.base  # the load balancer sends the next request elsewhere
    assert s.get("/api/v1/me").json()["login"] == "admin"
    r = s.post("/api/v1/orgs", json={"name": "Cross", "short_name": "CROSS"})
    assert r.status_code == 201, r.text  # CSRF checks out on the other process


def test_concurrent_incident_creation_unique_sequential_refs(pair):
    ca, cb = clients(pair)
    n = 200

    def make(i):
        c = ca if i % 2 else cb
        r = c.post("/api/v1/incidents", json={"title": f"scale {i}", "tags": ["scaleout"]})
        assert r.status_code == 201, r.text
        return r.json()["ref"]

    with cf.ThreadPoolExecutor(max_workers=8) as ex:
        refs = list(ex.map(make, range(n)))
    assert len(set(refs)) == n
    nums = sorted(int(re.search(r"-(\d{6})$", r).group(1)) for r in refs)
    assert nums == list(range(nums[0], nums[0] + n)), "gap-free and sequential"
    items, _ = paginate(ca, "/api/v1/incidents", params={"tag": "scaleout"})
    assert sorted(x["ref"] for x in items) == sorted(refs)


def test_jobs_run_exactly_once_in_total(pair):
    ca, cb = clients(pair)
    n = 1000

    def enqueue(i):
        c = ca if i % 2 else cb
        r = c.post("/api/v1/jobs", json={"kind": "selftest", "payload": {"sleep_ms": 0}})
        assert r.status_code in (201, 202), r.text
        return r.json()["id"]

    with cf.ThreadPoolExecutor(max_workers=8) as ex:
        ids = set(ex.map(enqueue, range(n)))
    assert len(ids) == n

    def all_done():
        done = [ca.get(f"/api/v1/jobs/{i}").json()["state"] for i in list(ids)[:50]]
        return all(s == "done" for s in done) and _selftest_rows(ca, ids) >= n

    lib.wait_until(all_done, timeout=240, interval=1, what="1,000 jobs done")
    assert _selftest_rows(ca, ids) == n, "each job's effect committed once"


def _selftest_rows(c, ids):
    items, _ = paginate(c, "/api/v1/audit", params={"action": "job.selftest"})
    seen = [x["object_id"] for x in items if int(x["object_id"]) in ids]
    assert len(seen) == len(set(seen)), "a job's effect appears twice"
    return len(seen)


def test_asset_change_seen_by_lookup_on_the_other_process(pair):
    ca, cb = clients(pair)
    r = ca.post("/api/v1/orgs", json={"name": "Hospital", "short_name": "HOSP"})
    assert r.status_code == 201, r.text
    org = r.json()
    assert cb.get("/api/v1/lookup", params={"ip": "192.0.2.77"}).json()["orgs"] == []
    r = ca.post(f"/api/v1/orgs/{org['id']}/assets", json={"kind": "cidr", "value": "192.0.2.0/24"})
    assert r.status_code == 201, r.text
    t0 = time.monotonic()
    lib.wait_until(lambda: cb.get("/api/v1/lookup", params={"ip": "192.0.2.77"}).json()["orgs"],
                   timeout=5, interval=0.05, what="lookup on the other process")
    assert time.monotonic() - t0 < 1.0 + 0.5, "seen within a second (plus polling)"


def test_audit_chain_verifies_after_concurrent_writers(pair):
    a, _, _ = pair
    r = a.cli("audit", "verify")
    assert r.returncode == 0, describe(r)
