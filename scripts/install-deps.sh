#!/bin/sh
# Installs the Debian 12 packages csirtd needs to build, test, benchmark and
# run. Idempotent: when everything is present it changes nothing and does not
# touch the network.
set -eu

PKGS="build-essential cmake ninja-build pkg-config clang clang-format
libclang-rt-14-dev sqlite3 libsqlite3-dev libpq-dev postgresql
libmicrohttpd-dev libjansson-dev libsodium-dev libssl-dev libinih-dev
libcmocka-dev libcsv-dev libcmark-dev libgpgme-dev gnupg python3
python3-pytest python3-requests wrk curl chromium chromium-driver
python3-selenium libgmime-3.0-dev libcurl4-openssl-dev
python3-aiosmtpd dovecot-imapd libpcre2-dev libmaxminddb-dev libzip-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# PostgreSQL and Dovecot are here for the tests, which start private
# servers under the build tree: keep the packages' system services from
# starting (Debian's policy-rc.d), unless the machine already has a policy.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
	$SUDO chmod 755 "$POLICY"
	trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
