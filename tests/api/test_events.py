"""The event pipeline end to end: `csirtd ingest` stores a Shadowserver
report made by the shared generator, events are matched to organisations by
their assets, listed and exported by the API under the read rules, the same
content is never stored twice, and a kill -9 in the middle of a report loses
nothing and duplicates nothing."""
import csv
import io
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import csirtd_testlib as lib

SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"

pytestmark = pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(),
                                reason=f"shared data not found under {SHARED}")

UNIV_NET = ipaddress.ip_network("198.18.0.0/16")
HOSP_ASN = 64501  # the generator's 198.19.0.0/16


def generate(path, rows, seed=1):
    subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed),
                    "-o", str(path)], check=True, timeout=300, capture_output=True)
    return path


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ingest(server, *files, env=None, timeout=600):
    return server.cli("ingest", "--feed", "shadowserver", "--schema", str(SCHEMA),
                      *map(str, files), env=env, timeout=timeout)


def all_events(api, **params):
    return lib.paginate(api, "/api/v1/events", limit=500, params=params)[0]


@pytest.fixture(scope="module")
def world(server, tmp_path_factory):
    """Two organisations (one by CIDR, one by AS number), a constituent of
    the first, and a 3,000-row report stored once."""
    h = server.admin()
    ids = {}
    for short in ("UNIV", "HOSP"):
        r = h.post("/api/v1/orgs", json={"name": f"{short} org", "short_name": short})
        assert r.status_code == 201, r.text
        ids[short] = r.json()["id"]
    assert h.post(f"/api/v1/orgs/{ids['UNIV']}/assets",
                  json={"kind": "cidr", "value": str(UNIV_NET)}).status_code == 201
    assert h.post(f"/api/v1/orgs/{ids['HOSP']}/assets",
                  json={"kind": "asn", "value": f"AS{HOSP_ASN}"}).status_code == 201
    _, pw = server.create_user("univ1", "constituent", org="UNIV")
    con = server.session("univ1", pw)
    d = tmp_path_factory.mktemp("feed")
    path = generate(d / "2026-11-20-scan_http-country-geo.csv", 3000)
    r = ingest(server, path)
    assert r.returncode == 0, lib.describe(r)
    return {"h": h, "con": con, "ids": ids, "path": path, "rows": csv_rows(path),
            "out": r.stdout}


def test_report_is_stored_with_its_counts(world, server):
    assert "done: 3000 records, 3000 events, 3000 stored, 0 malformed" in world["out"]
    reports = world["h"].get("/api/v1/feed-reports", params={"feed": "shadowserver"}).json()
    rep = reports["items"][0]
    assert rep["state"] == "done" and rep["report"] == "scan_http"
    assert rep["records"] == rep["events"] == rep["stored"] == 3000
    assert rep["malformed"] == 0 and rep["error"] is None
    assert len(rep["sha256"]) == 64 and rep["size"] == world["path"].stat().st_size
    one = world["h"].get(f"/api/v1/feed-reports/{rep['id']}")
    assert one.status_code == 200 and one.json() == rep
    lib.assert_problem(world["h"].get("/api/v1/feed-reports/999999"), 404)


def test_events_belong_to_their_organisations(world):
    h = world["h"]
    univ_rows = [r for r in world["rows"] if ipaddress.ip_address(r["ip"]) in UNIV_NET]
    hosp_rows = [r for r in world["rows"] if int(r["asn"]) == HOSP_ASN
                 and ipaddress.ip_address(r["ip"]) not in UNIV_NET]
    univ = all_events(h, org="UNIV")
    hosp = all_events(h, org="HOSP")
    none = all_events(h, org="none")
    assert len(univ) == len(univ_rows) > 0
    assert len(hosp) == len(hosp_rows) > 0
    assert len(univ) + len(hosp) + len(none) == 3000
    assert all(ipaddress.ip_address(e["event"]["source.ip"]) in UNIV_NET for e in univ)
    assert all(e["event"]["source.asn"] == HOSP_ASN for e in hosp)
    assert all(e["org"] == "UNIV" and e["notify"] for e in univ)
    assert all(e["org"] is None and not e["notify"] for e in none)
    # the stored event is IntelMQ's, whole
    ev = univ[0]["event"]
    assert ev["__type"] == "Event" and ev["feed.provider"] == "Shadowserver"
    assert ev["classification.identifier"] == "accessible-http"
    assert univ[0]["tlp"] == "amber" and univ[0]["feed"] == "shadowserver"


def test_filters(world):
    h = world["h"]
    half = all_events(h, ip="198.18.0.0/17")
    expect = [r for r in world["rows"]
              if ipaddress.ip_address(r["ip"]) in ipaddress.ip_network("198.18.0.0/17")]
    assert len(half) == len(expect) > 0
    one_ip = expect[0]["ip"]
    exact = all_events(h, ip=one_ip)
    assert len(exact) == sum(1 for r in world["rows"] if r["ip"] == one_ip)
    # time.source bounds are inclusive
    times = sorted(r["timestamp"] for r in world["rows"])
    mid = times[len(times) // 2]
    since = mid.replace(" ", "T") + "Z"
    later = all_events(h, since=since)
    assert len(later) == sum(1 for t in times if t >= mid)
    assert all_events(h, identifier="accessible-http", org="UNIV") == all_events(h, org="UNIV")
    assert all_events(h, identifier="no-such") == []
    assert all_events(h, feed="other-feed") == []
    rep = h.get("/api/v1/feed-reports").json()["items"][0]["id"]
    assert len(all_events(h, report=str(rep))) == 3000
    for bad in ({"ip": "10.0.0.1/8"}, {"ip": "x"}, {"since": "yesterday"},
                {"format": "xml"}, {"report": "abc"}):
        lib.assert_problem(h.get("/api/v1/events", params=bad), 400)
    lib.assert_problem(h.get("/api/v1/events", params={"org": "NOPE"}), 404)


def test_exports(world):
    h = world["h"]
    r = h.get("/api/v1/events", params={"org": "UNIV", "format": "jsonl", "limit": 50})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    lines = r.text.splitlines()
    assert len(lines) == 50
    assert all(json.loads(line)["__type"] == "Event" for line in lines)
    assert 'rel="next"' in r.headers["Link"] and "format=jsonl" in r.headers["Link"]
    r = h.get("/api/v1/events", params={"org": "UNIV", "format": "csv", "limit": 20})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 20
    assert all(ipaddress.ip_address(x["source_ip"]) in UNIV_NET for x in rows)
    assert all(json.loads(x["event"])["source.ip"] == x["source_ip"] for x in rows)
    # following the Link pages through the whole list, nothing twice
    seen, url, pages = set(), "/api/v1/events?org=UNIV&format=csv&limit=200", 0
    while url and pages < 100:
        r = h.get(url)
        for x in csv.DictReader(io.StringIO(r.text)):
            assert x["id"] not in seen
            seen.add(x["id"])
        link = r.headers.get("Link")
        url = "/api/v1/events" + link[link.index("<") + 1:link.index(">")] if link else None
        pages += 1
    assert len(seen) == len(all_events(h, org="UNIV"))


def test_constituent_sees_its_own_only(world):
    con = world["con"]
    mine = all_events(con)
    assert len(mine) == len(all_events(world["h"], org="UNIV")) > 0
    assert all(e["org"] == "UNIV" for e in mine)
    lib.assert_problem(con.get("/api/v1/events", params={"org": "HOSP"}), 404)
    lib.assert_problem(con.get("/api/v1/events", params={"org": "none"}), 404)
    assert all_events(con, org="UNIV") == mine
    lib.assert_problem(con.get("/api/v1/feed-reports"), 403)


def test_same_content_is_stored_once(world, server, tmp_path):
    h = world["h"]
    before = len(all_events(h))
    copy = tmp_path / "2026-11-21-scan_http-again.csv"
    copy.write_bytes(world["path"].read_bytes())
    r = ingest(server, copy)
    assert r.returncode == 0, lib.describe(r)
    assert "already processed as report" in r.stdout
    assert len(all_events(h)) == before


def test_malformed_records_are_kept_with_their_lines(world, server, tmp_path):
    lines = world["path"].read_text().splitlines()
    bad = tmp_path / "2026-11-22-scan_http-bad.csv"
    body = lines[:6] + ['"2026-11-22 00:00:00","low","not-an-ip","tcp",80'] + lines[6:9] + \
        [lines[9] + ',"extra column"']
    bad.write_text("\n".join(body) + "\n")
    r = ingest(server, bad)
    assert r.returncode == 0, lib.describe(r)
    assert "8 events" in r.stdout and "2 malformed" in r.stdout
    rep = world["h"].get("/api/v1/feed-reports").json()["items"][0]
    assert rep["malformed"] == 2 and rep["events"] == 8
    mal = world["h"].get(f"/api/v1/feed-reports/{rep['id']}/malformed").json()["items"]
    assert [m["line"] for m in mal] == [7, 11]
    assert "columns" in mal[0]["reason"] and "columns" in mal[1]["reason"]


def test_refused_report_is_marked_failed(world, server, tmp_path):
    nohead = tmp_path / "2026-11-22-scan_http-nohead.csv"
    nohead.write_text('ip,port\n"192.0.2.1",80\n')
    r = ingest(server, nohead)
    assert r.returncode == 1 and "timestamp" in r.stderr, lib.describe(r)
    rep = world["h"].get("/api/v1/feed-reports", params={"state": "failed"}).json()["items"][0]
    assert rep["source"].endswith("nohead.csv") and "timestamp" in rep["error"]
    assert rep["stored"] == 0
    lib.assert_problem(world["h"].get("/api/v1/feed-reports", params={"state": "x"}), 400)


def test_red_events_are_for_handlers(world, server, tmp_path):
    path = generate(tmp_path / "2026-11-23-scan_http-red.csv", 200, seed=7)
    r = ingest(server, path, env={"CSIRTD_EVENT_TLP": "red"})
    assert r.returncode == 0, lib.describe(r)
    rep = world["h"].get("/api/v1/feed-reports").json()["items"][0]["id"]
    assert len(all_events(world["h"], report=str(rep))) == 200
    _, pw = server.create_user("viewer1", "viewer")
    viewer = server.session("viewer1", pw)
    assert all_events(viewer, report=str(rep)) == []
    assert all(e["tlp"] != "red" for e in all_events(world["con"]))


def test_usage_errors(server, tmp_path):
    r = server.cli("ingest", "--feed", "shadowserver", str(tmp_path / "x.csv"),
                   env={"CSIRTD_SHADOWSERVER_SCHEMA": ""})
    assert r.returncode == 2 and "schema" in r.stderr
    r = ingest(server, tmp_path / "2026-11-20-scan_http-missing.csv")
    assert r.returncode == 1 and "No such file" in r.stderr


def _strip_observation(lines):
    out = Counter()
    for line in lines:
        ev = json.loads(line)
        ev.pop("time.observation", None)
        out[json.dumps(ev, sort_keys=True)] += 1
    return out


@pytest.mark.slow
def test_kill_mid_report_loses_nothing_and_duplicates_nothing(server_factory, tmp_path):
    rows = 50000
    path = generate(tmp_path / "2026-11-20-scan_http-big.csv", rows, seed=3)
    killed = server_factory()
    proc = subprocess.Popen(
        [lib.CSIRTD_BIN, "--data", str(killed.data), "ingest", "--feed", "shadowserver",
         "--schema", str(SCHEMA), str(path)],
        env=lib._base_env(killed.env), cwd=lib._default_cwd(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    h = killed.admin()

    def progress():
        items = h.get("/api/v1/feed-reports").json()["items"]
        return items[0]["records"] if items else 0

    lib.wait_until(lambda: progress() > 0 or proc.poll() is not None, 120,
                   interval=0.02, what="a first commit")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rep = h.get("/api/v1/feed-reports").json()["items"][0]
    assert rep["state"] == "running" and 0 < rep["records"] < rows, rep
    # what is stored is exactly the checkpoint's records
    assert len(all_events(h, report=str(rep["id"]))) == rep["records"]

    r = ingest(killed, path)
    assert r.returncode == 0, lib.describe(r)
    out = r.stdout
    assert f"resumed after {rep['records']} records" in out, out
    assert f"done: {rows} records, {rows} events, {rows} stored" in out, out

    whole = server_factory()
    assert ingest(whole, path).returncode == 0
    lines = []
    for api in (h, whole.admin()):
        lines.append([])
        url = "/api/v1/events?format=jsonl&limit=500"
        while url:
            got = api.get(url)
            assert got.status_code == 200
            lines[-1].extend(got.text.splitlines())
            link = got.headers.get("Link")
            url = "/api/v1/events" + link[link.index("<") + 1:link.index(">")] if link else None
    assert len(lines[0]) == len(lines[1]) == rows
    assert _strip_observation(lines[0]) == _strip_observation(lines[1])
