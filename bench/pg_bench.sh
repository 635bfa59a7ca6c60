#!/bin/sh
# PostgreSQL beside SQLite: incident creation through the API with one
# csirtd process and with two processes on one database, and search
# latency at 100k incidents from one and from two processes. The cluster
# is a durable one (fsync and synchronous commit on, as in production),
# started under a temporary directory on loopback and removed afterwards.
# Prints figures; asserts nothing about time; fails on any error answer.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CSIRTD_BIN:-$ROOT/build/csirtd}
BENCH=$(dirname "$BIN")/bench
SECS=${BENCH_SECONDS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/csirtd-pgbench.XXXXXX")
chmod 755 "$tmp"
cleanup() {
	for p in $(cat "$tmp/pids" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	sh "$ROOT/scripts/pg-cluster.sh" stop "$tmp/pg"
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
base=$(PG_DURABLE=1 sh "$ROOT/scripts/pg-cluster.sh" start "$tmp/pg" "$(freeport)")
psql -q "$base/postgres" -c "CREATE DATABASE api" -c "CREATE DATABASE search"

start() { # DATA_DIR DATABASE_URL -> prints the port
	port=$(freeport)
	# (its output goes to a file: this runs inside $(...))
	CSIRTD_DATABASE=$2 CSIRTD_LOG_LEVEL=warn "$BIN" --data "$1" serve \
		--listen "127.0.0.1:$port" >>"$tmp/serve.log" 2>&1 &
	echo $! >>"$tmp/pids"
	i=0
	until curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "server did not start" >&2; cat "$tmp/serve.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "$port"
}

cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"title":"Phishing kit on a compromised CMS","rsit_type":"phishing","impact":"high","urgency":"medium","tags":["bench"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA

run_wrk() { # PORT CONNS -> "rps p50 p99"
	out=$(wrk -t "$2" -c "$2" -d "${SECS}s" --latency -s "$tmp/post.lua" \
		"http://127.0.0.1:$1/api/v1/incidents")
	if echo "$out" | grep -q "Non-2xx"; then
		echo "$out" >&2
		echo "pg_bench: error answers; figures meaningless" >&2
		exit 1
	fi
	echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
		"$(echo "$out" | awk '$1=="50%" {print $2}')" \
		"$(echo "$out" | awk '$1=="99%" {print $2}')"
}

echo "incident creation, POST /api/v1/incidents for ${SECS}s"
printf '%-12s %9s %6s %10s %9s %9s\n' database processes conns req/s p50 p99

# SQLite, one process (it cannot have two)
"$BIN" --data "$tmp/s" init >/dev/null 2>&1
TOKEN=$("$BIN" --data "$tmp/s" token create admin --name bench 2>/dev/null)
export TOKEN
p=$(start "$tmp/s" "sqlite:$tmp/s/csirtd.db")
set -- $(run_wrk "$p" 4)
printf '%-12s %9s %6s %10s %9s %9s\n' SQLite 1 4 "$1" "$2" "$3"

# PostgreSQL, one process then two
CSIRTD_DATABASE="$base/api" "$BIN" --data "$tmp/a" init >/dev/null 2>&1
TOKEN=$(CSIRTD_DATABASE="$base/api" "$BIN" --data "$tmp/a" token create admin --name bench 2>/dev/null)
export TOKEN
pa=$(start "$tmp/a" "$base/api")
set -- $(run_wrk "$pa" 4)
printf '%-12s %9s %6s %10s %9s %9s\n' PostgreSQL 1 4 "$1" "$2" "$3"
pb=$(start "$tmp/b" "$base/api")
run_wrk "$pa" 2 >"$tmp/wa" &
wa=$!
run_wrk "$pb" 2 >"$tmp/wb"
wait "$wa"
read ra a50 a99 <"$tmp/wa"
read rb b50 b99 <"$tmp/wb"
printf '%-12s %9s %6s %10s %9s %9s\n' PostgreSQL 2 "2+2" \
	"$(python3 -c "print(round($ra + $rb, 2))")" "$a50/$b50" "$a99/$b99"
CSIRTD_DATABASE="$base/api" "$BIN" --data "$tmp/a" audit verify

echo
echo "search, PostgreSQL"
BENCH_DATABASE="$base/search" "$BENCH/bench_search"
