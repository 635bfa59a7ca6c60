"""Real mail servers on 127.0.0.1 for the tests: an SMTP sink (aiosmtpd) and
a private Dovecot IMAP server. Both run as subprocesses on free loopback
ports with everything (config, state, mail, logs) under a temporary
directory that stop() removes.

    SmtpSink(user=None, password=None)
        .port, .messages() -> [(envelope dict, raw bytes)], .wait_for(n, timeout),
        .set_failure(code or None, stage="rcpt"|"data"), .stop()
    Dovecot(tls=False)
        .port (imap, STARTTLS when tls), .imaps_port (tls only), .ca_file,
        .user, .password, .url(mailbox="INBOX", scheme="imap"),
        .append(raw bytes), .unseen(), .seen(), .stop()

Fixtures: smtp_sink, smtp_sink_auth, dovecot, dovecot_tls (function scope;
stopped at teardown). Dovecot fixtures skip when /usr/sbin/dovecot is
missing; the sink skips when aiosmtpd cannot be imported by the python that
runs the tests.
"""
import imaplib
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DOVECOT_BIN = "/usr/sbin/dovecot"
START_TIMEOUT = 20.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, proc, timeout, what, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on {port} within {timeout}s"
                         + (f"\n{log()}" if log else ""))


def _stop_proc(proc, timeout=10):
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


class SmtpSink:
    """aiosmtpd sink (tests/api/smtp_sink.py) on a free loopback port."""

    def __init__(self, user=None, password=None):
        try:
            subprocess.run([sys.executable, "-c", "import aiosmtpd"], check=True,
                           capture_output=True, timeout=30)
        except subprocess.CalledProcessError:
            pytest.skip(f"aiosmtpd is not importable by {sys.executable} "
                        "(Debian: python3-aiosmtpd)")
        self.tmp = Path(tempfile.mkdtemp(prefix="cs-smtp-"))
        self.dir = self.tmp / "spool"
        self.dir.mkdir()
        self.log_path = self.tmp / "sink.log"
        self.user, self.password = user, password
        self.proc = None
        for _attempt in range(3):
            self.port = free_port()
            argv = [sys.executable, str(HERE / "smtp_sink.py"), "--dir", str(self.dir),
                    "--port", str(self.port)]
            if user:
                argv += ["--user", user, "--password", password]
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=log)
            line = self.proc.stdout.readline().decode(errors="replace")
            if line.startswith("ready "):
                return
            _stop_proc(self.proc)
        raise AssertionError(f"SMTP sink did not start:\n{self.log()}")

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self):
        """(envelope, raw bytes) of every accepted message, in order."""
        out = []
        n = 1
        while (self.dir / f"{n}.eml").exists():
            env = json.loads((self.dir / f"{n}.json").read_text())
            out.append((env, (self.dir / f"{n}.eml").read_bytes()))
            n += 1
        return out

    def wait_for(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if len(msgs) >= n or time.monotonic() >= deadline:
                return msgs
            time.sleep(0.05)

    def set_failure(self, code, stage="rcpt"):
        """code 451 or 550 makes the sink answer it at stage ("rcpt" or
        "data"); None answers normally again."""
        path = self.dir / "failure"
        if code is None:
            path.unlink(missing_ok=True)
        else:
            assert str(code) in ("451", "550") and stage in ("rcpt", "data")
            path.write_text(f"{code} {stage}\n")

    def stop(self):
        rc = _stop_proc(self.proc)
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


def _imap_flags_search(conn, criterion):
    typ, data = conn.uid("SEARCH", None, criterion)
    assert typ == "OK", data
    return sorted(int(x) for x in data[0].split()) if data and data[0] else []


class Dovecot:
    """A private dovecot (imap only) on a free loopback port.

    tls=False: ssl = no, plaintext LOGIN allowed.
    tls=True:  ssl = required with a self-signed certificate for 127.0.0.1
               (self.ca_file); STARTTLS on .port and implicit TLS on
               .imaps_port; no authentication without TLS.
    """

    USER = "analyst"
    PASSWORD = "imap-test-password"

    def __init__(self, tls=False):
        if not os.access(DOVECOT_BIN, os.X_OK):
            pytest.skip(f"{DOVECOT_BIN} is missing (Debian: dovecot-imapd)")
        self.tls = tls
        self.user, self.password = self.USER, self.PASSWORD
        self.proc = None
        # Not under pytest's tmp_path: that is 0700 root and the mail
        # processes run as another user; base_dir must also stay short for
        # the unix socket paths.
        self.tmp = Path(tempfile.mkdtemp(prefix="cs-dc-"))
        os.chmod(self.tmp, 0o755)
        self._users()
        self.ca_file = None
        if tls:
            self._make_cert()
        self.log_path = self.tmp / "dovecot.log"
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _users(self):
        if os.geteuid() == 0:
            # dovecot never gives mail access to uid 0: the mailbox belongs
            # to the unprivileged "dovecot" user, logins run as dovenull.
            internal = pwd.getpwnam("dovecot")
            self.login_user, self.internal_user = "dovenull", "dovecot"
            self.mail_uid, self.mail_gid = internal.pw_uid, internal.pw_gid
        else:
            me = pwd.getpwuid(os.geteuid())
            self.login_user = self.internal_user = me.pw_name
            self.mail_uid, self.mail_gid = me.pw_uid, me.pw_gid
        self.home = self.tmp / "home"
        self.home.mkdir()
        os.chown(self.home, self.mail_uid, self.mail_gid)
        (self.tmp / "passwd").write_text(
            f"{self.USER}:{{PLAIN}}{self.PASSWORD}:{self.mail_uid}:{self.mail_gid}"
            f"::{self.home}::\n")

    def _make_cert(self):
        key, crt = self.tmp / "key.pem", self.tmp / "cert.pem"
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(key), "-out", str(crt)],
            capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        self.key_file, self.ca_file = key, crt

    def _config(self):
        t = self.tmp
        if self.tls:
            ssl_conf = (f"ssl = required\nssl_cert = <{self.ca_file}\n"
                        f"ssl_key = <{self.key_file}\nssl_min_protocol = TLSv1.2\n"
                        "disable_plaintext_auth = yes\n")
            imaps = f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.imaps_port}\n  }}\n"
        else:
            ssl_conf = "ssl = no\ndisable_plaintext_auth = no\n"
            imaps = "  inet_listener imaps {\n    port = 0\n  }\n"
        return f"""# generated by tests/api/mailservers.py
protocols = imap
listen = 127.0.0.1
base_dir = {t}/run
state_dir = {t}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
instance_name = cs-test-{os.getpid()}-{self.port}
default_internal_user = {self.internal_user}
default_internal_group = {self.internal_user}
default_login_user = {self.login_user}
first_valid_uid = {min(self.mail_uid, 100)}
mail_location = maildir:~/Maildir
auth_mechanisms = plain login
auth_failure_delay = 0
{ssl_conf}
passdb {{
  driver = passwd-file
  args = {t}/passwd
}}
userdb {{
  driver = passwd-file
  args = {t}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  chroot =
{imaps}}}
service anvil {{
  chroot =
}}
"""

    def _start(self):
        for _attempt in range(3):
            self.port = free_port()
            self.imaps_port = free_port() if self.tls else None
            conf = self.tmp / "dovecot.conf"
            conf.write_text(self._config())
            with open(self.tmp / "dovecot.stderr", "ab") as err:
                self.proc = subprocess.Popen([DOVECOT_BIN, "-F", "-c", str(conf)],
                                             stdin=subprocess.DEVNULL, stdout=err,
                                             stderr=err)
            if _wait_port(self.port, self.proc, START_TIMEOUT, "dovecot", self.log):
                return
            self.proc = None
        raise AssertionError(f"dovecot did not start:\n{self.log()}")

    def log(self):
        out = ""
        for name in ("dovecot.stderr", "dovecot.log"):
            try:
                out += (self.tmp / name).read_text(errors="replace")[-4000:]
            except FileNotFoundError:
                pass
        return out

    def url(self, mailbox="INBOX", scheme="imap"):
        port = self.imaps_port if scheme == "imaps" else self.port
        return f"{scheme}://127.0.0.1:{port}/{mailbox}"

    def _connect(self):
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=20)
        if self.tls:
            conn.starttls(ssl.create_default_context(cafile=str(self.ca_file)))
        conn.login(self.user, self.password)
        return conn

    def append(self, raw, mailbox="INBOX"):
        """Appends one message (no flags); returns its UID."""
        conn = self._connect()
        try:
            typ, data = conn.append(mailbox, None, None, raw)
            assert typ == "OK", data
            conn.select(mailbox)
            return max(_imap_flags_search(conn, "ALL"))
        finally:
            conn.logout()

    def _search(self, criterion, mailbox="INBOX"):
        conn = self._connect()
        try:
            typ, data = conn.select(mailbox, readonly=True)
            assert typ == "OK", data
            return _imap_flags_search(conn, criterion)
        finally:
            conn.logout()

    def unseen(self, mailbox="INBOX"):
        return self._search("UNSEEN", mailbox)

    def seen(self, mailbox="INBOX"):
        return self._search("SEEN", mailbox)

    def stop(self):
        rc = _stop_proc(self.proc, timeout=15)
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


@pytest.fixture
def smtp_sink():
    s = SmtpSink()
    yield s
    s.stop()


@pytest.fixture
def smtp_sink_auth():
    s = SmtpSink(user="relayuser", password="relay-secret-pw")
    yield s
    s.stop()


@pytest.fixture
def dovecot():
    d = Dovecot(tls=False)
    yield d
    d.stop()


@pytest.fixture
def dovecot_tls():
    d = Dovecot(tls=True)
    yield d
    d.stop()
