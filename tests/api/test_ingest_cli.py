"""`csirtd ingest --dry-run`: Shadowserver reports parsed by the vendor's
schema into IntelMQ event lines, with the real schema and a report made by
the shared generator."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import csirtd_testlib as lib

SHARED = Path(os.environ.get("CS_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"

pytestmark = pytest.mark.skipif(not SCHEMA.exists() or not GEN.exists(),
                                reason=f"shared data not found under {SHARED}")


def ingest(*args, input=None):
    return subprocess.run([lib.CSIRTD_BIN, "ingest", "--feed", "shadowserver",
                           "--schema", str(SCHEMA), *args], input=input,
                          capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory, bin_path):
    d = tmp_path_factory.mktemp("ss")
    path = d / "2024-01-01-scan_http-country-geo.csv"
    subprocess.run([sys.executable, str(GEN), "--rows", "2000", "--seed", "1",
                    "-o", str(path)], check=True, timeout=120)
    return path


def test_report_to_events(report):
    r = ingest("--dry-run", str(report))
    assert r.returncode == 0, r.stderr.decode()
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2000
    ev = [json.loads(l) for l in lines]
    assert all(e["__type"] == "Event" and e["feed.name"] == "Accessible-HTTP" and
               e["feed.provider"] == "Shadowserver" and
               e["classification.identifier"] == "accessible-http" and
               e["classification.taxonomy"] == "other" and "source.ip" in e and
               e["time.source"].endswith("+00:00") for e in ev)
    assert any(isinstance(e.get("source.port"), int) for e in ev)
    assert any(isinstance(e.get("source.asn"), int) for e in ev)
    assert b"2000 events, 0 malformed, 2000 rows" in r.stderr


def test_stdin_needs_the_report_name(report):
    data = report.read_bytes()
    r = ingest("--dry-run", "-", input=data)
    assert r.returncode == 2
    r = ingest("--dry-run", "--report", "scan_http", "-", input=data)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2000


def test_malformed_rows_are_counted_not_fatal(report, tmp_path):
    rows = report.read_bytes().split(b"\n")
    rows[3] = b'"2024-01-01 00:00:00","not-an-ip",'
    bad = tmp_path / "2024-01-02-scan_http-x.csv"
    bad.write_bytes(b"\n".join(rows))
    r = ingest("--dry-run", str(bad))
    assert r.returncode == 0
    assert f"{bad}:4:".encode() in r.stderr
    assert b"1999 events, 1 malformed, 2000 rows" in r.stderr


def test_report_errors(tmp_path):
    nohead = tmp_path / "2024-01-01-scan_http-x.csv"
    nohead.write_bytes(b"ip,port\n\"192.0.2.1\",80\n")
    r = ingest("--dry-run", str(nohead))
    assert r.returncode == 1 and b"timestamp" in r.stderr
    unknown = tmp_path / "2024-01-01-no_such_report-x.csv"
    unknown.write_bytes(b"timestamp,ip\n")
    assert ingest("--dry-run", str(unknown)).returncode == 1
