#!/bin/sh
# A throw-away PostgreSQL cluster for tests and benchmarks, under a
# directory of the build tree, listening on 127.0.0.1 only.
#
#   scripts/pg-cluster.sh start DIR [PORT]   prints the server URL
#                                             (postgres://csirtd@127.0.0.1:PORT)
#   scripts/pg-cluster.sh stop DIR
#   scripts/pg-cluster.sh url DIR
#
# The cluster trusts local connections of the role csirtd (a superuser of
# this cluster only). PostgreSQL refuses to run as root: as root, the
# cluster belongs to the system user postgres.
set -eu

cmd=${1:?usage: pg-cluster.sh start|stop|url DIR [PORT]}
dir=${2:?usage: pg-cluster.sh start|stop|url DIR [PORT]}
port=${3:-55432}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	echo "pg-cluster: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
	exit 1
fi

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir"
		# the server must reach its directory through the build tree
		d=$dir
		while [ "$d" != / ]; do
			d=$(dirname "$d")
			chmod o+x "$d" 2>/dev/null || true
		done
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/initdb" -D "$dir/data" -U csirtd --auth=trust \
		    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		cat "$dir/url"
		exit 0
	fi
	# fsync off: a test cluster is thrown away, and this keeps the suite
	# fast (deployment settings are in docs/deployment.md); PG_DURABLE=1
	# keeps PostgreSQL's durable defaults, for benchmarks
	opts="-c listen_addresses=127.0.0.1 -p $port -k $dir"
	opts="$opts -c max_connections=400 -c shared_buffers=128MB"
	if [ "${PG_DURABLE:-0}" != 1 ]; then
		opts="$opts -c fsync=off -c synchronous_commit=off"
		opts="$opts -c full_page_writes=off"
	fi
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	    -o "$opts" start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "postgres://csirtd@127.0.0.1:$port" >"$dir/url"
	cat "$dir/url"
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop \
		    >/dev/null 2>&1 || true
	fi
	;;
url)
	cat "$dir/url"
	;;
*)
	echo "pg-cluster: unknown command $cmd" >&2
	exit 2
	;;
esac
