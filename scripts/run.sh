#!/bin/sh
# make run: initialise the data directory on first use and load the demo
# installation into it (DEMO=no skips that), then serve.
set -eu
BIN=$1 DATA=$2 LISTEN=$3
DEMO=${DEMO:-yes}

if [ ! -f "$DATA/csirtd.db" ]; then
	"$BIN" --data "$DATA" init >/dev/null
	if [ "$DEMO" = yes ]; then
		echo "loading the demo installation (make run DEMO=no skips it)..."
		CSIRTD_LOG_LEVEL=warn "$BIN" --data "$DATA" demo
	fi
fi
echo
echo "  csirtd is starting on http://$LISTEN/"
echo "  API description: http://$LISTEN/api/v1/openapi.json"
if [ -f "$DATA/initial-admin-password" ]; then
	echo "  log in as 'admin' with the password in $DATA/initial-admin-password:"
	echo "    $(cat "$DATA/initial-admin-password")"
	echo "  (change it with: $BIN --data $DATA user passwd admin)"
else
	echo "  log in with your account; reset a password with:"
	echo "    $BIN --data $DATA user passwd LOGIN"
fi
echo "  e.g. curl -c jar -H 'Content-Type: application/json' \\"
echo "         -d '{\"login\":\"admin\",\"password\":\"...\"}' http://$LISTEN/api/v1/session"
echo "  Ctrl-C stops it."
echo
exec "$BIN" --data "$DATA" serve --listen "$LISTEN"
