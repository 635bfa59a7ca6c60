"""Helpers shared by the csirtd API/integration tests.

Everything here talks to a real csirtd binary: $CSIRTD_BIN (default
/work/main/build/csirtd). Servers listen on a free loopback port only.
"""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import requests

CSIRTD_BIN = os.environ.get("CSIRTD_BIN", "/work/main/build/csirtd")
START_TIMEOUT = float(os.environ.get("CSIRTD_TEST_START_TIMEOUT", "20"))
STOP_TIMEOUT = float(os.environ.get("CSIRTD_TEST_STOP_TIMEOUT", "30"))
HTTP_TIMEOUT = float(os.environ.get("CSIRTD_TEST_HTTP_TIMEOUT", "30"))
CLI_TIMEOUT = float(os.environ.get("CSIRTD_TEST_CLI_TIMEOUT", "120"))

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
PROBLEM_CT = "application/problem+json"

# Servers that exist right now; the conftest report hook prints their stderr
# when a test fails.
LIVE_SERVERS = []

# When set (postgres://user@host:port, see scripts/pg-cluster.sh), every
# Server gets a database of its own on that PostgreSQL server instead of the
# SQLite file of its data directory: the same suite runs on both backends.
PG_BASE = os.environ.get("CSIRTD_TEST_PG") or None
_PG_SEQ = [0]


def pg_create_database():
    """A new, empty database on PG_BASE; returns its URL."""
    _PG_SEQ[0] += 1
    name = f"t{os.getpid()}_{_PG_SEQ[0]}_{int(time.time() * 1000) % 100000}"
    r = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{PG_BASE}/postgres",
                        "-c", f'CREATE DATABASE "{name}"'],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"cannot create a test database: {r.stderr}"
    return f"{PG_BASE}/{name}"


def pg_sql(url, statement):
    """Runs one statement with psql: the rows changed for INSERT, UPDATE and
    DELETE, else the first column of the first row (as text)."""
    r = subprocess.run(["psql", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", statement],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"psql failed: {r.stderr}"
    lines = r.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    m = re.match(r"^(INSERT \d+|UPDATE|DELETE) (\d+)$", last)
    if m:
        return int(m.group(2))
    return lines[0] if lines else None


def _base_env(overrides=None):
    """The environment for csirtd: ours minus any CSIRTD_* settings that could
    leak in from the caller, plus the test's overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSIRTD_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    for k, v in (overrides or {}).items():
        env[k] = str(v)
    return env


_EMPTY_CWD = None


def _default_cwd():
    """csirtd reads ./csirtd.conf: run it from an empty directory so that a
    stray config file never changes what the tests see."""
    global _EMPTY_CWD
    if _EMPTY_CWD is None:
        _EMPTY_CWD = tempfile.mkdtemp(prefix="csirtd-test-cwd-")
        atexit.register(shutil.rmtree, _EMPTY_CWD, True)
    return _EMPTY_CWD


def cli(*args, data=None, input=None, env=None, timeout=CLI_TIMEOUT, cwd=None):
    """Run the csirtd CLI. `data` adds --data DIR before the command.
    Returns subprocess.CompletedProcess (text mode, stdout/stderr captured)."""
    argv = [CSIRTD_BIN]
    if data is not None:
        argv += ["--data", str(data)]
    argv += [str(a) for a in args]
    cp = subprocess.run(argv, input=input, capture_output=True, text=True,
                        env=_base_env(env), timeout=timeout,
                        cwd=str(cwd) if cwd else _default_cwd())
    found = sanitizer_findings(cp.stderr)
    assert not found, f"sanitizer report from CLI:\n{describe(cp)}"
    return cp


SANITIZER_MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer")


def sanitizer_findings(text):
    """Lines of a sanitizer report in text (empty list if none)."""
    return [l for l in text.splitlines() if any(m in l for m in SANITIZER_MARKERS)]


def describe(cp):
    """Human-readable summary of a CompletedProcess for assertion messages."""
    return (f"argv={cp.args!r} rc={cp.returncode}\n--- stdout ---\n{cp.stdout}"
            f"\n--- stderr ---\n{cp.stderr}")


def stop_gpg_agent(home):
    """serve starts a gpg-agent for its data directory's GnuPG home (the
    team key); a test run stops it with the server rather than leave one
    agent per test behind."""
    if Path(home).is_dir() and shutil.which("gpgconf"):
        subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(home)},
                       capture_output=True, timeout=30)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_password(stdout):
    """The password from a 'password: <pw>' line, else the last word of the
    last non-empty line (for commands that print only the password)."""
    for line in stdout.splitlines():
        m = re.match(r"^\s*password:\s*(\S+)\s*$", line)
        if m:
            return m.group(1)
    lines = [l for l in stdout.splitlines() if l.strip()]
    assert lines, f"no password in output: {stdout!r}"
    return lines[-1].split()[-1]


class Api(requests.Session):
    """requests.Session with a base URL and a default timeout."""

    def __init__(self, base, token=None):
        super().__init__()
        self.base = base
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


def login(session, login_name, password, expect=200):
    """POST /api/v1/session; returns the csrf_token (or the response when a
    non-200 status is expected)."""
    r = session.post("/api/v1/session",
                     json={"login": login_name, "password": password})
    assert r.status_code == expect, f"login {login_name}: {r.status_code} {r.text}"
    if expect != 200:
        return r
    body = r.json()
    assert body.get("csrf_token"), body
    return body["csrf_token"]


def assert_problem(r, status, path=None, slug=None):
    """Assert RFC 9457 problem+json shape; returns the parsed body."""
    assert r.status_code == status, \
        f"expected {status}, got {r.status_code}: {r.headers} {r.text}"
    ct = r.headers.get("Content-Type", "")
    assert ct.split(";")[0].strip() == PROBLEM_CT, f"content-type {ct!r}: {r.text}"
    body = r.json()
    assert isinstance(body, dict), body
    for k in ("type", "title", "status", "detail", "instance"):
        assert k in body, f"problem lacks {k!r}: {body}"
    assert body["status"] == status, body
    assert isinstance(body["type"], str) and body["type"].startswith(
        "urn:csirtd:problem:"), body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str), body
    if path is not None:
        assert body["instance"].split("?")[0] == path, body
    if slug is not None:
        assert body["type"] == f"urn:csirtd:problem:{slug}", body
    return body


def paginate(session, path, limit=100, params=None, max_pages=1000):
    """Follow next_cursor; returns (items, pages) where pages is the list of
    per-page item counts."""
    items, pages = [], []
    cursor = None
    for _ in range(max_pages):
        p = dict(params or {})
        p["limit"] = limit
        if cursor is not None:
            p["cursor"] = cursor
        r = session.get(path, params=p)
        assert r.status_code == 200, f"GET {path} {p}: {r.status_code} {r.text}"
        body = r.json()
        assert "items" in body and "next_cursor" in body, body
        assert len(body["items"]) <= limit, (len(body["items"]), limit)
        items.extend(body["items"])
        pages.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError(f"pagination of {path} did not end in {max_pages} pages")


def wait_until(pred, timeout, interval=0.2, what="condition"):
    """Poll pred() until truthy (returns its value) or raise after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 f" (last={last!r})")
        time.sleep(interval)


def copy_db(src, dst):
    """Consistent copy of an SQLite database (handles WAL) using the online
    backup API."""
    s = sqlite3.connect(str(src))
    d = sqlite3.connect(str(dst))
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()


class Server:
    """One csirtd data directory and (at most) one running `serve` process."""

    def __init__(self, data_dir, env=None):
        self.data = Path(data_dir)
        self.env = dict(env or {})
        self.proc = None
        self.port = None
        self.password = None
        self.admin_login = "admin"
        self._admin_token = None
        self.exit_codes = []
        self.log_path = None
        self.cwd = None  # working directory for serve/cli (csirtd.conf lives there)
        if PG_BASE and "CSIRTD_DATABASE" not in self.env:
            self.env["CSIRTD_DATABASE"] = pg_create_database()

    # ---- lifecycle -------------------------------------------------------
    def init(self, admin="admin"):
        args = ["init"] if admin == "admin" else ["init", "--admin", admin]
        r = self.cli(*args)
        assert r.returncode == 0, describe(r)
        self.password = parse_password(r.stdout)
        self.admin_login = admin
        return r

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self):
        """The SQLite file (tests that need the file itself are marked
        sqlite_only)."""
        return self.data / "csirtd.db"

    @property
    def database(self):
        """The database URL this server uses."""
        return self.env.get("CSIRTD_DATABASE") or f"sqlite:{self.db}"

    def sql(self, statement):
        """Runs one SQL statement (portable SQL, literal values) directly on
        the server's database, as an operator with database access could;
        returns the number of rows changed."""
        url = self.env.get("CSIRTD_DATABASE")
        if url and url.startswith("postgres"):
            return pg_sql(url, statement)
        con = sqlite3.connect(str(self.db), timeout=30)
        try:
            n = con.execute(statement).rowcount
            con.commit()
        finally:
            con.close()
        return n

    def start(self, env=None, timeout=START_TIMEOUT, extra_args=()):
        assert self.proc is None, "server already running"
        if env:
            self.env.update(env)
        self.data.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data / "serve-stderr.log"
        last_err = None
        for attempt in range(3):
            self.port = free_port()
            with open(self.log_path, "a") as log:
                log.write(f"\n===== serve on port {self.port} (attempt {attempt}) "
                          f"env={self.env} =====\n")
                log.flush()
                self.proc = subprocess.Popen(
                    [CSIRTD_BIN, "--data", str(self.data), "serve", "--listen",
                     f"127.0.0.1:{self.port}", *extra_args],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env=_base_env(self.env), cwd=str(self.cwd) if self.cwd else _default_cwd())
            if self not in LIVE_SERVERS:
                LIVE_SERVERS.append(self)
            try:
                self._wait_healthy(timeout)
                return self
            except _EarlyExit as e:
                last_err = e
                self.exit_codes.append(self.proc.returncode)
                self.proc = None
                continue
        raise AssertionError(f"csirtd serve did not start: {last_err}\n"
                             f"{self.log_tail()}")

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise _EarlyExit(f"serve exited early with {rc}")
            try:
                r = requests.get(self.base + "/healthz", timeout=2)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"/healthz not ready after {timeout}s\n{self.log_tail()}")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig and wait; returns the exit code (kills and returns None if
        it hangs)."""
        if self.proc is None:
            return None
        p = self.proc
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)
                self.proc = None
                self.exit_codes.append(None)
                return None
        self.proc = None
        self.exit_codes.append(p.returncode)
        return p.returncode

    def kill(self):
        """SIGKILL, no questions asked."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.exit_codes.append(self.proc.returncode)
        self.proc = None

    def restart(self, env=None):
        rc = self.stop()
        self.start(env=env)
        return rc

    def log_tail(self, n=200):
        if not self.log_path or not self.log_path.exists():
            return "(no serve log)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    # ---- clients ---------------------------------------------------------
    def cli(self, *args, input=None, env=None, timeout=CLI_TIMEOUT):
        if "CSIRTD_DATABASE" in self.env:
            env = {"CSIRTD_DATABASE": self.env["CSIRTD_DATABASE"], **(env or {})}
        return cli(*args, data=self.data, input=input, env=env, timeout=timeout,
                   cwd=self.cwd)

    def api(self, token=None):
        return Api(self.base, token)

    def admin_token(self):
        """An admin bearer token created via `token create admin --name t`
        (cached per server)."""
        if self._admin_token is None:
            self._admin_token = self.create_token_cli(self.admin_login, "t")
        return self._admin_token

    def admin(self):
        """An Api session authenticated with the admin bearer token."""
        return self.api(self.admin_token())

    def create_token_cli(self, login_name, name):
        r = self.cli("token", "create", login_name, "--name", name)
        assert r.returncode == 0, describe(r)
        tok = r.stdout.strip()
        assert tok.startswith("cst_"), describe(r)
        return tok

    def session(self, login_name, password):
        """A cookie session, logged in, with the CSRF header preset."""
        s = self.api()
        csrf = login(s, login_name, password)
        s.headers["X-CSRF-Token"] = csrf
        s.csrf = csrf
        return s

    def create_user(self, login_name, role, password=None, org=None, **extra):
        """Create a user through the API as admin; returns (user, password)."""
        body = {"login": login_name, "role": role}
        if password is not None:
            body["password"] = password
        if org is not None:
            body["org"] = org
        body.update(extra)
        r = self.admin().post("/api/v1/users", json=body)
        assert r.status_code == 201, f"{r.status_code} {r.text}"
        u = r.json()
        pw = password if password is not None else u.get("initial_password")
        return u, pw


class _EarlyExit(Exception):
    pass


def json_dumps_compact(obj):
    return json.dumps(obj, separators=(",", ":"))
