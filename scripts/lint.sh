#!/bin/sh
# Source checks run by ctest: clang-format conformance and banned calls.
set -eu
files=$(find src tests tools bench -name '*.c' -o -name '*.h' | sort)
case "$1" in
format)
	bad=0
	for f in $files; do
		if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
			echo "not formatted: $f (run make format)"
			bad=1
		fi
	done
	exit $bad
	;;
banned)
	# Unbounded or unsafe calls; use snprintf, memcpy with a length,
	# strtol, randombytes_*, fork+exec.
	if grep -nE '(^|[^_a-z])(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets|rand|alloca|system)[[:space:]]*\(' $files; then
		echo "banned call(s) above"
		exit 1
	fi
	;;
*)
	echo "usage: lint.sh format|banned" >&2
	exit 2
	;;
esac
