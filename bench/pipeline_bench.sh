#!/bin/sh
# The pipeline's hot path without storage (bench_pipeline): 1,000,000
# generated scan_http rows (the report shadowserver_bench.sh caches) through
# parse, constituency, routing table, rules and dedup, each stage added in
# turn. Run by `make bench`; never fails on a duration. BENCH_ROWS changes
# the size.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${CS_SHARED_DIR:-$ROOT/../shared}
ROWS=${BENCH_ROWS:-1000000}
GEN="$SHARED/tools/gen_shadowserver_csv.py"
SCHEMA="$SHARED/data/shadowserver/intelmq.json"
BIN="$ROOT/$BUILD/bench/bench_pipeline"
if [ ! -f "$GEN" ] || [ ! -f "$SCHEMA" ] || [ ! -x "$BIN" ]; then
	echo "skipped: needs $GEN, $SCHEMA and $BIN"
	exit 0
fi
OUT="$ROOT/$BUILD/bench-data"
mkdir -p "$OUT"
CSV="$OUT/2024-01-01-scan_http-bench-$ROWS.csv"
if [ ! -s "$CSV" ]; then
	/usr/bin/python3 "$GEN" --rows "$ROWS" --seed 1 -o "$CSV.tmp"
	mv "$CSV.tmp" "$CSV"
fi
BENCH_PIPELINE_FILE="$CSV" BENCH_SHADOWSERVER_SCHEMA="$SCHEMA" "$BIN"
