"""A loopback SMTP sink for the tests (aiosmtpd), run as a subprocess.

    smtp_sink.py --dir DIR --port PORT [--user U --password P]

Every accepted message is written to DIR/N.eml (the bytes of DATA as
received, dot-unstuffed) with DIR/N.json holding the envelope:
{"mail_from": ..., "rcpt_tos": [...], "auth": login-or-null}.

Failure injection: if DIR/failure exists it holds "451" or "550" plus an
optional stage ("rcpt" or "data", default "rcpt"); the sink then answers
that code to RCPT TO or to the end of DATA. The file is read on every
command, so a test can switch failures on and off while the sink runs.

The sink prints "ready PORT" on stdout once it accepts connections and
stops on SIGTERM or SIGINT.
"""
import argparse
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REPLIES = {
    "451": "451 4.3.0 Temporary failure injected by the test",
    "550": "550 5.1.1 Permanent failure injected by the test",
}


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()

    def _failure(self, stage):
        try:
            with open(os.path.join(self.dir, "failure")) as f:
                words = f.read().split()
        except FileNotFoundError:
            return None
        if not words:
            return None
        want = words[1] if len(words) > 1 else "rcpt"
        return REPLIES.get(words[0]) if want == stage else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._failure("rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self._failure("data")
        if reply:
            return reply
        with self.lock:
            n = 1 + sum(1 for name in os.listdir(self.dir) if name.endswith(".eml"))
            base = os.path.join(self.dir, str(n))
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "auth": (session.auth_data.login.decode()
                         if isinstance(session.auth_data, LoginPassword) else None),
            }
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(base + ".json.tmp", base + ".json")
            os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()

    kwargs = {"decode_data": False, "enable_SMTPUTF8": True}
    if args.user:
        kwargs.update(authenticator=make_authenticator(args.user, args.password),
                      auth_required=True, auth_require_tls=False)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port,
                            ready_timeout=10, **kwargs)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"ready {args.port}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
