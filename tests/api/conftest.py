"""Fixtures for the csirtd API/integration suite.

Run:  /usr/bin/python3 -m pytest tests/api        (binary: $CSIRTD_BIN,
default /work/main/build/csirtd; for ASan: CSIRTD_BIN=build-asan/csirtd)

Fixtures
  server          module-scoped running server on a fresh data dir; a test
                  module may set SERVER_ENV = {"CSIRTD_...": "..."}.
  server_factory  function-scoped: make(env=None, init=True, start=True,
                  data_dir=None, cwd=None) -> Server (cwd: where csirtd.conf is); everything it started is stopped
                  with SIGTERM at teardown and must exit 0.
  bin_path        skips everything if the binary does not exist.
"""
import os
import signal

import pytest

import csirtd_testlib as lib


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    config.addinivalue_line("markers", "sqlite_only: needs the SQLite file itself")


def pytest_collection_modifyitems(config, items):
    """With CSIRTD_TEST_PG the suite runs against PostgreSQL; what works on
    the SQLite file itself (tampering with it, its online backup) does not
    apply there."""
    if not lib.PG_BASE:
        return
    skip = pytest.mark.skip(reason="SQLite file only (CSIRTD_TEST_PG is set)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def bin_path():
    if not os.access(lib.CSIRTD_BIN, os.X_OK):
        pytest.skip(f"csirtd binary not found at {lib.CSIRTD_BIN} (set CSIRTD_BIN)")
    return lib.CSIRTD_BIN


def _teardown(servers):
    """SIGTERM every server that still runs; all must exit 0. Collects
    failures so that one bad server does not leave the others running."""
    problems = []
    for s in servers:
        if s.proc is not None:
            rc = s.stop(signal.SIGTERM)
            if rc != 0:
                problems.append(f"csirtd serve in {s.data} exited with {rc!r} on "
                                f"SIGTERM (None = hung and was killed)\n{s.log_tail()}")
        if s.log_path and s.log_path.exists():
            found = lib.sanitizer_findings(s.log_path.read_text(errors="replace"))
            if found:
                problems.append(f"sanitizer report in serve log of {s.data}:\n{s.log_tail()}")
        if s in lib.LIVE_SERVERS:
            lib.LIVE_SERVERS.remove(s)
        lib.stop_gpg_agent(s.data / "gnupg")
    assert not problems, "\n\n".join(problems)


def _new_server(tmp_dir, env=None, init=True, start=True, data_dir=None, cwd=None):
    data = data_dir if data_dir is not None else tmp_dir / "data"
    s = lib.Server(data, env)
    s.cwd = cwd
    if init:
        s.init()
    if start:
        s.start()
    return s


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, bin_path):
    env = getattr(request.module, "SERVER_ENV", {})
    tmp = tmp_path_factory.mktemp(request.module.__name__.split(".")[-1])
    s = _new_server(tmp, env)
    yield s
    _teardown([s])


@pytest.fixture
def server_factory(tmp_path_factory, bin_path):
    made = []

    def make(env=None, init=True, start=True, data_dir=None, cwd=None):
        tmp = tmp_path_factory.mktemp("srv")
        s = _new_server(tmp, env, init=init, start=False, data_dir=data_dir, cwd=cwd)
        made.append(s)
        if start:
            s.start()
        return s

    yield make
    _teardown(made)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for s in list(lib.LIVE_SERVERS):
            rep.sections.append((f"csirtd serve stderr ({s.data})", s.log_tail()))
