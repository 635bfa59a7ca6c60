"""The public portal: its pages and files, security.txt, the team's public
profile and the report form's API (no login)."""
import datetime as dt
import http.client
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

import csirtd_testlib as lib
from csirtd_testlib import assert_problem, paginate

WEB = Path(__file__).resolve().parents[2] / "src" / "web"
FPR = "3A1C 9E0B 55D2 7F41 8C6A  B0E4 2D97 11F3 C8A5 604E"

SERVER_ENV = {
    "CSIRTD_TEAM_NAME": "CSIRT del Migjorn",
    "CSIRTD_TEAM_CODE": "MIGJORN",
    "CSIRTD_TEAM_EMAIL": "csirt@migjorn.example",
    "CSIRTD_TEAM_LANGUAGES": "ca,es, en",
    "CSIRTD_TEAM_TIMEZONE": "Europe/Madrid",
    "CSIRTD_TEAM_ADDRESS": "Plaça Major 1, 17004 Girona",
    "CSIRTD_TEAM_PHONE": "+34 972 000 000",
    "CSIRTD_TEAM_HOURS": "Mon-Fri 08:00-18:00 CET",
    "CSIRTD_TEAM_PGP_FINGERPRINT": FPR,
    "CSIRTD_TEAM_CONSTITUENCY": "the town halls and public bodies of the Migjorn",
    "CSIRTD_TEAM_MISSION": "Help the Migjorn's public bodies handle incidents.",
    "CSIRTD_PUBLIC_URL": "https://csirt.migjorn.example",
    # this module files many reports from 127.0.0.1; the limit itself is
    # tested on servers of its own below
    "CSIRTD_REPORT_LIMIT": "1000",
}
REPORTS = "/api/v1/public/reports"
REF = re.compile(r"^MIGJORN-R-(\d+)$")


@pytest.fixture(scope="module")
def handler(server):
    """A handler's API session (bearer token: public_url is https://, so a
    session cookie would be Secure and not sent over plain HTTP)."""
    server.create_user("ana", "handler", password="correct horse battery staple")
    return server.api(server.create_token_cli("ana", "portal-tests"))


def post_report(server, body, **kw):
    """Like the page: a plain request, no session, no cookie."""
    return requests.post(server.base + REPORTS, json=body,
                         timeout=lib.HTTP_TIMEOUT, **kw)


def raw_get(server, path, source=None):
    """GET exactly this path (no client-side normalisation of dot segments
    or percent escapes)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=lib.HTTP_TIMEOUT,
                                   source_address=source)
    try:
        c.putrequest("GET", path, skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


# ---- pages and files ----


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for k in names:
            if k == "style" or k.startswith("on"):
                self.problems.append(f"{k}= attribute on <{tag}>")


@pytest.mark.parametrize("path", ["/", "/report", "/about", "/about?lang=eu"])
def test_pages_are_html_with_strict_csp(server, path):
    r = requests.get(server.base + path, headers={"Accept": "text/html"},
                     timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
    assert "connect-src 'self'" in csp and "unsafe-inline" not in csp, csp
    assert r.headers.get("ETag")
    assert '<script type="module" src="/static/portal/portal.js"></script>' in r.text
    assert '<link rel="stylesheet" href="/static/portal/portal.css">' in r.text


def test_page_has_no_inline_script_or_style(server):
    r = requests.get(server.base + "/", timeout=lib.HTTP_TIMEOUT)
    scan = _Scan()
    scan.feed(r.text)
    assert not scan.problems, scan.problems


def test_script_builds_no_markup():
    """Team data and translations reach the page as text only."""
    js = (WEB / "portal" / "portal.js").read_text(encoding="utf-8")
    for bad in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                "eval(", "new Function", ".style."):
        assert bad not in js, bad


def test_root_answers_json_to_api_clients(server):
    r = requests.get(server.base + "/", headers={"Accept": "application/json"},
                     timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["service"] == "csirtd" and body["team"] == "CSIRT del Migjorn"
    assert body["api"] == "/api/v1/openapi.json"


@pytest.mark.parametrize("path,ctype,src", [
    ("/static/portal/portal.js", "text/javascript", "portal/portal.js"),
    ("/static/portal/portal.css", "text/css", "portal/portal.css"),
    ("/static/portal/index.html", "text/html", "portal/index.html"),
    ("/static/i18n/en.json", "application/json", "i18n/en.json"),
    ("/static/i18n/ca.json", "application/json", "i18n/ca.json"),
    ("/static/i18n/eu.json", "application/json", "i18n/eu.json"),
])
def test_static_files_with_etag(server, path, ctype, src):
    r = requests.get(server.base + path, timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == ctype
    assert r.content == (WEB / src).read_bytes(), "the binary embeds an old copy: rebuild"
    etag = r.headers["ETag"]
    assert re.fullmatch(r'"[^"]+"', etag), etag
    assert "no-store" not in r.headers.get("Cache-Control", "")
    again = requests.get(server.base + path, headers={"If-None-Match": etag},
                         timeout=lib.HTTP_TIMEOUT)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    other = requests.get(server.base + path, headers={"If-None-Match": '"nope"'},
                         timeout=lib.HTTP_TIMEOUT)
    assert other.status_code == 200 and other.content == r.content


def test_unknown_static_file_is_404(server):
    r = requests.get(server.base + "/static/portal/nope.js", timeout=lib.HTTP_TIMEOUT)
    assert_problem(r, 404)


@pytest.mark.parametrize("path", [
    "/static/../http/openapi.json",
    "/static/%2e%2e/http/openapi.json",
    "/static/%2E%2E/%2E%2E/etc/passwd",
    "/static/portal/../../http/openapi.json",
    "/static/portal/%2e%2e/%2e%2e/http/openapi.json",
    "/static/..%2fhttp/openapi.json",
    "/static/.%2e/http/openapi.json",
    "/static/%252e%252e/http/openapi.json",
    "/static/./portal/portal.js",
    "/static//portal/portal.js",
    "/static/portal/.hidden",
    "/static/",
])
def test_no_path_traversal(server, path):
    status, headers, body = raw_get(server, path)
    assert status in (400, 404), (status, body[:200])
    assert b'"openapi"' not in body and b"root:" not in body
    assert b"export function" not in body


# ---- security.txt ----


def test_security_txt(server):
    r = requests.get(server.base + "/.well-known/security.txt", timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    fields = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        k, _, v = line.partition(":")
        fields.setdefault(k.strip(), []).append(v.strip())
    assert fields["Contact"] == ["mailto:csirt@migjorn.example"]
    (expires,) = fields["Expires"]
    assert lib.RFC3339_Z.match(expires), expires
    when = dt.datetime.fromisoformat(expires.replace("Z", "+00:00"))
    now = dt.datetime.now(dt.timezone.utc)
    assert now < when <= now + dt.timedelta(days=366), expires
    (langs,) = fields["Preferred-Languages"]
    assert [x.strip() for x in langs.split(",")] == ["ca", "es", "en"]
    assert fields["Canonical"] == [
        "https://csirt.migjorn.example/.well-known/security.txt"]
    assert fields["Encryption"] == [f"openpgp4fpr:{FPR}"]


def test_no_contact_no_security_txt(server_factory):
    s = server_factory(env={"CSIRTD_TEAM_EMAIL": ""})
    r = requests.get(s.base + "/.well-known/security.txt", timeout=lib.HTTP_TIMEOUT)
    p = assert_problem(r, 404)
    assert "email" in p["detail"]
    team = requests.get(s.base + "/api/v1/public/team", timeout=lib.HTTP_TIMEOUT).json()
    assert team["email"] is None and team["security_txt"] is None


# ---- the team's public profile ----


def test_public_team(server):
    r = requests.get(server.base + "/api/v1/public/team", timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert "Set-Cookie" not in r.headers
    t = r.json()
    assert t["name"] == "CSIRT del Migjorn" and t["code"] == "MIGJORN"
    assert t["email"] == "csirt@migjorn.example"
    assert t["languages"] == ["ca", "es", "en"]
    assert t["timezone"] == "Europe/Madrid"
    assert t["public_url"] == "https://csirt.migjorn.example"
    assert t["address"] == "Plaça Major 1, 17004 Girona"
    assert t["phone"] == "+34 972 000 000"
    assert t["hours"] == "Mon-Fri 08:00-18:00 CET"
    assert t["pgp_fingerprint"] == FPR
    assert t["constituency"].startswith("the town halls")
    assert t["mission"].startswith("Help the Migjorn")
    assert t["sponsorship"] is None
    assert t["security_txt"] == "/.well-known/security.txt"
    rep = t["report"]
    assert rep["page"] == "/report" and rep["api"] == REPORTS
    assert rep["limit"] == 1000 and rep["window_seconds"] == 600
    assert rep["max_bytes"] == {"name": 200, "email": 254, "description": 32768,
                                "when": 100, "affected_systems": 4000}


def test_bad_fingerprint_setting_is_refused():
    cp = lib.cli("config", env={"CSIRTD_TEAM_PGP_FINGERPRINT": "not a key"})
    assert cp.returncode == 2, lib.describe(cp)
    assert "team.pgp_fingerprint" in cp.stderr


# ---- the report form ----


def test_report_reaches_the_team(server, handler):
    body = {
        "name": "Núria Ferrer",
        "email": "nuria.ferrer@aj-vilafranca.example",
        "description": "Our web server shows a defacement page.\nIt started after an update.",
        "when": "2026-03-14T09:30:00+01:00",
        "affected_systems": "www.aj-vilafranca.example (198.51.100.37)",
        "tlp": "GREEN",
        "language": "ca",
        "website": "",
    }
    r = post_report(server, body)
    assert r.status_code == 201, r.text
    assert "Set-Cookie" not in r.headers
    got = r.json()
    assert set(got) == {"reference", "received_at", "tlp"}
    m = REF.match(got["reference"])
    assert m, got
    assert lib.RFC3339_Z.match(got["received_at"]) and got["tlp"] == "GREEN"
    rid = int(m.group(1))

    rep = handler.get(f"/api/v1/reports/{rid}")
    assert rep.status_code == 200, rep.text
    rep = rep.json()
    assert rep["source"] == "web" and rep["status"] == "new"
    assert rep["created_by"] == "portal"
    assert rep["reporter"] == "Núria Ferrer <nuria.ferrer@aj-vilafranca.example>"
    assert rep["subject"] == "Web report: Our web server shows a defacement page."
    assert rep["language"] == "ca" and rep["tlp"] == "GREEN"
    for part in ("It started after an update.", "2026-03-14T09:30:00+01:00",
                 "www.aj-vilafranca.example (198.51.100.37)", "TLP:GREEN"):
        assert part in rep["body"], (part, rep["body"])
    listed, _ = paginate(handler, "/api/v1/reports", params={"source": "web"})
    assert rid in [x["id"] for x in listed]
    audit = server.admin().get("/api/v1/audit",
                               params={"action": "report.create", "actor": "portal"})
    assert audit.status_code == 200, audit.text
    assert str(rid) in [a["object_id"] for a in audit.json()["items"]]


def test_minimal_report_defaults_to_amber(server, handler):
    r = post_report(server, {"description": "Strange e-mail asking for my password"})
    assert r.status_code == 201, r.text
    assert r.json()["tlp"] == "AMBER"
    rid = int(REF.match(r.json()["reference"]).group(1))
    rep = handler.get(f"/api/v1/reports/{rid}").json()
    assert rep["tlp"] == "AMBER" and rep["reporter"] == "" and rep["source"] == "web"


def test_free_text_when_and_lower_case_tlp(server):
    r = post_report(server, {"description": "x", "when": "yesterday, around 10",
                             "tlp": "tlp:amber+strict"})
    assert r.status_code == 201, r.text
    assert r.json()["tlp"] == "AMBER+STRICT"


@pytest.mark.parametrize("body,fields", [
    ({}, ["description"]),
    ({"description": ""}, ["description"]),
    ({"description": "  \n\t "}, ["description"]),
    ({"description": 5}, ["description"]),
    ({"description": "x", "email": "not-an-address"}, ["email"]),
    ({"description": "x", "email": "Ana <ana@example.org>"}, ["email"]),
    ({"description": "x", "tlp": "PURPLE"}, ["tlp"]),
    ({"description": "x", "language": "english"}, ["language"]),
    ({"description": "x", "language": "E1"}, ["language"]),
    ({"description": "x", "name": "Ana\u0007"}, ["name"]),
    ({"description": "x", "when": "Monday\nTuesday"}, ["when"]),
    ({"description": "x", "attachment": "aGVsbG8="}, ["attachment"]),
    ({"email": "bad", "tlp": "RED+", "language": "xx1"}, ["description", "email", "tlp", "language"]),
])
def test_validation_names_the_fields(server, body, fields):
    p = assert_problem(post_report(server, body), 400, path=REPORTS, slug="validation")
    named = [e["field"] for e in p["errors"]]
    assert sorted(named) == sorted(fields), p


def test_not_json(server):
    r = requests.post(server.base + REPORTS, data="description=hello",
                      headers={"Content-Type": "application/x-www-form-urlencoded"},
                      timeout=lib.HTTP_TIMEOUT)
    assert_problem(r, 415)
    r = requests.post(server.base + REPORTS, data="{\"description\": ",
                      headers={"Content-Type": "application/json"},
                      timeout=lib.HTTP_TIMEOUT)
    assert_problem(r, 400)
    r = requests.post(server.base + REPORTS, data='{"description": "x\\u0000y"}',
                      headers={"Content-Type": "application/json"},
                      timeout=lib.HTTP_TIMEOUT)
    assert "u0000" in assert_problem(r, 400)["detail"]


LIMITS = [("name", 200), ("email", 254), ("description", 32768), ("when", 100),
          ("affected_systems", 4000)]


def sized(field, n):
    if field == "email":
        return "a" * (n - len("@example.org")) + "@example.org"
    return "é" * (n // 2) + "x" * (n % 2)  # bytes, not characters, count


@pytest.mark.parametrize("field,limit", LIMITS)
def test_field_limits(server, field, limit):
    body = {"description": "size check"}
    body[field] = sized(field, limit)
    assert len(body[field].encode()) == limit
    r = post_report(server, body)
    assert r.status_code == 201, r.text
    body[field] = sized(field, limit + 1)
    p = assert_problem(post_report(server, body), 400)
    assert [e["field"] for e in p["errors"]] == [field]
    assert f"at most {limit} bytes" in p["errors"][0]["detail"]


def test_body_over_max_body_is_413(server):
    r = post_report(server, {"description": "x" * (1 << 20)})
    assert_problem(r, 413)


def test_honeypot_stores_nothing(server, handler):
    before, _ = paginate(handler, "/api/v1/reports", params={"source": "web"})
    audit_before = server.admin().get(
        "/api/v1/audit", params={"action": "report.create", "limit": 500}).json()["items"]
    r = post_report(server, {"description": "Buy cheap watches", "name": "Bot",
                             "website": "http://watches.example/"})
    assert r.status_code == 201, r.text
    got = r.json()
    assert set(got) == {"reference", "received_at", "tlp"} and REF.match(got["reference"])
    after, _ = paginate(handler, "/api/v1/reports", params={"source": "web"})
    assert [x["id"] for x in after] == [x["id"] for x in before]
    audit_after = server.admin().get(
        "/api/v1/audit", params={"action": "report.create", "limit": 500}).json()["items"]
    assert len(audit_after) == len(audit_before)


def test_no_session_or_csrf_involved(server):
    """A stray cookie (say, an expired session) changes nothing: the route
    is public, and no CSRF token is asked for."""
    r = post_report(server, {"description": "with a cookie"},
                    cookies={"csirtd_session": "cs_expired"})
    assert r.status_code == 201, r.text
    assert "Set-Cookie" not in r.headers


# ---- the rate limit (servers of their own: the default 5 per 10 minutes) ----


def test_rate_limit_per_address(server_factory):
    s = server_factory()
    url = s.base + REPORTS
    # bad input is refused without counting
    for _ in range(3):
        assert requests.post(url, json={}, timeout=lib.HTTP_TIMEOUT).status_code == 400
    for i in range(5):
        r = requests.post(url, json={"description": f"report {i}"}, timeout=lib.HTTP_TIMEOUT)
        assert r.status_code == 201, (i, r.text)
    r = requests.post(url, json={"description": "one too many"}, timeout=lib.HTTP_TIMEOUT)
    p = assert_problem(r, 429, path=REPORTS)
    assert "too many reports" in p["detail"]
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 600
    # still limited, whatever the body; the rest of the portal is not
    assert requests.post(url, json={}, timeout=lib.HTTP_TIMEOUT).status_code == 429
    assert requests.get(s.base + "/api/v1/public/team", timeout=lib.HTTP_TIMEOUT).status_code == 200
    listed, _ = paginate(s.admin(), "/api/v1/reports", params={"source": "web"})
    assert len(listed) == 5
    # the count is in the database: a restart does not reset it
    s.restart()
    r = requests.post(s.base + REPORTS, json={"description": "after restart"},
                      timeout=lib.HTTP_TIMEOUT)
    assert_problem(r, 429)


def test_honeypot_counts_like_a_report(server_factory):
    s = server_factory(env={"CSIRTD_REPORT_LIMIT": "2"})
    url = s.base + REPORTS
    for _ in range(2):
        r = requests.post(url, json={"description": "spam", "website": "x"},
                          timeout=lib.HTTP_TIMEOUT)
        assert r.status_code == 201
    assert_problem(requests.post(url, json={"description": "spam", "website": "x"},
                                 timeout=lib.HTTP_TIMEOUT), 429)


def _post_from(server, source_ip, body):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=lib.HTTP_TIMEOUT,
                                   source_address=(source_ip, 0))
    try:
        data = json.dumps(body)
        c.request("POST", REPORTS, body=data,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_other_addresses_are_not_limited(server_factory):
    """Another loopback source address has a count of its own (skipped
    where the system does not let a client pick 127.0.0.2)."""
    s = server_factory(env={"CSIRTD_REPORT_LIMIT": "1"})
    assert _post_from(s, "127.0.0.1", {"description": "first"})[0] == 201
    assert _post_from(s, "127.0.0.1", {"description": "second"})[0] == 429
    try:
        status, body = _post_from(s, "127.0.0.2", {"description": "elsewhere"})
    except OSError as e:
        pytest.skip(f"cannot send from 127.0.0.2 here: {e}")
    assert status == 201, body


def test_limit_settings_are_checked():
    for env in ({"CSIRTD_REPORT_LIMIT": "0"}, {"CSIRTD_REPORT_WINDOW": "5s"}):
        cp = lib.cli("config", env=env)
        assert cp.returncode == 2, lib.describe(cp)
        assert "portal.report_" in cp.stderr


def test_behind_a_trusted_proxy_the_forwarded_client_counts(server_factory):
    """With trusted_proxies, X-Forwarded-For names the client; without, or
    from a peer that is not trusted, it is ignored."""
    s = server_factory(env={"CSIRTD_REPORT_LIMIT": "1", "CSIRTD_TRUSTED_PROXIES": "127.0.0.0/8"})
    url = s.base + REPORTS

    def post(xff, text):
        return requests.post(url, json={"description": text},
                             headers={"X-Forwarded-For": xff}, timeout=lib.HTTP_TIMEOUT)

    assert post("198.51.100.7", "first").status_code == 201
    assert post("198.51.100.7", "second").status_code == 429
    # another client behind the same proxy has its own count
    assert post("203.0.113.9", "elsewhere").status_code == 201
    # a forged left-most entry does not help the limited client
    assert post("192.0.2.200, 198.51.100.7", "forged").status_code == 429
    log = s.log_path.read_text(errors="replace")
    assert "addr=198.51.100.7" in log and "addr=203.0.113.9" in log


def test_forwarded_for_ignored_without_trusted_proxies(server_factory):
    s = server_factory(env={"CSIRTD_REPORT_LIMIT": "1"})
    url = s.base + REPORTS
    r = requests.post(url, json={"description": "a"}, headers={"X-Forwarded-For": "198.51.100.1"},
                      timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 201
    r = requests.post(url, json={"description": "b"}, headers={"X-Forwarded-For": "198.51.100.2"},
                      timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 429


def test_trusted_proxies_setting_is_checked():
    cp = lib.cli("config", env={"CSIRTD_TRUSTED_PROXIES": "10.0.0.0/33"})
    assert cp.returncode == 2, lib.describe(cp)
    assert "trusted_proxies" in cp.stderr


def test_report_with_files(server, handler):
    import base64
    import hashlib
    shot = bytes(range(256)) * 100
    eml = b"From: bank@phish.example\r\nSubject: verify\r\n\r\nhxxp://phish.example/\r\n"
    r = requests.post(server.base + REPORTS, json={
        "description": "Phishing with the message attached",
        "attachments": [
            {"filename": "C:\\Users\\me\\screen shot.png", "content_type": "Image/PNG",
             "data": base64.b64encode(shot).decode()},
            {"filename": "../../phish.eml", "content_type": "message/rfc822",
             "data": base64.encodebytes(eml).decode()},
        ]}, timeout=lib.HTTP_TIMEOUT)
    assert r.status_code == 201, r.text
    rid = int(r.json()["reference"].rsplit("-", 1)[1])
    rep = handler.get(f"/api/v1/reports/{rid}").json()
    assert [(f["filename"], f["content_type"], f["size"]) for f in rep["attachments"]] == [
        ("screen shot.png", "image/png", len(shot)), ("phish.eml", "message/rfc822", len(eml))]
    assert rep["attachments"][0]["sha256"] == hashlib.sha256(shot).hexdigest()
    assert hashlib.sha256(eml).hexdigest() in rep["body"]
    d = handler.get(f"/api/v1/reports/{rid}/attachments/1")
    assert d.status_code == 200 and d.content == shot
    assert d.headers["Content-Type"] == "application/octet-stream"
    assert 'filename="screen shot.png"' in d.headers["Content-Disposition"]
    assert handler.get(f"/api/v1/reports/{rid}/attachments/2").content == eml
    assert_problem(handler.get(f"/api/v1/reports/{rid}/attachments/3"), 404)


@pytest.mark.parametrize("files,why", [
    ([{"filename": "a.txt", "data": "not base64!!"}], "base64"),
    ([{"data": "aGk="}], "filename"),
    ("a.txt", "list"),
    ([{"filename": f"{i}.txt", "data": "aGk="} for i in range(6)], "at most 5"),
])
def test_bad_files_are_refused(server, handler, files, why):
    before = len(paginate(handler, "/api/v1/reports")[0])
    r = requests.post(server.base + REPORTS, json={"description": "x", "attachments": files},
                      timeout=lib.HTTP_TIMEOUT)
    p = assert_problem(r, 400)
    assert any(e["field"] == "attachments" and why in e["detail"] for e in p["errors"]), p
    assert len(paginate(handler, "/api/v1/reports")[0]) == before


def test_files_over_the_limit(server_factory):
    import base64
    s = server_factory(env={"CSIRTD_REPORT_ATTACHMENT_MAX": "1k"})
    team = requests.get(s.base + "/api/v1/public/team", timeout=lib.HTTP_TIMEOUT).json()
    assert team["report"]["attachment_max_bytes"] == 1024
    assert team["report"]["attachment_max_files"] == 5
    big = base64.b64encode(b"x" * 1025).decode()
    p = assert_problem(requests.post(s.base + REPORTS, json={
        "description": "x", "attachments": [{"filename": "big.bin", "data": big}]},
        timeout=lib.HTTP_TIMEOUT), 400)
    assert "1024 bytes" in p["errors"][0]["detail"]
    ok = base64.b64encode(b"x" * 1024).decode()
    assert requests.post(s.base + REPORTS, json={
        "description": "x", "attachments": [{"filename": "ok.bin", "data": ok}]},
        timeout=lib.HTTP_TIMEOUT).status_code == 201
    s2 = server_factory(env={"CSIRTD_REPORT_ATTACHMENT_MAX": "0"})
    p = assert_problem(requests.post(s2.base + REPORTS, json={
        "description": "x", "attachments": [{"filename": "ok.bin", "data": ok}]},
        timeout=lib.HTTP_TIMEOUT), 400)
    assert "not accepted" in p["errors"][0]["detail"]
