#!/bin/sh
# End-to-end throughput of `csirtd ingest`: a generated Shadowserver report
# of 1,000,000 scan_http rows (../shared/tools/gen_shadowserver_csv.py,
# seed 1, cached under the build tree and shared with
# shadowserver_bench.sh) stored exactly once into a fresh SQLite data
# directory (default configuration: WAL, synchronous=FULL), then the same
# report with --dry-run (parse and write the IntelMQ lines to /dev/null,
# nothing stored). Prints events/s, wall and CPU time, peak RSS and the
# database size. Run by `make bench`; never fails on a duration.
# BENCH_ROWS changes the size; BENCH_DIR where the data directory goes.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${CS_SHARED_DIR:-$ROOT/../shared}
ROWS=${BENCH_ROWS:-1000000}
GEN="$SHARED/tools/gen_shadowserver_csv.py"
SCHEMA="$SHARED/data/shadowserver/intelmq.json"
BIN=${CSIRTD_BIN:-$ROOT/$BUILD/csirtd}
TIME=/usr/bin/time
if [ ! -f "$GEN" ] || [ ! -f "$SCHEMA" ] || [ ! -x "$BIN" ] ||
    [ ! -x "$TIME" ]; then
	echo "skipped: needs $GEN, $SCHEMA, $BIN and $TIME (Debian: time)"
	exit 0
fi
OUT="$ROOT/$BUILD/bench-data"
mkdir -p "$OUT"
CSV="$OUT/2024-01-01-scan_http-bench-$ROWS.csv"
if [ ! -s "$CSV" ]; then
	/usr/bin/python3 "$GEN" --rows "$ROWS" --seed 1 -o "$CSV.tmp"
	mv "$CSV.tmp" "$CSV"
fi
WORK=$(mktemp -d "${BENCH_DIR:-$OUT}/ingest-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# run NAME ARGS...: one timed run; prints its figures
run() {
	name=$1
	shift
	"$TIME" -f '%e %U %S %M' -o "$WORK/time" "$BIN" --data "$WORK/data" \
	    ingest --feed shadowserver --schema "$SCHEMA" "$@" "$CSV" \
	    >"$WORK/out" 2>"$WORK/err" || {
		echo "$name: csirtd ingest failed:"
		cat "$WORK/err"
		return 0
	}
	tail -n 1 "$WORK/time" | {
		read -r wall user sys rss
		awk -v n="$name" -v rows="$ROWS" -v w="$wall" -v u="$user" \
		    -v s="$sys" -v r="$rss" 'BEGIN {
			printf "%-26s %9.0f events/s  wall %6.2f s  " \
			    "cpu %6.2f s (user %.2f, sys %.2f)  " \
			    "peak RSS %5.1f MiB\n", n, rows / w, w, u + s,
			    u, s, r / 1024 }'
	}
}

echo "input: $ROWS rows, $(du -m "$CSV" | cut -f1) MB; load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" --data "$WORK/data" init >/dev/null 2>&1
run "ingest, SQLite (stored)"
if [ -s "$WORK/data/csirtd.db" ]; then
	grep -h 'done:' "$WORK/err" "$WORK/out" | sed 's/^.*: report/  report/'
	db=$(du -k "$WORK/data/csirtd.db" | cut -f1)
	echo "  database: $((db / 1024)) MiB, $((db * 1024 / ROWS)) bytes/event"
fi
run "ingest --dry-run (parse)" --dry-run
