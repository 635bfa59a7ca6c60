"""Configuration precedence: csirtd.conf < CSIRTD_* environment < flags."""
import pytest

from csirtd_testlib import assert_problem, cli, describe, free_port


def _padded(size):
    head = b'{"name":"cfg"'
    return head + b" " * (size - len(head) - 1) + b"}"


@pytest.fixture
def confdir(tmp_path, bin_path):
    d = tmp_path / "cwd"
    d.mkdir()
    return d


def test_file_then_env(server_factory, confdir):
    (confdir / "csirtd.conf").write_text("[server]\nmax_body = 1024\n")
    s = server_factory(cwd=confdir)
    hdr = {"Content-Type": "application/json"}
    assert_problem(s.admin().post("/api/v1/tokens", data=_padded(2000), headers=hdr), 413)
    assert s.stop() == 0
    s.start(env={"CSIRTD_MAX_BODY": "4096"})
    r = s.admin().post("/api/v1/tokens", data=_padded(2000), headers=hdr)
    assert r.status_code == 201, r.text


def test_flag_beats_env(server_factory, confdir):
    # serve gets --listen from the harness; CSIRTD_LISTEN must lose against it
    s = server_factory(cwd=confdir, env={"CSIRTD_LISTEN": f"127.0.0.1:{free_port()}"})
    assert s.api().get("/healthz").status_code == 200


def test_unknown_key_is_usage_error(tmp_path, confdir):
    (confdir / "csirtd.conf").write_text("[server]\nmax_bodyy = 1024\n")
    r = cli("--data", tmp_path / "d", "init", cwd=confdir)
    assert r.returncode == 2, describe(r)
    assert "max_bodyy" in r.stderr, describe(r)


@pytest.mark.parametrize("env", [{"CSIRTD_MAX_BODY": "lots"}, {"CSIRTD_WORKERS": "-3"},
                                 {"CSIRTD_LOGIN_LOCKOUT": "soon"}])
def test_bad_env_value_is_usage_error(tmp_path, confdir, env):
    r = cli("--data", tmp_path / "d", "init", cwd=confdir, env=env)
    assert r.returncode == 2, describe(r)
    assert list(env)[0] in r.stderr, describe(r)


def test_explicit_config_must_exist(tmp_path, confdir):
    r = cli("--config", tmp_path / "missing.conf", "--data", tmp_path / "d", "init", cwd=confdir)
    assert r.returncode in (1, 2), describe(r)
    assert not (tmp_path / "d" / "csirtd.db").exists()


def test_config_prints_valid_file(tmp_path, confdir):
    r = cli("config", cwd=confdir, env={"CSIRTD_MAX_BODY": "2048"})
    assert r.returncode == 0, describe(r)
    assert "max_body" in r.stdout and "2048" in r.stdout, r.stdout
    (confdir / "csirtd.conf").write_text(r.stdout)
    r2 = cli("init", cwd=confdir)
    assert r2.returncode == 0, f"config output is not a valid csirtd.conf\n{describe(r2)}"
    assert (confdir / "var" / "csirtd.db").exists()


def test_config_output_does_not_pin_database_against_data_flag(tmp_path, confdir):
    """`csirtd config` output used as csirtd.conf: a later --data DIR (a flag,
    the highest precedence) must still put the database in DIR."""
    r = cli("config", cwd=confdir)
    assert r.returncode == 0, describe(r)
    (confdir / "csirtd.conf").write_text(r.stdout)
    r2 = cli("--data", tmp_path / "d", "init", cwd=confdir)
    assert r2.returncode == 0, describe(r2)
    assert (tmp_path / "d" / "csirtd.db").exists()
