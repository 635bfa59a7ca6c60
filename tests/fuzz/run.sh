#!/bin/sh
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# SECONDS, starting from its committed corpus. New inputs go to a scratch
# directory; crashes are written to the build dir and fail the run.
set -eu
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

CC=clang cmake -S "$ROOT" -B "$ROOT/$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	-DCS_FUZZ=ON >/dev/null
cmake --build "$ROOT/$BUILD" >/dev/null
status=0
for corpus in "$ROOT"/tests/fuzz/corpus/*/; do
	target=$(basename "$corpus")
	bin="$ROOT/$BUILD/tests/fuzz_$target"
	scratch="$ROOT/$BUILD/corpus-$target"
	mkdir -p "$scratch"
	echo "fuzz $target for ${SECONDS_EACH}s"
	if ! "$bin" -max_total_time="$SECONDS_EACH" -max_len=8192 \
	    -artifact_prefix="$ROOT/$BUILD/crash-$target-" -print_final_stats=1 \
	    "$scratch" "$corpus" >"$ROOT/$BUILD/fuzz-$target.log" 2>&1; then
		echo "fuzz $target FAILED: see $ROOT/$BUILD/fuzz-$target.log"
		tail -n 30 "$ROOT/$BUILD/fuzz-$target.log"
		status=1
	else
		grep -E 'stat::number_of_executed_units' \
		    "$ROOT/$BUILD/fuzz-$target.log" || true
	fi
done
exit $status
