#!/bin/sh
# HTTP micro-benchmark for csirtd.
#
# Starts a throw-away daemon on a free loopback port and drives it with wrk:
#   GET /healthz and GET /api/v1/me (bearer token) at 1, 4 and 32 connections,
# once at the default log level (info, stderr to a file) and once with
# CSIRTD_LOG_LEVEL=warn. Prints req/s, p50 and p99 per run, then idle RSS,
# peak RSS under load (VmHWM), the log volume and the binary size.
#
# It asserts nothing about speed. It fails (exit 1) if wrk reports any
# non-2xx/3xx response, because benchmarking error responses is meaningless.
#
# Environment:
#   CSIRTD_BIN     daemon binary (default: <repo>/build/csirtd)
#   BENCH_SECONDS  duration of each wrk run in seconds (default: 5)
#   WRK            wrk binary (default: wrk)
#
# Usage (from the repository root, as `make bench` does): bench/http_bench.sh
set -eu

script_dir=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

BIN=${CSIRTD_BIN:-$repo_root/build/csirtd}
case $BIN in
/*) ;;
*) BIN=$(pwd)/$BIN ;;
esac
SECS=${BENCH_SECONDS:-5}
WRK=${WRK:-wrk}
CONNS="1 4 32"

die() {
	echo "http_bench: error: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "daemon binary not found or not executable: $BIN (build first, or set CSIRTD_BIN)"
command -v "$WRK" >/dev/null 2>&1 || die "wrk not found (Debian: apt-get install wrk)"
command -v curl >/dev/null 2>&1 || die "curl not found"
command -v python3 >/dev/null 2>&1 || die "python3 not found (used to pick a free port)"
case $SECS in
'' | *[!0-9]*) die "BENCH_SECONDS must be a positive integer, got '$SECS'" ;;
esac
[ "$SECS" -gt 0 ] || die "BENCH_SECONDS must be > 0"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/csirtd-bench.XXXXXX")
data=$tmp/data
server_pid=

stop_server() {
	# stop_server -> sets server_rc
	server_rc=
	if [ -n "$server_pid" ]; then
		if kill -0 "$server_pid" 2>/dev/null; then
			kill -TERM "$server_pid" 2>/dev/null || true
			# give it up to 10 s to finish in-flight requests, then SIGKILL
			i=0
			while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			if kill -0 "$server_pid" 2>/dev/null; then
				echo "http_bench: server $server_pid ignored SIGTERM for 10 s, sending SIGKILL" >&2
				kill -KILL "$server_pid" 2>/dev/null || true
			fi
		fi
		server_rc=0
		wait "$server_pid" 2>/dev/null || server_rc=$?
		server_pid=
	fi
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	stop_server
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# proc_kb PID FIELD -> value in kB from /proc/PID/status (e.g. VmRSS, VmHWM)
proc_kb() {
	awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null || true
}

fmt_kb() {
	awk -v k="${1:-0}" 'BEGIN { printf "%.1f MiB (%d kB)", k / 1024, k }'
}

# start_server LABEL LOGFILE [ENV=VALUE...] -> sets server_pid, port, base
start_server() {
	label=$1
	logfile=$2
	shift 2
	port=$(free_port)
	base=http://127.0.0.1:$port
	env "$@" "$BIN" --data "$data" serve --listen "127.0.0.1:$port" \
		>"$tmp/$label.stdout" 2>"$logfile" &
	server_pid=$!
	i=0
	until curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "--- server log ($logfile) ---" >&2
			tail -n 30 "$logfile" >&2 || true
			server_pid=
			die "server ($label) exited during startup"
		fi
		i=$((i + 1))
		if [ $i -ge 100 ]; then
			tail -n 30 "$logfile" >&2 || true
			die "server ($label) did not answer /healthz within 10 s on $base"
		fi
		sleep 0.1
	done
}

# parse_wrk FILE -> "req/s p50_ms p99_ms non2xx sockerrs requests"
parse_wrk() {
	awk '
	function ms(v,   n, u) {
		n = v; u = v
		sub(/[a-z]+$/, "", n); sub(/^[0-9.]+/, "", u)
		if (u == "us") return n / 1000
		if (u == "ms") return n + 0
		if (u == "s")  return n * 1000
		if (u == "m")  return n * 60000
		return -1
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { non2xx = $NF }
	/Socket errors:/ {
		s = $0; sub(/.*Socket errors: */, "", s); n = split(s, a, /, */)
		for (i = 1; i <= n; i++) { split(a[i], b, / /); serr += b[2] }
	}
	/ requests in / { reqs = $1 }
	END {
		if (rps == "") { print "FAIL"; exit }
		printf "%s %.3f %.3f %d %d %s\n", rps, p50, p99, non2xx + 0, serr + 0, reqs
	}' "$1"
}

rows=$tmp/rows
: >"$rows"
failed=0

# run_round LABEL -- runs the wrk matrix against the running server
run_round() {
	label=$1
	for ep in /healthz /api/v1/me; do
		for c in $CONNS; do
			t=$c
			[ "$t" -gt 2 ] && t=2
			out=$tmp/wrk-$label-$(echo "$ep" | tr '/' '_')-$c.txt
			if [ "$ep" = /healthz ]; then
				"$WRK" -t "$t" -c "$c" -d "${SECS}s" --latency "$base$ep" >"$out" 2>&1 ||
					{ cat "$out" >&2; die "wrk failed for $ep c=$c ($label)"; }
			else
				"$WRK" -t "$t" -c "$c" -d "${SECS}s" --latency \
					-H "Authorization: Bearer $token" "$base$ep" >"$out" 2>&1 ||
					{ cat "$out" >&2; die "wrk failed for $ep c=$c ($label)"; }
			fi
			res=$(parse_wrk "$out")
			if [ "$res" = FAIL ]; then
				cat "$out" >&2
				die "could not parse wrk output for $ep c=$c ($label)"
			fi
			# shellcheck disable=SC2086
			set -- $res
			printf '%-5s %-12s %5s %12s %10s %10s %8s %8s %10s\n' \
				"$label" "$ep" "$c" "$1" "$2" "$3" "$4" "$5" "$6" >>"$rows"
			if [ "$4" -ne 0 ]; then
				echo "http_bench: $4 non-2xx/3xx responses for GET $ep c=$c ($label)" >&2
				failed=1
			fi
			if ! kill -0 "$server_pid" 2>/dev/null; then
				die "server died during GET $ep c=$c ($label); see log above"
			fi
		done
	done
}

# ---------------------------------------------------------------- setup
echo "csirtd HTTP benchmark"
echo "  binary:   $BIN"
echo "  wrk:      $("$WRK" -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
echo "  cpus:     $(nproc 2>/dev/null || echo '?')"
echo "  duration: ${SECS}s per run; connections: $CONNS; threads = min(conns, 2)"
echo

"$BIN" --data "$data" init >"$tmp/init.out" 2>"$tmp/init.err" ||
	{ cat "$tmp/init.err" >&2; die "csirtd init failed"; }
token=$("$BIN" --data "$data" token create admin --name bench 2>"$tmp/token.err") ||
	{ cat "$tmp/token.err" >&2; die "csirtd token create failed"; }
token=$(printf '%s\n' "$token" | tail -n 1)
case $token in
cst_*) ;;
*) die "unexpected output from 'token create' (expected cst_...): $token" ;;
esac

# sanity check: the authenticated endpoint must answer 200 before we bench it
check_me() {
	code=$(curl -sS -o "$tmp/me.json" -w '%{http_code}' --max-time 5 \
		-H "Authorization: Bearer $token" "$base/api/v1/me") || code=000
	[ "$code" = 200 ] || { cat "$tmp/me.json" >&2 2>/dev/null; die "GET /api/v1/me returned $code, expected 200"; }
}

# ---------------------------------------------------------------- round 1: info
log_info=$tmp/server-info.log
start_server info "$log_info"
sleep 0.5
idle_info=$(proc_kb "$server_pid" VmRSS)
check_me
run_round info
hwm_info=$(proc_kb "$server_pid" VmHWM)
stop_server
rc_info=$server_rc
log_info_bytes=$(wc -c <"$log_info" | tr -d ' ')
log_info_lines=$(wc -l <"$log_info" | tr -d ' ')

# ---------------------------------------------------------------- round 2: warn
log_warn=$tmp/server-warn.log
start_server warn "$log_warn" CSIRTD_LOG_LEVEL=warn
sleep 0.5
idle_warn=$(proc_kb "$server_pid" VmRSS)
check_me
run_round warn
hwm_warn=$(proc_kb "$server_pid" VmHWM)
stop_server
rc_warn=$server_rc
log_warn_bytes=$(wc -c <"$log_warn" | tr -d ' ')
log_warn_lines=$(wc -l <"$log_warn" | tr -d ' ')

# ---------------------------------------------------------------- report
echo "Throughput and latency (p50/p99 in milliseconds; log = CSIRTD_LOG_LEVEL)"
printf '%-5s %-12s %5s %12s %10s %10s %8s %8s %10s\n' \
	log endpoint conns req/s p50_ms p99_ms non2xx sockerr requests
printf '%-5s %-12s %5s %12s %10s %10s %8s %8s %10s\n' \
	----- ------------ ----- ------------ ---------- ---------- -------- -------- ----------
cat "$rows"
echo

text_size=$(size "$BIN" 2>/dev/null | awk 'NR == 2 { print $1 }')
file_size=$(stat -c %s "$BIN" 2>/dev/null || wc -c <"$BIN")

echo "Memory"
echo "  idle RSS after startup (info):   $(fmt_kb "$idle_info")"
echo "  peak RSS under load (info):      $(fmt_kb "$hwm_info")  (VmHWM)"
echo "  idle RSS after startup (warn):   $(fmt_kb "$idle_warn")"
echo "  peak RSS under load (warn):      $(fmt_kb "$hwm_warn")  (VmHWM)"
echo "Log output (stderr)"
echo "  info round: $log_info_lines lines, $log_info_bytes bytes"
echo "  warn round: $log_warn_lines lines, $log_warn_bytes bytes"
echo "Binary"
echo "  file size:    $file_size bytes"
echo "  text segment: ${text_size:-?} bytes (size(1))"
echo "Shutdown (SIGTERM) exit status: info=$rc_info warn=$rc_warn"
[ "$rc_info" = 0 ] && [ "$rc_warn" = 0 ] ||
	echo "http_bench: warning: server did not exit 0 on SIGTERM" >&2

if [ "$failed" -ne 0 ]; then
	echo >&2
	echo "http_bench: FAILED: wrk saw non-2xx/3xx responses (see non2xx column);" >&2
	echo "http_bench: benchmarking error responses is meaningless." >&2
	exit 1
fi
exit 0
