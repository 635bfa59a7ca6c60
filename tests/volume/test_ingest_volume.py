"""A 2 GiB Shadowserver report through `csirtd ingest` in bounded memory.

The report streams into `csirtd ingest -` (standard input, which csirtd
spools to its data directory and then reads twice: for the SHA-256 and to
parse), so nothing but csirtd holds the 2 GiB. Rows are the shared
generator's scan_http rows with three extra columns widened to about 500
bytes each (the same text in every row, as a long banner would be): the
input is 2 GiB in about 1.1 million rows, and what is stored stays small
because each report keeps such values once (docs/pipeline.md, "Storage").

The assertion is on memory only, never on time: the peak resident set of
the process (its rusage, plus /proc samples reported on failure) stays
under a fixed bound that does not depend on the input's size. The bound
covers SQLite's page cache (64 MiB), the parser's batch and its JSON text.

Run by ctest as `volume.ingest` (labels volume, nosan: under ASan it would
take too long, and ASan's own memory would be measured).
VOLUME_BYTES changes the size (e.g. 200000000 for a quick run)."""
import csv
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CS_SHARED_DIR",
                             Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "data" / "shadowserver" / "intelmq.json"
GEN = SHARED / "tools" / "gen_shadowserver_csv.py"
BIN = os.environ.get("CSIRTD_BIN", str(Path(__file__).resolve().parents[2]
                                       / "build" / "csirtd"))
VOLUME = int(os.environ.get("VOLUME_BYTES", 2 * 1024 ** 3 + 1))
RSS_BOUND_MIB = 200

pytestmark = pytest.mark.skipif(
    not SCHEMA.exists() or not GEN.exists() or not os.path.exists(BIN),
    reason=f"needs {SCHEMA}, {GEN} and {BIN}")


def block(tmp_path, rows=20000):
    """The report's header and a block of wide rows, as bytes."""
    base = tmp_path / "base.csv"
    subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed",
                    "7", "-o", str(base)], check=True, timeout=300)
    with open(base, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        body = list(r)
    base.unlink()
    wide = {"http_reason": "R" * 498, "www_authenticate": "Basic " + "W" * 492,
            "set_cookie": "id=" + "C" * 495}
    idx = {header.index(k): v for k, v in wide.items()}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in body:
        for i, v in idx.items():
            row[i] = v
        w.writerow(row)
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(header)
    return head.getvalue().encode(), out.getvalue().encode(), len(body)


class Sampler(threading.Thread):
    """VmRSS and VmHWM of a process every 100 ms, while it runs."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []  # (seconds, VmRSS KiB, VmHWM KiB)
        self.stop = False

    def run(self):
        t0 = time.monotonic()
        while not self.stop:
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    st = dict(l.split(":", 1) for l in f if ":" in l)
                self.samples.append((time.monotonic() - t0,
                                     int(st["VmRSS"].split()[0]),
                                     int(st["VmHWM"].split()[0])))
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.1)


def test_two_gib_in_bounded_memory(tmp_path):
    head, rows, nrows = block(tmp_path)
    data = tmp_path / "data"
    subprocess.run([BIN, "--data", str(data), "init"], check=True,
                   capture_output=True, timeout=120)
    p = subprocess.Popen([BIN, "--data", str(data), "ingest", "--feed",
                          "shadowserver", "--schema", str(SCHEMA),
                          "--report", "scan_http", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    sampler = Sampler(p.pid)
    sampler.start()
    err = []  # what csirtd printed
    reader = threading.Thread(target=lambda: err.append(p.stdout.read()),
                              daemon=True)
    reader.start()
    sent, records = 0, 0
    try:
        p.stdin.write(head)
        sent += len(head)
        while sent < VOLUME:
            p.stdin.write(rows)
            sent += len(rows)
            records += nrows
        p.stdin.close()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if p.returncode is None:
            p.kill()
            p.wait()
        sampler.stop = True
        sampler.join()
        reader.join(timeout=10)
    peak_mib = usage.ru_maxrss / 1024
    output = err[0].decode(errors="replace") if err else ""
    trace = ", ".join(f"{t:.0f}s:{rss // 1024}MiB"
                      for t, rss, _ in sampler.samples[::50])
    print(f"input {sent / 2 ** 30:.2f} GiB, {records} records; peak RSS "
          f"{peak_mib:.1f} MiB; samples {trace}")
    assert p.returncode == 0, output
    assert sent > 2 * 1024 ** 3 or "VOLUME_BYTES" in os.environ
    assert f"{records} records, {records} events, {records} stored" in output
    assert peak_mib < RSS_BOUND_MIB, (
        f"peak RSS {peak_mib:.1f} MiB over {RSS_BOUND_MIB} MiB; {trace}")
    # the spool is gone with the run
    assert not any((data / "spool").iterdir())
