"""Full-text search: incidents, reports, journal and observables, never past
what the caller may read."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def w(server):
    a = server.admin()
    a.post("/api/v1/orgs", json={"name": "Ajuntament", "short_name": "AJT"})
    a.post("/api/v1/orgs", json={"name": "Other", "short_name": "OTH"})
    server.create_user("sh", "handler", password=PW)
    server.create_user("sh2", "handler", password=PW)
    server.create_user("scon", "constituent", password=PW, org="AJT")
    h = server.session("sh", PW)
    x = h.post("/api/v1/incidents", json={
        "title": "Ransomware a la Policía Local", "orgs": ["AJT"],
        "summary": "Cifrado de servidores por **LockBit** variant."}).json()
    h.post(f"/api/v1/incidents/{x['ref']}/entries",
           json={"visibility": "internal", "body": "zanzibar internal hunch"})
    h.post(f"/api/v1/incidents/{x['ref']}/entries",
           json={"visibility": "shared", "body": "quokka shared update"})
    h.post(f"/api/v1/incidents/{x['ref']}/observables",
           json={"type": "domain", "value": "lockbit-leaks[.]example"})
    red = h.post("/api/v1/incidents", json={"title": "Secret wombat case", "tlp": "RED",
                                             "orgs": ["AJT"]}).json()
    other = h.post("/api/v1/incidents", json={"title": "Wombat at the other org",
                                               "orgs": ["OTH"]}).json()
    rep = h.post("/api/v1/reports", json={"subject": "platypus sighting",
                                           "body": "nothing to see"}).json()
    return {"h": h, "h2": server.session("sh2", PW), "con": server.session("scon", PW),
            "x": x, "red": red, "other": other, "rep": rep}


def hits(s, q):
    r = s.get("/api/v1/search", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_finds_each_kind(w):
    h = w["h"]
    got = hits(h, "policia")  # diacritics folded
    assert any(x["kind"] == "incident" and x["incident"] == w["x"]["ref"] for x in got)
    assert [x["kind"] for x in hits(h, "lockbit-leaks.example")] == ["observable"]
    assert [x["kind"] for x in hits(h, "zanzibar")] == ["entry"]
    r = hits(h, "platypus")
    assert r[0]["kind"] == "report" and r[0]["report"] == w["rep"]["id"]
    assert hits(h, "lockb*"), "prefix search"
    assert "«" in hits(h, "quokka")[0]["snippet"]


def test_rights(w):
    con, h2 = w["con"], w["h2"]
    assert hits(con, "quokka"), "a shared entry of its own incident"
    assert hits(con, "zanzibar") == [], "internal entries stay with the team"
    assert hits(con, "platypus") == [], "reports stay with the team"
    assert hits(con, "wombat") == [], "neither RED nor another organisation's"
    assert [x["incident"] for x in hits(h2, "wombat")] == [w["other"]["ref"]]
    assert len(hits(w["h"], "wombat")) == 2  # the creator is a member of the RED one


def test_incident_list_q(w):
    h, con = w["h"], w["con"]
    items, _ = paginate(h, "/api/v1/incidents", params={"q": "zanzibar"})
    assert [x["ref"] for x in items] == [w["x"]["ref"]]
    items, _ = paginate(con, "/api/v1/incidents", params={"q": "zanzibar"})
    assert items == [], "a constituent cannot find an incident by its internal notes"
    items, _ = paginate(con, "/api/v1/incidents", params={"q": "ransomware"})
    assert [x["ref"] for x in items] == [w["x"]["ref"]]


def test_bad_queries(w):
    assert_problem(w["h"].get("/api/v1/search"), 400)
    assert_problem(w["h"].get("/api/v1/search", params={"q": "   "}), 400)
    assert_problem(w["h"].get("/api/v1/search", params={"q": " ".join("abcdefghijklmnopq")}), 400)
    # FTS5 syntax is never interpreted
    assert w["h"].get("/api/v1/search", params={"q": 'NEAR("a" OR'}).status_code == 200


def test_constituent_follows_org_changes(w):
    """The organisation's rows of the index follow the incident's
    organisations: added later, removed later, and never matched by the
    index's own organisation tokens."""
    h, con = w["h"], w["con"]
    x = h.post("/api/v1/incidents", json={"title": "Echidna defacement",
                                           "orgs": ["OTH"]}).json()
    h.post(f"/api/v1/incidents/{x['ref']}/entries",
           json={"visibility": "shared", "body": "numbat shared note"})
    assert hits(con, "echidna") == [] and hits(con, "numbat") == []

    def set_orgs(orgs):
        r = h.get(f"/api/v1/incidents/{x['ref']}")
        r = h.patch(f"/api/v1/incidents/{x['ref']}", json={"orgs": orgs},
                    headers={"If-Match": r.headers["ETag"]})
        assert r.status_code == 200, r.text

    set_orgs(["OTH", "AJT"])
    assert [y["kind"] for y in hits(con, "echidna")] == ["incident"]
    assert [y["kind"] for y in hits(con, "numbat")] == ["entry"]
    set_orgs(["OTH", "AJT"])  # unchanged: still found
    assert hits(con, "numbat")
    h.post(f"/api/v1/incidents/{x['ref']}/entries",
           json={"visibility": "shared", "body": "numbat second note"})
    assert len(hits(con, "numbat")) == 2
    set_orgs(["OTH"])
    assert hits(con, "echidna") == [] and hits(con, "numbat") == []
    # the organisation tokens are not searchable text
    assert hits(h, "org1") == [] and hits(h, "org2") == []
