"""The pipeline's stages between parsing and storing, end to end through
`csirtd ingest`: ASN enrichment from a routing table, the rule file (drop,
tag, TLP, notify, incident), dedup and aggregation by a key, generic feeds
by definition, configuration errors, and exactly-once with every stage on
after a kill -9. Expected results are computed here from the CSV itself."""
import csv
import ipaddress
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

import csirtd_testlib as lib

SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"

pytestmark = pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(),
                                reason=f"shared data not found under {SHARED}")

UNIV_NET = ipaddress.ip_network("198.18.0.0/16")
HOSP_NET = ipaddress.ip_network("198.19.0.0/16")  # AS64501 in the generator
HOSP_ASN = 64501

RULES = """\
# test rules
rule "no https" { if source.port == 443 then drop }
rule "alt http" {
    if source.port == 8080
    then tag "alt-http"; tag "reviewed"; tlp green; notify no
}
rule "php unit" { if source.port == 8081 then incident "PHPUnit exposure" }
"""


def generate(path, rows, seed, asn_db=None, dup_rate=None):
    cmd = [sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed), "-o", str(path)]
    if asn_db is not None:
        cmd += ["--asn-db", str(asn_db), "--asn-db-filler", "2000"]
    if dup_rate is not None:
        cmd += ["--dup-rate", str(dup_rate)]
    subprocess.run(cmd, check=True, timeout=600, capture_output=True)
    if asn_db is not None:
        # the filler may repeat a fixed network: keep its first line, as
        # the strict loader refuses a prefix listed twice
        seen, out = set(), []
        for line in Path(asn_db).read_text().splitlines():
            key = line.split("\t")[0]
            if line.startswith(";") or key not in seen:
                seen.add(key)
                out.append(line)
        Path(asn_db).write_text("\n".join(out) + "\n")
    return path


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


def ingest(server, *files, env=None, feed="shadowserver", extra=()):
    args = ["ingest", "--feed", feed]
    if feed == "shadowserver":
        args += ["--schema", str(SCHEMA)]
    return server.cli(*args, *extra, *map(str, files), env=env, timeout=900)


def events(api, **params):
    return lib.paginate(api, "/api/v1/events", limit=500, params=params)[0]


def jsonl(api, **params):
    lines, url = [], "/api/v1/events"
    params = {"format": "jsonl", "limit": 500, **params}
    while url:
        got = api.get(url, params=params)
        assert got.status_code == 200, got.text
        lines.extend(got.text.splitlines())
        link = got.headers.get("Link")
        url = "/api/v1/events" + link[link.index("<") + 1:link.index(">")] if link else None
        params = None
    return lines


def ts(text):
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=timezone.utc).timestamp())


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def make_orgs(server):
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
    return h


class Table:
    """The routing table's longest-prefix match, computed plainly."""

    def __init__(self, path):
        self.nets = []
        for line in Path(path).read_text().splitlines():
            if line and not line.startswith(";"):
                net, asn = line.split("\t")
                self.nets.append((ipaddress.ip_network(net), int(asn)))

    def asn(self, ip):
        ip = ipaddress.ip_address(ip)
        best = None
        for net, asn in self.nets:
            if ip.version == net.version and ip in net and \
                    (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, asn)
        return best


def row_org(r, table):
    """The organisation of a row: the feed's AS number, else the table's."""
    asn = int(r["asn"]) if r["asn"] else None
    if asn is None:
        hit = table.asn(r["ip"])
        asn = hit[1] if hit else 0
    return org_of(r["ip"], asn)


def org_of(row_ip, asn):
    ip = ipaddress.ip_address(row_ip)
    if ip in UNIV_NET:
        return "UNIV"
    if asn == HOSP_ASN:
        return "HOSP"
    return None


@pytest.fixture(scope="module")
def staged(server, tmp_path_factory):
    """A report whose 198.19/16 rows lost their AS number (the routing
    table must give it back), through rules and dedup in drop mode."""
    d = tmp_path_factory.mktemp("staged")
    asn_db = d / "ipasn.dat"
    path = generate(d / "2026-12-01-scan_http-staged.csv", 4000, seed=5, asn_db=asn_db,
                    dup_rate=0.25)
    rows = read_rows(path)
    blanked = 0
    for r in rows:
        if ipaddress.ip_address(r["ip"]) in HOSP_NET:
            r["asn"] = ""
            blanked += 1
    assert blanked > 50
    write_rows(path, rows)
    (d / "rules.conf").write_text(RULES)
    env = {"CSIRTD_ASN_TABLE": str(asn_db), "CSIRTD_RULES": str(d / "rules.conf"),
           "CSIRTD_DEDUP_KEY": "source.ip,source.port", "CSIRTD_DEDUP_WINDOW": "30d"}
    h = make_orgs(server)
    r = ingest(server, path, env=env)
    assert r.returncode == 0, lib.describe(r)
    return {"server": server, "h": h, "rows": rows, "out": r.stdout, "env": env,
            "path": path, "asn_db": asn_db}


def test_intelmq_lines_move_between_installations(staged, server_factory, tmp_path):
    """What one installation exports as IntelMQ lines, another (or IntelMQ's
    file output) brings in unchanged through the intelmq feed."""
    lines = jsonl(staged["h"])
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\nnot an event\n")
    other = server_factory()
    h = make_orgs(other)
    r = ingest(other, path, feed="intelmq")
    assert r.returncode == 0, lib.describe(r)
    n = len(lines)
    assert f"done: {n + 1} records, {n} events, {n} stored, 1 malformed" in r.stdout, r.stdout
    assert Counter(jsonl(h)) == Counter(lines)
    # the organisations are found again from the events themselves
    assert Counter(e["org"] for e in events(h)) == Counter(e["org"] for e in events(staged["h"]))


def expected_kept(rows):
    """Rows the rules keep and dedup lets through, first of each key."""
    seen, kept = set(), []
    for r in rows:
        if int(r["port"]) == 443:
            continue
        key = (r["ip"], int(r["port"]))
        if key in seen:
            continue
        seen.add(key)
        kept.append(r)
    return kept


def test_counts_follow_rules_and_dedup(staged):
    rows = staged["rows"]
    kept = expected_kept(rows)
    dropped = sum(1 for r in rows if int(r["port"]) == 443)
    dups = len(rows) - dropped - len(kept)
    assert dropped > 0 and dups > 0
    want = (f"done: {len(rows)} records, {len(rows)} events, {len(kept)} stored, "
            f"0 malformed, {dropped} dropped, {dups} duplicates")
    assert want in staged["out"], staged["out"]
    rep = staged["h"].get("/api/v1/feed-reports").json()["items"][0]
    assert (rep["stored"], rep["dropped"], rep["duplicates"]) == (len(kept), dropped, dups)


def test_every_kept_event_stored_with_its_org(staged):
    got = events(staged["h"])
    kept = expected_kept(staged["rows"])
    table = Table(staged["asn_db"])
    want = Counter((r["ip"], int(r["port"]), row_org(r, table)) for r in kept)
    have = Counter((e["event"]["source.ip"], e["event"]["source.port"], e["org"]) for e in got)
    assert have == want
    assert all(e["event"]["source.port"] != 443 for e in got)


def test_routing_table_fills_missing_asn(staged):
    table = Table(staged["asn_db"])
    blanked = {r["ip"] for r in staged["rows"] if not r["asn"]}
    filled = 0
    for e in events(staged["h"]):
        ip = e["event"]["source.ip"]
        if ip not in blanked:
            continue
        net, asn = table.asn(ip)
        assert e["event"]["source.asn"] == asn
        assert e["event"]["source.network"] == str(net)
        filled += asn == HOSP_ASN
    assert filled > 0, "the routing table gave no event its AS number"
    # a value the feed carries is kept as it is: UNIV rows had theirs
    for e in events(staged["h"], org="UNIV")[:50]:
        assert "source.asn" in e["event"]


def test_rules_tag_set_tlp_and_suppress_notification(staged):
    got = events(staged["h"])
    alt = [e for e in got if e["event"]["source.port"] == 8080]
    other = [e for e in got if e["event"]["source.port"] != 8080]
    assert alt and other
    for e in alt:
        assert e["tlp"] == "green"
        assert e["event"]["extra.tags"] == "alt-http,reviewed"
        assert e["notify"] is False
    for e in other:
        assert e["tlp"] == "amber"
        assert "extra.tags" not in e["event"]
        assert e["notify"] is (e["org"] is not None)


def test_incident_opened_once_with_the_orgs(staged):
    h = staged["h"]
    items = h.get("/api/v1/incidents", params={"q": "PHPUnit"}).json()["items"]
    inc = [i for i in items if i["title"] == "PHPUnit exposure"]
    assert len(inc) == 1, items
    kept = expected_kept(staged["rows"])
    table = Table(staged["asn_db"])
    orgs = {row_org(r, table) for r in kept if int(r["port"]) == 8081} - {None}
    assert set(inc[0]["orgs"]) == orgs
    assert inc[0]["created_by"] == "pipeline"
    n = sum(1 for r in kept if int(r["port"]) == 8081)
    assert f'matched {n} event(s)' in inc[0]["summary"]
    assert "opened incident " + inc[0]["ref"] in staged["out"]
    # the same content again: nothing stored, no second incident
    r = ingest(staged["server"], staged["path"], env=staged["env"])
    assert r.returncode == 0 and "already processed" in r.stdout, lib.describe(r)
    items = h.get("/api/v1/incidents", params={"q": "PHPUnit"}).json()["items"]
    assert len([i for i in items if i["title"] == "PHPUnit exposure"]) == 1


def test_aggregation_counts_every_event(server_factory, tmp_path):
    path = generate(tmp_path / "2026-12-02-scan_http-agg.csv", 3000, seed=7, dup_rate=0.4)
    rows = read_rows(path)
    server = server_factory()
    h = make_orgs(server)
    env = {"CSIRTD_DEDUP_KEY": "source.ip,source.port", "CSIRTD_DEDUP_MODE": "aggregate",
           "CSIRTD_DEDUP_WINDOW": "30d"}
    r = ingest(server, path, env=env)
    assert r.returncode == 0, lib.describe(r)
    groups = {}
    for row in rows:
        groups.setdefault((row["ip"], int(row["port"])), []).append(ts(row["timestamp"]))
    got = events(h)
    assert len(got) == len(groups)
    assert f"{len(groups)} stored" in r.stdout and \
        f"{len(rows) - len(groups)} duplicates" in r.stdout, r.stdout
    for e in got:
        ev = e["event"]
        times = groups[(ev["source.ip"], ev["source.port"])]
        assert ev["extra.count"] == len(times)
        assert ev["extra.first_seen"] == iso(min(times))
        assert ev["extra.last_seen"] == iso(max(times))
        assert ev["time.source"] == iso(times[0])  # the first event's copy
    assert sum(e["event"]["extra.count"] for e in got) == len(rows)
    # the filter columns of an aggregate are its own (they are copied when
    # the window closes, before the table reuses the memory)
    for key in ("taxonomy", "type", "identifier"):
        want = Counter(e["event"][f"classification.{key}"] for e in got)
        for value, n in want.items():
            assert len(events(h, **{key: value})) == n, (key, value)


def strip_observation(lines):
    out = Counter()
    for line in lines:
        ev = json.loads(line)
        ev.pop("time.observation", None)
        out[json.dumps(ev, sort_keys=True)] += 1
    return out


def test_kill_with_every_stage_on_is_exactly_once(server_factory, tmp_path):
    rows = 40000
    asn_db = tmp_path / "ipasn.dat"
    path = generate(tmp_path / "2026-12-03-scan_http-kill.csv", rows, seed=9, asn_db=asn_db,
                    dup_rate=0.3)
    (tmp_path / "rules.conf").write_text(RULES)
    env = {"CSIRTD_ASN_TABLE": str(asn_db), "CSIRTD_RULES": str(tmp_path / "rules.conf"),
           "CSIRTD_DEDUP_KEY": "source.ip,source.port", "CSIRTD_DEDUP_MODE": "aggregate",
           "CSIRTD_DEDUP_WINDOW": "1h", "CSIRTD_COMMIT_EVENTS": "1024"}
    killed = server_factory()
    h = make_orgs(killed)
    proc = subprocess.Popen(
        [lib.CSIRTD_BIN, "--data", str(killed.data), "ingest", "--feed", "shadowserver",
         "--schema", str(SCHEMA), str(path)],
        env=lib._base_env({**killed.env, **env}), cwd=lib._default_cwd(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def progress():
        items = h.get("/api/v1/feed-reports").json()["items"]
        return items[0]["records"] if items else 0

    lib.wait_until(lambda: progress() > 0 or proc.poll() is not None, 300,
                   interval=0.02, what="a first commit")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rep = h.get("/api/v1/feed-reports").json()["items"][0]
    assert rep["state"] == "running" and 0 < rep["records"] < rows, rep

    r = ingest(killed, path, env=env)
    assert r.returncode == 0, lib.describe(r)
    assert f"resumed after {rep['records']} records" in r.stdout, r.stdout

    whole = server_factory()
    wh = make_orgs(whole)
    r2 = ingest(whole, path, env=env)
    assert r2.returncode == 0, lib.describe(r2)
    # the same counts, the same events, the same single incident
    tail = r2.stdout.split("done: ", 1)[1].split("\n")[0]
    assert tail in r.stdout, (r.stdout, r2.stdout)
    a, b = jsonl(h), jsonl(wh)
    assert len(a) == len(b) > 0
    assert strip_observation(a) == strip_observation(b)
    # every event not dropped by the rules is counted in one aggregate
    total = sum(json.loads(line)["extra.count"] for line in a)
    https = sum(1 for row in read_rows(path) if int(row["port"]) == 443)
    assert total == rows - https
    for api in (h, wh):
        items = api.get("/api/v1/incidents", params={"q": "PHPUnit"}).json()["items"]
        assert len([i for i in items if i["title"] == "PHPUnit exposure"]) == 1


BLOCKLIST_DEF = {
    "name": "team-sensors",
    "provider": "Example CSIRT",
    "format": "csv",
    "csv": {"header": True, "comment": "#"},
    "fields": {"seen": "time.source", "ip": "source.ip", "port": "source.port",
               "family": "malware.name"},
    "constants": {"classification.taxonomy": "malicious-code",
                  "classification.type": "infected-system"},
    "required": ["source.ip"],
    "time_format": "auto",
}


def test_generic_feed_from_the_feeds_directory(server_factory, tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sensors.json").write_text(json.dumps(BLOCKLIST_DEF))
    (feeds / "README.txt").write_text("not a definition")
    data = tmp_path / "today.csv"
    data.write_text("# sensor export\nseen,ip,port,family\n"
                    "2026-12-01 10:00:00,198.18.1.1,445,Emotet\n"
                    "2026-12-01 10:05:00,198.18.1.2,3389,QakBot\n"
                    "2026-12-01 10:06:00,not-an-ip,1,QakBot\n"
                    "2026-12-01 10:07:00,203.0.113.5,80,Mirai\n")
    server = server_factory()
    h = make_orgs(server)
    env = {"CSIRTD_FEEDS": str(feeds)}
    r = ingest(server, data, env=env, feed="team-sensors")
    assert r.returncode == 0, lib.describe(r)
    assert "done: 4 records, 3 events, 3 stored, 1 malformed" in r.stdout, r.stdout
    assert ":3: " in r.stderr or "line 3" in r.stderr or r.stderr == "", r.stderr
    got = events(h, feed="team-sensors")
    assert sorted((e["event"]["source.ip"], e["org"]) for e in got) == [
        ("198.18.1.1", "UNIV"), ("198.18.1.2", "UNIV"), ("203.0.113.5", None)]
    assert {e["event"]["malware.name"] for e in got} == {"emotet", "qakbot", "mirai"}
    assert all(e["event"]["classification.type"] == "infected-system" for e in got)
    mal = h.get(f"/api/v1/feed-reports/{got[0]['report']}/malformed").json()["items"]
    assert [m["line"] for m in mal] == [5]

    # the same feed from a definition given on the command line
    other = server_factory()
    make_orgs(other)
    d = tmp_path / "def.json"
    d.write_text(json.dumps({**BLOCKLIST_DEF, "name": "adhoc"}))
    r = ingest(other, data, feed="adhoc", extra=("--definition", str(d)))
    assert r.returncode == 0 and "3 stored" in r.stdout, lib.describe(r)


def test_configuration_errors_are_clear_and_change_nothing(server_factory, tmp_path):
    server = server_factory()
    h = make_orgs(server)
    path = generate(tmp_path / "2026-12-04-scan_http-x.csv", 20, seed=2)

    bad_rules = tmp_path / "bad.conf"
    bad_rules.write_text('rule "x" {\n  if source.port == "http" then drop\n}\n')
    r = ingest(server, path, env={"CSIRTD_RULES": str(bad_rules)})
    assert r.returncode == 1
    assert f"{bad_rules}:2:" in r.stderr and "source.port" in r.stderr, r.stderr

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "broken.json").write_text('{"name": "b", "format": "csv", "fields": {"a": "no.such"}}')
    r = ingest(server, path, env={"CSIRTD_FEEDS": str(feeds)})
    assert r.returncode == 1 and "broken.json" in r.stderr, r.stderr

    asn = tmp_path / "asn.dat"
    asn.write_text("198.18.0.0/16\t64500\n198.18.0.1/16\t64501\n")
    r = ingest(server, path, env={"CSIRTD_ASN_TABLE": str(asn)})
    assert r.returncode == 1 and "asn_table" in r.stderr and "2" in r.stderr, r.stderr

    r = ingest(server, path, env={"CSIRTD_DEDUP_KEY": "source.ip,no.such"})
    assert r.returncode == 1 and "dedup_key" in r.stderr, r.stderr

    r = ingest(server, path, feed="no-such-feed")
    assert r.returncode == 2 and "no-such-feed" in r.stderr, r.stderr

    # nothing was stored by any of them
    assert h.get("/api/v1/feed-reports").json()["items"] == []
    r = ingest(server, path)
    assert r.returncode == 0 and "20 stored" in r.stdout, lib.describe(r)


def feed_mail(server, raw, feed="shadowserver", env=None):
    env = {"CSIRTD_SHADOWSERVER_SCHEMA": str(SCHEMA), "CSIRTD_MAIL_ACKNOWLEDGE": "false",
           **(env or {})}
    return server.cli("mailgate", "--feed", feed, input=raw.decode(), env=env)


def report_mail(attachments, msgid):
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"] = "Shadowserver <autoreports@shadowserver.org>"
    m["To"] = "feeds@csirt.example"
    m["Subject"] = "[Example CSIRT] Shadowserver reports 2026-12-05"
    m["Message-ID"] = f"<{msgid}@shadowserver.org>"
    m.set_content("Attached are today's reports.\n")
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def test_reports_by_mail_attachments_and_zip(server_factory, tmp_path):
    import io
    import zipfile
    a = generate(tmp_path / "2026-12-05-scan_http-country-geo.csv", 300, seed=11)
    b = generate(tmp_path / "2026-12-05-scan_http-other.csv", 200, seed=12)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("reports/2026-12-05-scan_http-zipped.csv", b.read_bytes())
        zf.writestr("README.txt", "not a report")
    raw = report_mail([(a.name, a.read_bytes(), "text/csv"),
                       ("reports.zip", z.getvalue(), "application/zip"),
                       ("notes.pdf", b"%PDF-1.4 not a report", "application/pdf")], "r1")
    server = server_factory()
    h = make_orgs(server)
    r = feed_mail(server, raw)
    assert r.returncode == 0, lib.describe(r)
    assert "feed=shadowserver reports=2 already=0 failed=0 skipped=2 events=500" in r.stdout, \
        r.stdout
    reps = h.get("/api/v1/feed-reports").json()["items"]
    assert sorted(x["source"] for x in reps) == [
        f"mail:r1@shadowserver.org/{a.name}", "mail:r1@shadowserver.org/2026-12-05-scan_http-zipped.csv"]
    assert len(events(h)) == 500

    # delivered again (an MTA retry): nothing twice
    r = feed_mail(server, raw)
    assert r.returncode == 0 and "reports=2 already=2" in r.stdout and "events=0" in r.stdout, \
        lib.describe(r)
    assert len(events(h)) == 500

    # a message with nothing the feed can read reaches the analysts instead
    r = feed_mail(server, report_mail([("notes.pdf", b"%PDF-1.4", "application/pdf")], "r2"))
    assert r.returncode == 0 and "report=" in r.stdout, lib.describe(r)
    assert h.get("/api/v1/reports").json()["items"], "no e-mail report"

    # an unknown feed leaves the message with the MTA (retry later)
    r = feed_mail(server, raw, feed="nope")
    assert r.returncode == 75 and "nope" in r.stderr, lib.describe(r)
