#!/bin/sh
# make bench: runs every benchmark and prints its figures. Benchmarks
# measure; they never fail on a duration.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CSIRTD_BIN="$ROOT/$BUILD/csirtd"
echo "csirtd benchmarks on $(nproc) CPUs, $(date -u +%Y-%m-%d)"
# bench_enrich: a pyasn table of ~1M prefixes from the shared generator,
# cached under the build tree (without it, bench_enrich makes its own).
# Its filler can repeat one of its fixed networks, which the strict loader
# refuses, so only the first line of a prefix is kept.
GEN="${CS_SHARED_DIR:-$ROOT/../shared}/tools/gen_shadowserver_csv.py"
if [ -f "$GEN" ] && [ -z "${BENCH_ASN_DB:-}" ]; then
	BENCH_ASN_DB="$ROOT/$BUILD/bench-data/ipasn-1m.dat"
	if [ ! -s "$BENCH_ASN_DB" ]; then
		mkdir -p "$ROOT/$BUILD/bench-data"
		/usr/bin/python3 "$GEN" --rows 1 -o /dev/null \
		    --asn-db "$BENCH_ASN_DB.tmp" --asn-db-filler 1000000
		awk -F '\t' '!seen[$1]++' "$BENCH_ASN_DB.tmp" >"$BENCH_ASN_DB"
		rm -f "$BENCH_ASN_DB.tmp"
	fi
	export BENCH_ASN_DB
fi
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
