#!/bin/sh
# E-mail benchmarks end to end.
#
# 1. Starts the aiosmtpd sink of the tests (tests/api/smtp_sink.py) on a
#    free loopback port and runs build/bench/bench_mail with BENCH_SMTP_URL
#    pointing at it: intake of plain and PGP/MIME reports, composing signed
#    mail, and smtp_send() to the sink.
# 2. Measures `csirtd mailgate` the way an MTA runs it: one process per
#    message, a ~10 KB report on standard input, in a data directory made
#    by `csirtd init`. Prints messages/s and p50/p99 per process.
#
# Prints figures; never fails on a duration. Fails only when a path fails
# (a mailgate exit status other than 0, bench_mail failing).
#
# Environment:
#   CSIRTD_BIN          daemon binary (default: <repo>/build/csirtd); the
#                       bench_mail binary is taken from the same build dir
#   BENCH_MAILGATE_N    messages piped to mailgate (default 200)
#   BENCH_MAIL_N, BENCH_MAIL_PGP_N, BENCH_MAIL_COMPOSE_N  see bench_mail.c
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CSIRTD_BIN:-$ROOT/build/csirtd}
case $BIN in
/*) ;;
*) BIN=$(pwd)/$BIN ;;
esac
BENCH=$(dirname "$BIN")/bench/bench_mail
N=${BENCH_MAILGATE_N:-200}

die() {
	echo "mail_bench: error: $*" >&2
	exit 1
}

[ -x "$BIN" ] || die "csirtd not found: $BIN (build first, or set CSIRTD_BIN)"
[ -x "$BENCH" ] || die "bench_mail not found: $BENCH"
case $N in
'' | *[!0-9]* | 0) die "BENCH_MAILGATE_N must be a positive integer" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/csirtd-mbench.XXXXXX")
sink_pid=

cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$sink_pid" ] && kill -0 "$sink_pid" 2>/dev/null; then
		kill -TERM "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
	fi
	# the gpg-agent mailgate started for the data directory
	if [ -d "$tmp/data/gnupg" ]; then
		GNUPGHOME=$tmp/data/gnupg gpgconf --kill all 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A python that can import aiosmtpd (the Debian package installs it for
# /usr/bin/python3, which need not be the first python3 on PATH).
PY=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import aiosmtpd' 2>/dev/null; then
		PY=$p
		break
	fi
done

echo "csirtd e-mail benchmark ($(nproc 2>/dev/null || echo '?') CPUs)"
echo "  binary: $BIN"

# ------------------------------------------------------------ 1. bench_mail
smtp_url=
if [ -n "$PY" ]; then
	mkdir "$tmp/spool"
	fifo=$tmp/sink.out
	mkfifo "$fifo"
	for _attempt in 1 2 3; do
		port=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
		"$PY" "$ROOT/tests/api/smtp_sink.py" --dir "$tmp/spool" --port "$port" \
			<"/dev/null" >"$fifo" 2>"$tmp/sink.log" &
		sink_pid=$!
		line=$(head -n 1 "$fifo" || true)
		case $line in
		"ready $port")
			smtp_url=smtp://127.0.0.1:$port
			break
			;;
		esac
		kill -TERM "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
		sink_pid=
	done
	[ -n "$smtp_url" ] || { cat "$tmp/sink.log" >&2; die "the SMTP sink did not start"; }
	echo "  SMTP sink: aiosmtpd on $smtp_url ($PY)"
else
	echo "  SMTP sink: none (aiosmtpd not importable; Debian: python3-aiosmtpd);" \
		"smtp_send is skipped"
fi
echo
BENCH_SMTP_URL=$smtp_url "$BENCH" || die "bench_mail failed"
if [ -n "$smtp_url" ]; then
	got=$(find "$tmp/spool" -name '*.eml' | wc -l | tr -d ' ')
	echo "  the sink stored $got messages"
	kill -TERM "$sink_pid" 2>/dev/null || true
	wait "$sink_pid" 2>/dev/null || true
	sink_pid=
fi

# ------------------------------------------------------------ 2. mailgate
echo
echo "csirtd mailgate, one process per message (as an MTA pipes it)"
"$BIN" --data "$tmp/data" init >"$tmp/init.out" 2>"$tmp/init.err" ||
	{ cat "$tmp/init.err" >&2; die "csirtd init failed"; }

# ~10 KB reports, each with its own Message-ID and first line
mkdir "$tmp/msgs"
awk -v n="$N" -v dir="$tmp/msgs" -v pid="$$" 'BEGIN {
	p[0] = "Hello,\n\nWe are the abuse desk of a hosting provider. Our monitoring detected a phishing kit imitating an online banking login page on a host in your constituency. The kit collects credentials and forwards them to a drop address by e-mail. Please notify the owner of the site and have the content removed.\n"
	p[1] = "Phishing URL: hxxps://secure-login.example-bank.com.verify-account.example.net/online/signin.php?session=8f2a9c\nLanding page: https://203.0.113.45/~admin/wp-content/uploads/2026/11/bank/index.html\nDrop: https://paste.example.org/raw/Zx81kQ and http://198.51.100.23:8080/gate.php\n"
	p[2] = "The server at 203.0.113.45 (AS64500) also scans SSH on our network. Log excerpt, times in UTC:\n2026-11-23T08:14:02Z sshd[41233]: Failed password for root from 203.0.113.45 port 52814 ssh2\n2026-11-23T08:14:05Z sshd[41235]: Failed password for admin from 203.0.113.45 port 52820 ssh2\n2026-11-23T08:14:09Z sshd[41240]: Invalid user oracle from 203.0.113.45 port 52838\n"
	p[3] = "Related indicators: md5 44d88612fea8a8f36de82e1278abb02f, sha256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f, domains login-example-bank[.]com, cdn.update-check[.]net, and the lure sender billing@invoices.example.com.\n"
	p[4] = "Please treat this report as TLP:AMBER. We can provide full packet captures on request. If the site is not cleaned within 48 hours we will block 203.0.113.0/24 at our edge.\n"
	for (i = 1; i <= n; i++) {
		f = dir "/" i ".eml"
		printf "Return-Path: <abuse@reporter.example.net>\n" > f
		printf "Received: from mx1.reporter.example.net ([198.51.100.7])\n\tby mail.example.org (Postfix) with ESMTPS id 4Xk2%06x\n\tfor <csirt@example.org>; Mon, 23 Nov 2026 09:12:00 +0000\n", i > f
		printf "From: Reporter Bench <abuse@reporter.example.net>\nTo: CSIRT <csirt@example.org>\n" > f
		printf "Subject: Phishing site and SSH scanning from 203.0.113.45 (case %d)\n", i > f
		printf "Date: Mon, 23 Nov 2026 09:12:00 +0000\nMessage-ID: <gate-%d-%d@reporter.example.net>\n", i, pid > f
		printf "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" > f
		printf "Case %d, observed by sensor s%d.example.net\n\n", i, i % 97 > f
		size = 0
		for (k = 0; size < 10000; k++) {
			printf "%s\n", p[k % 5] > f
			size += length(p[k % 5]) + 1
		}
		printf "Best regards,\nAbuse Desk, Example Hosting\n" > f
		close(f)
	}
}'
size=$(wc -c <"$tmp/msgs/1.eml" | tr -d ' ')

# one timed process per message; times in ns from date +%s%N
: >"$tmp/lat"
: >"$tmp/outcomes"
start=$(date +%s%N)
i=1
while [ "$i" -le "$N" ]; do
	t0=$(date +%s%N)
	"$BIN" --data "$tmp/data" mailgate <"$tmp/msgs/$i.eml" >>"$tmp/outcomes" 2>>"$tmp/mailgate.err" ||
		{ st=$?; tail -n 5 "$tmp/mailgate.err" >&2; die "mailgate exited $st on message $i"; }
	t1=$(date +%s%N)
	echo $((t1 - t0)) >>"$tmp/lat"
	i=$((i + 1))
done
end=$(date +%s%N)
reports=$(grep -c '^report ' "$tmp/outcomes" || true)

sort -n "$tmp/lat" | awk -v n="$N" -v wall="$((end - start))" -v size="$size" -v reports="$reports" '
	{ v[NR] = $1 }
	END {
		p50 = v[int(n / 2) + 1]; p99 = v[int(n * 99 / 100) + 1]
		printf "  mailgate, %d bytes each        %6d msgs  %8.1f msgs/s  p50 %7.2f ms  p99 %7.2f ms\n",
			size, n, n / (wall / 1e9), p50 / 1e6, p99 / 1e6
		printf "  (%d of %d taken in as reports; the time includes the process start,\n", reports, n
		printf "   the gpg-agent checks of the team key and opening the database)\n"
	}'
