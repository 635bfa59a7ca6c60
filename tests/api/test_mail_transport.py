"""smtp_send() and imap_poll() against real local mail servers: an aiosmtpd
sink and a private dovecot (tests/api/mailservers.py), both on 127.0.0.1,
driven through tests/tools/mail_drive ($MAIL_DRIVE)."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

import csirtd_testlib as lib
from mailservers import dovecot, dovecot_tls, smtp_sink, smtp_sink_auth  # noqa: F401

MAIL_DRIVE = os.environ.get("MAIL_DRIVE", "")
EX_TEMPFAIL = 75


@pytest.fixture(scope="module")
def drive():
    if not MAIL_DRIVE or not os.access(MAIL_DRIVE, os.X_OK):
        pytest.skip(f"mail_drive not found (set MAIL_DRIVE), got {MAIL_DRIVE!r}")
    return MAIL_DRIVE


def run(drive, *args, input=b"", env=None, timeout=120):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    e.update(env or {})
    cp = subprocess.run([drive, *args], input=input, capture_output=True, env=e,
                        timeout=timeout)
    cp.out = cp.stdout.decode(errors="replace")
    cp.err = cp.stderr.decode(errors="replace")
    found = lib.sanitizer_findings(cp.err)
    assert not found, f"sanitizer report from mail_drive:\n{cp.err}"
    return cp


def crlf(raw):
    """What SMTP carries: every line ending CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


UTF8_MESSAGE = (
    "From: Équipe CSIRT <cert@example.org>\n"
    "To: ops@example.net\n"
    "Subject: =?utf-8?q?Vorfall_gemeldet?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Grüße aus dem CSIRT — インシデント報告 🚨\r\n"
    ".a line that starts with a dot\n"
    "..and one with two\n"
    ".\n"
    "last line\n"
).encode()


# --- SMTP -----------------------------------------------------------------

def test_smtp_send_utf8_message(drive, smtp_sink):
    cp = run(drive, "send", smtp_sink.url(), "cert@example.org",
             "ops@example.net", "soc@example.com", input=UTF8_MESSAGE)
    assert cp.returncode == 0, cp.err
    msgs = smtp_sink.wait_for(1)
    assert len(msgs) == 1
    env, raw = msgs[0]
    assert env["mail_from"] == "cert@example.org"
    assert env["rcpt_tos"] == ["ops@example.net", "soc@example.com"]
    assert env["auth"] is None
    assert raw == crlf(UTF8_MESSAGE)


def test_smtp_helo_name(drive, smtp_sink):
    cp = run(drive, "send", smtp_sink.url(), "a@example.org", "b@example.org",
             input=b"Subject: x\r\n\r\nx\r\n", env={"MAIL_HELO": "csirt.example.org"})
    assert cp.returncode == 0, cp.err
    assert len(smtp_sink.wait_for(1)) == 1


def test_smtp_auth(drive, smtp_sink_auth):
    s = smtp_sink_auth
    ok = run(drive, "send", s.url(), "a@example.org", "b@example.org",
             input=b"Subject: auth\r\n\r\nhi\r\n",
             env={"MAIL_USER": s.user, "MAIL_PASSWORD": s.password})
    assert ok.returncode == 0, ok.err
    env, raw = s.wait_for(1)[0]
    assert env["auth"] == s.user
    assert raw == b"Subject: auth\r\n\r\nhi\r\n"

    bad = run(drive, "send", s.url(), "a@example.org", "b@example.org",
              input=b"Subject: x\r\n\r\nx\r\n",
              env={"MAIL_USER": s.user, "MAIL_PASSWORD": "wrong-secret-xyz"})
    assert bad.returncode == 1, bad.err
    assert "wrong-secret-xyz" not in bad.err + bad.out

    none = run(drive, "send", s.url(), "a@example.org", "b@example.org",
               input=b"Subject: x\r\n\r\nx\r\n")
    assert none.returncode == 1, none.err  # 530 authentication required
    assert "530" in none.err
    assert len(s.messages()) == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
@pytest.mark.parametrize("code,rc", [(451, EX_TEMPFAIL), (550, 1)])
def test_smtp_reply_codes(drive, smtp_sink, stage, code, rc):
    smtp_sink.set_failure(code, stage)
    cp = run(drive, "send", smtp_sink.url(), "a@example.org", "b@example.org",
             input=b"Subject: x\r\n\r\nx\r\n")
    assert cp.returncode == rc, cp.err
    assert f"reply {code}" in cp.err
    assert smtp_sink.messages() == []
    smtp_sink.set_failure(None)
    cp = run(drive, "send", smtp_sink.url(), "a@example.org", "b@example.org",
             input=b"Subject: x\r\n\r\nx\r\n")
    assert cp.returncode == 0, cp.err
    assert len(smtp_sink.wait_for(1)) == 1


def test_smtp_connection_refused(drive):
    port = lib.free_port()
    cp = run(drive, "send", f"smtp://127.0.0.1:{port}", "a@example.org",
             "b@example.org", input=b"Subject: x\r\n\r\nx\r\n")
    assert cp.returncode == EX_TEMPFAIL, cp.err


def test_smtp_tls_required_without_starttls(drive, smtp_sink):
    cp = run(drive, "send", smtp_sink.url(), "a@example.org", "b@example.org",
             input=b"Subject: x\r\n\r\nx\r\n", env={"MAIL_TLS": "1"})
    assert cp.returncode == EX_TEMPFAIL, cp.err
    assert smtp_sink.messages() == []


@pytest.mark.parametrize("args", [
    ["a@example.org\r\nRCPT TO:<evil@example.org>", "b@example.org"],
    ["a@example.org", "b@example.org\nDATA"],
    ["a@example.org", ""],
])
def test_smtp_rejects_bad_addresses(drive, smtp_sink, args):
    cp = run(drive, "send", smtp_sink.url(), *args, input=b"Subject: x\r\n\r\nx\r\n")
    assert cp.returncode == 1, cp.err
    assert "invalid input" in cp.err
    assert smtp_sink.messages() == []


# --- IMAP -----------------------------------------------------------------

def message(i, body=b""):
    return (f"From: reporter{i}@example.org\r\nTo: cert@example.org\r\n"
            f"Subject: report {i}\r\nMessage-ID: <m{i}@example.org>\r\n\r\n"
            f"Report number {i}.\r\n").encode() + body


def poll(drive, d, outdir, *extra, env=None):
    return run(drive, "poll", d.url(), d.user, d.password, str(outdir),
               *[str(x) for x in extra], env=env)


def delivered(outdir):
    files = sorted(Path(outdir).glob("*.eml"), key=lambda p: int(p.stem))
    return [p.read_bytes() for p in files]


def test_imap_poll_delivers_and_flags(drive, dovecot, tmp_path):
    raws = [message(i) for i in range(3)]
    uids = [dovecot.append(r) for r in raws]
    assert dovecot.unseen() == uids
    cp = poll(drive, dovecot, tmp_path)
    assert cp.returncode == 0, cp.err
    assert "delivered=3" in cp.out
    assert delivered(tmp_path) == raws
    assert dovecot.unseen() == [] and dovecot.seen() == uids
    again = poll(drive, dovecot, tmp_path)
    assert again.returncode == 0 and "delivered=0" in again.out
    assert len(delivered(tmp_path)) == 3


def test_imap_empty_mailbox(drive, dovecot, tmp_path):
    cp = poll(drive, dovecot, tmp_path)
    assert cp.returncode == 0, cp.err
    assert "delivered=0" in cp.out


def test_imap_failed_delivery_leaves_unseen(drive, dovecot, tmp_path):
    raws = [message(i) for i in range(3)]
    uids = [dovecot.append(r) for r in raws]
    cp = poll(drive, dovecot, tmp_path, 10_000_000, 1)
    assert cp.returncode == 1, cp.err  # CS_E_DB from deliver()
    assert "delivered=1" in cp.out
    assert "database" in cp.err or "db" in cp.err.lower()
    assert dovecot.seen() == uids[:1]
    assert dovecot.unseen() == uids[1:]
    assert delivered(tmp_path) == raws[:1]

    cp = poll(drive, dovecot, tmp_path)
    assert cp.returncode == 0, cp.err
    assert "delivered=2" in cp.out
    assert delivered(tmp_path) == raws  # each exactly once
    assert dovecot.unseen() == [] and dovecot.seen() == uids


def test_imap_max_messages(drive, dovecot, tmp_path):
    uids = [dovecot.append(message(i)) for i in range(3)]
    cp = poll(drive, dovecot, tmp_path, env={"MAIL_MAX_MESSAGES": "2"})
    assert cp.returncode == 0, cp.err
    assert "delivered=2" in cp.out
    assert dovecot.unseen() == uids[2:]


def test_imap_oversize_is_truncated(drive, dovecot, tmp_path):
    max_size = 1000
    small = message(1, b"x" * (max_size - len(message(1))))
    assert len(small) == max_size
    big = message(2, b"y" * 5000)
    u_small, u_big = dovecot.append(small), dovecot.append(big)

    # deliver fails: the oversize message is not flagged either
    cp = poll(drive, dovecot, tmp_path, max_size, 1)
    assert cp.returncode == 1, cp.err
    assert dovecot.unseen() == [u_big]

    cp = poll(drive, dovecot, tmp_path, max_size)
    assert cp.returncode == 0, cp.err
    assert f"len={max_size + 1} truncated=1" in cp.out
    got = delivered(tmp_path)
    assert got == [small, big[:max_size + 1]]
    assert "len=1000 truncated=0" not in cp.out  # the small one came earlier
    assert dovecot.unseen() == [] and dovecot.seen() == [u_small, u_big]


@pytest.mark.slow
def test_imap_large_message_exact(drive, dovecot, tmp_path):
    # longer than one FETCH slice, with a 300 kB line and binary-ish bytes
    body = (b"z" * 300_000 + b"\r\n" + bytes(range(32, 127)) * 3000 + b"\r\n"
            + b"short line\r\n" * 20_000)
    raw = message(1, body)
    dovecot.append(raw)
    cp = poll(drive, dovecot, tmp_path, 10_000_000)
    assert cp.returncode == 0, cp.err
    assert delivered(tmp_path) == [raw]


def test_imap_tag_lines_in_body(drive, dovecot, tmp_path):
    """Lines like libcurl's command tags ("A005 OK") inside a message end
    libcurl's view of the FETCH early; the message must still arrive whole
    and the messages after it too."""
    tags = b"".join(b"%c%03d %s fake\r\n" % (c, n, w)
                    for w in (b"OK", b"NO", b"BAD") for c in b"ABCDEFGH"
                    for n in range(1, 12))
    raws = [message(1, tags), message(2), message(3, tags * 2)]
    uids = [dovecot.append(r) for r in raws]
    cp = poll(drive, dovecot, tmp_path)
    assert cp.returncode == 0, cp.err
    assert delivered(tmp_path) == raws
    assert dovecot.seen() == uids


@pytest.mark.slow
def test_imap_bad_password(drive, dovecot, tmp_path):
    uid = dovecot.append(message(1))
    cp = run(drive, "poll", dovecot.url(), dovecot.user, "not-the-password-42",
             str(tmp_path))
    assert cp.returncode == EX_TEMPFAIL, cp.err
    assert "not-the-password-42" not in cp.err + cp.out
    assert dovecot.unseen() == [uid]


def test_imap_tls_required_starttls(drive, dovecot_tls, tmp_path):
    raws = [message(i) for i in range(2)]
    uids = [dovecot_tls.append(r) for r in raws]
    env = {"MAIL_TLS": "1", "MAIL_CA": str(dovecot_tls.ca_file)}
    cp = poll(drive, dovecot_tls, tmp_path, env=env)
    assert cp.returncode == 0, cp.err
    assert delivered(tmp_path) == raws
    assert dovecot_tls.seen() == uids


def test_imap_implicit_tls(drive, dovecot_tls, tmp_path):
    raw = message(1)
    dovecot_tls.append(raw)
    cp = run(drive, "poll", dovecot_tls.url(scheme="imaps"), dovecot_tls.user,
             dovecot_tls.password, str(tmp_path),
             env={"MAIL_TLS": "1", "MAIL_CA": str(dovecot_tls.ca_file)})
    assert cp.returncode == 0, cp.err
    assert delivered(tmp_path) == [raw]


def test_imap_tls_untrusted_certificate(drive, dovecot_tls, tmp_path):
    uid = dovecot_tls.append(message(1))
    with tempfile.TemporaryDirectory() as empty:
        other_ca = Path(empty) / "none.pem"
        other_ca.write_text("")
        cp = poll(drive, dovecot_tls, tmp_path,
                  env={"MAIL_TLS": "1", "MAIL_CA": str(other_ca)})
    assert cp.returncode == EX_TEMPFAIL, cp.err
    assert dovecot_tls.unseen() == [uid]


def test_imap_tls_required_against_plain_server(drive, dovecot, tmp_path):
    uid = dovecot.append(message(1))
    cp = poll(drive, dovecot, tmp_path, env={"MAIL_TLS": "1"})
    assert cp.returncode == EX_TEMPFAIL, cp.err
    assert delivered(tmp_path) == []
    assert dovecot.unseen() == [uid]


def test_imap_bad_url(drive, tmp_path):
    cp = run(drive, "poll", "http://127.0.0.1:1/INBOX", "u", "p", str(tmp_path))
    assert cp.returncode == 1, cp.err
