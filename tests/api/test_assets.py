"""Network assets, CSV import (all or nothing) and the constituency lookup."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def c(server):
    a = server.admin()
    ids = {}
    for short in ("ISP-NET", "UNIV", "HOSP"):
        r = a.post("/api/v1/orgs", json={"name": short, "short_name": short})
        assert r.status_code == 201, r.text
        ids[short] = r.json()["id"]
    a.post(f"/api/v1/orgs/{ids['UNIV']}/contacts",
           json={"email": "cert@univ.example", "role": "security", "language": "ca"})
    server.create_user("hana", "handler", password=PW)
    server.create_user("unicon", "constituent", password=PW, org="UNIV")
    return {"ids": ids, "h": server.session("hana", PW),
            "con": server.session("unicon", PW)}


def add(c, org, kind, value, status=201):
    r = c["h"].post(f"/api/v1/orgs/{c['ids'][org]}/assets", json={"kind": kind, "value": value})
    assert r.status_code == status, r.text
    return r.json()


def test_canonical_forms_and_validation(c):
    assert add(c, "ISP-NET", "cidr", "10.0.0.0/8")["value"] == "10.0.0.0/8"
    assert add(c, "ISP-NET", "cidr", "2001:DB8:0:0::/32")["value"] == "2001:db8::/32"
    assert add(c, "ISP-NET", "asn", "as64500")["value"] == "AS64500"
    assert add(c, "UNIV", "domain", "Univ.Example.")["value"] == "univ.example"
    add(c, "ISP-NET", "cidr", "10.0.0.0/8", status=409)
    for kind, value in [("cidr", "10.0.0.0/33"), ("cidr", "300.1.1.1"),
                        ("cidr", "10.0.0.1/8"), ("domain", "example..com"),
                        ("asn", "AS0"), ("asn", "ASX")]:
        r = c["h"].post(f"/api/v1/orgs/{c['ids']['UNIV']}/assets",
                        json={"kind": kind, "value": value})
        p = assert_problem(r, 400)
        assert p["errors"][0]["field"] == "value", p
    p = assert_problem(c["h"].post(f"/api/v1/orgs/{c['ids']['UNIV']}/assets",
                                   json={"kind": "url", "value": "x"}), 400)


def test_lookup_most_specific(c):
    add(c, "UNIV", "cidr", "10.20.0.0/16")
    add(c, "HOSP", "cidr", "10.20.30.0/24")
    add(c, "UNIV", "domain", "campus.univ.example")
    h = c["h"]
    r = h.get("/api/v1/lookup", params={"ip": "10.20.30.40"})
    assert r.status_code == 200, r.text
    assert r.json()["matched"] == "10.20.30.0/24"
    assert [o["short_name"] for o in r.json()["orgs"]] == ["HOSP"]
    r = h.get("/api/v1/lookup", params={"ip": "10.20.99.1"}).json()
    assert r["matched"] == "10.20.0.0/16" and r["orgs"][0]["short_name"] == "UNIV"
    assert r["orgs"][0]["contacts"][0]["email"] == "cert@univ.example"
    r = h.get("/api/v1/lookup", params={"ip": "10.99.0.1"}).json()
    assert r["matched"] == "10.0.0.0/8" and r["orgs"][0]["short_name"] == "ISP-NET"
    r = h.get("/api/v1/lookup", params={"ip": "192.0.2.1"}).json()
    assert r["orgs"] == [] and r["matched"] is None
    r = h.get("/api/v1/lookup", params={"domain": "www.campus.univ.example"}).json()
    assert r["matched"] == "campus.univ.example"
    r = h.get("/api/v1/lookup", params={"domain": "notuniv.example"}).json()
    assert r["orgs"] == []
    r = h.get("/api/v1/lookup", params={"asn": "64500"}).json()
    assert r["orgs"][0]["short_name"] == "ISP-NET"
    r = h.get("/api/v1/lookup", params={"ip": "2001:db8::1"}).json()
    assert r["matched"] == "2001:db8::/32"
    assert_problem(h.get("/api/v1/lookup", params={"ip": "300.1.1.1"}), 400)
    assert_problem(h.get("/api/v1/lookup"), 400)
    assert_problem(h.get("/api/v1/lookup", params={"ip": "1.1.1.1", "asn": "1"}), 400)


def test_lookup_never_leaks_to_constituents(c):
    con = c["con"]
    r = con.get("/api/v1/lookup", params={"ip": "10.20.30.40"}).json()
    assert r["orgs"] == [] and r["matched"] is None   # the hospital's block
    r = con.get("/api/v1/lookup", params={"ip": "10.20.1.1"}).json()
    assert [o["short_name"] for o in r["orgs"]] == ["UNIV"]
    assert_problem(con.get(f"/api/v1/orgs/{c['ids']['HOSP']}/assets"), 404)
    assert_problem(con.post(f"/api/v1/orgs/{c['ids']['UNIV']}/assets",
                            json={"kind": "cidr", "value": "192.0.2.0/24"}), 403)


def test_remove_restores_outer_match(c):
    x = add(c, "HOSP", "cidr", "172.16.5.0/24")
    add(c, "UNIV", "cidr", "172.16.0.0/12")
    h = c["h"]
    assert h.get("/api/v1/lookup", params={"ip": "172.16.5.5"}).json()["matched"] == "172.16.5.0/24"
    assert h.delete(f"/api/v1/orgs/{c['ids']['HOSP']}/assets/{x['id']}").status_code == 204
    assert h.get("/api/v1/lookup", params={"ip": "172.16.5.5"}).json()["matched"] == "172.16.0.0/12"


def test_import_all_or_nothing(server, c):
    h = c["h"]
    bad = ("org,kind,value\n"
           "UNIV,cidr,198.51.100.0/24\n"
           "UNIV,cidr,198.51.100.0/33\n"
           "NOPE,domain,example.net\n"
           "HOSP,domain,example..com\n")
    r = h.post("/api/v1/assets:import", data=bad, headers={"Content-Type": "text/csv"})
    p = assert_problem(r, 400)
    lines = sorted(e["line"] for e in p["errors"])
    assert lines == [3, 4, 5], p
    r = h.get("/api/v1/lookup", params={"ip": "198.51.100.1"}).json()
    assert r["orgs"] == [], "a rejected import stored something"
    good = "org,kind,value\nUNIV,cidr,198.51.100.0/24\nHOSP,domain,hosp.example\nUNIV,asn,AS65001\n"
    r = h.post("/api/v1/assets:import", data=good, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json() == {"lines": 3, "added": 3, "skipped": 0}
    r = h.post("/api/v1/assets:import", data=good, headers={"Content-Type": "text/csv"})
    assert r.json() == {"lines": 3, "added": 0, "skipped": 3}
    assert h.get("/api/v1/lookup", params={"domain": "www.hosp.example"}).json()["matched"] == "hosp.example"
    assert_problem(h.post("/api/v1/assets:import", data=good,
                          headers={"Content-Type": "application/json"}), 415)


def test_cli_import_seen_by_running_server(server, c, tmp_path):
    f = tmp_path / "assets.csv"
    f.write_text("org,kind,value\nUNIV,cidr,203.0.113.0/24\n")
    r = server.cli("import", "assets", str(f))
    assert r.returncode == 0, r.stderr
    assert "1 assets added" in r.stdout
    # the server notices the database changed under it
    r = c["h"].get("/api/v1/lookup", params={"ip": "203.0.113.9"}).json()
    assert r["matched"] == "203.0.113.0/24"
    f.write_text("org,kind,value\nUNIV,cidr,203.0.113.0/99\n")
    r = server.cli("import", "assets", str(f))
    assert r.returncode == 1 and ":2:" in r.stderr, r.stderr
    items, _ = paginate(server.admin(), "/api/v1/audit", params={"action": "asset.import"})
    assert items and items[-1]["detail"]["added"] == 1
