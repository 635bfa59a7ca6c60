"""Incidents: creation, classification, priority, lifecycle, journal, tasks,
SLA filters."""
import datetime
import re

import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"
YEAR = datetime.datetime.now(datetime.timezone.utc).year


@pytest.fixture(scope="module")
def h(server):
    server.create_user("ana", "handler", password=PW)
    server.create_user("ben", "handler", password=PW)
    r = server.admin().post("/api/v1/orgs", json={"name": "UPC", "short_name": "UPC"})
    assert r.status_code == 201, r.text
    return server.session("ana", PW)


def new(h, **kw):
    body = {"title": "Phishing wave against staff"}
    body.update(kw)
    r = h.post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_defaults_and_reference(h):
    a = new(h)
    b = new(h, title="Second")
    assert re.fullmatch(rf"CSIRT-{YEAR}-\d{{6}}", a["ref"]), a["ref"]
    na, nb = int(a["ref"][-6:]), int(b["ref"][-6:])
    assert nb == na + 1, (a["ref"], b["ref"])
    assert a["status"] == "new" and a["tlp"] == "AMBER" and a["pap"] == "AMBER"
    assert a["impact"] == a["urgency"] == "medium" and a["priority"] == 3
    assert a["resolution"] is None and a["owner"] is None
    assert a["created_by"] == "ana"
    assert a["sla"]["breached"] is False and a["sla"]["first_response_at"] is None
    r = h.get(f"/api/v1/incidents/{a['ref']}")
    assert r.status_code == 200 and r.json() == a


def test_classification_and_priority(h):
    x = new(h, rsit_type="phishing", impact="critical", urgency="critical",
            tlp="amber+strict", pap="GREEN", tags=["T1566.001", "campaign-42"],
            orgs=["UPC"], owner="ben", members=["ana"])
    assert x["rsit_class"] == "fraud" and x["rsit_type"] == "phishing"
    assert x["priority"] == 1 and x["tlp"] == "AMBER+STRICT" and x["pap"] == "GREEN"
    assert sorted(x["tags"]) == ["T1566.001", "campaign-42"]
    assert x["orgs"] == ["UPC"] and x["owner"] == "ben" and x["members"] == ["ana"]


@pytest.mark.parametrize("body,field", [
    ({"title": ""}, "title"),
    ({"rsit_type": "phising"}, "rsit_type"),
    ({"rsit_class": "fraud", "rsit_type": "scanner"}, "rsit_type"),
    ({"tlp": "WHITE-ISH"}, "tlp"),
    ({"impact": "urgent"}, "impact"),
    ({"tags": ["T99999"]}, "tags"),
    ({"orgs": ["NOPE"]}, "orgs"),
    ({"owner": "nobody"}, "owner"),
    ({"status": "closed"}, "status"),
    ({"colour": "red"}, "colour"),
])
def test_create_validation(h, body, field):
    body.setdefault("title", "x")
    p = assert_problem(h.post("/api/v1/incidents", json=body), 400)
    assert field in [e["field"] for e in p["errors"]], p


def test_lifecycle(h):
    x = new(h)
    ref = x["ref"]
    r = h.patch(f"/api/v1/incidents/{ref}", json={"status": "closed"})
    p = assert_problem(r, 409)
    assert "allowed: open, resolved" in p["detail"], p
    r = h.patch(f"/api/v1/incidents/{ref}", json={"status": "open"})
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert r.json()["sla"]["first_response_at"] is not None
    p = assert_problem(h.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved"}), 400)
    assert p["errors"][0]["field"] == "resolution"
    r = h.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved",
                                                   "resolution": "false-positive"})
    assert r.status_code == 200, r.text
    assert r.json()["resolution"] == "false-positive" and r.json()["sla"]["resolved_at"]
    assert h.patch(f"/api/v1/incidents/{ref}", json={"status": "closed"}).status_code == 200
    r = h.patch(f"/api/v1/incidents/{ref}", json={"status": "open"})
    assert r.status_code == 200 and r.json()["resolution"] is None
    journal, _ = paginate(h, f"/api/v1/incidents/{ref}/entries")
    texts = [e["body"] for e in journal if e["kind"] == "status"]
    assert texts == ["created", "status new -> open", "status open -> resolved",
                     "status resolved -> closed", "status closed -> open (reopened)"], texts


def test_if_match(h):
    x = new(h)
    r = h.get(f"/api/v1/incidents/{x['ref']}")
    etag = r.headers["ETag"]
    r = h.patch(f"/api/v1/incidents/{x['ref']}", json={"title": "Renamed"},
                headers={"If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag
    assert_problem(h.patch(f"/api/v1/incidents/{x['ref']}", json={"title": "Again"},
                           headers={"If-Match": etag}), 412)
    assert h.get(f"/api/v1/incidents/{x['ref']}").json()["title"] == "Renamed"


def test_tasks_block_resolving_unless_forced(h):
    x = new(h)
    ref = x["ref"]
    t = h.post(f"/api/v1/incidents/{ref}/tasks", json={"title": "Take down the kit",
                                                        "assignee": "ben"})
    assert t.status_code == 201, t.text
    assert t.json()["assignee"] == "ben" and t.json()["state"] == "open"
    body = {"status": "resolved", "resolution": "mitigated"}
    p = assert_problem(h.patch(f"/api/v1/incidents/{ref}", json=body), 409)
    assert "1 task(s) are still open" in p["detail"]
    r = h.patch(f"/api/v1/incidents/{ref}", json=dict(body, force=True))
    assert r.status_code == 200, r.text
    tasks, _ = paginate(h, f"/api/v1/incidents/{ref}/tasks")
    assert [t["state"] for t in tasks] == ["cancelled"]


def test_task_update(h):
    x = new(h)
    t = h.post(f"/api/v1/incidents/{x['ref']}/tasks", json={"title": "Notify ISP"})
    tid, etag = t.json()["id"], t.headers["ETag"]
    r = h.patch(f"/api/v1/incidents/{x['ref']}/tasks/{tid}", json={"state": "done"},
                headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["state"] == "done"
    assert_problem(h.patch(f"/api/v1/incidents/{x['ref']}/tasks/{tid}",
                           json={"state": "open"}, headers={"If-Match": etag}), 412)
    assert_problem(h.patch(f"/api/v1/incidents/{x['ref']}/tasks/{tid}",
                           json={"state": "finished"}), 400)
    assert_problem(h.patch(f"/api/v1/incidents/{x['ref']}/tasks/99999",
                           json={"state": "done"}), 404)


def test_correspondence_reopens(h):
    x = new(h)
    ref = x["ref"]
    h.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved", "resolution": "fixed"})
    h.patch(f"/api/v1/incidents/{ref}", json={"status": "closed"})
    r = h.post(f"/api/v1/incidents/{ref}/entries",
               json={"kind": "correspondence", "visibility": "shared",
                     "body": "The phishing page is back online."})
    assert r.status_code == 201, r.text
    x = h.get(f"/api/v1/incidents/{ref}").json()
    assert x["status"] == "open" and x["resolution"] is None
    p = assert_problem(h.post(f"/api/v1/incidents/{ref}/entries",
                              json={"kind": "gossip", "body": "x"}), 400)
    assert p["errors"][0]["field"] == "kind"


def test_filters_and_sla(server, h):
    a = new(h, title="old P1", impact="critical", urgency="critical", tags=["sla-test"])
    b = new(h, title="fresh P4", impact="low", urgency="low", tags=["sla-test"])
    # two days pass for incident a
    assert server.sql("UPDATE incident SET created_at = created_at - 172800, response_due = "
                      "response_due - 172800, resolve_due = resolve_due - 172800 "
                      f"WHERE ref = '{a['ref']}'") == 1
    breached, _ = paginate(h, "/api/v1/incidents", params={"sla": "breached", "tag": "sla-test"})
    assert [x["ref"] for x in breached] == [a["ref"]]
    assert breached[0]["sla"]["breached"] is True
    soon, _ = paginate(h, "/api/v1/incidents", params={"due_within": "4d", "tag": "sla-test"})
    assert [x["ref"] for x in soon] == [b["ref"], a["ref"]]  # b: first response in 3 days
    soon, _ = paginate(h, "/api/v1/incidents", params={"due_within": "4h", "tag": "sla-test"})
    assert [x["ref"] for x in soon] == [a["ref"]]
    p1, _ = paginate(h, "/api/v1/incidents", params={"priority": "4", "tag": "sla-test"})
    assert [x["ref"] for x in p1] == [b["ref"]]
    assert_problem(h.get("/api/v1/incidents", params={"sla": "late"}), 400)
    assert_problem(h.get("/api/v1/incidents", params={"due_within": "soon"}), 400)
    assert_problem(h.get("/api/v1/incidents", params={"status": "zombie"}), 400)


def test_list_pagination_newest_first(h):
    refs = [new(h, title=f"bulk {i}", tags=["bulk"])["ref"] for i in range(7)]
    items, pages = paginate(h, "/api/v1/incidents", limit=3, params={"tag": "bulk"})
    assert [x["ref"] for x in items] == list(reversed(refs))
    assert pages == [3, 3, 1]


def test_audit_rows(server, h):
    x = new(h)
    h.patch(f"/api/v1/incidents/{x['ref']}", json={"status": "open"})
    rows, _ = paginate(server.admin(), "/api/v1/audit", params={"action": "incident.update"})
    assert any(r["detail"].get("ref") == x["ref"] and r["detail"].get("from") == "new"
               for r in rows)
    assert server.cli("audit", "verify").returncode == 0


def test_summary_markdown_is_rendered_safely(h):
    x = new(h, summary="**Phishing** kit at [site](https://evil.example/)\n\n"
                       "<script>alert(1)</script> [x](javascript:alert(1))")
    html = x["summary_html"]
    assert "<strong>Phishing</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert x["summary"].startswith("**Phishing**")


def test_csv_export(h):
    import csv
    import io
    refs = [new(h, title=f'export "quoted", {i}', tags=["csv-export", "t2"])["ref"]
            for i in range(3)]
    r = h.get("/api/v1/incidents", params={"tag": "csv-export", "format": "csv", "limit": 2})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["ref"] for x in rows] == list(reversed(refs))[:2]
    assert rows[0]["title"] == 'export "quoted", 2'
    assert rows[0]["tags"] == "csv-export;t2" and rows[0]["status"] == "new"
    link = r.headers["Link"]
    assert 'rel="next"' in link and "cursor=" in link
    cursor = link.split("cursor=")[1].split(">")[0]
    r = h.get("/api/v1/incidents", params={"tag": "csv-export", "format": "csv",
                                           "limit": 2, "cursor": cursor})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["ref"] for x in rows] == [refs[0]] and "Link" not in r.headers
    assert_problem(h.get("/api/v1/incidents", params={"format": "xml"}), 400)


def test_links(server, h):
    a, b, c = new(h, title="parent case")["ref"], new(h, title="child")["ref"], new(h)["ref"]
    r = h.post(f"/api/v1/incidents/{b}/links", json={"kind": "child-of", "ref": a})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "child-of" and r.json()["ref"] == a
    assert h.post(f"/api/v1/incidents/{c}/links",
                  json={"kind": "duplicate-of", "ref": a}).status_code == 201
    assert h.post(f"/api/v1/incidents/{c}/links",
                  json={"kind": "related", "ref": b}).status_code == 201
    got = {(x["kind"], x["ref"]) for x in h.get(f"/api/v1/incidents/{a}/links").json()["items"]}
    assert got == {("parent-of", b), ("duplicated-by", c)}
    got = {(x["kind"], x["ref"]) for x in h.get(f"/api/v1/incidents/{b}/links").json()["items"]}
    assert got == {("child-of", a), ("related", c)}
    p = assert_problem(h.post(f"/api/v1/incidents/{b}/links",
                              json={"kind": "related", "ref": c}), 409)
    assert "already linked" in p["errors"][0]["detail"]
    assert_problem(h.post(f"/api/v1/incidents/{a}/links", json={"kind": "related", "ref": a}), 400)
    assert_problem(h.post(f"/api/v1/incidents/{a}/links", json={"kind": "sibling", "ref": b}), 400)
    # a link to an incident the caller cannot read is not shown
    server.create_user("lina", "handler", password=PW)
    red = h.post("/api/v1/incidents", json={"title": "red", "tlp": "RED"}).json()["ref"]
    assert h.post(f"/api/v1/incidents/{a}/links", json={"kind": "related", "ref": red}).status_code == 201
    lina = server.session("lina", PW)
    refs = [x["ref"] for x in lina.get(f"/api/v1/incidents/{a}/links").json()["items"]]
    assert red not in refs and b in refs
    assert_problem(lina.post(f"/api/v1/incidents/{a}/links", json={"kind": "related", "ref": red}), 400)
    lid = [x["id"] for x in h.get(f"/api/v1/incidents/{a}/links").json()["items"]
           if x["ref"] == b][0]
    assert h.delete(f"/api/v1/incidents/{a}/links/{lid}").status_code == 204
    assert_problem(h.delete(f"/api/v1/incidents/{a}/links/{lid}"), 404)
