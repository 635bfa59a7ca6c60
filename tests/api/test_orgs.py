"""The constituency: organisations and contacts, and who may see them."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def team(server):
    """A handler, a viewer and a constituent of org AJ-GIRONA."""
    a = server.admin()
    r = a.post("/api/v1/orgs", json={"name": "Ajuntament de Girona", "short_name": "AJ-GIRONA",
                                      "sector": "government", "country": "ES",
                                      "languages": ["ca", "es"]})
    assert r.status_code == 201, r.text
    server.create_user("hana", "handler", password=PW)
    server.create_user("vic", "viewer", password=PW)
    server.create_user("gina", "constituent", password=PW, org="AJ-GIRONA")
    return {"girona": r.json(),
            "handler": server.session("hana", PW),
            "viewer": server.session("vic", PW),
            "constituent": server.session("gina", PW)}


def test_create_and_read(server, team):
    h = team["handler"]
    r = h.post("/api/v1/orgs", json={"name": "Hospital Clínic", "short_name": "HCLINIC",
                                      "sector": "health", "country": "ES",
                                      "languages": ["ca"], "parent": "AJ-GIRONA",
                                      "notes": "24x7 SOC\nphone first"})
    assert r.status_code == 201, r.text
    org = r.json()
    assert org["name"] == "Hospital Clínic" and org["parent"] == "AJ-GIRONA"
    assert org["languages"] == ["ca"] and org["notes"] == "24x7 SOC\nphone first"
    assert r.headers["Location"] == f"/api/v1/orgs/{org['id']}"
    g = h.get(f"/api/v1/orgs/{org['id']}")
    assert g.status_code == 200 and g.json() == org
    assert g.headers["ETag"] == r.headers["ETag"]
    items, _ = paginate(team["viewer"], "/api/v1/orgs", params={"q": "clínic"})
    assert [o["short_name"] for o in items] == ["HCLINIC"]


@pytest.mark.parametrize("body,field", [
    ({"name": "X", "short_name": "bad code"}, "short_name"),
    ({"name": "", "short_name": "X1"}, "name"),
    ({"name": "X", "short_name": "X2", "country": "es"}, "country"),
    ({"name": "X", "short_name": "X3", "languages": ["english"]}, "languages"),
    ({"name": "X", "short_name": "X4", "parent": "NOPE"}, "parent"),
    ({"name": "X", "short_name": "X5", "colour": "red"}, "colour"),
])
def test_validation(team, body, field):
    r = team["handler"].post("/api/v1/orgs", json=body)
    p = assert_problem(r, 400)
    assert field in [e["field"] for e in p["errors"]], p


def test_duplicate_short_name(team):
    r = team["handler"].post("/api/v1/orgs", json={"name": "Again", "short_name": "AJ-GIRONA"})
    p = assert_problem(r, 409)
    assert p["errors"][0]["field"] == "short_name"


def test_rights(server, team):
    assert_problem(team["viewer"].post("/api/v1/orgs", json={"name": "V", "short_name": "V1"}), 403)
    assert_problem(team["constituent"].post("/api/v1/orgs",
                                            json={"name": "C", "short_name": "C1"}), 403)
    other = team["handler"].post("/api/v1/orgs", json={"name": "UdG", "short_name": "UDG"}).json()
    c = team["constituent"]
    # a constituent sees its own organisation only; others do not exist for it
    items, _ = paginate(c, "/api/v1/orgs")
    assert [o["short_name"] for o in items] == ["AJ-GIRONA"]
    assert c.get(f"/api/v1/orgs/{team['girona']['id']}").status_code == 200
    assert_problem(c.get(f"/api/v1/orgs/{other['id']}"), 404)
    assert_problem(c.get(f"/api/v1/orgs/{other['id']}/contacts"), 404)
    assert_problem(c.patch(f"/api/v1/orgs/{team['girona']['id']}", json={"notes": "x"}), 403)


def test_update_if_match_and_parent_loop(team):
    h = team["handler"]
    a = h.post("/api/v1/orgs", json={"name": "A", "short_name": "LOOP-A"}).json()
    b = h.post("/api/v1/orgs", json={"name": "B", "short_name": "LOOP-B",
                                      "parent": "LOOP-A"}).json()
    r = h.get(f"/api/v1/orgs/{a['id']}")
    etag = r.headers["ETag"]
    r = h.patch(f"/api/v1/orgs/{a['id']}", json={"parent": "LOOP-B"}, headers={"If-Match": etag})
    p = assert_problem(r, 400)
    assert p["errors"][0]["field"] == "parent"
    r = h.patch(f"/api/v1/orgs/{a['id']}", json={"sector": "education"},
                headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["sector"] == "education" and r.headers["ETag"] != etag
    assert_problem(h.patch(f"/api/v1/orgs/{a['id']}", json={"sector": "x"},
                           headers={"If-Match": etag}), 412)
    r = h.patch(f"/api/v1/orgs/{b['id']}", json={"parent": None})
    assert r.status_code == 200 and r.json()["parent"] is None


def test_contacts(server, team):
    h = team["handler"]
    oid = team["girona"]["id"]
    r = h.post(f"/api/v1/orgs/{oid}/contacts",
               json={"name": "Jordi", "email": "cert@girona.cat", "role": "security",
                     "language": "ca", "phone": "+34 972 00 00 00"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert_problem(h.post(f"/api/v1/orgs/{oid}/contacts",
                          json={"email": "cert@girona.cat", "role": "security"}), 409)
    p = assert_problem(h.post(f"/api/v1/orgs/{oid}/contacts",
                              json={"email": "not-mail", "role": "boss"}), 400)
    assert {e["field"] for e in p["errors"]} == {"email", "role"}
    items, _ = paginate(team["constituent"], f"/api/v1/orgs/{oid}/contacts")
    assert [c["email"] for c in items] == ["cert@girona.cat"]
    assert_problem(team["viewer"].delete(f"/api/v1/orgs/{oid}/contacts/{cid}"), 403)
    assert h.delete(f"/api/v1/orgs/{oid}/contacts/{cid}").status_code == 204
    assert_problem(h.delete(f"/api/v1/orgs/{oid}/contacts/{cid}"), 404)
    actions = [e["action"] for e in paginate(server.admin(), "/api/v1/audit")[0]]
    assert "contact.create" in actions and "contact.delete" in actions
    assert "org.create" in actions


def test_csv_export(server, team):
    import csv
    import io
    r = team["handler"].get("/api/v1/orgs", params={"format": "csv", "q": "girona"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["short_name"] for x in rows] == ["AJ-GIRONA"]
    assert rows[0]["languages"] == "ca,es" and rows[0]["country"] == "ES"
    r = team["constituent"].get("/api/v1/orgs", params={"format": "csv"})
    assert [x["short_name"] for x in csv.DictReader(io.StringIO(r.text))] == ["AJ-GIRONA"]
