"""?format=csv on every list: the same columns as the JSON fields, the same
rows under the same read rules, the next page in a Link header that keeps
the page size and the filters."""
import csv
import io
import json
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from csirtd_testlib import assert_problem, paginate, wait_until

PW = "correct horse battery staple"
# a value that needs every kind of CSV quoting
TRICKY = 'comma, "quote" and\nnewline'
LINE = TRICKY.replace("\n", " ")  # for names, which are one line

HEADS = {
    "assets": ["id", "org_id", "kind", "value", "created_at"],
    "contacts": ["id", "org_id", "name", "email", "phone", "role", "language",
                 "created_at", "pgp_fingerprint"],
    "observables": ["id", "type", "value", "to_ids", "tlp", "comment", "first_seen",
                    "last_seen", "created_by", "created_at", "correlations"],
    "entries": ["id", "kind", "visibility", "author", "body", "created_at"],
    "tasks": ["id", "title", "assignee", "due_at", "state", "created_at", "updated_at"],
    "links": ["id", "kind", "ref", "title", "created_by", "created_at"],
    "templates": ["id", "rsit_type", "rsit_class", "name", "tlp", "pap", "impact",
                  "urgency", "tags", "tasks", "created_at", "updated_at"],
    "audit": ["seq", "at", "actor", "action", "object_type", "object_id", "detail",
              "prev_hash", "hash"],
    "users": ["id", "login", "name", "email", "role", "org", "disabled", "created_at",
              "updated_at", "last_login_at"],
    "tokens": ["id", "name", "user", "prefix", "created_at", "expires_at",
               "last_used_at", "revoked_at"],
    "jobs": ["id", "kind", "state", "payload", "attempts", "max_attempts", "run_after",
             "last_error", "created_at", "finished_at"],
}


def ok(r, status=201):
    assert r.status_code == status, f"{r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
def w(server):
    a = server.admin()
    org = ok(a.post("/api/v1/orgs", json={"name": "CSV Org", "short_name": "CSV-ORG"}))
    other = ok(a.post("/api/v1/orgs", json={"name": "Other", "short_name": "OTHER"}))
    server.create_user("hal", "handler", password=PW, name=LINE)
    server.create_user("vera", "viewer", password=PW)
    server.create_user("cora", "constituent", password=PW, org="CSV-ORG")
    server.create_user("otto", "constituent", password=PW, org="OTHER")
    server.create_user("olga", "constituent", password=PW, org="OTHER")
    s = {r: server.session(n, PW) for r, n in
         (("handler", "hal"), ("viewer", "vera"), ("constituent", "cora"),
          ("outsider", "otto"))}
    s["admin"] = a
    h = s["handler"]
    oid = org["id"]
    for v in ("192.0.2.0/24", "198.51.100.0/24", "csv-org.example", "203.0.113.0/24"):
        ok(h.post(f"/api/v1/orgs/{oid}/assets",
                  json={"kind": "domain" if "example" in v else "cidr", "value": v}))
    for i, name in enumerate((LINE, "Bea", "Cai")):
        ok(h.post(f"/api/v1/orgs/{oid}/contacts",
                  json={"name": name, "email": f"c{i}@csv-org.example", "role": "abuse"}))
    ref = ok(h.post("/api/v1/incidents", json={"title": LINE, "orgs": ["CSV-ORG"],
                                               "tlp": "GREEN"}))["ref"]
    ref2 = ok(h.post("/api/v1/incidents", json={"title": "second, related",
                                                "orgs": ["CSV-ORG"]}))["ref"]
    ref3 = ok(h.post("/api/v1/incidents", json={"title": "third"}))["ref"]
    for vis, body in (("internal", "internal: do not share"), ("shared", TRICKY),
                      ("internal", "internal again"), ("shared", "shared two"),
                      ("shared", "shared three")):
        ok(h.post(f"/api/v1/incidents/{ref}/entries", json={"visibility": vis, "body": body}))
    for t in (LINE, "second task", "third task"):
        ok(h.post(f"/api/v1/incidents/{ref}/tasks", json={"title": t, "assignee": "hal"}))
    # two ordinary observables, then one the constituent must not see, then
    # one more: the hidden one falls inside and at the edge of pages
    for body in ({"type": "ipv4", "value": "198.51.100.7", "comment": TRICKY,
                  "to_ids": True},
                 {"type": "domain", "value": "evil.example"},
                 {"type": "ipv4", "value": "198.51.100.8", "tlp": "RED",
                  "comment": "team only"},
                 {"type": "url", "value": "https://evil.example/a,b"}):
        ok(h.post(f"/api/v1/incidents/{ref}/observables", json=body))
    # the same IOC on the second incident: a correlation
    ok(h.post(f"/api/v1/incidents/{ref2}/observables",
              json={"type": "domain", "value": "evil.example"}))
    ok(h.post(f"/api/v1/incidents/{ref}/links", json={"kind": "related", "ref": ref2}))
    ok(h.post(f"/api/v1/incidents/{ref}/links", json={"kind": "parent-of", "ref": ref3}))
    for rt, name in (("phishing", LINE), ("malware-distribution", "malware, basic"),
                     ("scanner", "scans")):
        ok(h.post("/api/v1/templates", json={"rsit_type": rt, "name": name,
                                             "tlp": "AMBER", "tags": ["a", "b c"],
                                             "tasks": ['call "them", now', "close"]}))
    for name in (LINE, "second", "third"):
        ok(h.post("/api/v1/tokens", json={"name": name}))
    for fail in (True, True, True, False, False):
        ok(a.post("/api/v1/jobs", json={"kind": "selftest", "max_attempts": 1,
                                        "payload": {"fail": fail, "sleep_ms": 0}}), 202)
    wait_until(lambda: all(j["state"] in ("done", "failed") for j in
                           a.get("/api/v1/jobs").json()["items"]), 20, what="jobs")
    paths = {
        "assets": f"/api/v1/orgs/{oid}/assets",
        "contacts": f"/api/v1/orgs/{oid}/contacts",
        "observables": f"/api/v1/incidents/{ref}/observables",
        "entries": f"/api/v1/incidents/{ref}/entries",
        "tasks": f"/api/v1/incidents/{ref}/tasks",
        "links": f"/api/v1/incidents/{ref}/links",
        "templates": "/api/v1/templates",
        "audit": "/api/v1/audit",
        "users": "/api/v1/users",
        "tokens": "/api/v1/tokens",
        "jobs": "/api/v1/jobs",
    }
    return {"s": s, "paths": paths, "org": oid, "other": other["id"], "ref": ref,
            "ref2": ref2}


def read_csv(r):
    """Checks a CSV answer; returns its records (header first)."""
    assert r.status_code == 200, f"{r.status_code} {r.text}"
    ct = r.headers["Content-Type"]
    assert ct.split(";")[0].strip() == "text/csv" and "charset=utf-8" in ct, ct
    assert r.headers["Content-Disposition"].startswith("attachment; filename=")
    assert r.text.endswith("\r\n")
    return list(csv.reader(io.StringIO(r.text, newline="")))


def next_link(r):
    """The rel="next" target of the Link header, resolved against the request
    URL as a client would; None on the last page."""
    link = r.headers.get("Link")
    if link is None:
        return None
    m = re.fullmatch(r'<([^>]*)>; rel="next"', link)
    assert m, link
    return urljoin(r.url, m.group(1))


def csv_pages(s, path, params):
    """Follows the Link headers from the first page; returns (header, rows,
    rows per page)."""
    head, rows, pages = None, [], []
    r = s.get(path, params=dict(params, format="csv"))
    while True:
        recs = read_csv(r)
        assert head is None or recs[0] == head
        head = recs[0]
        rows += recs[1:]
        pages.append(len(recs) - 1)
        url = next_link(r)
        if url is None:
            return head, rows, pages
        assert len(pages) < 100
        r = s.get(url)


def cell(v):
    """How a JSON value is written in a CSV cell."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return ";".join(x["ref"] if isinstance(x, dict) else x for x in v)
    return v


def same(head, rows, items):
    assert len(rows) == len(items), (rows, items)
    for row, item in zip(rows, items):
        assert sorted(head) == sorted(item), (head, list(item))
        for k, v in zip(head, row):
            if isinstance(item[k], dict):  # audit detail, job payload
                assert json.loads(v) == item[k], (k, v)
            else:
                assert v == cell(item[k]), (k, v, item[k])


def json_all(s, path, params, limit=500):
    if path.endswith("/links"):
        r = s.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]
    return paginate(s, path, limit=limit, params=params)[0]


CASES = [  # (list, role, filters)
    ("assets", "handler", {}),
    ("assets", "constituent", {"kind": "cidr"}),
    ("contacts", "viewer", {}),
    ("contacts", "constituent", {}),
    ("observables", "handler", {}),
    ("observables", "constituent", {}),
    ("entries", "handler", {}),
    ("entries", "constituent", {}),
    ("tasks", "viewer", {}),
    ("links", "constituent", {}),
    ("templates", "viewer", {}),
    ("audit", "admin", {}),
    ("audit", "admin", {"action": "incident.create"}),
    ("users", "admin", {}),
    ("users", "admin", {"role": "constituent"}),
    ("tokens", "handler", {}),
    ("jobs", "admin", {}),
    ("jobs", "admin", {"state": "failed"}),
]


@pytest.mark.parametrize("name,role,filters", CASES)
def test_same_rows_as_json_through_the_link(w, name, role, filters):
    s, path = w["s"][role], w["paths"][name]
    items = json_all(s, path, filters)
    assert items, "the fixture should give every list rows"
    head, rows, pages = csv_pages(s, path, dict(filters, limit=2))
    assert head == HEADS[name]
    same(head, rows, items)
    if name == "links":
        assert pages == [len(items)]  # one page, whole
    else:
        # each page holds at most limit rows: the Link kept the limit
        assert len(items) > 2 and len(pages) > 1 and max(pages) <= 2, pages


def test_link_keeps_the_filters(w):
    s = w["s"]["handler"]
    r = s.get(w["paths"]["assets"], params={"format": "csv", "kind": "cidr", "limit": 2})
    q = parse_qs(urlsplit(next_link(r)).query)
    assert q["kind"] == ["cidr"] and q["limit"] == ["2"] and q["format"] == ["csv"]
    assert q["cursor"][0]
    head, rows, pages = csv_pages(s, w["paths"]["assets"], {"kind": "cidr", "limit": 2})
    assert pages == [2, 1]
    assert [x[head.index("kind")] for x in rows] == ["cidr"] * 3
    # a filter value that needs percent-encoding survives the round trip
    a = w["s"]["admin"]
    r = a.get("/api/v1/audit", params={"format": "csv", "limit": 1,
                                        "actor": "hal", "action": "incident.create"})
    q = parse_qs(urlsplit(next_link(r)).query)
    assert q["actor"] == ["hal"] and q["action"] == ["incident.create"]
    # the report list keeps its status and source filters
    for i in range(3):
        r = s.post("/api/v1/reports", json={"subject": f"csv filter {i}", "body": "x"})
        assert r.status_code == 201, r.text
    r = s.get("/api/v1/reports", params={"format": "csv", "limit": 1, "status": "new",
                                          "source": "api"})
    q = parse_qs(urlsplit(next_link(r)).query)
    assert q["status"] == ["new"] and q["source"] == ["api"] and q["limit"] == ["1"]


def test_tricky_values_round_trip(w):
    s = w["s"]["handler"]
    checks = [("contacts", "name", LINE), ("observables", "comment", TRICKY),
              ("entries", "body", TRICKY), ("templates", "name", LINE),
              ("tasks", "title", LINE), ("tokens", "name", LINE)]
    for name, col, want in checks:
        recs = read_csv(s.get(w["paths"][name], params={"format": "csv"}))
        values = [r[recs[0].index(col)] for r in recs[1:]]
        assert want in values, (name, values)
    recs = read_csv(s.get(w["paths"]["links"], params={"format": "csv"}))
    assert all(len(r) == len(HEADS["links"]) for r in recs)
    # lists are joined with ';', item by item as in JSON
    recs = read_csv(s.get("/api/v1/templates", params={"format": "csv"}))
    row = dict(zip(recs[0], recs[1]))
    assert row["tags"] == "a;b c" and row["tasks"] == 'call "them", now;close'
    recs = read_csv(s.get(w["paths"]["observables"], params={"format": "csv"}))
    corr = {r[2]: r[recs[0].index("correlations")] for r in recs[1:]}
    assert corr["evil.example"] == w["ref2"] and corr["198.51.100.7"] == ""


def test_constituent_never_sees_what_json_hides(w):
    c, h = w["s"]["constituent"], w["s"]["handler"]
    recs = read_csv(c.get(w["paths"]["entries"], params={"format": "csv"}))
    assert {r[2] for r in recs[1:]} == {"shared"} and len(recs) == 4
    assert "internal" not in "".join(r[4] for r in recs[1:])
    assert "do not share" not in c.get(w["paths"]["entries"],
                                       params={"format": "csv"}).text
    team = read_csv(h.get(w["paths"]["entries"], params={"format": "csv"}))
    assert sorted(r[2] for r in team[1:]).count("internal") >= 2
    r = c.get(w["paths"]["observables"], params={"format": "csv"})
    assert "198.51.100.8" not in r.text and "team only" not in r.text
    assert "198.51.100.8" in h.get(w["paths"]["observables"],
                                   params={"format": "csv"}).text


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_hidden_observable_at_a_page_edge(w, limit):
    """Neither the JSON nor the CSV pages of a constituent lose a row next
    to a TLP:RED observable they skip."""
    c, path = w["s"]["constituent"], w["paths"]["observables"]
    want = ["198.51.100.7", "evil.example", "https://evil.example/a,b"]
    items, _ = paginate(c, path, limit=limit)
    assert [x["value"] for x in items] == want
    head, rows, _ = csv_pages(c, path, {"limit": limit})
    assert [r[head.index("value")] for r in rows] == want


DENIED = [  # (list, role): JSON is denied, so is CSV
    ("tasks", "constituent"),
    ("templates", "constituent"),
    ("audit", "handler"), ("audit", "viewer"), ("audit", "constituent"),
    ("users", "viewer"), ("users", "constituent"),
    ("jobs", "handler"), ("jobs", "viewer"),
    ("assets", "outsider"), ("contacts", "outsider"),
    ("entries", "outsider"), ("observables", "outsider"), ("links", "outsider"),
]


@pytest.mark.parametrize("name,role", DENIED)
def test_denied_as_in_json(w, name, role):
    s, path = w["s"][role], w["paths"][name]
    j = s.get(path)
    assert j.status_code in (403, 404), j.text
    assert_problem(s.get(path, params={"format": "csv"}), j.status_code)


def test_tokens_of_others_denied_and_no_secret(server, w):
    v = w["s"]["viewer"]
    assert_problem(v.get("/api/v1/tokens", params={"user": "hal", "format": "csv"}), 403)
    h = w["s"]["handler"]
    secret = ok(h.post("/api/v1/tokens", json={"name": "shown once"}))["token"]
    r = h.get("/api/v1/tokens", params={"format": "csv"})
    recs = read_csv(r)
    assert secret not in r.text
    prefixes = [x[recs[0].index("prefix")] for x in recs[1:]]
    assert any(secret.startswith(p) for p in prefixes)
    r = w["s"]["admin"].get("/api/v1/users", params={"format": "csv"})
    assert "$argon2" not in r.text and "hash" not in read_csv(r)[0]


@pytest.mark.parametrize("name", list(HEADS))
def test_unknown_format_is_400(w, name):
    s = w["s"]["admin"] if name in ("audit", "users", "jobs") else w["s"]["handler"]
    p = assert_problem(s.get(w["paths"][name], params={"format": "xml"}), 400)
    assert "csv" in p["detail"]
    # json stays the default and can be asked for by name
    r = s.get(w["paths"][name], params={"format": "json"})
    assert r.status_code == 200 and "items" in r.json()
