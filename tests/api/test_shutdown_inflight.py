"""SIGTERM while a request is in flight: the request is answered in full,
new connections are refused, and the server exits 0."""
import json
import signal
import socket
import time

import requests


def _read_response(sock, timeout=30):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    if len(body) >= int(line.split(b":")[1]):
                        return data
    return data


def test_inflight_request_is_answered_after_sigterm(server_factory):
    srv = server_factory()
    token = srv.admin_token()
    body = json.dumps({"name": "in flight"}).encode()
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        # Headers and half the body: the request has begun.
        sock.sendall(b"POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                     b"Connection: close\r\n\r\n" + body[:5])
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert srv.proc.poll() is None, "exited with a request in flight"
        # The listening socket is closed while we finish our request.
        try:
            requests.get(srv.base + "/healthz", timeout=2)
            refused = False
        except requests.ConnectionError:
            refused = True
        assert refused, "new connections still accepted after SIGTERM"
        sock.sendall(body[5:])
        resp = _read_response(sock)
    finally:
        sock.close()
    assert resp.startswith(b"HTTP/1.1 201"), resp[:300]
    created = json.loads(resp.partition(b"\r\n\r\n")[2])
    assert created["name"] == "in flight" and created["token"].startswith("cst_")
    assert srv.proc.wait(timeout=30) == 0, srv.log_tail()
    srv.proc = None
