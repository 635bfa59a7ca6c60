"""The pipeline's collectors inside `csirtd serve`: reports uploaded over
HTTP, dropped into the watched drop directory and fetched from a URL all
go through the durable spool and one pipeline, the same content is never
processed twice, limits and rights hold, a reload with a bad rule file
changes nothing, and a kill -9 in the middle of a queued report loses
nothing and stores nothing twice."""
import http.server
import shutil
import ssl
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import csirtd_testlib as lib
from conftest import _teardown

SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"

pytestmark = pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(),
                                reason=f"shared data not found under {SHARED}")

REPORT_MAX = 1 << 20
WAIT = 120  # seconds a queued report may take on a loaded machine

BLOCKLIST_DEF = """{
  "name": "blocklist",
  "provider": "Example Sensors",
  "format": "csv",
  "csv": {"delimiter": ",", "quote": "\\"", "comment": "#", "header": true,
          "skip_lines": 0},
  "fields": {"seen": "time.source", "ip": "source.ip", "port": "source.port"},
  "constants": {"classification.taxonomy": "other",
                "classification.type": "blacklist"},
  "required": ["source.ip"],
  "time_format": "auto"
}
"""

RULES_TAG = 'rule "seen" {\n    then tag "collected"\n}\n'
RULES_DROP_UNIV = 'rule "drop univ" {\n    if source.ip in [198.18.0.0/16] then drop\n}\n'
RULES_BAD = 'rule "broken" {\n    if source.port == "abc" then drop\n}\n'


def generate(path, rows, seed=1):
    subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed),
                    "-o", str(path)], check=True, timeout=300, capture_output=True)
    return path


def blocklist_csv(n, start=1):
    lines = ["# sensor blocklist", "seen,ip,port"]
    lines += [f"2026-11-20 10:00:{i % 60:02d},203.0.113.{(start + i) % 250 + 1},{1000 + i}"
              for i in range(n)]
    return "\n".join(lines) + "\n"


def all_events(api, **params):
    return lib.paginate(api, "/api/v1/events", limit=500, params=params)[0]


def reports(api, **params):
    return lib.paginate(api, "/api/v1/feed-reports", limit=500, params=params)[0]


def wait_report(api, rid, states=("done",), timeout=WAIT):
    def get():
        r = api.get(f"/api/v1/feed-reports/{rid}")
        assert r.status_code == 200, r.text
        rep = r.json()
        return rep if rep["state"] in states else None
    return lib.wait_until(get, timeout, what=f"report {rid} in {states}")


def query_one(server, statement):
    """The first column of the first row, on either backend."""
    url = server.env.get("CSIRTD_DATABASE")
    if url and url.startswith("postgres"):
        return lib.pg_sql(url, statement)
    con = sqlite3.connect(str(server.db), timeout=30)
    try:
        row = con.execute(statement).fetchone()
    finally:
        con.close()
    return None if row is None else str(row[0])


def spool_files(server):
    d = server.data / "spool"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def assert_spool_empty(server):
    """Nothing left in the spool (files of other collectors at work come
    and go: wait for a moment without any)."""
    lib.wait_until(lambda: spool_files(server) == [], 30, what="an empty spool")


class FeedSite(http.server.BaseHTTPRequestHandler):
    """Serves files from `root` with an ETag and Last-Modified, answering
    conditional requests with 304; records every answer."""
    root = None
    log = None

    def do_GET(self):
        path = self.root / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.log.append((self.path, 404))
            self.send_error(404)
            return
        data = path.read_bytes()
        etag = f'"{hash(data) & 0xffffffff:08x}"'
        modified = self.date_time_string(int(path.stat().st_mtime))
        if self.headers.get("If-None-Match") == etag:
            self.log.append((self.path, 304))
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.log.append((self.path, 200))
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    log = []
    httpd, base = serve_site(root, log)
    yield {"root": root, "log": log, "base": base}
    httpd.shutdown()
    httpd.server_close()


def serve_site(root, log, tls=None):
    handler = type("Handler", (FeedSite,), {"root": root, "log": log})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls["cert"], tls["key"])
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    scheme = "https" if tls else "http"
    return httpd, f"{scheme}://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory):
    """The same over HTTPS, with a self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    root = tmp_path_factory.mktemp("tls-site")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=120)
    log = []
    httpd, base = serve_site(root, log, {"cert": str(cert), "key": str(key)})
    yield {"root": root, "log": log, "base": base, "cert": cert}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory, site, tls_site, bin_path):
    tmp = tmp_path_factory.mktemp("collectors")
    feeds = tmp / "feeds"
    feeds.mkdir()
    (feeds / "blocklist.json").write_text(BLOCKLIST_DEF)
    rules = tmp / "rules.txt"
    rules.write_text(RULES_TAG)
    drop = tmp / "drop"
    generate(site["root"] / "2026-11-21-scan_http-fetched.csv", 300, seed=11)
    generate(tls_site["root"] / "2026-11-21-scan_http-tls.csv", 70, seed=13)
    env = {
        "CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA),
        "CSIRTD_FEEDS": str(feeds),
        "CSIRTD_RULES": str(rules),
        "CSIRTD_DROP_DIR": str(drop),
        "CSIRTD_DROP_INTERVAL": "1",
        "CSIRTD_REPORT_MAX": str(REPORT_MAX),
        # the second one's certificate is not trusted here (no fetch_ca)
        "CSIRTD_FETCH": f"shadowserver {site['base']}/2026-11-21-scan_http-fetched.csv 1s "
                        f"shadowserver {tls_site['base']}/2026-11-21-scan_http-tls.csv 1s",
    }
    s = lib.Server(tmp / "data", env)
    s.init()
    s.start()
    h = s.admin()
    _, pw = s.create_user("handler1", "handler")
    handler = s.session("handler1", pw)
    r = h.post("/api/v1/orgs", json={"name": "UNIV org", "short_name": "UNIV"})
    assert r.status_code == 201, r.text
    _, pw = s.create_user("univ1", "constituent", org="UNIV")
    con = s.session("univ1", pw)
    _, pw = s.create_user("viewer1", "viewer")
    viewer = s.session("viewer1", pw)
    yield {"s": s, "h": h, "handler": handler, "con": con, "viewer": viewer,
           "tmp": tmp, "drop": drop, "rules": rules, "site": site, "tls_site": tls_site}
    _teardown([s])


def upload(api, feed, data, **params):
    return api.post(f"/api/v1/feeds/{feed}/reports", params=params, data=data,
                    headers={"Content-Type": "text/csv"})


def test_feeds_are_listed(world):
    r = world["viewer"].get("/api/v1/feeds")
    assert r.status_code == 200, r.text
    feeds = {f["name"]: f for f in r.json()["items"]}
    assert set(feeds) == {"shadowserver", "intelmq", "blocklist"}
    assert feeds["shadowserver"]["format"] == "csv"
    assert feeds["intelmq"]["format"] == "jsonl"
    assert feeds["blocklist"]["format"] == "csv"
    lib.assert_problem(world["con"].get("/api/v1/feeds"), 403)
    lib.assert_problem(world["s"].api().get("/api/v1/feeds"), 401)


def test_upload_is_queued_then_processed(world, tmp_path):
    path = generate(tmp_path / "2026-11-20-scan_http-up.csv", 500, seed=1)
    r = upload(world["handler"], "shadowserver", path.read_bytes(), filename=path.name)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["already"] is False and body["state"] == "queued" and body["job"] > 0
    assert body["size"] == path.stat().st_size and len(body["sha256"]) == 64
    assert r.headers["Location"] == f"/api/v1/feed-reports/{body['id']}"
    rep = wait_report(world["h"], body["id"])
    assert rep["report"] == "scan_http" and rep["source"] == path.name
    assert rep["records"] == rep["events"] == rep["stored"] == 500
    assert rep["malformed"] == 0 and rep["error"] is None
    events = all_events(world["h"], report=str(body["id"]))
    assert len(events) == 500
    # the job is done and the spool file gone
    job = world["h"].get(f"/api/v1/jobs/{body['job']}").json()
    assert job["kind"] == "feed.ingest" and job["state"] == "done", job
    assert_spool_empty(world["s"])
    feeds = {f["name"]: f for f in world["h"].get("/api/v1/feeds").json()["items"]}
    latest = feeds["shadowserver"]["latest_report"]
    assert latest is not None and latest["state"] in ("done", "queued", "running")


def test_same_content_is_answered_with_the_known_report(world, tmp_path):
    path = generate(tmp_path / "2026-11-20-scan_http-same.csv", 50, seed=21)
    first = upload(world["h"], "shadowserver", path.read_bytes(), filename=path.name)
    assert first.status_code == 202, first.text
    rid = first.json()["id"]
    wait_report(world["h"], rid)
    before = len(reports(world["h"]))
    # same bytes, another way of naming the kind
    again = upload(world["h"], "shadowserver", path.read_bytes(), report="scan_http")
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["already"] is True and body["id"] == rid and body["state"] == "done"
    assert "job" not in body
    assert again.headers["Location"] == f"/api/v1/feed-reports/{rid}"
    assert len(reports(world["h"])) == before
    assert len(all_events(world["h"], report=str(rid))) == 50
    assert_spool_empty(world["s"])


def test_over_the_limit_is_refused_and_nothing_kept(world):
    before = len(reports(world["h"]))
    big = b"x" * (REPORT_MAX + 1)
    # announced by Content-Length: refused on the headers
    r = upload(world["h"], "shadowserver", big, report="scan_http")
    lib.assert_problem(r, 413)
    assert "report_max" in r.json()["detail"]
    # streamed without a length: refused when the limit is crossed
    def chunks():
        for _ in range(REPORT_MAX // 65536 + 2):
            yield b"y" * 65536
    r = upload(world["h"], "shadowserver", chunks(), report="scan_http")
    lib.assert_problem(r, 413)
    # exactly at the limit is taken (and refused later by the parser)
    r = upload(world["h"], "blocklist", b"#" * REPORT_MAX)
    assert r.status_code == 202, r.text
    wait_report(world["h"], r.json()["id"], states=("done", "failed"))
    assert len(reports(world["h"])) == before + 1
    assert_spool_empty(world["s"])


def raw_request(server, head):
    """Sends a request's head by hand on a socket; returns the status
    line's code (None when nothing came back)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        sock.sendall(head.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ")[1]) if data else None
    finally:
        sock.close()


def test_refusal_comes_before_the_body(world):
    s = world["s"]
    tok = s.admin_token()
    for path, length, want in (
            ("/api/v1/feeds/shadowserver/reports?report=scan_http", REPORT_MAX + 1, 413),
            ("/api/v1/feeds/no-such-feed/reports", 10, 404),
            ("/api/v1/feeds/shadowserver/reports", 10, 400)):
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {tok}\r\nContent-Type: text/csv\r\n"
                f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n")
        # the answer arrives without a byte of the body sent
        assert raw_request(s, head) == want
    assert_spool_empty(s)


def test_aborted_upload_leaves_nothing(world):
    s = world["s"]
    head = (f"POST /api/v1/feeds/blocklist/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {s.admin_token()}\r\nContent-Type: text/csv\r\n"
            f"Content-Length: 500000\r\n\r\n")
    before = len(reports(world["h"]))
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    try:
        sock.sendall(head.encode() + blocklist_csv(500).encode())
        # the body is being written to the spool...
        lib.wait_until(lambda: any(n.endswith(".part") for n in spool_files(s)), 60,
                       what="the upload in the spool")
    finally:
        sock.close()  # ...when the client goes away
    lib.wait_until(lambda: spool_files(s) == [], 60, what="the half upload removed")
    assert len(reports(world["h"])) == before


def test_unknown_feed_and_undeterminable_kind(world):
    r = upload(world["h"], "no-such-feed", b"a,b\n1,2\n")
    body = lib.assert_problem(r, 404)
    assert "no-such-feed" in body["detail"]
    r = upload(world["h"], "shadowserver", b"timestamp,ip\n")
    body = lib.assert_problem(r, 400)
    assert "report" in body["detail"]
    lib.assert_problem(upload(world["h"], "shadowserver", b"timestamp,ip\n",
                              report="no_such_report"), 400)
    lib.assert_problem(upload(world["h"], "shadowserver", b"timestamp,ip\n",
                              filename="notes.csv"), 400)
    lib.assert_problem(upload(world["h"], "blocklist", b""), 400)
    lib.assert_problem(upload(world["h"], "blocklist", b"a\n", filename="../x.csv"), 400)
    lib.assert_problem(upload(world["h"], "blocklist", b"a\n", filename="x" * 256), 400)
    assert_spool_empty(world["s"])


def test_rights(world, tmp_path):
    data = blocklist_csv(3, start=200).encode()
    lib.assert_problem(upload(world["con"], "blocklist", data), 403)
    lib.assert_problem(upload(world["viewer"], "blocklist", data), 403)
    lib.assert_problem(upload(world["s"].api(), "blocklist", data), 401)
    # a cookie session needs its CSRF token, as for every change
    s = world["handler"]
    no_csrf = world["s"].api()
    no_csrf.cookies.update(s.cookies)
    lib.assert_problem(upload(no_csrf, "blocklist", data), 403)
    lib.assert_problem(world["handler"].post("/api/v1/pipeline/reload"), 403)
    lib.assert_problem(world["viewer"].post("/api/v1/pipeline/reload"), 403)
    # an API token of a handler may upload
    tok = world["s"].create_token_cli("handler1", "uploader")
    r = upload(world["s"].api(tok), "blocklist", data, filename="sensor.csv")
    assert r.status_code == 202, r.text
    rep = wait_report(world["h"], r.json()["id"])
    assert rep["stored"] == 3
    assert_spool_empty(world["s"])


def drop_file(dirpath, name, data):
    """Write then rename into the directory, as documented."""
    dirpath.mkdir(parents=True, exist_ok=True)
    tmp = dirpath / f".{name}.tmp"
    tmp.write_bytes(data)
    os.rename(tmp, dirpath / name)
    return dirpath / name


def test_drop_directory(world, tmp_path):
    h = world["h"]
    drop = world["drop"]
    ss = generate(tmp_path / "2026-11-24-scan_http-dropped.csv", 200, seed=31)
    # a file still being written is left alone
    (drop / "blocklist").mkdir(parents=True, exist_ok=True)
    busy = drop / "blocklist" / "partial.csv.tmp"
    busy.write_text(blocklist_csv(2))
    unknown = drop / "nosuchfeed"
    unknown.mkdir(parents=True, exist_ok=True)
    (unknown / "x.csv").write_text("a\n")
    dropped = drop_file(drop / "shadowserver", ss.name, ss.read_bytes())
    generic = drop_file(drop / "blocklist", "sensor-2026-11-24.csv",
                        blocklist_csv(40, start=5).encode())

    def by_source(src):
        return [r for r in reports(h) if r["source"] == src]

    ss_rep = lib.wait_until(lambda: by_source(str(dropped)), WAIT, what="the dropped report")[0]
    gen_rep = lib.wait_until(lambda: by_source(str(generic)), WAIT, what="the generic report")[0]
    ss_rep = wait_report(h, ss_rep["id"])
    gen_rep = wait_report(h, gen_rep["id"])
    assert ss_rep["feed"] == "shadowserver" and ss_rep["report"] == "scan_http"
    assert ss_rep["stored"] == 200
    assert gen_rep["feed"] == "blocklist" and gen_rep["stored"] == 40
    evs = all_events(h, report=str(gen_rep["id"]))
    assert len(evs) == 40 and all(e["feed"] == "blocklist" for e in evs)
    assert evs[0]["event"]["feed.provider"] == "Example Sensors"
    assert not dropped.exists() and not generic.exists()
    assert busy.exists()
    assert (unknown / "x.csv").exists()
    log = world["s"].log_path.read_text()
    assert log.count("no feed of this name") == 1, "an unknown directory is logged once"
    # the same content dropped again is recognised and removed
    again = drop_file(drop / "shadowserver", "copy-" + ss.name, ss.read_bytes())
    lib.wait_until(lambda: not again.exists(), WAIT, what="the copy taken")
    assert len(by_source(str(again))) == 0
    assert len(all_events(h, report=str(ss_rep["id"]))) == 200
    busy.unlink()


def test_drop_directory_sets_failed_files_aside(world):
    drop = world["drop"] / "shadowserver"
    failed = drop / "failed"
    # no report kind in the name: refused before queueing
    nokind = drop_file(drop, "notes.csv", b"timestamp,ip\n")
    lib.wait_until(lambda: (failed / "notes.csv").exists(), WAIT, what="notes.csv set aside")
    assert not nokind.exists()
    why = (failed / "notes.csv.why").read_text()
    assert "report kind" in why
    # the parser refuses it (no timestamp column): failed for good, aside
    bad = drop_file(drop, "2026-11-25-scan_http-nohead.csv", b'ip,port\n"192.0.2.1",80\n')
    lib.wait_until(lambda: (failed / bad.name).exists(), WAIT, what="the refused report set aside")
    assert "timestamp" in (failed / (bad.name + ".why")).read_text()
    # larger than report_max: aside before anything is kept
    big = drop_file(world["drop"] / "blocklist", "huge.csv", b"#" * (REPORT_MAX + 1))
    bfailed = world["drop"] / "blocklist" / "failed"
    lib.wait_until(lambda: (bfailed / "huge.csv").exists(), WAIT, what="huge.csv set aside")
    assert not big.exists()
    assert "larger than" in (bfailed / "huge.csv.why").read_text()
    rep = [r for r in reports(world["h"]) if r["source"] == str(bad)][0]
    assert rep["state"] == "failed" and "timestamp" in rep["error"]
    assert (failed / bad.name).read_bytes() == b'ip,port\n"192.0.2.1",80\n'
    assert_spool_empty(world["s"])


def test_url_fetch_with_conditional_get(world):
    h, site = world["h"], world["site"]
    url_path = "/2026-11-21-scan_http-fetched.csv"
    source = site["base"] + url_path

    def fetched():
        return [r for r in reports(h) if r["source"] == source]

    rep = lib.wait_until(fetched, WAIT, what="the fetched report")[0]
    rep = wait_report(h, rep["id"])
    assert rep["report"] == "scan_http" and rep["stored"] == 300
    # later fetches are conditional: 304, nothing downloaded again
    lib.wait_until(lambda: sum(1 for p, c in site["log"] if p == url_path and c == 304) >= 2,
                   WAIT, what="two conditional fetches")
    assert [c for p, c in site["log"] if p == url_path].count(200) == 1
    assert len(fetched()) == 1
    # new content at the URL is fetched and queued as a new report
    generate(site["root"] / url_path.lstrip("/"), 120, seed=12)
    lib.wait_until(lambda: len(fetched()) == 2, WAIT, what="the changed content")
    new = [r for r in fetched() if r["id"] != rep["id"]][0]
    assert wait_report(h, new["id"])["stored"] == 120
    assert len(all_events(h, report=str(rep["id"]))) == 300


def test_https_fetch_is_verified(world, server_factory):
    tls = world["tls_site"]
    source = tls["base"] + "/2026-11-21-scan_http-tls.csv"
    # untrusted certificate: refused, nothing downloaded nor queued
    lib.wait_until(lambda: "fetch failed" in world["s"].log_path.read_text()
                   and "certificate" in world["s"].log_path.read_text(), WAIT,
                   what="the refused HTTPS fetch")
    assert [r for r in reports(world["h"]) if r["source"] == source] == []
    assert all(c != 200 for _, c in tls["log"])
    # with the certificate as fetch_ca, the same URL is fetched
    s = server_factory(env={"CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA),
                            "CSIRTD_FETCH": f"shadowserver {source} 1h",
                            "CSIRTD_FETCH_CA": str(tls["cert"])})
    h = s.admin()
    rep = lib.wait_until(lambda: [r for r in reports(h) if r["source"] == source],
                         WAIT, what="the verified HTTPS fetch")[0]
    assert wait_report(h, rep["id"])["stored"] == 70


def test_reload(world, tmp_path):
    h, rules = world["h"], world["rules"]
    # a bad rule file: refused with file:line:col, the running rules stay
    rules.write_text(RULES_BAD)
    r = h.post("/api/v1/pipeline/reload")
    body = lib.assert_problem(r, 422)
    assert f"{rules}:2:" in body["detail"], body
    a = generate(tmp_path / "2026-11-26-scan_http-a.csv", 300, seed=41)
    up = upload(h, "shadowserver", a.read_bytes(), filename=a.name)
    assert up.status_code == 202, up.text
    rep = wait_report(h, up.json()["id"])
    assert rep["stored"] == 300 and rep["dropped"] == 0
    # a good one changes what the next report does
    rules.write_text(RULES_DROP_UNIV)
    r = h.post("/api/v1/pipeline/reload")
    assert r.status_code == 200, r.text
    assert r.json()["rules"] == 1
    b = generate(tmp_path / "2026-11-26-scan_http-b.csv", 300, seed=42)
    rows = b.read_text().splitlines()[1:]
    univ = sum(1 for line in rows if line.split(",")[2].strip('"').startswith("198.18."))
    assert 0 < univ < 300
    up = upload(h, "shadowserver", b.read_bytes(), filename=b.name)
    rep = wait_report(h, up.json()["id"])
    assert rep["dropped"] == univ and rep["stored"] == 300 - univ
    audit = h.get("/api/v1/audit", params={"action": "pipeline.reload"}).json()["items"]
    assert any(x["action"] == "pipeline.reload" for x in audit)
    # SIGHUP reloads too
    rules.write_text(RULES_TAG)
    world["s"].proc.send_signal(signal.SIGHUP)
    lib.wait_until(lambda: "signal=HUP" in world["s"].log_path.read_text(), 30,
                   what="the reload on SIGHUP")
    c = generate(tmp_path / "2026-11-26-scan_http-c.csv", 100, seed=43)
    up = upload(h, "shadowserver", c.read_bytes(), filename=c.name)
    rep = wait_report(h, up.json()["id"])
    assert rep["stored"] == 100 and rep["dropped"] == 0


@pytest.mark.slow
def test_kill_during_a_queued_report_then_restart(server_factory, tmp_path):
    rows = 60000
    path = generate(tmp_path / "2026-11-27-scan_http-big.csv", rows, seed=51)
    # PostgreSQL does not hand a killed process's jobs back at start (other
    # processes may hold them): its lease does, so keep it short here
    env = {"CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA), "CSIRTD_JOB_LEASE": "15"}
    s = server_factory(env=env)
    h = s.admin()
    r = upload(h, "shadowserver", path.read_bytes(), filename=path.name)
    assert r.status_code == 202, r.text
    rid = r.json()["id"]

    def progress():
        rep = h.get(f"/api/v1/feed-reports/{rid}").json()
        return rep["records"] > 0 or rep["state"] == "done"

    lib.wait_until(progress, WAIT, interval=0.02, what="a first commit")
    s.kill()
    # read the state the kill left, from the database itself
    state = query_one(s, f"SELECT state FROM feed_report WHERE id = {rid}")
    records = int(query_one(s, f"SELECT records FROM feed_report WHERE id = {rid}"))
    s.start()
    h = s.admin()
    rep = wait_report(h, rid)
    assert rep["records"] == rep["events"] == rep["stored"] == rows, rep
    assert len(all_events(h, report=str(rid))) == rows
    assert len(reports(h)) == 1
    assert_spool_empty(s)
    # the run interrupted mid-way is what this test is about
    assert state in ("running", "queued") and 0 < records < rows, \
        f"the report was {state} after {records} records at the kill"
    # the same as an uninterrupted run
    whole = server_factory(env=env)
    wh = whole.admin()
    r = upload(wh, "shadowserver", path.read_bytes(), filename=path.name)
    wrep = wait_report(wh, r.json()["id"])
    assert (wrep["records"], wrep["events"], wrep["stored"]) == \
        (rep["records"], rep["events"], rep["stored"])


def test_retention_expires_old_reports(server_factory, tmp_path):
    env = {"CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA), "CSIRTD_EVENT_RETENTION": "30d"}
    s = server_factory(env=env)
    h = s.admin()
    old = generate(tmp_path / "2026-11-28-scan_http-old.csv", 80, seed=61)
    new = generate(tmp_path / "2026-11-28-scan_http-new.csv", 30, seed=62)
    ids = []
    for p in (old, new):
        r = upload(h, "shadowserver", p.read_bytes(), filename=p.name)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
        wait_report(h, ids[-1])
    assert s.sql(f"UPDATE feed_report SET received_at = received_at - 40 * 86400 "
                 f"WHERE id = {ids[0]}") == 1
    s.stop()
    s.start()  # housekeeping runs when the workers start
    h = s.admin()
    lib.wait_until(lambda: [r["id"] for r in reports(h)] == [ids[1]], WAIT,
                   what="the old report expired")
    assert all_events(h, report=str(ids[0])) == []
    assert len(all_events(h, report=str(ids[1]))) == 30
    audit = h.get("/api/v1/audit", params={"action": "feed.expire"}).json()["items"]
    exp = [x for x in audit if x["action"] == "feed.expire"]
    assert exp and exp[0]["object_id"] == "shadowserver", audit
    assert exp[0]["detail"]["reports"] == 1 and exp[0]["detail"]["events"] == 80


def test_serve_refuses_a_pipeline_that_does_not_load(server_factory, tmp_path):
    bad = tmp_path / "rules.txt"
    bad.write_text(RULES_BAD)
    s = server_factory(start=False, env={"CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA),
                                         "CSIRTD_RULES": str(bad)})
    p = subprocess.run([lib.CSIRTD_BIN, "--data", str(s.data), "serve", "--listen",
                        f"127.0.0.1:{lib.free_port()}"], capture_output=True, text=True,
                       env=lib._base_env(s.env), cwd=lib._default_cwd(), timeout=60)
    assert p.returncode != 0
    assert "pipeline" in p.stderr and f"{bad}:2:" in p.stderr, p.stderr
