"""Incident templates per RSIT type: defaults, tags and the task checklist."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def h(server):
    server.create_user("tpl", "handler", password=PW)
    server.create_user("tplv", "viewer", password=PW)
    return server.session("tpl", PW)


def test_phishing_playbook(server, h):
    r = h.post("/api/v1/templates", json={
        "rsit_type": "phishing", "name": "Phishing playbook", "tlp": "GREEN",
        "impact": "high", "urgency": "high", "tags": ["T1566", "phishing"],
        "tasks": ["Collect headers of the reported mail", "Request takedown of the site",
                  "Notify the affected constituent"]})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["rsit_class"] == "fraud" and len(t["tasks"]) == 3 and t["pap"] is None
    x = h.post("/api/v1/incidents", json={"title": "Fake webmail", "rsit_type": "phishing",
                                           "urgency": "low", "tags": ["campaign-7"]}).json()
    assert x["tlp"] == "GREEN" and x["impact"] == "high"
    assert x["urgency"] == "low", "what the caller gives wins over the template"
    assert sorted(x["tags"]) == ["T1566", "campaign-7", "phishing"]
    tasks, _ = paginate(h, f"/api/v1/incidents/{x['ref']}/tasks")
    assert [t["title"] for t in tasks] == ["Collect headers of the reported mail",
                                          "Request takedown of the site",
                                          "Notify the affected constituent"]
    # triage applies it too
    rep = h.post("/api/v1/reports", json={"subject": "phish", "body": "x"}).json()
    y = h.post(f"/api/v1/reports/{rep['id']}:triage",
               json={"action": "new-incident", "rsit_type": "phishing"}).json()["incident"]
    assert y["impact"] == "high"
    tasks, _ = paginate(h, f"/api/v1/incidents/{y['ref']}/tasks")
    assert len(tasks) == 3
    # other types are untouched
    z = h.post("/api/v1/incidents", json={"title": "scan", "rsit_type": "scanner"}).json()
    assert z["tlp"] == "AMBER" and paginate(h, f"/api/v1/incidents/{z['ref']}/tasks")[0] == []


def test_validation_update_delete(server, h):
    assert_problem(h.post("/api/v1/templates", json={"rsit_type": "phising", "name": "x"}), 400)
    assert_problem(h.post("/api/v1/templates", json={"rsit_type": "ddos", "name": "x",
                                                      "tags": ["T99"]}), 400)
    assert_problem(h.post("/api/v1/templates", json={"rsit_type": "ddos", "name": "x",
                                                      "tasks": ["a\nb"]}), 400)
    t = h.post("/api/v1/templates", json={"rsit_type": "ddos", "name": "DDoS"})
    assert t.status_code == 201
    assert_problem(h.post("/api/v1/templates", json={"rsit_type": "ddos", "name": "again"}), 409)
    tid, etag = t.json()["id"], t.headers["ETag"]
    r = h.patch(f"/api/v1/templates/{tid}", json={"tasks": ["Contact the upstream ISP"]},
                headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["tasks"] == ["Contact the upstream ISP"]
    assert r.json()["name"] == "DDoS"
    assert_problem(h.patch(f"/api/v1/templates/{tid}", json={"name": "x"},
                           headers={"If-Match": etag}), 412)
    assert_problem(server.session("tplv", PW).post("/api/v1/templates",
                                                   json={"rsit_type": "dos", "name": "x"}), 403)
    assert h.delete(f"/api/v1/templates/{tid}").status_code == 204
    assert_problem(h.get(f"/api/v1/templates/{tid}"), 404)
