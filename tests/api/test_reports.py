"""Intake: reports and triage into incidents."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def h(server):
    server.create_user("tri", "handler", password=PW)
    server.create_user("watcher", "viewer", password=PW)
    server.create_user("town", "constituent", password=PW, org="TOWN")
    server.admin().post("/api/v1/orgs", json={"name": "Town", "short_name": "TOWN"})
    return server.session("tri", PW)


def report(h, **kw):
    body = {"reporter": "Maria <maria@example.net>", "subject": "Fake bank page",
            "body": "I got a mail pointing to hxxp://bank-login[.]example/ today.",
            "language": "es", "tlp": "GREEN"}
    body.update(kw)
    r = h.post("/api/v1/reports", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_and_read(h, server):
    r = report(h)
    assert r["status"] == "new" and r["source"] == "api" and r["tlp"] == "GREEN"
    assert r["incident"] is None and r["created_by"] == "tri"
    g = h.get(f"/api/v1/reports/{r['id']}")
    assert g.status_code == 200 and g.json() == r
    v = server.session("watcher", PW)
    assert v.get(f"/api/v1/reports/{r['id']}").status_code == 200
    assert_problem(v.post("/api/v1/reports", json={"subject": "x", "body": "y"}), 403)
    c = server.session("town", PW)
    assert_problem(c.get("/api/v1/reports"), 403)
    assert_problem(c.get(f"/api/v1/reports/{r['id']}"), 403)


@pytest.mark.parametrize("body,field", [
    ({"subject": "", "body": "x"}, "subject"),
    ({"subject": "x"}, "body"),
    ({"subject": "x", "body": "y", "tlp": "PURPLE"}, "tlp"),
    ({"subject": "x", "body": "y", "source": "web"}, "source"),
])
def test_validation(h, body, field):
    p = assert_problem(h.post("/api/v1/reports", json=body), 400)
    assert field in [e["field"] for e in p["errors"]]


def test_triage_into_new_incident(h):
    r = report(h)
    t = h.post(f"/api/v1/reports/{r['id']}:triage",
               json={"action": "new-incident", "rsit_type": "phishing", "impact": "high"})
    assert t.status_code == 200, t.text
    body = t.json()
    inc = body["incident"]
    assert body["report"]["status"] == "triaged" and body["report"]["incident"] == inc["ref"]
    assert body["report"]["triaged_by"] == "tri"
    assert inc["title"] == "Fake bank page" and inc["tlp"] == "GREEN"
    assert inc["rsit_class"] == "fraud" and inc["impact"] == "high"
    journal, _ = paginate(h, f"/api/v1/incidents/{inc['ref']}/entries")
    copied = [e for e in journal if e["kind"] == "correspondence"]
    assert copied and "hxxp://bank-login[.]example/" in copied[0]["body"]
    assert copied[0]["visibility"] == "internal"
    p = assert_problem(h.post(f"/api/v1/reports/{r['id']}:triage", json={"action": "spam"}), 409)
    assert "already triaged" in p["detail"]


def test_attach_reject_spam(h):
    inc = h.post("/api/v1/incidents", json={"title": "Bank phishing campaign"}).json()
    a = report(h, subject="same phish again")
    t = h.post(f"/api/v1/reports/{a['id']}:triage",
               json={"action": "attach", "incident": inc["ref"]})
    assert t.status_code == 200, t.text
    assert t.json()["report"]["status"] == "merged"
    assert t.json()["incident"]["ref"] == inc["ref"]
    b = report(h, subject="not ours")
    assert h.post(f"/api/v1/reports/{b['id']}:triage",
                  json={"action": "reject"}).json()["report"]["status"] == "rejected"
    c = report(h, subject="buy pills")
    assert h.post(f"/api/v1/reports/{c['id']}:triage",
                  json={"action": "spam"}).json()["report"]["status"] == "spam"
    # nothing is deleted: rejected and spam reports are still listed
    for status, rid in (("rejected", b["id"]), ("spam", c["id"])):
        items, _ = paginate(h, "/api/v1/reports", params={"status": status})
        assert rid in [x["id"] for x in items]
    d = report(h)
    p = assert_problem(h.post(f"/api/v1/reports/{d['id']}:triage",
                              json={"action": "attach", "incident": "CSIRT-1999-000001"}), 400)
    assert p["errors"][0]["field"] == "incident"
    assert h.get(f"/api/v1/reports/{d['id']}").json()["status"] == "new"
    p = assert_problem(h.post(f"/api/v1/reports/{d['id']}:triage", json={"action": "delete"}), 400)
    assert_problem(h.post("/api/v1/reports/999999:triage", json={"action": "spam"}), 404)


def test_triage_is_atomic(h):
    """A triage that fails creates no incident and leaves the report new."""
    before, _ = paginate(h, "/api/v1/incidents")
    r = report(h)
    p = assert_problem(h.post(f"/api/v1/reports/{r['id']}:triage",
                              json={"action": "new-incident", "owner": "nobody"}), 400)
    after, _ = paginate(h, "/api/v1/incidents")
    assert len(after) == len(before)
    assert h.get(f"/api/v1/reports/{r['id']}").json()["status"] == "new"


def test_csv_export(h):
    import csv
    import io
    ids = [report(h, subject=f"csv report, {i}")["id"] for i in range(3)]
    r = h.get("/api/v1/reports", params={"format": "csv", "limit": 2})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(x["id"]) for x in rows] == list(reversed(ids))[:2]
    assert rows[0]["subject"] == "csv report, 2" and rows[0]["status"] == "new"
    assert 'rel="next"' in r.headers["Link"]
    assert_problem(h.get("/api/v1/reports", params={"format": "pdf"}), 400)
