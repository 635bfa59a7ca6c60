"""healthz, metrics, openapi, shutdown."""
import json
import re
import signal

import pytest
import requests

from csirtd_testlib import assert_problem, describe


def test_healthz(server):
    r = server.api().get("/healthz")
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.json() == {"status": "ok"} or r.json().get("status") == "ok"


def test_metrics(server):
    a = server.admin()
    for _ in range(3):
        assert a.get("/api/v1/me").status_code == 200
    a.get("/api/v1/nope")
    r = server.api().get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers
    text = r.text
    assert "csirtd_http_requests_total" in text
    assert "csirtd_http_request_duration_seconds" in text
    lines = [l for l in text.splitlines() if l.startswith("csirtd_http_requests_total{")]
    assert lines, text[:2000]
    me = [l for l in lines if 'route="/api/v1/me"' in l and 'method="GET"' in l
          and 'status="200"' in l]
    assert me, lines
    assert float(me[0].rsplit(" ", 1)[1]) >= 3, me
    assert any('status="404"' in l for l in lines), lines
    # text format sanity: every sample line is "name{labels} value" or "name value"
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfa]+( \d+)?$')
    for l in text.splitlines():
        if l and not l.startswith("#"):
            assert sample.match(l), f"bad metrics line: {l!r}"
    assert "csirtd_jobs" in text


def test_metrics_label_cardinality_bounded(server):
    """Unknown paths must not create one series each."""
    for i in range(20):
        server.api().get(f"/random-{i}-path")
    text = server.api().get("/metrics").text
    assert "random-1" not in text


def test_openapi(server):
    r = server.api().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = json.loads(r.text)
    assert str(doc["openapi"]).startswith("3."), doc.get("openapi")
    assert "/api/v1/me" in doc["paths"]
    for p in ("/api/v1/session", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit",
              "/api/v1/jobs"):
        assert p in doc["paths"], p


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_shutdown(server_factory, sig):
    srv = server_factory()
    assert srv.admin().get("/api/v1/me").status_code == 200
    base = srv.base
    rc = srv.stop(sig)
    assert rc == 0, f"exit {rc}\n{srv.log_tail()}"
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/healthz", timeout=5)


def test_shutdown_with_running_job(server_factory):
    srv = server_factory()
    r = srv.admin().post("/api/v1/jobs", json={"kind": "selftest", "payload": {"sleep_ms": 1500}})
    assert r.status_code == 202, r.text
    rc = srv.stop(signal.SIGTERM)
    assert rc == 0, f"exit {rc}\n{srv.log_tail()}"
    v = srv.cli("audit", "verify")
    assert v.returncode == 0, describe(v)


def test_second_server_on_same_port_fails(server, tmp_path):
    """A second daemon must not silently share a port that is in use (with
    SO_REUSEPORT both would accept and split requests between two databases)."""
    import subprocess
    from csirtd_testlib import CSIRTD_BIN, cli
    r = cli("init", data=tmp_path / "x")
    assert r.returncode == 0, describe(r)
    p = subprocess.Popen([CSIRTD_BIN, "--data", str(tmp_path / "x"), "serve", "--listen",
                          f"127.0.0.1:{server.port}"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.terminate()
        out = p.communicate(timeout=30)[0]
        raise AssertionError("second `serve` on a port already in use kept running "
                             f"(still listening after 10 s):\n{out}")
    assert rc == 1, f"rc={rc}\n{p.stdout.read()}"


@pytest.mark.sqlite_only  # with PostgreSQL several processes share a database
def test_second_server_on_same_data_dir_refused(server):
    """Two serve processes on one database would each 'recover' the other's
    running jobs; the second must refuse to start."""
    import subprocess
    from csirtd_testlib import CSIRTD_BIN, free_port
    p = subprocess.Popen([CSIRTD_BIN, "--data", str(server.data), "serve", "--listen",
                          f"127.0.0.1:{free_port()}"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.terminate()
        out = p.communicate(timeout=30)[0]
        raise AssertionError(f"second serve on the same data dir kept running:\n{out}")
    out = p.stdout.read()
    assert rc == 1, f"rc={rc}\n{out}"
    assert server.api().get("/healthz").status_code == 200


def test_metrics_route_labels_are_templates(server):
    a = server.admin()
    a.post("/api/v1/users", json={"login": "metric-alice", "role": "viewer"})
    assert a.get("/api/v1/users/metric-alice").status_code == 200
    text = server.api().get("/metrics").text
    assert "metric-alice" not in text, "a login leaked into a metrics label"
    users = [l for l in text.splitlines()
             if l.startswith("csirtd_http_requests_total{") and "/api/v1/users/" in l]
    assert users and all("{" in l.split("route=")[1].split(",")[0] for l in users), users


def test_metrics_histogram_shape(server):
    server.api().get("/healthz")
    text = server.api().get("/metrics").text
    for suffix in ("_bucket{", "_sum", "_count"):
        assert "csirtd_http_request_duration_seconds" + suffix in text, suffix
    assert 'le="+Inf"' in text


def test_openapi_lists_served_routes(server):
    doc = server.api().get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    templated = {p.split("{")[0] for p in paths if "{" in p}
    for prefix in ("/api/v1/users/", "/api/v1/tokens/", "/api/v1/jobs/"):
        assert prefix in templated, (prefix, sorted(paths))
    for p in ("/healthz", "/metrics"):
        assert p in paths, sorted(paths)
    me = paths["/api/v1/me"]
    assert "get" in me


def test_405_on_templated_route(server):
    server.create_user("m405", "viewer")
    r = server.admin().delete("/api/v1/users/m405")
    assert_problem(r, 405)
    allow = {m.strip().upper() for m in r.headers.get("Allow", "").split(",")}
    assert {"GET", "PATCH"} <= allow, r.headers
    assert server.admin().get("/api/v1/users/m405").status_code == 200
