"""The csirtd command line: exit codes, help, user and token commands."""
import re
import json
import os
import stat

import pytest

from csirtd_testlib import Server, cli, describe, login, parse_password

HELP_COMMANDS = [
    [], ["init"], ["serve"], ["user"], ["user", "add"], ["user", "list"],
    ["user", "passwd"], ["user", "disable"], ["user", "enable"], ["token"],
    ["token", "create"], ["token", "list"], ["token", "revoke"], ["audit"],
    ["audit", "verify"], ["backup"], ["job"], ["job", "enqueue"], ["job", "list"],
    ["migrate"],
]


@pytest.mark.parametrize("cmd", HELP_COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_exits_0(bin_path, tmp_path, cmd):
    r = cli(*cmd, "--help", data=tmp_path / "d")
    assert r.returncode == 0, describe(r)
    assert (r.stdout + r.stderr).strip(), describe(r)
    assert not (tmp_path / "d" / "csirtd.db").exists(), "--help must not act"


@pytest.mark.parametrize("argv", [
    ["frobnicate"],
    ["--bogus-flag", "user", "list"],
    ["user", "list", "--bogus"],
    ["user", "frobnicate"],
    ["token", "frobnicate"],
    ["user", "add"],
    ["user", "add", "x"],                # --role missing
    ["token", "create", "admin"],        # --name missing
    ["token", "revoke"],
    ["serve", "--threads"],               # flag without value
    ["audit", "frobnicate"],
    ["job", "enqueue"],
])
def test_usage_errors_exit_2(bin_path, tmp_path, argv):
    r = cli(*argv, data=tmp_path / "d")
    assert r.returncode == 2, describe(r)
    assert r.stderr.strip(), "usage errors explain themselves on stderr"


def test_no_command_is_usage_error(bin_path):
    r = cli()
    assert r.returncode == 2, describe(r)


def test_init(bin_path, tmp_path):
    d = tmp_path / "fresh"
    r = cli("init", data=d)
    assert r.returncode == 0, describe(r)
    assert "login: admin" in r.stdout.splitlines(), r.stdout
    pw = parse_password(r.stdout)
    assert len(pw) >= 12
    f = d / "initial-admin-password"
    assert f.exists()
    assert stat.S_IMODE(f.stat().st_mode) == 0o600, oct(f.stat().st_mode)
    assert f.read_text().strip() == pw
    assert (d / "csirtd.db").exists()
    # second init fails and leaves things alone
    r2 = cli("init", data=d)
    assert r2.returncode == 1, describe(r2)
    assert f.read_text().strip() == pw
    r = cli("audit", "verify", data=d)
    assert r.returncode == 0 and re.search(r"\bOK\b", r.stdout), describe(r)
    # changing the admin password removes the one-time password file
    r = cli("user", "passwd", "admin", "--password-stdin", data=d,
            input="a-brand-new-admin-password\n")
    assert r.returncode == 0, describe(r)
    assert not f.exists()


def test_init_custom_admin(bin_path, tmp_path):
    d = tmp_path / "c"
    r = cli("init", "--admin", "boss", data=d)
    assert r.returncode == 0, describe(r)
    assert "login: boss" in r.stdout.splitlines(), r.stdout
    r = cli("user", "list", "--json", data=d)
    assert r.returncode == 0, describe(r)
    users = json.loads(r.stdout)
    assert [u["login"] for u in users] == ["boss"] and users[0]["role"] == "admin"


def test_migrate_dry_run(server):
    r = server.cli("migrate", "--dry-run")
    assert r.returncode == 0, describe(r)
    r = server.cli("migrate")
    assert r.returncode == 0, describe(r)


def test_user_add_list(server):
    r = server.cli("user", "add", "cli-h", "--role", "handler", "--name", "CLI Handler",
                   "--email", "h@example.org", "--password-stdin",
                   input="cli-h-password-1\n")
    assert r.returncode == 0, describe(r)
    login(server.api(), "cli-h", "cli-h-password-1")
    r = server.cli("user", "add", "cli-c", "--role", "constituent", "--org", "acme")
    assert r.returncode == 0, describe(r)
    pw = parse_password(r.stdout)
    login(server.api(), "cli-c", pw)
    r = server.cli("user", "list")
    assert r.returncode == 0, describe(r)
    assert "cli-h" in r.stdout and "cli-c" in r.stdout and "admin" in r.stdout
    r = server.cli("user", "list", "--json")
    assert r.returncode == 0, describe(r)
    users = {u["login"]: u for u in json.loads(r.stdout)}
    assert users["cli-h"]["role"] == "handler" and users["cli-h"]["name"] == "CLI Handler"
    assert users["cli-c"]["org"] == "acme"
    for u in users.values():
        assert not any("hash" in k or "password" in k for k in u), u
    # the API sees the same users
    u = server.admin().get("/api/v1/users/cli-h").json()
    assert u["email"] == "h@example.org"


@pytest.mark.parametrize("argv,stdin", [
    (["user", "add", "cli-dup", "--role", "viewer"], None),
])
def test_user_add_duplicate_fails(server, argv, stdin):
    assert server.cli(*argv, input=stdin).returncode == 0
    r = server.cli(*argv, input=stdin)
    assert r.returncode == 1, describe(r)


@pytest.mark.parametrize("argv,stdin", [
    (["user", "add", "cli-bad1", "--role", "constituent"], None),            # no org
    (["user", "add", "cli-bad2", "--role", "viewer", "--org", "x"], None),   # org not allowed
    (["user", "add", "cli-bad3", "--role", "wizard"], None),
    (["user", "add", "Bad Login", "--role", "viewer"], None),
    (["user", "add", "cli-bad4", "--role", "viewer", "--password-stdin"], "short\n"),
])
def test_user_add_invalid(server, argv, stdin):
    r = server.cli(*argv, input=stdin)
    assert r.returncode in (1, 2), describe(r)
    assert r.stderr.strip()
    r = server.admin().get(f"/api/v1/users/{argv[2]}")
    assert r.status_code in (404, 400), f"{argv[2]} was created: {r.text}"


def test_user_passwd(server):
    r = server.cli("user", "add", "cli-pw", "--role", "viewer", "--password-stdin",
                   input="cli-pw-password-1\n")
    assert r.returncode == 0, describe(r)
    r = server.cli("user", "passwd", "cli-pw", "--password-stdin", input="cli-pw-password-2\n")
    assert r.returncode == 0, describe(r)
    login(server.api(), "cli-pw", "cli-pw-password-1", expect=401)
    login(server.api(), "cli-pw", "cli-pw-password-2")
    r = server.cli("user", "passwd", "cli-pw")
    assert r.returncode == 0, describe(r)
    login(server.api(), "cli-pw", parse_password(r.stdout))
    r = server.cli("user", "passwd", "no-such-user", "--password-stdin", input="whatever-password\n")
    assert r.returncode == 1, describe(r)


def test_user_disable_enable(server):
    r = server.cli("user", "add", "cli-dis", "--role", "viewer", "--password-stdin",
                   input="cli-dis-password\n")
    assert r.returncode == 0, describe(r)
    tok = server.create_token_cli("cli-dis", "d")
    assert server.api(tok).get("/api/v1/me").status_code == 200
    r = server.cli("user", "disable", "cli-dis")
    assert r.returncode == 0, describe(r)
    login(server.api(), "cli-dis", "cli-dis-password", expect=401)
    assert server.api(tok).get("/api/v1/me").status_code == 401
    r = server.cli("user", "enable", "cli-dis")
    assert r.returncode == 0, describe(r)
    login(server.api(), "cli-dis", "cli-dis-password")
    r = server.cli("user", "disable", "no-such-user")
    assert r.returncode == 1, describe(r)


def test_cli_cannot_disable_last_admin(server_factory):
    srv = server_factory(start=False)
    r = srv.cli("user", "disable", "admin")
    assert r.returncode == 1, describe(r)


def test_token_create_list_revoke(server):
    r = server.cli("token", "create", "admin", "--name", "cli-tok", "--expires", "3")
    assert r.returncode == 0, describe(r)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, f"token create must print only the token: {r.stdout!r}"
    tok = lines[0]
    assert tok.startswith("cst_") and tok == tok.strip() and " " not in tok, tok
    api = server.api(tok)
    assert api.get("/api/v1/me").status_code == 200
    items = api.get("/api/v1/tokens", params={"limit": 500}).json()["items"]
    mine = [t for t in items if t["name"] == "cli-tok"]
    assert len(mine) == 1 and tok.startswith(mine[0]["prefix"]), mine
    assert mine[0]["expires_at"] is not None
    r = server.cli("token", "list")
    assert r.returncode == 0 and "cli-tok" in r.stdout, describe(r)
    assert tok not in r.stdout, "token list must not print secrets"
    r = server.cli("token", "list", "admin")
    assert r.returncode == 0 and "cli-tok" in r.stdout, describe(r)
    r = server.cli("token", "revoke", str(mine[0]["id"]))
    assert r.returncode == 0, describe(r)
    assert api.get("/api/v1/me").status_code == 401
    r = server.cli("token", "revoke", "987654321")
    assert r.returncode == 1, describe(r)


def test_token_create_unknown_user(server):
    r = server.cli("token", "create", "no-such-user", "--name", "x")
    assert r.returncode == 1, describe(r)
    assert r.stdout.strip() == ""


def test_data_dir_from_env(bin_path, tmp_path):
    d = tmp_path / "envdir"
    r = cli("init", env={"CSIRTD_DATA": str(d)})
    assert r.returncode == 0, describe(r)
    assert (d / "csirtd.db").exists()


def test_cli_audit_records_cli_actions(server):
    r = server.cli("user", "add", "cli-aud", "--role", "viewer")
    assert r.returncode == 0, describe(r)
    rows = server.admin().get("/api/v1/audit", params={"action": "user.create",
                                                       "limit": 500}).json()["items"]
    assert any("cli-aud" in json.dumps(x) for x in rows), rows


@pytest.mark.parametrize("argv,codes", [
    (["job", "enqueue", "selftest", "--payload", "{bad"], (2,)),
    (["job", "enqueue", "no-such-kind"], (1, 2)),
    (["job", "enqueue", "selftest", "--payload", '{"sleep_ms": -5}'], (1, 2)),
    (["token", "list", "no-such-user"], (1,)),
    (["user", "enable", "no-such-user"], (1,)),
])
def test_cli_runtime_and_usage_failures(server, argv, codes):
    r = server.cli(*argv)
    assert r.returncode in codes, describe(r)
    assert r.stderr.strip() and not r.stdout.strip(), describe(r)


def test_job_list_shows_jobs(server):
    r = server.cli("job", "enqueue", "selftest", "--payload", '{"sleep_ms": 0}')
    assert r.returncode == 0, describe(r)
    r = server.cli("job", "list")
    assert r.returncode == 0 and "selftest" in r.stdout, describe(r)


def test_backup_never_overwrites(server, tmp_path):
    r = server.cli("backup", server.db)
    assert r.returncode == 1, describe(r)
    out = tmp_path / "b.db"
    out.write_text("precious")
    r = server.cli("backup", out)
    assert r.returncode == 1, describe(r)
    assert out.read_text() == "precious"
    assert server.admin().get("/api/v1/me").status_code == 200
    r = server.cli("audit", "verify")
    assert r.returncode == 0, describe(r)
