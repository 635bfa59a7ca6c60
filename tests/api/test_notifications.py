"""Event notifications end to end: feed events stored by `csirtd ingest`
reach the organisations' contacts as digests (CSV attached, in the
contact's language, signed, encrypted to the contact's key) through the
real outbound queue and an aiosmtpd sink; the tick schedules them by
interval; test mode, TLP:AMBER and TLP:RED rules, the bound per digest,
resend, send-now and the read rights of the notifications API."""
import concurrent.futures as cf
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest

import csirtd_testlib as lib
from csirtd_testlib import assert_problem, paginate, wait_until
from mailservers import SmtpSink

SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"
GPG = shutil.which("gpg")

pytestmark = [
    pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(),
                       reason=f"shared data not found under {SHARED}"),
    pytest.mark.skipif(GPG is None, reason="gpg is installed by make check"),
]

PW = "correct horse battery staple"
TEAM = "cert@migjorn.example"
MAX_EVENTS = 40  # [notify] max_events: the digests of a report are split
LEAD = ["time.source", "source.ip", "source.port", "source.asn", "source.fqdn",
        "source.reverse_dns", "classification.taxonomy", "classification.type",
        "classification.identifier", "feed.name", "malware.name",
        "protocol.application", "protocol.transport"]


def gpg(home, *args, input=None, check=True):
    env = dict(os.environ, GNUPGHOME=str(home))
    r = subprocess.run([GPG, "--batch", "--yes", "--pinentry-mode", "loopback",
                        "--passphrase", "", "--trust-model", "always", *args],
                       env=env, input=input, capture_output=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r


def make_key(home, uid):
    os.chmod(home, 0o700)
    gpg(home, "--quick-gen-key", uid, "ed25519", "sign", "never")
    out = gpg(home, "--with-colons", "--list-keys", uid).stdout.decode()
    fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
    gpg(home, "--quick-add-key", fpr, "cv25519", "encr", "never")
    return gpg(home, "--armor", "--export", fpr).stdout.decode()


def generate(path, rows, seed):
    subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed),
                    "-o", str(path)], check=True, timeout=300, capture_output=True)
    return path


def ingest(srv, path, tlp):
    r = srv.cli("ingest", "--feed", "shadowserver", "--schema", str(SCHEMA), str(path),
                env={"CSIRTD_EVENT_TLP": tlp}, timeout=600)
    assert r.returncode == 0, lib.describe(r)


def signed_parts(raw):
    m = message_from_bytes(raw, policy=policy.compat32)
    assert m.get_content_type() == "multipart/signed", m.get_content_type()
    boundary = m.get_boundary().encode()
    text = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    parts = text.split(b"\r\n--" + boundary)
    return parts[1][2:], parts[2].split(b"\r\n\r\n", 1)[1]


def open_mail(raw, tmp_path, verify_home, decrypt_home=None):
    """(encrypted, subject, body text, [(filename, csv text)]) of a digest,
    after checking its OpenPGP signature with the team key."""
    m = message_from_bytes(raw, policy=policy.compat32)
    subject = str(message_from_bytes(raw, policy=policy.default)["Subject"])
    encrypted = m.get_content_type() == "multipart/encrypted"
    if encrypted:
        assert decrypt_home is not None, "encrypted to a key the test lacks"
        dec = gpg(decrypt_home, "--decrypt",
                  input=m.get_payload()[1].get_payload(decode=True))
        assert b"Good signature" in dec.stderr, dec.stderr
        inner = message_from_bytes(dec.stdout, policy=policy.compat32)
    else:
        data, sig = signed_parts(raw)
        if verify_home is not None:
            (tmp_path / "data").write_bytes(data)
            (tmp_path / "sig.asc").write_bytes(sig)
            v = gpg(verify_home, "--verify", str(tmp_path / "sig.asc"),
                    str(tmp_path / "data"), check=False)
            assert v.returncode == 0, v.stderr
        inner = message_from_bytes(data, policy=policy.compat32)
    body, files = "", []
    for part in inner.walk():
        if part.get_filename():
            files.append((part.get_filename(), part.get_payload(decode=True).decode("utf-8")))
        elif part.get_content_type() == "text/plain":
            body += part.get_payload(decode=True).decode("utf-8")
    return encrypted, subject, body, files


def cell(v):
    if isinstance(v, bool):
        s = "true" if v else "false"
    elif v is None:
        s = ""
    elif isinstance(v, (dict, list)):
        s = json.dumps(v, separators=(",", ":"), sort_keys=True)
    else:
        s = str(v)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def csv_rows(text):
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def row_key(head, row):
    """A CSV row as its non-empty (column, cell) pairs: digests of the
    same events may have different columns."""
    assert len(row) == len(head)
    return tuple(sorted((h, v) for h, v in zip(head, row) if v != ""))


def digest_rows(text):
    head, rows = csv_rows(text)
    assert head[:len(LEAD)] == LEAD
    assert head[len(LEAD):] == sorted(head[len(LEAD):])
    assert "__type" not in head and len(set(head)) == len(head)
    return Counter(row_key(head, r) for r in rows)


def expected_rows(events):
    return Counter(tuple(sorted((k, cell(v)) for k, v in e["event"].items()
                                if k != "__type" and cell(v) != ""))
                   for e in events)


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    home = tmp_path_factory.mktemp("gpg-contact")
    public = make_key(home, "UNIV Seguretat <seguretat@univ.example>")
    yield {"home": home, "public": public}
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)))


@pytest.fixture(scope="module")
def srv(tmp_path_factory, bin_path, sink):
    tmp = tmp_path_factory.mktemp("notify")
    s = lib.Server(tmp / "data", {"CSIRTD_SMTP_URL": sink.url(), "CSIRTD_SMTP_TLS": "false",
                                  "CSIRTD_TEAM_CODE": "MIGJORN", "CSIRTD_TEAM_EMAIL": TEAM,
                                  "CSIRTD_TEAM_NAME": "CSIRT del Migjorn",
                                  "CSIRTD_NOTIFY_TICK": "1", "CSIRTD_NOTIFY_SETTLE": "0",
                                  "CSIRTD_NOTIFY_MAX_EVENTS": str(MAX_EVENTS),
                                  "CSIRTD_LOG_LEVEL": "debug"})
    s.init()
    s.start()
    s.create_user("hand", "handler", password=PW)
    s.create_user("view", "viewer", password=PW)
    yield s
    rc = s.stop()
    if s in lib.LIVE_SERVERS:
        lib.LIVE_SERVERS.remove(s)
    assert rc == 0, s.log_tail()
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(s.data / "gnupg")))


@pytest.fixture(scope="module")
def team_key(srv, tmp_path_factory):
    r = srv.cli("mail", "key", env=srv.env)
    assert r.returncode == 0, lib.describe(r)
    home = tmp_path_factory.mktemp("gpg-verify")
    os.chmod(home, 0o700)
    gpg(home, "--import", input=r.stdout.encode())
    return {"home": home, "public": r.stdout}


def ticks(srv):
    return srv.log_path.read_text(errors="replace").count('msg="notify tick"')


def wait_ticks(srv, n=2):
    """Lets the scheduler tick n more times (each tick is in the log)."""
    start = ticks(srv)
    wait_until(lambda: ticks(srv) >= start + n, 60, what=f"{n} notify ticks")


def notifications(api, **params):
    return paginate(api, "/api/v1/notifications", limit=500, params=params)[0]


def covered(api, org, address):
    return sum(n["events"] for n in notifications(api, org=org) if n["address"] == address)


def mails_to(sink, addr):
    return [raw for env, raw in sink.messages() if addr in env["rcpt_tos"]]


def events_of(api, org, tlp=None):
    evs = paginate(api, "/api/v1/events", limit=500, params={"org": org})[0]
    return [e for e in evs if tlp is None or e["tlp"] == tlp]


@pytest.fixture(scope="module")
def world(srv, sink, keys, team_key, tmp_path_factory):
    """UNIV (immediate; a Catalan contact with a key, a Spanish one
    without), TST (immediate, test mode; a French contact), HOSP (never;
    an English contact), and a first report at TLP:GREEN."""
    h = srv.session("hand", PW)
    gpg(keys["home"], "--import", input=team_key["public"].encode())
    ids = {}
    for short, body, asset in (
            ("UNIV", {"notify_interval": "immediate"}, {"kind": "cidr", "value": "198.18.0.0/16"}),
            ("TST", {"notify_interval": "immediate", "notify_test": True},
             {"kind": "cidr", "value": "198.19.0.0/17"}),
            ("HOSP", {"notify_interval": "never"}, {"kind": "asn", "value": "AS64501"})):
        r = h.post("/api/v1/orgs", json={"name": f"{short} org", "short_name": short, **body})
        assert r.status_code == 201, r.text
        for k, v in body.items():
            assert r.json()[k] == v
        ids[short] = r.json()["id"]
        assert h.post(f"/api/v1/orgs/{ids[short]}/assets", json=asset).status_code == 201
    contacts = {}
    for short, email, lang, key, role in (
            ("UNIV", "seguretat@univ.example", "ca", keys["public"], "security"),
            ("UNIV", "redes@univ.example", "es", None, "abuse"),
            ("UNIV", "rector@univ.example", "ca", None, "management"),
            ("TST", "rssi@tst.example", "fr", None, "security"),
            ("HOSP", "it@hosp.example", "en", None, "abuse")):
        body = {"email": email, "role": role, "language": lang}
        if key:
            body["pgp_key"] = key
        r = h.post(f"/api/v1/orgs/{ids[short]}/contacts", json=body)
        assert r.status_code == 201, r.text
        contacts[email] = r.json()["id"]
    d = tmp_path_factory.mktemp("feed")
    ingest(srv, generate(d / "2026-11-20-scan_http-country-geo.csv", 240, seed=11), "green")
    univ = events_of(h, "UNIV")
    assert len(univ) > MAX_EVENTS  # more than one digest
    wait_until(lambda: covered(h, "UNIV", "seguretat@univ.example") == len(univ)
               and covered(h, "UNIV", "redes@univ.example") == len(univ),
               120, what="UNIV's digests")
    _, pw = srv.create_user("univ1", "constituent", org="UNIV")
    return {"h": h, "ids": ids, "contacts": contacts, "dir": d,
            "con": srv.session("univ1", pw), "univ_green": univ}


def test_digests_in_the_contacts_language_with_the_events(world, srv, sink, keys, team_key,
                                                          tmp_path):
    h, univ = world["h"], world["univ_green"]
    sent = notifications(h, org="UNIV")
    # the security and abuse contacts; management gets no feed digests
    assert {n["address"] for n in sent} == {"seguretat@univ.example", "redes@univ.example"}
    assert not mails_to(sink, "rector@univ.example")
    # bounded: no digest carries more than max_events, and together they
    # carry each event once per contact
    assert all(0 < n["events"] <= MAX_EVENTS for n in sent)
    assert any(n["events"] == MAX_EVENTS for n in sent)
    for n in sent:
        assert n["feed"] == "shadowserver" and n["test"] is False
        assert n["created_by"] == "system" and n["mail"] is not None
        assert n["first_event"] <= n["last_event"]
        assert h.get(f"/api/v1/notifications/{n['id']}").json() == n
    wait_until(lambda: all(n["status"] == "sent" for n in notifications(h, org="UNIV")),
               60, what="digests marked sent")
    for addr, lang, home, phrase in (
            ("seguretat@univ.example", "ca", keys["home"], "esdeveniments relatius a les xarxes"),
            ("redes@univ.example", "es", None, "eventos relativos a las redes")):
        raws = mails_to(sink, addr)
        assert len(raws) == sum(1 for n in sent if n["address"] == addr)
        got = Counter()
        for raw in raws:
            encrypted, subject, body, files = open_mail(raw, tmp_path, team_key["home"], home)
            assert encrypted == (home is not None)
            if encrypted:  # nothing of the events is readable on the way
                assert b"198.18." not in raw
            assert subject.startswith("[MIGJORN] ") and "UNIV org" in subject
            assert message_from_bytes(raw)["Auto-Submitted"] == "auto-generated"
            assert phrase in body and "CSIRT del Migjorn" in body
            assert "TEST" not in subject
            (name, text), = files
            assert name.startswith("MIGJORN-UNIV-shadowserver-") and name.endswith(".csv")
            rows = digest_rows(text)
            got += rows
            assert f" {sum(rows.values())} " in subject
        assert got == expected_rows(univ), addr


def test_test_mode_goes_to_the_team(world, srv, sink, team_key, tmp_path):
    h = world["h"]
    tst = events_of(h, "TST")
    assert tst
    wait_until(lambda: sum(n["events"] for n in notifications(h, org="TST")) == len(tst),
               60, what="TST's test digests")
    sent = notifications(h, org="TST")
    assert all(n["test"] and n["address"] == TEAM for n in sent)
    assert all(n["contact"] == world["contacts"]["rssi@tst.example"] for n in sent)
    assert not mails_to(sink, "rssi@tst.example")
    wait_until(lambda: len([r for r in mails_to(sink, TEAM) if b"TST" in r]) >= len(sent),
               60, what="test digests at the team's address")
    raws = [r for r in mails_to(sink, TEAM)
            if "TST org" in str(message_from_bytes(r, policy=policy.default)["Subject"])]
    assert len(raws) == len(sent)
    got = Counter()
    for raw in raws:
        _, subject, body, files = open_mail(raw, tmp_path, team_key["home"])
        assert subject.startswith("[TEST] [MIGJORN] ")
        assert "mode test" in body and "rssi@tst.example" in body  # French
        got += digest_rows(files[0][1])
    assert got == expected_rows(tst)


def test_never_sends_nothing_and_a_tick_sends_nothing_twice(world, srv, sink):
    h = world["h"]
    before = len(sink.messages())
    n_before = len(notifications(h))
    wait_ticks(srv, 3)
    assert notifications(h, org="HOSP") == []
    assert not mails_to(sink, "it@hosp.example")
    assert len(notifications(h)) == n_before
    assert len(sink.messages()) == before


def test_amber_only_encrypted_red_never(world, srv, sink, keys, team_key, tmp_path):
    h = world["h"]
    n_before = {n["id"] for n in notifications(h)}
    ingest(srv, generate(world["dir"] / "2026-11-21-scan_http-country-geo.csv", 120, seed=12),
           "amber")
    amber = events_of(h, "UNIV", "amber")
    assert amber
    wait_until(lambda: covered(h, "UNIV", "seguretat@univ.example")
               == len(world["univ_green"]) + len(amber), 120, what="the AMBER digests")
    new = [n for n in notifications(h) if n["id"] not in n_before]
    # the keyless Spanish contact gets nothing of it: all went encrypted
    assert not [n for n in new if n["address"] == "redes@univ.example"]
    # TST's only contact has no key: its AMBER events are withheld, recorded
    tst_amber = events_of(h, "TST", "amber")
    wait_until(lambda: sum(n["events"] for n in notifications(h, org="TST")
                           if n["status"] == "withheld") == len(tst_amber),
               60, what="TST's withheld events")
    withheld = [n for n in notifications(h, org="TST") if n["status"] == "withheld"]
    assert all(n["address"] == "" and n["mail"] is None and n["contact"] is None
               for n in withheld)
    audit = srv.admin().get("/api/v1/audit", params={"action": "notification.withheld"})
    assert audit.status_code == 200 and audit.json()["items"]
    # RED events are never mailed
    ingest(srv, generate(world["dir"] / "2026-11-22-scan_http-country-geo.csv", 60, seed=13),
           "red")
    assert events_of(h, "UNIV", "red")
    seen = {n["id"] for n in notifications(h)}
    mails = len(sink.messages())
    wait_ticks(srv, 3)
    assert {n["id"] for n in notifications(h)} == seen
    assert len(sink.messages()) == mails


def test_resend(world, srv, sink, keys, team_key, tmp_path):
    h = world["h"]
    c = world["contacts"]
    green = [n for n in notifications(h, org="UNIV")
             if n["address"] == "seguretat@univ.example" and n["first_event"]
             <= world["univ_green"][0]["id"]][-1]
    # to another contact of the organisation: the same events
    before = len(mails_to(sink, "redes@univ.example"))
    r = h.post(f"/api/v1/notifications/{green['id']}/resend",
               json={"contact": c["redes@univ.example"]})
    assert r.status_code == 201, r.text
    again = r.json()
    assert again["resent_from"] == green["id"] and again["created_by"] == "hand"
    assert again["address"] == "redes@univ.example" and again["events"] == green["events"]
    assert (again["first_event"], again["last_event"]) == (green["first_event"],
                                                           green["last_event"])
    raws = wait_until(lambda: mails_to(sink, "redes@univ.example")[before:], 60,
                      what="the resent digest")
    _, _, body, files = open_mail(raws[-1], tmp_path, team_key["home"])
    assert sum(digest_rows(files[0][1]).values()) == green["events"]
    # a handler may send it to any contact, management included
    r = h.post(f"/api/v1/notifications/{green['id']}/resend",
               json={"contact": c["rector@univ.example"]})
    assert r.status_code == 201 and r.json()["address"] == "rector@univ.example"
    # to its own contact, without a body
    r = h.post(f"/api/v1/notifications/{green['id']}/resend")
    assert r.status_code == 201, r.text
    assert r.json()["address"] == "seguretat@univ.example"
    # AMBER events never go unencrypted, even on request
    amber = [n for n in notifications(h, org="UNIV")
             if n["address"] == "seguretat@univ.example" and n["resent_from"] is None][0]
    assert amber["first_event"] > world["univ_green"][0]["id"]
    assert_problem(h.post(f"/api/v1/notifications/{amber['id']}/resend",
                          json={"contact": c["redes@univ.example"]}), 409)
    # a contact of another organisation, a withheld one without a contact
    assert_problem(h.post(f"/api/v1/notifications/{green['id']}/resend",
                          json={"contact": c["it@hosp.example"]}), 400)
    withheld = [n for n in notifications(h, org="TST") if n["status"] == "withheld"][0]
    assert_problem(h.post(f"/api/v1/notifications/{withheld['id']}/resend"), 409)
    assert_problem(h.post(f"/api/v1/notifications/{green['id']}/resend",
                          json={"contact": "x"}), 400)
    assert_problem(h.post("/api/v1/notifications/999999/resend"), 404)
    audit = srv.admin().get("/api/v1/audit", params={"action": "notification.resend"})
    assert len(audit.json()["items"]) == 3


def test_send_now_overrides_never(world, srv, sink, team_key, tmp_path):
    h = world["h"]
    hosp = world["ids"]["HOSP"]
    r = h.post(f"/api/v1/orgs/{hosp}/notify", json={})
    assert r.status_code == 202, r.text
    assert r.json()["feeds"] == ["shadowserver"] and len(r.json()["jobs"]) == 1
    green = events_of(h, "HOSP", "green")
    amber = events_of(h, "HOSP", "amber")
    assert green and amber
    wait_until(lambda: sum(n["events"] for n in notifications(h, org="HOSP"))
               == len(green) + len(amber), 120, what="HOSP's digests")
    sent = notifications(h, org="HOSP")
    assert sum(n["events"] for n in sent if n["address"] == "it@hosp.example") == len(green)
    assert sum(n["events"] for n in sent if n["status"] == "withheld") == len(amber)
    assert all(n["created_by"] == "hand" for n in sent)
    raws = wait_until(lambda: mails_to(sink, "it@hosp.example"), 60, what="HOSP's mail")
    got = Counter()
    for raw in raws:
        _, subject, body, files = open_mail(raw, tmp_path, team_key["home"])
        assert "security events concerning HOSP org" in subject
        got += digest_rows(files[0][1])
    assert got == expected_rows(green)
    # nothing new: nothing to send
    r = h.post(f"/api/v1/orgs/{hosp}/notify")
    assert r.status_code == 202 and r.json()["feeds"] == []
    assert_problem(h.post(f"/api/v1/orgs/{hosp}/notify", json={"feed": 3}), 400)
    assert_problem(h.post("/api/v1/orgs/999999/notify"), 404)
    audit = srv.admin().get("/api/v1/audit", params={"action": "org.notify"})
    assert len(audit.json()["items"]) == 2


def test_rights(world, srv):
    h, con = world["h"], world["con"]
    mine = notifications(con)
    assert mine and all(n["org"] == "UNIV" for n in mine)
    assert len(mine) == len(notifications(h, org="UNIV"))
    other = notifications(h, org="HOSP")[0]
    assert_problem(con.get(f"/api/v1/notifications/{other['id']}"), 404)
    assert_problem(con.get("/api/v1/notifications", params={"org": "HOSP"}), 404)
    assert con.get(f"/api/v1/notifications/{mine[0]['id']}").status_code == 200
    assert_problem(con.post(f"/api/v1/notifications/{mine[0]['id']}/resend"), 403)
    assert_problem(con.post(f"/api/v1/orgs/{world['ids']['UNIV']}/notify"), 403)
    view = srv.session("view", PW)
    assert len(notifications(view)) == len(notifications(h))
    assert_problem(view.post(f"/api/v1/notifications/{mine[0]['id']}/resend"), 403)
    r = h.get("/api/v1/notifications", params={"format": "csv", "org": "UNIV", "limit": 5})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == 5


def test_org_notify_settings(world, srv):
    h = world["h"]
    oid = world["ids"]["HOSP"]
    r = h.get(f"/api/v1/orgs/{oid}")
    assert r.json()["notify_interval"] == "never" and r.json()["notify_test"] is False
    r = h.patch(f"/api/v1/orgs/{oid}", json={"notify_interval": "hourly", "notify_test": True})
    assert r.status_code == 200, r.text
    assert r.json()["notify_interval"] == "hourly" and r.json()["notify_test"] is True
    r = h.patch(f"/api/v1/orgs/{oid}", json={"notes": "x"})
    assert r.json()["notify_interval"] == "hourly" and r.json()["notify_test"] is True
    for bad in ({"notify_interval": "weekly"}, {"notify_test": "yes"}):
        assert_problem(h.patch(f"/api/v1/orgs/{oid}", json=bad), 400)
    assert_problem(h.post("/api/v1/orgs", json={"name": "x", "short_name": "X1",
                                               "notify_interval": "monthly"}), 400)
    r = h.patch(f"/api/v1/orgs/{oid}", json={"notify_interval": "never", "notify_test": False})
    assert r.status_code == 200
    audit = srv.admin().get("/api/v1/audit", params={"action": "org.update"}).json()["items"]
    assert any(a["detail"].get("notify_interval") == "hourly" for a in audit)


def test_no_relay_no_digests(server_factory):
    """Without [mail] smtp_url nothing could be delivered: the tick
    schedules nothing and a handler's send-now or resend is refused."""
    s = server_factory()
    a = s.admin()
    r = a.post("/api/v1/orgs", json={"name": "Quiet", "short_name": "QUIET",
                                     "notify_interval": "immediate"})
    assert r.status_code == 201, r.text
    assert_problem(a.post(f"/api/v1/orgs/{r.json()['id']}/notify"), 409)
    assert a.get("/api/v1/notifications").json() == {"items": [], "next_cursor": None}


# ---- exactly once: a crash, two processes --------------------------------

def notify_env(sink, **extra):
    env = {"CSIRTD_SMTP_URL": sink.url(), "CSIRTD_SMTP_TLS": "false",
           "CSIRTD_TEAM_EMAIL": TEAM, "CSIRTD_NOTIFY_TICK": "1",
           "CSIRTD_NOTIFY_SETTLE": "0", "CSIRTD_JOB_LEASE": "10",
           "CSIRTD_LOG_LEVEL": "debug"}
    env.update(extra)
    return env


def one_org(api, short, cidr, contacts):
    r = api.post("/api/v1/orgs", json={"name": f"{short} org", "short_name": short,
                                       "notify_interval": "immediate"})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    assert api.post(f"/api/v1/orgs/{oid}/assets",
                    json={"kind": "cidr", "value": cidr}).status_code == 201
    for addr in contacts:
        assert api.post(f"/api/v1/orgs/{oid}/contacts",
                        json={"email": addr, "role": "abuse", "language": "en"}
                        ).status_code == 201
    return oid


def assert_exactly_once(api, sink, org, addr, events, tmp_path):
    """Every event of org in exactly one digest to addr: the notification
    rows cover it once (disjoint id ranges), and the mails (a mail may be
    delivered twice with one Message-ID after a crash) carry it once."""
    notes = sorted((n for n in notifications(api, org=org) if n["address"] == addr),
                   key=lambda n: n["first_event"])
    assert sum(n["events"] for n in notes) == len(events)
    for a, b in zip(notes, notes[1:]):
        assert a["last_event"] < b["first_event"], (a, b)
    wait_until(lambda: all(n["status"] == "sent"
                           for n in notifications(api, org=org) if n["address"] == addr),
               120, what=f"{org}'s digests sent")
    unique = {}
    for raw in mails_to(sink, addr):
        mid = message_from_bytes(raw, policy=policy.default)["Message-ID"]
        unique[mid] = raw
    assert len(unique) == len(notes)
    got = Counter()
    for raw in unique.values():
        got += digest_rows(open_mail(raw, tmp_path, None)[3][0][1])
    assert got == expected_rows(events)


def test_kill_during_digests_sends_each_event_once(server_factory, sink, tmp_path):
    s = server_factory(env=notify_env(sink, CSIRTD_NOTIFY_MAX_EVENTS="3"))
    a = s.admin()
    one_org(a, "CRASH", "198.18.0.0/16", ["noc@crash.example"])
    ingest(s, generate(tmp_path / "2026-11-24-scan_http-country-geo.csv", 240, seed=21),
           "green")
    events = events_of(a, "CRASH")
    assert len(events) > 3 * 4
    # kill -9 as soon as the first digests are committed, mid-stream
    wait_until(lambda: notifications(a, org="CRASH"), 60, interval=0.02,
               what="the first digest")
    s.kill()
    s.start()
    a = s.admin()
    wait_until(lambda: covered(a, "CRASH", "noc@crash.example") >= len(events), 120,
               what="the rest of the digests")
    wait_ticks(s, 3)
    assert_exactly_once(a, sink, "CRASH", "noc@crash.example", events, tmp_path)


@pytest.mark.skipif(not lib.PG_BASE, reason="needs CSIRTD_TEST_PG (PostgreSQL)")
def test_two_processes_send_each_event_once(server_factory, sink, tmp_path):
    """Two csirtd processes on one PostgreSQL database both tick, and
    handlers press "send now" on both at once: each event still goes out
    in one digest."""
    env = notify_env(sink, CSIRTD_NOTIFY_MAX_EVENTS="4", CSIRTD_WORKERS="3")
    s1 = server_factory(env=env)
    env2 = dict(env, CSIRTD_DATABASE=s1.env["CSIRTD_DATABASE"])
    s2 = server_factory(env=env2, init=False, start=False)
    s2.data.mkdir(parents=True, exist_ok=True)
    shutil.copytree(s1.data / "gnupg", s2.data / "gnupg",  # one team key
                    ignore=shutil.ignore_patterns("S.*"))
    s2.start()
    a1 = s1.admin()
    tok = s1.admin_token()
    a2 = lib.Api(s2.base, tok)
    oid = one_org(a1, "DUO", "198.18.0.0/16", ["a@duo.example", "b@duo.example"])
    ingest(s1, generate(tmp_path / "2026-11-25-scan_http-country-geo.csv", 240, seed=22),
           "green")
    events = events_of(a1, "DUO")
    assert len(events) > 4 * 4
    def push(i):
        c = a1 if i % 2 else a2
        if i < 4:  # send-now: one job per caller and feed at a time
            return c.post(f"/api/v1/orgs/{oid}/notify")
        # digest jobs that differ only by who asked: they run at once on
        # the six workers and race for the same cursor
        return c.post("/api/v1/jobs", json={"kind": "notify.digest", "payload": {
            "org": oid, "feed": "shadowserver", "by": f"racer{i}"}})

    with cf.ThreadPoolExecutor(max_workers=6) as ex:
        rs = list(ex.map(push, range(24)))
    assert all(r.status_code == 202 for r in rs), [r.text for r in rs]
    for addr in ("a@duo.example", "b@duo.example"):
        wait_until(lambda: covered(a1, "DUO", addr) >= len(events), 120,
                   what=f"digests to {addr}")
    wait_ticks(s1, 3)
    wait_ticks(s2, 1)
    for addr in ("a@duo.example", "b@duo.example"):
        assert_exactly_once(a1, sink, "DUO", addr, events, tmp_path)
    # both processes did digest work
    logs = [x.log_path.read_text(errors="replace") for x in (s1, s2)]
    assert all("kind=notify.digest" in t for t in logs)
