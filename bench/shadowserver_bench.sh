#!/bin/sh
# Throughput of the Shadowserver parser, then of the whole pipeline without
# storage (bench_pipeline), on a generated report of
# 1,000,000 scan_http rows (../shared/tools/gen_shadowserver_csv.py, seed 1),
# cached under the build tree. Run by `make bench`; never fails on a
# duration. BENCH_ROWS changes the size.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
SHARED=${CS_SHARED_DIR:-$ROOT/../shared}
ROWS=${BENCH_ROWS:-1000000}
GEN="$SHARED/tools/gen_shadowserver_csv.py"
SCHEMA="$SHARED/data/shadowserver/intelmq.json"
BIN="$ROOT/$BUILD/bench/bench_shadowserver"
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
echo "input: $ROWS rows, $(du -m "$CSV" | cut -f1) MB"
BENCH_SHADOWSERVER_FILE="$CSV" BENCH_SHADOWSERVER_SCHEMA="$SCHEMA" "$BIN"
# The same report through every stage of the pipeline, without storage
# (bench_pipeline: constituency, routing table, rules, dedup).
PIPE="$ROOT/$BUILD/bench/bench_pipeline"
if [ -x "$PIPE" ]; then
	echo
	echo "== bench_pipeline"
	BENCH_PIPELINE_FILE="$CSV" BENCH_SHADOWSERVER_SCHEMA="$SCHEMA" "$PIPE"
fi
