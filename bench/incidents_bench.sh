#!/bin/sh
# Incident creation through the API: wrk POSTs /api/v1/incidents (each one a
# committed, fsync'ed transaction with its reference number, journal entry
# and audit row) with 1 and 4 connections, then lists them. Prints
# requests/s, p50 and p99; asserts nothing about time, fails on any non-2xx.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CSIRTD_BIN:-$ROOT/build/csirtd}
SECS=${BENCH_SECONDS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/csirtd-ibench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$tmp/d" init >/dev/null 2>&1
TOKEN=$("$BIN" --data "$tmp/d" token create admin --name bench 2>/dev/null)
export TOKEN
CSIRTD_LOG_LEVEL=warn "$BIN" --data "$tmp/d" serve --listen "127.0.0.1:$port" \
	2>"$tmp/serve.log" &
pid=$!
i=0
until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "server did not start" >&2; exit 1; }
	sleep 0.1
done
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Phishing kit on a compromised CMS","rsit_type":"phishing","impact":"high","urgency":"medium","tags":["bench"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA
printf '%-28s %6s %10s %9s %9s\n' endpoint conns req/s p50_ms p99_ms
for c in 1 4; do
	out=$(wrk -t "$c" -c "$c" -d "${SECS}s" --latency -s "$tmp/post.lua" \
		"http://127.0.0.1:$port/api/v1/incidents")
	if echo "$out" | grep -q "Non-2xx"; then
		echo "$out" >&2
		echo "incidents_bench: error answers; figures meaningless" >&2
		exit 1
	fi
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1=="50%" {print $2}')
	p99=$(echo "$out" | awk '$1=="99%" {print $2}')
	printf '%-28s %6s %10s %9s %9s\n' "POST /api/v1/incidents" "$c" "$rps" "$p50" "$p99"
done
n=$(curl -fsS -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$port/api/v1/incidents?limit=1" | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["items"][0]["ref"])')
echo "last reference: $n (references are sequential; none lost)"
"$BIN" --data "$tmp/d" audit verify
