"""E-mail in and out, end to end, with real parts: `csirtd mailgate` and
IMAP polling of a private Dovecot for what comes in; an aiosmtpd sink as the
relay for what goes out; real GnuPG keys made per run for OpenPGP."""
import hashlib
import os
import re
import shutil
import subprocess
import time
from email import message_from_bytes, policy
from email.utils import make_msgid

import pytest

import csirtd_testlib as lib
from csirtd_testlib import assert_problem, paginate, wait_until
from mailservers import Dovecot, SmtpSink

GPG = shutil.which("gpg")
pytestmark = pytest.mark.skipif(GPG is None, reason="gpg is installed by make check")
PW = "correct horse battery staple"
CORPUS = os.path.join(os.path.dirname(__file__), "..", "unit", "mail")


def gpg(home, *args, input=None, check=True):
    env = dict(os.environ, GNUPGHOME=str(home))
    r = subprocess.run([GPG, "--batch", "--yes", "--pinentry-mode", "loopback",
                        "--passphrase", "", "--trust-model", "always", *args],
                       env=env, input=input, capture_output=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r


def fingerprint(home, uid):
    out = gpg(home, "--with-colons", "--list-keys", uid).stdout.decode()
    return [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A reporter's key pair and an ISP contact's key pair, each in its own
    home (the contact's secret key decrypts what csirtd sends it)."""
    out = {}
    for name, uid in (("reporter", "Maria Reporter <maria@example.net>"),
                      ("contact", "ISP Abuse <abuse@isp.example>")):
        home = tmp_path_factory.mktemp(f"gpg-{name}")
        os.chmod(home, 0o700)
        gpg(home, "--quick-gen-key", uid, "ed25519", "sign", "never")
        fpr = fingerprint(home, uid)
        gpg(home, "--quick-add-key", fpr, "cv25519", "encr", "never")
        out[name] = {"home": home, "fpr": fpr,
                     "public": gpg(home, "--armor", "--export", fpr).stdout.decode()}
    yield out
    for k in out.values():
        subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(k["home"])))


@pytest.fixture(scope="module")
def srv(tmp_path_factory, bin_path, sink):
    tmp = tmp_path_factory.mktemp("mail")
    s = lib.Server(tmp / "data", {"CSIRTD_SMTP_URL": sink.url(), "CSIRTD_SMTP_TLS": "false",
                                  "CSIRTD_TEAM_CODE": "MIGJORN",
                                  "CSIRTD_TEAM_EMAIL": "cert@migjorn.example",
                                  "CSIRTD_TEAM_NAME": "CSIRT del Migjorn",
                                  "CSIRTD_JOB_MAX_ATTEMPTS": "3"})
    s.init()
    s.start()
    s.create_user("hand", "handler", password=PW)
    yield s
    rc = s.stop()
    if s in lib.LIVE_SERVERS:
        lib.LIVE_SERVERS.remove(s)
    assert rc == 0, s.log_tail()
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(s.data / "gnupg")))


@pytest.fixture(scope="module")
def h(srv):
    return srv.session("hand", PW)


@pytest.fixture(scope="module")
def team_key(srv, tmp_path_factory):
    """The team's public key, as `csirtd mail key` prints it, imported into
    a home of its own for verifying what csirtd signs."""
    r = srv.cli("mail", "key", env=srv.env)
    assert r.returncode == 0, lib.describe(r)
    assert "BEGIN PGP PUBLIC KEY BLOCK" in r.stdout
    home = tmp_path_factory.mktemp("gpg-verify")
    os.chmod(home, 0o700)
    gpg(home, "--import", input=r.stdout.encode())
    return {"home": home, "public": r.stdout}


def mailgate(srv, raw, *args):
    data = raw if isinstance(raw, bytes) else raw.encode()
    env = dict(os.environ)
    env.update({k: v for k, v in srv.env.items()})
    env["CSIRTD_DATA"] = str(srv.data)
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate", *args], input=data, env=env,
                       capture_output=True, timeout=120, cwd=str(srv.data))
    return r


def outcome(r):
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    line = r.stdout.decode().strip()
    fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return line.split()[0], fields


def plain(subject, body, sender="Maria <maria@example.net>", msgid=None, extra="",
          lang=None):
    msgid = msgid or make_msgid(domain="example.net")
    lines = [f"From: {sender}", "To: cert@migjorn.example", f"Subject: {subject}",
             "Date: Mon, 23 Nov 2026 10:00:00 +0100", f"Message-ID: {msgid}",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit"]
    if lang:
        lines.append(f"Content-Language: {lang}")
    if extra:
        lines.append(extra.rstrip("\n"))
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode(), msgid


def sent_to(sink, addr, n=1, timeout=30):
    def got():
        return [m for m in sink.messages() if addr in m[0]["rcpt_tos"]]
    wait_until(lambda: len(got()) >= n, timeout, what=f"{n} mail(s) to {addr}")
    return got()


def signed_parts(raw):
    """(signed bytes, signature) of a multipart/signed message, exactly as
    RFC 3156 defines them: the first part with its headers, CRLF line ends,
    up to the CRLF before the boundary."""
    m = message_from_bytes(raw, policy=policy.compat32)
    assert m.get_content_type() == "multipart/signed", m.get_content_type()
    assert m.get_param("micalg") == "pgp-sha256"
    boundary = m.get_boundary().encode()
    text = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    parts = text.split(b"\r\n--" + boundary)
    first = parts[1]
    assert first.startswith(b"\r\n")
    signature = parts[2].split(b"\r\n\r\n", 1)[1]
    return first[2:], signature


def verify(home, raw, tmp_path):
    data, sig = signed_parts(raw)
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "sig.asc").write_bytes(sig)
    return gpg(home, "--verify", str(tmp_path / "sig.asc"), str(tmp_path / "data"),
               check=False)


# ---- inbound -------------------------------------------------------------

def test_new_report_acknowledged_in_its_language(srv, h, sink, team_key, tmp_path):
    raw, msgid = plain("Pàgina falsa del banc", "Hola, he rebut un correu que "
                       "porta a hxxp://banc-login[.]example/entrar avui.", lang="ca")
    kind, f = outcome(mailgate(srv, raw))
    assert kind == "report" and f["report"].startswith("MIGJORN-R-")
    rid = int(f["report"].rsplit("-", 1)[1])
    r = h.get(f"/api/v1/reports/{rid}").json()
    assert r["source"] == "email" and r["reporter"] == "maria@example.net"
    assert r["subject"] == "Pàgina falsa del banc" and r["language"] == "ca"
    assert "banc-login[.]example" in r["body"] and "not encrypted, not signed" in r["body"]
    sug = h.get(f"/api/v1/reports/{rid}/observables").json()["items"]
    assert {"type": "url", "value": "http://banc-login.example/entrar"} in sug
    # the acknowledgement: Catalan, threaded, auto-submitted, signed
    env, ack = sent_to(sink, "maria@example.net")[-1]
    assert env["mail_from"] == "cert@migjorn.example"
    m = message_from_bytes(ack, policy=policy.default)
    assert m["Subject"].startswith(f"[MIGJORN #{f['report']}] Re: Pàgina falsa")
    assert m["In-Reply-To"] == msgid and msgid in m["References"]
    assert m["Auto-Submitted"] == "auto-replied"
    body = [p for p in m.walk() if p.get_content_type() == "text/plain"][0].get_content()
    assert "Gràcies per la vostra notificació" in body and f["report"] in body
    assert verify(team_key["home"], ack, tmp_path).returncode == 0
    # the mail is listed, with the acknowledgement
    inbound = h.get("/api/v1/mail", params={"direction": "in"}).json()["items"]
    assert any(x["report"] == rid and x["state"] == "received" for x in inbound)
    wait_until(lambda: any(x["report"] == rid and x["state"] == "sent" for x in
                           h.get("/api/v1/mail", params={"direction": "out"}).json()["items"]),
               30, what="acknowledgement marked sent")


def test_tampered_ack_fails_verification(srv, sink, team_key, tmp_path):
    raw, _ = plain("Another report", "text", sender="x@example.org")
    outcome(mailgate(srv, raw))
    _, ack = sent_to(sink, "x@example.org")[-1]
    data, sig = signed_parts(ack)
    (tmp_path / "sig.asc").write_bytes(sig)
    (tmp_path / "data").write_bytes(data)
    assert gpg(team_key["home"], "--verify", str(tmp_path / "sig.asc"),
               str(tmp_path / "data"), check=False).returncode == 0
    i = data.index(b"MIGJORN-R-")
    (tmp_path / "data").write_bytes(data[:i] + b"X" + data[i + 1:])
    assert gpg(team_key["home"], "--verify", str(tmp_path / "sig.asc"),
               str(tmp_path / "data"), check=False).returncode != 0


def no_mail_queued(h):
    wait_until(lambda: not h.get("/api/v1/mail", params={"state": "queued"}).json()["items"],
               30, what="outbound queue drained")


def test_reply_by_tag_and_by_references_joins_the_incident(srv, h, sink):
    raw, msgid = plain("Phishing kit on our server", "See hxxps://evil[.]example/kit.zip",
                       sender="abuse@hoster.example")
    _, f = outcome(mailgate(srv, raw))
    rid = int(f["report"].rsplit("-", 1)[1])
    t = h.post(f"/api/v1/reports/{rid}:triage", json={"action": "new-incident"})
    assert t.status_code == 200, t.text
    ref = t.json()["incident"]["ref"]
    # a reply to our acknowledgement, by References only
    _, ack = sent_to(sink, "abuse@hoster.example")[-1]
    ack_id = message_from_bytes(ack, policy=policy.default)["Message-ID"]
    reply, _ = plain("Re: your message", "We removed the kit.", sender="abuse@hoster.example",
                     extra=f"In-Reply-To: {ack_id}\r\nReferences: {msgid} {ack_id}")
    kind, g = outcome(mailgate(srv, reply))
    assert kind == "reply" and g["incident"] == ref
    # a message with the subject tag, from someone new
    tagged, _ = plain(f"[MIGJORN #{ref}] more", "Second hoster answering.",
                      sender="noc@other.example")
    kind, g = outcome(mailgate(srv, tagged))
    assert kind == "reply" and g["incident"] == ref
    journal, _ = paginate(h, f"/api/v1/incidents/{ref}/entries")
    bodies = [e["body"] for e in journal if e["kind"] == "correspondence"]
    assert any("We removed the kit." in b for b in bodies)
    assert any("Second hoster answering." in b for b in bodies)
    threads = h.get(f"/api/v1/incidents/{ref}/threads").json()["items"]
    assert {t["counterpart"] for t in threads} >= {"abuse@hoster.example", "noc@other.example"}
    # the reporter got one acknowledgement, not one per reply
    assert len(sent_to(sink, "abuse@hoster.example")) == 1
    # a tag naming an incident that does not exist opens a report
    kind, _ = outcome(mailgate(srv, plain("[MIGJORN #MIGJORN-1999-999999] hi", "x")[0]))
    assert kind == "report"


def test_auto_reply_and_bounce_open_nothing(srv, h, sink):
    no_mail_queued(h)
    before = len(sink.messages())
    reports = len(paginate(h, "/api/v1/reports")[0])
    ooo, _ = plain("Out of office", "I am away.", sender="away@example.org",
                   extra="Auto-Submitted: auto-replied")
    assert outcome(mailgate(srv, ooo))[0] == "ignored"
    bounce = (b"From: MAILER-DAEMON@mx.example.org\r\nTo: cert@migjorn.example\r\n"
              b"Subject: Undelivered Mail Returned to Sender\r\nReturn-Path: <>\r\n"
              b"Message-ID: <b1@mx.example.org>\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
              b"--B\r\nContent-Type: text/plain\r\n\r\nmailbox unavailable\r\n"
              b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
              b"Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
              b"--B--\r\n")
    assert outcome(mailgate(srv, bounce))[0] == "ignored"
    time.sleep(1.5)
    assert len(sink.messages()) == before, "nothing answers an automatic mail"
    assert len(paginate(h, "/api/v1/reports")[0]) == reports
    ignored = h.get("/api/v1/mail", params={"state": "ignored"}).json()["items"]
    assert {m["sender"].lower() for m in ignored} >= {"away@example.org",
                                                       "mailer-daemon@mx.example.org"}


def test_auto_reply_to_resolved_incident_does_not_reopen(srv, h):
    inc = h.post("/api/v1/incidents", json={"title": "Closed case"}).json()
    ref = inc["ref"]
    r = h.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved", "resolution": "fixed"},
                headers={"If-Match": h.get(f"/api/v1/incidents/{ref}").headers["ETag"]})
    assert r.status_code == 200, r.text
    ooo, _ = plain(f"[MIGJORN #{ref}] Automatic reply", "Away until Monday.",
                   extra="Auto-Submitted: auto-replied")
    kind, f = outcome(mailgate(srv, ooo))
    assert kind == "reply" and f["incident"] == ref
    assert h.get(f"/api/v1/incidents/{ref}").json()["status"] == "resolved"
    journal, _ = paginate(h, f"/api/v1/incidents/{ref}/entries")
    assert any(e["kind"] == "note" and "Away until Monday." in e["body"] for e in journal)
    # a human reply reopens it
    human, _ = plain(f"[MIGJORN #{ref}] still broken", "It is back.")
    outcome(mailgate(srv, human))
    assert h.get(f"/api/v1/incidents/{ref}").json()["status"] == "open"


def test_attachments_stored_by_hash(srv, h):
    blob = bytes(range(256)) * 40
    b64 = __import__("base64").encodebytes(blob).replace(b"\n", b"\r\n")
    raw = (b"From: soc@uni.example\r\nTo: cert@migjorn.example\r\nSubject: pcap attached\r\n"
           b"Message-ID: <att1@uni.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n--X\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nCapture attached.\r\n--X\r\n"
           b"Content-Type: application/vnd.tcpdump.pcap\r\n"
           b"Content-Disposition: attachment; filename=\"../../etc/capture.pcap\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--X--\r\n")
    kind, f = outcome(mailgate(srv, raw))
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["attachments"] == [{"n": 1, "filename": "capture.pcap",
                                 "content_type": "application/vnd.tcpdump.pcap",
                                 "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}]
    d = h.get(f"/api/v1/mail/{f['mail']}/attachments/1")
    assert d.status_code == 200 and d.content == blob
    assert d.headers["Content-Type"] == "application/octet-stream"
    assert 'filename="capture.pcap"' in d.headers["Content-Disposition"]
    assert h.get(f"/api/v1/mail/{f['mail']}/raw").content == raw
    assert_problem(h.get(f"/api/v1/mail/{f['mail']}/attachments/2"), 404)
    rep = h.get(f"/api/v1/reports/{f['report'].rsplit('-', 1)[1]}").json()
    assert hashlib.sha256(blob).hexdigest() in rep["body"]


def test_unreadable_and_oversize_go_to_quarantine(srv, h):
    nested = b"From: x@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    nested += b"Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
    for i in range(1, 50):
        nested += f"--b{i-1}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n".encode()
    nested += b"--b49\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    kind, f = outcome(mailgate(srv, nested))
    assert kind == "quarantined" and "nest" in f["reason"]
    q = h.get("/api/v1/mail", params={"state": "quarantined"}).json()["items"]
    got = [m for m in q if m["id"] == int(f["mail"])][0]
    assert got["subject"] == "deep" and got["error"]
    assert h.get(f"/api/v1/mail/{f['mail']}/raw").content == nested


def test_same_message_twice_is_taken_once(srv, h):
    raw, _ = plain("Duplicate delivery", "once", sender="dup@example.org")
    k1, f1 = outcome(mailgate(srv, raw))
    k2, f2 = outcome(mailgate(srv, raw))
    assert k1 == "report" and k2 == "duplicate" and f2["mail"] == f1["mail"]


def test_mailgate_bad_use_and_temporary_failure(srv, tmp_path):
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate", "--bogus"], capture_output=True,
                       env=dict(os.environ, CSIRTD_DATA=str(srv.data)), timeout=60)
    assert r.returncode == 2
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate"], input=b"", capture_output=True,
                       env=dict(os.environ, CSIRTD_DATA=str(srv.data)), timeout=60)
    assert r.returncode != 0
    # the database cannot be opened: the MTA must retry (EX_TEMPFAIL)
    bad = tmp_path / "ro"
    bad.mkdir()
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate"], input=plain("x", "y")[0],
                       capture_output=True, timeout=60,
                       env=dict(os.environ, CSIRTD_DATA=str(bad),
                                CSIRTD_DATABASE="sqlite:/nonexistent/dir/csirtd.db"))
    assert r.returncode == 75, r.stderr


# ---- inbound OpenPGP -----------------------------------------------------

def pgp_mime_encrypted(inner, recipient_public, signer_home, tmp_path):
    home = tmp_path / "enc"
    home.mkdir(mode=0o700, exist_ok=True)
    shutil.copytree(signer_home, home, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("S.*"))
    gpg(home, "--import", input=recipient_public.encode())
    rcpt = [l.split(":")[9] for l in gpg(home, "--with-colons", "--list-keys",
                                         "cert@migjorn.example").stdout.decode().splitlines()
            if l.startswith("fpr:")][0]
    enc = gpg(home, "--armor", "--sign", "--encrypt", "-r", rcpt, input=inner).stdout
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)))
    return (b"From: Maria <maria@example.net>\r\nTo: cert@migjorn.example\r\n"
            b"Subject: encrypted report\r\nMessage-ID: <enc1@example.net>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
            b"boundary=\"E\"\r\n\r\n--E\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
            b"Version: 1\r\n\r\n--E\r\nContent-Type: application/octet-stream\r\n\r\n"
            + enc + b"\r\n--E--\r\n")


def test_encrypted_and_signed_report(srv, h, keys, team_key, tmp_path):
    inner = (b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
             b"Secret: the C2 is at 203.0.113.77 port 8443.\r\n")
    raw = pgp_mime_encrypted(inner, team_key["public"], keys["reporter"]["home"], tmp_path)
    kind, f = outcome(mailgate(srv, raw))
    assert kind == "report"
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["encrypted"] is True
    # the reporter's key is not in the team keyring: unknown, never "good"
    assert m["signature"] == "unknown_key"
    rep = h.get(f"/api/v1/reports/{f['report'].rsplit('-', 1)[1]}").json()
    assert "203.0.113.77" in rep["body"] and "encrypted" in rep["body"]


def test_encrypted_to_another_key_is_quarantined(srv, h, keys, tmp_path):
    inner = b"Content-Type: text/plain\r\n\r\nnot for you\r\n"
    # encrypt to the contact's key only
    home = tmp_path / "enc2"
    home.mkdir(mode=0o700)
    gpg(home, "--import", input=keys["contact"]["public"].encode())
    enc = gpg(home, "--armor", "--encrypt", "-r", keys["contact"]["fpr"], input=inner).stdout
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)))
    raw = (b"From: m@example.net\r\nSubject: wrong key\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
           b"boundary=\"E\"\r\n\r\n--E\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
           b"Version: 1\r\n\r\n--E\r\nContent-Type: application/octet-stream\r\n\r\n"
           + enc + b"\r\n--E--\r\n")
    kind, f = outcome(mailgate(srv, raw))
    assert kind == "quarantined" and "decrypt" in f["reason"]


# ---- outbound ------------------------------------------------------------

def incident(h, **kw):
    r = h.post("/api/v1/incidents", json={"title": "Defaced web site", **kw})
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def test_send_in_thread_signed_and_threaded(srv, h, sink, team_key, tmp_path):
    ref = incident(h, tlp="GREEN")
    t = h.post(f"/api/v1/incidents/{ref}/threads",
               json={"kind": "third_party", "address": "abuse@hosting.example", "language": "es"})
    assert t.status_code == 201, t.text
    tid = t.json()["id"]
    assert_problem(h.post(f"/api/v1/incidents/{ref}/threads",
                          json={"kind": "third_party", "address": "abuse@hosting.example"}), 409)
    r = h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages",
               json={"template": "request", "text": "Please take down /wp-admin/x.php."})
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["state"] == "queued" and first["encrypted"] is False
    env, raw = sent_to(sink, "abuse@hosting.example")[-1]
    m = message_from_bytes(raw, policy=policy.default)
    assert m["Subject"] == f"[MIGJORN #{ref}] Solicitud de colaboración: Defaced web site"
    assert m["Content-Language"] == "es"
    assert verify(team_key["home"], raw, tmp_path).returncode == 0
    wait_until(lambda: h.get(f"/api/v1/mail/{first['id']}").json()["state"] == "sent", 30,
               what="mail marked sent")
    # the second message answers the first
    r = h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages",
               json={"text": "Any news?"})
    assert r.status_code == 202, r.text
    env, raw2 = sent_to(sink, "abuse@hosting.example", 2)[-1]
    m2 = message_from_bytes(raw2, policy=policy.default)
    assert m2["In-Reply-To"] == f"<{first['message_id']}>" or \
        m2["In-Reply-To"] == first["message_id"]
    msgs = h.get(f"/api/v1/incidents/{ref}/threads/{tid}/messages").json()["items"]
    assert len(msgs) == 2
    journal, _ = paginate(h, f"/api/v1/incidents/{ref}/entries")
    assert any("Please take down /wp-admin/x.php." in e["body"] and e["kind"] == "correspondence"
               for e in journal)
    # the reply from the hoster joins the same thread
    reply, _ = plain("Re: x", "Done.", sender="abuse@hosting.example",
                     extra=f"In-Reply-To: <{first['message_id']}>")
    kind, f = outcome(mailgate(srv, reply))
    assert kind == "reply" and f["incident"] == ref
    assert h.get(f"/api/v1/mail/{f['mail']}").json()["thread"] == tid


def test_amber_needs_a_key_or_an_audited_override(srv, h, sink):
    ref = incident(h, tlp="AMBER")
    tid = h.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "third_party", "address": "noc@nokey.example"}).json()["id"]
    p = assert_problem(h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages",
                              json={"template": "notify", "text": "x"}), 409)
    assert "OpenPGP" in p["detail"]
    assert not [m for m in sink.messages() if "noc@nokey.example" in m[0]["rcpt_tos"]]
    r = h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages",
               json={"template": "notify", "text": "x", "send_unencrypted": True})
    assert r.status_code == 202, r.text
    sent_to(sink, "noc@nokey.example")
    audit = srv.admin().get("/api/v1/audit", params={"action": "mail.unencrypted_override"})
    assert any(a["object_id"] == str(r.json()["id"]) for a in audit.json()["items"])


def test_encrypted_to_the_contacts_key(srv, h, sink, keys, team_key, tmp_path):
    a = srv.admin()
    org = a.post("/api/v1/orgs", json={"name": "Hosting SL", "short_name": "HOSTSL"}).json()
    c = a.post(f"/api/v1/orgs/{org['id']}/contacts",
               json={"email": "abuse@isp.example", "role": "abuse", "language": "fr",
                     "pgp_key": keys["contact"]["public"]})
    assert c.status_code == 201, c.text
    ref = incident(h, tlp="AMBER", orgs=["HOSTSL"])
    t = h.post(f"/api/v1/incidents/{ref}/threads",
               json={"kind": "constituent", "org": "HOSTSL", "contact": c.json()["id"]})
    assert t.status_code == 201, t.text
    assert t.json()["language"] == "fr" and t.json()["counterpart"] == "abuse@isp.example"
    r = h.post(f"/api/v1/incidents/{ref}/threads/{t.json()['id']}/messages",
               json={"template": "notify", "text": "Votre serveur 198.51.100.7 est compromis."})
    assert r.status_code == 202, r.text
    assert r.json()["encrypted"] is True
    _, raw = sent_to(sink, "abuse@isp.example")[-1]
    assert b"198.51.100.7" not in raw
    m = message_from_bytes(raw, policy=policy.compat32)
    assert m.get_content_type() == "multipart/encrypted"
    payload = m.get_payload()[1].get_payload(decode=True)
    gpg(keys["contact"]["home"], "--import", input=team_key["public"].encode())
    dec = gpg(keys["contact"]["home"], "--decrypt", input=payload)
    assert b"Good signature" in dec.stderr and b"CSIRT del Migjorn" in dec.stderr
    text = dec.stdout.decode("utf-8", "replace").replace("=\r\n", "")
    assert "198.51.100.7" in text and "compromis" in text
    # the constituent's thread entry is shared with them
    journal, _ = paginate(h, f"/api/v1/incidents/{ref}/entries")
    assert any(e["visibility"] == "shared" and "encrypted" in e["body"] for e in journal)


def test_relay_refusal_fails_the_mail(srv, h, sink):
    ref = incident(h, tlp="GREEN")
    tid = h.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "third_party", "address": "refused@example.org"}).json()["id"]
    sink.set_failure(550)
    try:
        r = h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages", json={"text": "hello"})
        assert r.status_code == 202
        mid = r.json()["id"]
        wait_until(lambda: h.get(f"/api/v1/mail/{mid}").json()["state"] == "failed", 30,
                   what="mail failed on 550")
        assert "550" in h.get(f"/api/v1/mail/{mid}").json()["error"]
    finally:
        sink.set_failure(None)


def test_relay_temporary_failure_is_retried(srv, h, sink):
    ref = incident(h, tlp="GREEN")
    tid = h.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "third_party", "address": "later@example.org"}).json()["id"]
    sink.set_failure(451)
    try:
        r = h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages", json={"text": "hello"})
        mid = r.json()["id"]
        jobs = lambda: [j for j in srv.admin().get("/api/v1/jobs").json()["items"]
                        if j["kind"] == "mail.send" and j["attempts"] >= 1 and j["state"] == "queued"]
        wait_until(lambda: jobs(), 30, what="a retry scheduled")
        assert h.get(f"/api/v1/mail/{mid}").json()["state"] == "queued"
    finally:
        sink.set_failure(None)


def test_bad_requests(srv, h):
    ref = incident(h)
    for body in ({"kind": "friend", "address": "a@b.example"},
                 {"kind": "third_party", "address": "not an address"},
                 {"kind": "third_party"},
                 {"kind": "third_party", "address": "a@b.example", "language": "de"},
                 {"kind": "constituent", "org": "NOPE", "contact": 1}):
        assert_problem(h.post(f"/api/v1/incidents/{ref}/threads", json=body), 400)
    tid = h.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "third_party", "address": "a@b.example"}).json()["id"]
    assert_problem(h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages",
                          json={"template": "poem", "text": "x"}), 400)
    assert_problem(h.post(f"/api/v1/incidents/{ref}/threads/{tid}/messages", json={}), 400)
    assert_problem(h.post(f"/api/v1/incidents/{ref}/threads/999999/messages",
                          json={"text": "x"}), 404)
    assert_problem(h.get("/api/v1/mail", params={"state": "lost"}), 400)
    assert_problem(h.get("/api/v1/mail/999999"), 404)


def test_constituents_and_viewers(srv, h):
    srv.admin().post("/api/v1/orgs", json={"name": "Town", "short_name": "TOWNM"})
    srv.create_user("townm", "constituent", password=PW, org="TOWNM")
    srv.create_user("look", "viewer", password=PW)
    c = srv.session("townm", PW)
    assert_problem(c.get("/api/v1/mail"), 403)
    v = srv.session("look", PW)
    items = v.get("/api/v1/mail").json()["items"]
    assert items
    assert_problem(v.get(f"/api/v1/mail/{items[0]['id']}/raw"), 403)


def test_red_incident_mail_hidden_from_non_members(srv, h, sink):
    ref = incident(h, tlp="RED")
    tid = h.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "third_party", "address": "red@example.org"})
    assert tid.status_code == 201, tid.text
    r = h.post(f"/api/v1/incidents/{ref}/threads/{tid.json()['id']}/messages",
               json={"text": "only for members", "send_unencrypted": True})
    assert r.status_code == 202, r.text
    srv.create_user("other", "handler", password=PW)
    o = srv.session("other", PW)
    assert_problem(o.get(f"/api/v1/mail/{r.json()['id']}"), 404)
    assert r.json()["id"] not in [m["id"] for m in paginate(o, "/api/v1/mail")[0]]


# ---- IMAP ----------------------------------------------------------------

@pytest.mark.slow
def test_imap_mailbox_polled(server_factory, tmp_path):
    d = Dovecot(tls=False)
    try:
        for i in range(3):
            d.append(plain(f"IMAP report {i}", f"body {i}", sender=f"r{i}@example.org")[0])
        s = server_factory(env={"CSIRTD_IMAP_URL": d.url(), "CSIRTD_IMAP_USER": d.user,
                                "CSIRTD_IMAP_PASSWORD": d.password, "CSIRTD_IMAP_TLS": "false",
                                "CSIRTD_IMAP_INTERVAL": "5"})
        a = s.admin()
        wait_until(lambda: len(a.get("/api/v1/reports", params={"source": "email"})
                               .json()["items"]) == 3, 40, what="3 reports from IMAP")
        assert d.unseen() == [] and len(d.seen()) == 3
        d.append(plain("IMAP report late", "late", sender="late@example.org")[0])
        r = s.cli("mail", "poll", env=s.env)
        assert r.returncode == 0, lib.describe(r)
        subjects = {x["subject"] for x in a.get("/api/v1/reports").json()["items"]}
        assert "IMAP report late" in subjects
        # polled again: nothing new, nothing twice
        assert s.cli("mail", "poll", env=s.env).returncode == 0
        assert len(a.get("/api/v1/reports", params={"source": "email"}).json()["items"]) == 4
    finally:
        d.stop()


def test_oversize_message_quarantined_with_its_head(srv, h):
    body = "A" * 200_000
    raw, _ = plain("Huge log attached", body, sender="big@example.org")
    env_small = {"CSIRTD_MAIL_MAX_SIZE": "65536"}
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate"], input=raw, capture_output=True,
                       timeout=120, cwd=str(srv.data),
                       env={**os.environ, **srv.env, "CSIRTD_DATA": str(srv.data), **env_small})
    kind, f = outcome(r)
    assert kind == "quarantined" and "larger than the limit of 65536" in f["reason"]
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["state"] == "quarantined" and m["subject"] == "Huge log attached"
    kept = h.get(f"/api/v1/mail/{f['mail']}/raw").content
    assert kept == raw[:65536]


@pytest.mark.slow
def test_thirty_megabyte_attachment_is_kept_in_quarantine(srv, h):
    blob = os.urandom(30 * 1024 * 1024)
    b64 = __import__("base64").encodebytes(blob).replace(b"\n", b"\r\n")
    raw = (b"From: dump@example.org\r\nTo: cert@migjorn.example\r\nSubject: memory dump\r\n"
           b"Message-ID: <dump@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"D\"\r\n\r\n--D\r\n"
           b"Content-Type: text/plain\r\n\r\nDump attached.\r\n--D\r\n"
           b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
           b"Content-Disposition: attachment; filename=\"mem.raw\"\r\n\r\n" + b64 + b"--D--\r\n")
    kind, f = outcome(mailgate(srv, raw))
    assert kind == "quarantined" and "larger than" in f["reason"]
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["subject"] == "memory dump" and m["sender"] == "dump@example.org"
    assert len(h.get(f"/api/v1/mail/{f['mail']}/raw").content) == 25 * 1024 * 1024


def test_signed_report_with_bad_signature(srv, h, keys, tmp_path):
    inner = (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
             b"The attacker used 192.0.2.44.\r\n")
    # RFC 3156: what is signed is the part up to the CRLF before the boundary
    (tmp_path / "part").write_bytes(inner.rstrip(b"\r\n"))
    sig = gpg(keys["reporter"]["home"], "--armor", "--detach-sign", "--digest-algo", "SHA256",
              "-o", "-", str(tmp_path / "part")).stdout

    def signed(part):
        return (b"From: Maria <maria@example.net>\r\nTo: cert@migjorn.example\r\n"
                b"Subject: signed report\r\nMIME-Version: 1.0\r\n"
                b"Message-ID: <" + os.urandom(6).hex().encode() + b"@example.net>\r\n"
                b"Content-Type: multipart/signed; micalg=pgp-sha256; "
                b"protocol=\"application/pgp-signature\"; boundary=\"S\"\r\n\r\n--S\r\n"
                + part + b"\r\n--S\r\nContent-Type: application/pgp-signature\r\n\r\n"
                + sig + b"\r\n--S--\r\n")
    # the reporter's key is unknown to the team: reported as such
    _, f = outcome(mailgate(srv, signed(inner.rstrip(b"\r\n"))))
    assert h.get(f"/api/v1/mail/{f['mail']}").json()["signature"] == "unknown_key"
    # once the key is in the team's keyring, good; tampered, bad
    gpg(srv.data / "gnupg", "--import", input=keys["reporter"]["public"].encode())
    _, f = outcome(mailgate(srv, signed(inner.rstrip(b"\r\n"))))
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["signature"] == "good" and m["signer"] == keys["reporter"]["fpr"]
    rep = h.get(f"/api/v1/reports/{f['report'].rsplit('-', 1)[1]}").json()
    assert "signature good" in rep["body"]
    _, f = outcome(mailgate(srv, signed(inner.rstrip(b"\r\n").replace(b"44", b"45"))))
    m = h.get(f"/api/v1/mail/{f['mail']}").json()
    assert m["signature"] == "bad"
    rep = h.get(f"/api/v1/reports/{f['report'].rsplit('-', 1)[1]}").json()
    assert "signature BAD" in rep["body"]
