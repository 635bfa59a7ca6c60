"""`csirtd migrate --from sqlite:PATH --to postgres://...` moves a whole
installation: everything the API shows is the same afterwards."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import csirtd_testlib as lib
from csirtd_testlib import Server, describe, paginate

pytestmark = pytest.mark.skipif(not lib.PG_BASE, reason="needs CSIRTD_TEST_PG (PostgreSQL)")

PW = "correct horse battery staple"


def populate(srv):
    a = srv.admin()
    org = a.post("/api/v1/orgs", json={"name": "Ajuntament de Girona", "short_name": "GIR",
                                       "languages": ["ca", "es"], "sector": "government"}).json()
    child = a.post("/api/v1/orgs", json={"name": "Policia Local", "short_name": "GIR-PL",
                                         "parent": "GIR"}).json()
    a.post(f"/api/v1/orgs/{org['id']}/contacts",
           json={"name": "Núria", "email": "cert@girona.example", "role": "security",
                 "language": "ca"})
    for kind, value in (("cidr", "192.0.2.0/24"), ("cidr", "2001:db8::/32"),
                        ("asn", "64500"), ("domain", "girona.example")):
        r = a.post(f"/api/v1/orgs/{org['id']}/assets", json={"kind": kind, "value": value})
        assert r.status_code == 201, r.text
    srv.create_user("hana", "handler", password=PW)
    srv.create_user("gcon", "constituent", password=PW, org="GIR")
    h = srv.session("hana", PW)
    h.post("/api/v1/templates", json={"rsit_type": "phishing", "name": "Phishing playbook",
                                       "tlp": "GREEN", "tasks": ["Collect headers"]})
    refs = []
    for i in range(30):
        x = h.post("/api/v1/incidents", json={
            "title": f"Incidència {i} \\backslash", "rsit_type": "phishing" if i % 2 else "ddos",
            "summary": "Línia 1\nLínia 2 **negreta**", "orgs": ["GIR"] if i % 3 == 0 else [],
            "tlp": ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"][i % 5],
            "tags": [f"t{i % 4}"]})
        assert x.status_code == 201, x.text
        x = x.json()
        refs.append(x["ref"])
        h.post(f"/api/v1/incidents/{x['ref']}/entries",
               json={"visibility": "shared" if i % 2 else "internal",
                     "body": f"nota {i}\tamb tabulador\nüi \\ barra"})
        h.post(f"/api/v1/incidents/{x['ref']}/tasks", json={"title": f"tasca {i}"})
        h.post(f"/api/v1/incidents/{x['ref']}/observables",
               json={"type": "domain", "value": f"evil{i % 7}[.]example"})
    h.post(f"/api/v1/incidents/{refs[1]}/links", json={"kind": "child-of", "ref": refs[0]})
    r = h.post("/api/v1/reports", json={"subject": "Suspicious mail", "body": "hxxp://x[.]example",
                                         "reporter": "someone@example.org"}).json()
    h.post(f"/api/v1/reports/{r['id']}:triage", json={"action": "attach", "incident": refs[2]})
    h.post("/api/v1/reports", json={"subject": "Spam", "body": "buy now"})
    a.post("/api/v1/jobs", json={"kind": "selftest", "payload": {"sleep_ms": 0}})
    return refs, [org["id"], child["id"]]


def snapshot(srv, refs, org_ids):
    a = srv.admin()
    h = srv.session("hana", PW)  # a member of every incident (RED ones too)
    con = srv.session("gcon", PW)
    out = {}
    for path in ("/api/v1/orgs", "/api/v1/templates"):
        out[path] = paginate(a, path)[0]
    # logging in to take this snapshot moves last_login_at
    out["users"] = [{k: v for k, v in u.items() if k != "last_login_at"}
                    for u in paginate(a, "/api/v1/users")[0]]
    for path in ("/api/v1/reports", "/api/v1/incidents"):
        out[path] = paginate(h, path)[0]
    out["audit"] = paginate(a, "/api/v1/audit")[0]
    out["jobs"] = [{k: v for k, v in j.items() if k not in ("lease_until",)}
                   for j in paginate(a, "/api/v1/jobs")[0]]
    for oid in org_ids:
        for sub in ("contacts", "assets"):
            out[f"{oid}/{sub}"] = paginate(a, f"/api/v1/orgs/{oid}/{sub}")[0]
    for ref in refs:
        out[ref] = h.get(f"/api/v1/incidents/{ref}").json()
        for sub in ("entries", "tasks", "observables", "links"):
            out[f"{ref}/{sub}"] = paginate(h, f"/api/v1/incidents/{ref}/{sub}")[0]
    out["constituent"] = paginate(con, "/api/v1/incidents")[0]
    for q in ("incidència", "nota", "evil3.example", "suspicious"):
        out[f"search {q}"] = sorted((x["kind"], x.get("incident"))
                                    for x in h.get("/api/v1/search", params={"q": q}).json()["items"])
    out["constituent search"] = sorted(x["incident"] for x in con.get(
        "/api/v1/search", params={"q": "nota"}).json()["items"])
    out["lookup"] = a.get("/api/v1/lookup", params={"ip": "2001:db8::1"}).json()
    return out


# an artefact's bytes: every byte value, NUL and COPY's own escapes
BLOB = bytes(range(256)) + b"\x00\\N\t\n\r\\x00"
SHA_RAW, SHA_EMPTY = "a" * 64, "e" * 64
MAIL_QUERIES = (
    "SELECT sha256 || ' ' || size || ' ' || content_type || ' ' || created_at"
    " FROM artefact ORDER BY sha256",
    "SELECT id || ' ' || incident_id || ' ' || kind || ' ' || counterpart || ' ' ||"
    " coalesce(contact_id, -1) || ' ' || language || ' ' || subject FROM thread",
    "SELECT id || ' ' || direction || ' ' || state || ' ' || message_id || ' ' ||"
    " coalesce(raw_sha256, '-') || ' ' || coalesce(incident_id, -1) || ' ' ||"
    " coalesce(thread_id, -1) || ' ' || encrypted || ' ' || signature || ' ' ||"
    " coalesce(sent_at, -1) || ' ' || subject FROM mail ORDER BY id",
    "SELECT mail_id || ' ' || seq || ' ' || sha256 || ' ' || filename || ' ' || size"
    " FROM mail_attachment ORDER BY mail_id, seq",
)


def add_mail(srv, ref):
    """Artefacts (one binary, one empty), a thread and two mails, one with an
    attachment, written into the SQLite install; returns what
    mail_sqlite() reads back."""
    inc = f"(SELECT id FROM incident WHERE ref = '{ref}')"
    srv.sql("INSERT INTO artefact VALUES ('%s', %d, 'message/rfc822', X'%s', 1000)"
            % (SHA_RAW, len(BLOB), BLOB.hex()))
    srv.sql(f"INSERT INTO artefact VALUES ('{SHA_EMPTY}', 0, 'text/plain', X'', 1000)")
    srv.sql("INSERT INTO thread (incident_id, kind, counterpart, subject, created_by,"
            f" created_at) VALUES ({inc}, 'reporter', 'someone@example.org',"
            " 'Re: tab\there', 'hana', 1100)")
    srv.sql("INSERT INTO mail (direction, state, message_id, subject, raw_sha256,"
            " incident_id, thread_id, encrypted, signature, created_by, created_at,"
            f" sent_at) VALUES ('in', 'received', '<m1@example.org>', 'Línia\\1',"
            f" '{SHA_RAW}', {inc}, (SELECT max(id) FROM thread), 1, 'good', 'system',"
            " 1200, NULL)")
    srv.sql("INSERT INTO mail (direction, state, message_id, created_by, created_at,"
            " sent_at) VALUES ('out', 'sent', '<m2@cert.example>', 'hana', 1300, 1301)")
    srv.sql("INSERT INTO mail_attachment VALUES ((SELECT min(id) FROM mail), 1,"
            f" '{SHA_EMPTY}', 'empty.txt', 'text/plain', 0)")
    return mail_sqlite(srv)


def mail_sqlite(srv):
    con = sqlite3.connect(str(srv.db))
    try:
        rows = [[r[0] for r in con.execute(q)] for q in MAIL_QUERIES]
        rows.append([bytes(r[0]).hex() for r in con.execute(
            "SELECT data FROM artefact ORDER BY sha256")])
    finally:
        con.close()
    assert rows[4][0] == BLOB.hex() and rows[4][1] == ""
    assert len(rows[2]) == 2 and len(rows[3]) == 1
    return rows


def mail_pg(url):
    out = []
    for q in MAIL_QUERIES + ("SELECT encode(data, 'hex') FROM artefact ORDER BY sha256",):
        r = subprocess.run(["psql", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", q],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        out.append(r.stdout.split("\n")[:-1])
    return out


@pytest.fixture
def sqlite_server(tmp_path):
    """A server on SQLite whatever CSIRTD_TEST_PG says; killed if a test
    fails half-way."""
    data = tmp_path / "data"
    srv = Server(data, env={"CSIRTD_DATABASE": f"sqlite:{data}/csirtd.db"})
    yield srv
    srv.kill()


def test_move_sqlite_to_postgres(sqlite_server):
    srv = sqlite_server
    data = srv.data
    srv.init()
    srv.start()
    refs, org_ids = populate(srv)
    before = snapshot(srv, refs, org_ids)
    # the data directory is locked while serve runs
    pg = lib.pg_create_database()
    r = srv.cli("migrate", "--from", f"sqlite:{data}/csirtd.db", "--to", pg)
    assert r.returncode == 1 and "stop it first" in r.stderr, describe(r)
    assert srv.stop() == 0

    mail_rows = add_mail(srv, refs[0])
    r = srv.cli("migrate", "--from", f"sqlite:{data}/csirtd.db", "--to", pg)
    assert r.returncode == 0, describe(r)
    assert mail_sqlite(srv) == mail_rows
    assert mail_pg(pg) == mail_rows
    # identities go on after the copied keys
    for table in ("thread", "mail"):
        top = int(lib.pg_sql(pg, f"SELECT max(id) FROM {table}"))
        assert int(lib.pg_sql(pg, f"SELECT nextval(pg_get_serial_sequence('{table}', "
                                  "'id'))")) == top + 1
    assert "copied: incident " in r.stdout and "audit chain verified" in r.stdout, r.stdout
    # never into a database that holds an installation already
    r = srv.cli("migrate", "--from", f"sqlite:{data}/csirtd.db", "--to", pg)
    assert r.returncode == 1 and "not empty" in r.stderr, describe(r)

    srv.env["CSIRTD_DATABASE"] = pg
    srv.start()
    after = snapshot(srv, refs, org_ids)
    # the snapshot's own logins were audited: compare the rows before them
    seqs = {r["seq"] for r in before["audit"]}
    after["audit"] = [r for r in after["audit"] if r["seq"] in seqs]
    for key in before:
        assert after[key] == before[key], key
    # life goes on: the next reference follows the last one, ids do not collide
    h = srv.session("hana", PW)
    x = h.post("/api/v1/incidents", json={"title": "after the move"})
    assert x.status_code == 201, x.text
    last = max(int(r_.rsplit("-", 1)[1]) for r_ in refs)
    assert int(x.json()["ref"].rsplit("-", 1)[1]) == last + 1
    r = srv.cli("audit", "verify")
    assert r.returncode == 0, describe(r)
    assert srv.stop() == 0


SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"


def events_view(srv):
    """Every event as the API gives it: JSON, JSON Lines, by address."""
    a = srv.admin()
    out = {"json": paginate(a, "/api/v1/events", limit=500)[0]}
    r = a.get("/api/v1/events", params={"format": "jsonl", "limit": 500})
    assert r.status_code == 200, r.text
    out["jsonl"] = r.text
    out["ip"] = paginate(a, "/api/v1/events", limit=50,
                         params={"ip": "198.19.0.0/16"})[0]
    out["reports"] = paginate(a, "/api/v1/feed-reports")[0]
    return out


@pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(), reason="needs the shared data")
def test_events_move_with_their_stored_form(sqlite_server, tmp_path):
    """Packed event rows and their reports' dictionaries move as they are,
    a row stored before packing too, and ingesting goes on afterwards."""
    srv = sqlite_server
    data = srv.data
    srv.init()
    files = []
    for seed in (1, 2):
        f = tmp_path / f"2024-01-0{seed}-scan_http-country-geo.csv"
        subprocess.run([sys.executable, str(GEN), "--rows", "1500", "--seed", str(seed),
                        "-o", str(f)], check=True, timeout=120)
        files.append(f)
    r = srv.cli("ingest", "--feed", "shadowserver", "--schema", str(SCHEMA), str(files[0]))
    assert r.returncode == 0, describe(r)
    # a row as stored before packing: the line itself
    srv.sql("INSERT INTO feed_event (report_id, feed, tlp, notify, data, stored_at) VALUES"
            " (1, 'shadowserver', 'amber', 0, CAST('{\"a\":\"b\\tc\"}' AS BLOB), 5)")
    srv.start()
    before = events_view(srv)
    assert len(before["json"]) == 1501 and before["json"][0]["event"] == {"a": "b\tc"}
    assert srv.stop() == 0
    pg = lib.pg_create_database()
    r = srv.cli("migrate", "--from", f"sqlite:{data}/csirtd.db", "--to", pg)
    assert r.returncode == 0, describe(r)
    assert "copied: feed_field " in r.stdout, r.stdout
    srv.env["CSIRTD_DATABASE"] = pg
    srv.start()
    assert events_view(srv) == before
    r = srv.cli("ingest", "--feed", "shadowserver", "--schema", str(SCHEMA), str(files[1]))
    assert r.returncode == 0, describe(r)
    after = paginate(srv.admin(), "/api/v1/events", limit=500)[0]
    assert len(after) == 3001 and after[1500:] == before["json"]
    assert srv.stop() == 0


def test_bad_arguments(tmp_path):
    srv = Server(tmp_path / "d", env={"CSIRTD_DATABASE": f"sqlite:{tmp_path}/d/csirtd.db"})
    srv.init()
    r = srv.cli("migrate", "--from", f"sqlite:{tmp_path}/d/csirtd.db")
    assert r.returncode == 2, describe(r)
    r = srv.cli("migrate", "--from", f"sqlite:{tmp_path}/d/csirtd.db", "--to", "mysql://x")
    assert r.returncode == 1 and "postgres://" in r.stderr, describe(r)
    r = srv.cli("migrate", "--from", f"sqlite:{tmp_path}/d/csirtd.db",
                "--to", lib.PG_BASE + "/no_such_database_here")
    assert r.returncode == 1, describe(r)
