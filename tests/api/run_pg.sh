#!/bin/sh
# The API suite against PostgreSQL: starts a throw-away cluster under DIR
# (scripts/pg-cluster.sh), runs pytest with CSIRTD_TEST_PG pointing at it
# (every test server gets a database of its own), stops the cluster.
#
#   tests/api/run_pg.sh DIR PYTHON [pytest arguments...]
set -eu

dir=$1
python=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/../../scripts/pg-cluster.sh"

# a fresh cluster each run, on a free loopback port
sh "$cluster" stop "$dir"
rm -rf "$dir"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=$(sh "$cluster" start "$dir" "$port")
trap 'sh "$cluster" stop "$dir"' EXIT INT TERM
CSIRTD_TEST_PG=$url "$python" -m pytest "$@"
