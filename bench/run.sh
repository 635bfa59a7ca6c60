#!/bin/sh
# make bench: runs every benchmark and prints its figures. Benchmarks
# measure; they never fail on a duration.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CSIRTD_BIN="$ROOT/$BUILD/csirtd"
echo "csirtd benchmarks on $(nproc) CPUs, $(date -u +%Y-%m-%d)"
for b in "$ROOT/$BUILD"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo
	echo "== $(basename "$b")"
	"$b"
done
for b in bench/*_bench.sh; do
	echo
	echo "== $b"
	sh "$b"
done
