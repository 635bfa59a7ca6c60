"""Observables of incidents: refanging and normalisation, duplicates as
sightings, extraction from free text (private ranges and the team's own
domain skipped), attaching, correlation between incidents within the
caller's read rights, roles, audit rows."""
import pytest

from csirtd_testlib import assert_problem, paginate

PW = "correct horse battery staple"
# the team's own domain comes from the team e-mail address
SERVER_ENV = {"CSIRTD_TEAM_EMAIL": "csirt@upc.edu"}

PHISHING_REPORT = """\
From: "IT Service Desk" <it-support@upc-helpdesk[.]com>
To: staff@upc.edu
Subject: [URGENT] Your mailbox is almost full

Dear user,

Your mailbox quota has been exceeded. Validate your account within 24 hours
at hxxps://login-upc[.]edu-secure[.]com/owa/auth.php?id=42 or it will be
suspended. Questions: helpdesk@upc.edu, https://www.upc.edu/en/support

-- analyst notes (forwarded by ana@mail.upc.edu) --
Received: from mx1.upc.edu (10.12.0.5) by relay (192.168.40.2)
Received: from unknown (HELO kit) (185.220.101[.]4) by mx1.upc.edu
The kit downloads a second stage from 45.133.1[.]20 (AS64500 is ours, ignore;
the hosting network is AS9009). Attachment Invoice_4471.zip, SHA-256
E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,
exploits CVE-2023-23397. Internal wiki: http://172.16.8.9/phish
"""

EXPECTED = {
    ("email", "it-support@upc-helpdesk.com"),
    ("url", "https://login-upc.edu-secure.com/owa/auth.php?id=42"),
    ("ipv4", "185.220.101.4"),
    ("ipv4", "45.133.1.20"),
    ("asn", "AS9009"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("cve", "CVE-2023-23397"),
}
# never found with the defaults: the team's domain, private ranges
SKIPPED = ("upc.edu", "10.12.0.5", "192.168.40.2", "172.16.8.9", "AS64500")


@pytest.fixture(scope="module")
def w(server):
    a = server.admin()
    for org in ("ORG-A", "ORG-B"):
        r = a.post("/api/v1/orgs", json={"name": org, "short_name": org})
        assert r.status_code == 201, r.text
    for login in ("ana", "ben", "rosa"):
        server.create_user(login, "handler", password=PW)
    server.create_user("vic", "viewer", password=PW)
    server.create_user("const_a", "constituent", password=PW, org="ORG-A")
    server.create_user("const_b", "constituent", password=PW, org="ORG-B")
    return {u: server.session(u, PW)
            for u in ("ana", "ben", "rosa", "vic", "const_a", "const_b")}


def new_incident(s, **kw):
    body = {"title": "Phishing wave against staff"}
    body.update(kw)
    r = s.post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    return r.json()["ref"]


def obs_path(ref):
    return f"/api/v1/incidents/{ref}/observables"


def add(s, ref, type_, value, expect=201, **kw):
    r = s.post(obs_path(ref), json=dict(type=type_, value=value, **kw))
    assert r.status_code == expect, r.text
    return r.json()


def listed(s, ref):
    items, _ = paginate(s, obs_path(ref))
    return items


@pytest.mark.parametrize("type_,value,want", [
    ("url", "HXXP://Evil[.]COM/x", "http://evil.com/x"),
    ("url", "hxxps[://]login-evil[.]com:443/a?b=C", "https://login-evil.com/a?b=C"),
    ("domain", "WWW.Evil[.]COM.", "www.evil.com"),
    ("email", "bob[at]evil(dot)com", "bob@evil.com"),
    ("ipv4", "185.220.101[.]4", "185.220.101.4"),
    ("ipv6", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("cidr", "198.51.100.0/24", "198.51.100.0/24"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("asn", "as9009", "AS9009"),
    ("cve", "cve-2021-44228", "CVE-2021-44228"),
    ("filename", "Invoice[.]pdf.exe", "Invoice[.]pdf.exe"),  # never refanged
    ("user-agent", "Mozilla/5.0 (X11; Linux)", "Mozilla/5.0 (X11; Linux)"),
])
def test_add_refangs_and_normalises(w, type_, value, want):
    ref = new_incident(w["ana"])
    o = add(w["ana"], ref, type_, value)
    assert o["type"] == type_ and o["value"] == want, o
    assert set(o) == {"id", "type", "value", "to_ids", "tlp", "comment", "first_seen",
                      "last_seen", "created_by", "created_at", "correlations"}
    assert o["to_ids"] is False and o["tlp"] is None and o["comment"] == ""
    assert o["created_by"] == "ana" and o["correlations"] == []
    assert o["first_seen"] == o["last_seen"] == o["created_at"]
    assert listed(w["ana"], ref) == [o]


def test_add_optional_fields(w):
    ref = new_incident(w["ana"])
    o = add(w["ana"], ref, "domain", "evil.example.com", to_ids=True, tlp="amber",
            comment="C2 seen in proxy logs")
    assert o["to_ids"] is True and o["tlp"] == "AMBER"
    assert o["comment"] == "C2 seen in proxy logs"


@pytest.mark.parametrize("body,field", [
    ({"type": "ipv4", "value": "300.1.1.1"}, "value"),
    ({"type": "ipv4", "value": "10.0.0.1/8"}, "value"),
    ({"type": "domain", "value": "not a domain"}, "value"),
    ({"type": "url", "value": "http://exa mple.com/"}, "value"),
    ({"type": "md5", "value": "abc"}, "value"),
    ({"type": "sha256", "value": "e3b0c44298fc1c149afbf4c8996fb924"}, "value"),
    ({"type": "cve", "value": "CVE-1998-0001"}, "value"),
    ({"type": "email", "value": "bob@@evil.com"}, "value"),
    ({"type": "filename", "value": "a/b"}, "value"),
    ({"type": "ipv4", "value": ""}, "value"),
    ({"type": "ipv4"}, "value"),
    ({"type": "hash", "value": "abc"}, "type"),
    ({"value": "1.2.3.4"}, "type"),
    ({"type": "ipv4", "value": "1.2.3.4", "tlp": "WHITE-ISH"}, "tlp"),
    ({"type": "ipv4", "value": "1.2.3.4", "to_ids": "yes"}, "to_ids"),
    ({"type": "ipv4", "value": "1.2.3.4", "comment": "x" * 2001}, "comment"),
    ({"type": "ipv4", "value": "1.2.3.4", "colour": "red"}, "colour"),
])
def test_add_validation(w, body, field):
    ref = new_incident(w["ana"])
    p = assert_problem(w["ana"].post(obs_path(ref), json=body), 400)
    assert field in [e["field"] for e in p["errors"]], p
    if field == "value" and body.get("value"):
        reason = [e["detail"] for e in p["errors"] if e["field"] == "value"][0]
        assert reason and reason != "is required", p
    assert listed(w["ana"], ref) == []


def test_duplicate_returns_existing(w):
    ref = new_incident(w["ana"])
    first = add(w["ana"], ref, "url", "hxxp://evil[.]com/x", comment="first")
    again = add(w["ben"], ref, "url", "HTTP://EVIL.com/x", expect=200,
                comment="second", to_ids=True)
    assert again["id"] == first["id"] and again["value"] == "http://evil.com/x"
    # a sighting: the recorded facts stay, last_seen moves (or stays, same second)
    assert again["comment"] == "first" and again["created_by"] == "ana"
    assert again["to_ids"] is False
    assert again["last_seen"] >= first["last_seen"]
    assert [o["id"] for o in listed(w["ana"], ref)] == [first["id"]]


def test_delete(server, w):
    ref = new_incident(w["ana"])
    o = add(w["ana"], ref, "ipv4", "185.220.101.99")
    path = f"{obs_path(ref)}/{o['id']}"
    r = w["ana"].delete(path)
    assert r.status_code == 204, r.text
    assert listed(w["ana"], ref) == []
    assert_problem(w["ana"].delete(path), 404)
    assert_problem(w["ana"].delete(f"{obs_path(ref)}/nope"), 404)
    # an observable of another incident is not reachable through this one
    other = new_incident(w["ana"])
    o2 = add(w["ana"], other, "ipv4", "185.220.101.98")
    assert_problem(w["ana"].delete(f"{obs_path(ref)}/{o2['id']}"), 404)
    assert len(listed(w["ana"], other)) == 1
    rows, _ = paginate(server.admin(), "/api/v1/audit",
                       params={"action": "observable.delete"})
    assert any(r["object_id"] == str(o["id"]) and r["detail"]["ref"] == ref
               and r["detail"]["value"] == "185.220.101.99" for r in rows), rows


def extract(s, ref, expect=200, **kw):
    r = s.post(f"{obs_path(ref)}:extract", json=kw)
    assert r.status_code == expect, r.text
    return r.json()


def test_extract_phishing_report(w):
    ref = new_incident(w["ana"])
    body = extract(w["ana"], ref, text=PHISHING_REPORT)
    found = {(f["type"], f["value"]) for f in body["found"]}
    assert found == EXPECTED, found ^ EXPECTED
    assert body["truncated"] is False
    assert all(set(f) == {"type", "value"} for f in body["found"])
    text = repr(body)
    for s in SKIPPED:
        assert s not in text.replace("login-upc.edu-secure", ""), (s, body)
    # nothing is attached without attach
    assert listed(w["ana"], ref) == []


def test_extract_options(w):
    ref = new_incident(w["ana"])
    body = extract(w["ana"], ref, text=PHISHING_REPORT, skip_private=False)
    found = {(f["type"], f["value"]) for f in body["found"]}
    assert {("ipv4", "10.12.0.5"), ("ipv4", "192.168.40.2"),
            ("url", "http://172.16.8.9/phish"), ("asn", "AS64500")} <= found
    assert not any(v.endswith("upc.edu") for _, v in found), found
    body = extract(w["ana"], ref, text=PHISHING_REPORT, skip_own=False)
    found = {(f["type"], f["value"]) for f in body["found"]}
    assert {("email", "staff@upc.edu"), ("email", "ana@mail.upc.edu"),
            ("domain", "mx1.upc.edu"), ("url", "https://www.upc.edu/en/support")} <= found
    assert ("ipv4", "10.12.0.5") not in found
    body = extract(w["ana"], ref, text=PHISHING_REPORT, types=["ipv4", "cve"])
    assert sorted((f["type"], f["value"]) for f in body["found"]) == [
        ("cve", "CVE-2023-23397"), ("ipv4", "185.220.101.4"), ("ipv4", "45.133.1.20")]
    assert extract(w["ana"], ref, text="nothing to see here")["found"] == []


@pytest.mark.parametrize("body,field", [
    ({}, "text"),
    ({"text": 42}, "text"),
    ({"text": "x", "attach": "yes"}, "attach"),
    ({"text": "x", "types": ["filename"]}, "types"),
    ({"text": "x", "types": ["bogus"]}, "types"),
    ({"text": "x", "types": []}, "types"),
    ({"text": "x", "types": "ipv4"}, "types"),
    ({"text": "x", "skip_own": 1}, "skip_own"),
    ({"text": "x", "colour": "red"}, "colour"),
])
def test_extract_validation(w, body, field):
    ref = new_incident(w["ana"])
    p = assert_problem(w["ana"].post(f"{obs_path(ref)}:extract", json=body), 400)
    assert field in [e["field"] for e in p["errors"]], p


def test_extract_attach(server, w):
    ref = new_incident(w["ana"])
    add(w["ana"], ref, "cve", "CVE-2023-23397")  # already there
    body = extract(w["ana"], ref, text=PHISHING_REPORT, attach=True)
    new = {(f["type"], f["value"]): f["new"] for f in body["found"]}
    assert set(new) == EXPECTED
    assert [k for k, v in new.items() if not v] == [("cve", "CVE-2023-23397")]
    items = listed(w["ana"], ref)
    assert {(o["type"], o["value"]) for o in items} == EXPECTED
    by_id = {o["id"]: o for o in items}
    for f in body["found"]:
        assert by_id[f["id"]]["value"] == f["value"] and by_id[f["id"]]["created_by"] == "ana"
    again = extract(w["ben"], ref, text=PHISHING_REPORT, attach=True)
    assert {(f["type"], f["value"]) for f in again["found"]} == EXPECTED
    assert all(f["new"] is False for f in again["found"]), again
    assert len(listed(w["ana"], ref)) == len(EXPECTED)
    rows, _ = paginate(server.admin(), "/api/v1/audit",
                       params={"action": "observable.create"})
    mine = [r for r in rows if r["detail"]["ref"] == ref]
    assert sorted((r["detail"]["type"], r["detail"]["value"]) for r in mine) == \
        sorted(EXPECTED)
    assert all(r["object_type"] == "observable" for r in mine)
    assert {r["actor"] for r in mine} == {"ana"}


def test_extract_too_many_to_attach(w):
    ref = new_incident(w["ana"])
    text = " ".join(f"185.{i // 250}.{i % 250}.7" for i in range(1001))
    body = extract(w["ana"], ref, text=text)
    assert len(body["found"]) == 1000 and body["truncated"] is True
    p = assert_problem(w["ana"].post(f"{obs_path(ref)}:extract",
                                     json={"text": text, "attach": True}), 413)
    assert "1000" in p["detail"]
    assert listed(w["ana"], ref) == []


def corr_of(s, ref, value):
    for o in listed(s, ref):
        if o["value"] == value:
            return sorted(c["ref"] for c in o["correlations"])
    raise AssertionError(f"{value} not on {ref}")


def test_correlation_respects_read_rights(w):
    ip = "185.220.101.201"
    a = new_incident(w["ana"], title="corr A", orgs=["ORG-A"])
    b = new_incident(w["ana"], title="corr B", orgs=["ORG-A"])
    c_red = new_incident(w["rosa"], title="corr RED", tlp="RED", owner="rosa")
    d_org_b = new_incident(w["ana"], title="corr ORG-B", orgs=["ORG-B"])
    lone = new_incident(w["ana"], title="corr lone")
    for ref, s in ((a, "ana"), (b, "ana"), (c_red, "rosa"), (d_org_b, "ana")):
        add(w[s], ref, "ipv4", ip)
    add(w["ana"], lone, "ipv4", "185.220.101.202")
    # the team sees the other incidents, but not the TLP:RED one it cannot read
    assert corr_of(w["ana"], a, ip) == sorted([b, d_org_b])
    assert corr_of(w["ben"], b, ip) == sorted([a, d_org_b])
    assert corr_of(w["vic"], a, ip) == sorted([b, d_org_b])
    # rosa owns the RED incident and sees it from A, and A, B, D from it
    assert corr_of(w["rosa"], a, ip) == sorted([b, c_red, d_org_b])
    assert corr_of(w["rosa"], c_red, ip) == sorted([a, b, d_org_b])
    # the title comes along
    o = [o for o in listed(w["ana"], a) if o["value"] == ip][0]
    assert {"ref": b, "title": "corr B"} in o["correlations"]
    # a constituent of ORG-A sees only ORG-A's incidents
    assert corr_of(w["const_a"], a, ip) == [b]
    assert corr_of(w["ana"], lone, "185.220.101.202") == []
    # the POST answer carries the correlations too, within the same rights
    e = new_incident(w["ben"], title="corr E")
    o = add(w["ben"], e, "ipv4", ip)
    assert sorted(c["ref"] for c in o["correlations"]) == sorted([a, b, d_org_b])
    # the RED incident itself: not readable, not writable for ben
    assert_problem(w["ben"].get(obs_path(c_red)), 404)
    assert_problem(w["ben"].post(obs_path(c_red), json={"type": "ipv4", "value": ip}), 404)
    assert_problem(w["ben"].post(f"{obs_path(c_red)}:extract", json={"text": ip}), 404)
    assert_problem(w["ben"].delete(f"{obs_path(c_red)}/1"), 404)


def test_roles(w):
    ref = new_incident(w["ana"], orgs=["ORG-A"])
    o = add(w["ana"], ref, "domain", "evil-login[.]com")
    # constituents and viewers read, never write
    for who in ("const_a", "vic"):
        items = listed(w[who], ref)
        assert [x["value"] for x in items] == ["evil-login.com"], who
        assert_problem(w[who].post(obs_path(ref), json={"type": "ipv4",
                                                        "value": "185.220.101.4"}), 403)
        assert_problem(w[who].post(f"{obs_path(ref)}:extract", json={"text": "x"}), 403)
        assert_problem(w[who].delete(f"{obs_path(ref)}/{o['id']}"), 403)
    # another organisation's constituent does not see the incident at all
    assert_problem(w["const_b"].get(obs_path(ref)), 404)
    assert_problem(w["ana"].get(obs_path("CSIRT-1999-000001")), 404)
    assert len(listed(w["ana"], ref)) == 1


def test_pagination(w):
    ref = new_incident(w["ana"])
    ids = [add(w["ana"], ref, "ipv4", f"185.220.102.{i}")["id"] for i in range(5)]
    items, pages = paginate(w["ana"], obs_path(ref), limit=2)
    assert [o["id"] for o in items] == ids and pages == [2, 2, 1]


def test_audit_verify(server, w):
    ref = new_incident(w["ana"])
    o = add(w["ana"], ref, "sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")
    rows, _ = paginate(server.admin(), "/api/v1/audit",
                       params={"action": "observable.create"})
    assert any(r["object_id"] == str(o["id"]) and r["detail"] == {
        "ref": ref, "type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}
        for r in rows)
    r = server.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_red_observable_hidden_from_constituents(server):
    """An observable marked TLP:RED on a readable incident stays with the team."""
    a = server.admin()
    a.post("/api/v1/orgs", json={"name": "Red Org", "short_name": "RED-ORG"})
    server.create_user("redcon", "constituent", password="correct horse battery staple",
                       org="RED-ORG")
    inc = a.post("/api/v1/incidents", json={"title": "red obs", "tlp": "AMBER",
                                            "orgs": ["RED-ORG"]}).json()
    ref = inc["ref"]
    assert a.post(f"/api/v1/incidents/{ref}/observables",
                  json={"type": "ipv4", "value": "198.51.100.7", "tlp": "RED"}).status_code == 201
    assert a.post(f"/api/v1/incidents/{ref}/observables",
                  json={"type": "ipv4", "value": "198.51.100.8"}).status_code == 201
    c = server.session("redcon", "correct horse battery staple")
    r = c.get(f"/api/v1/incidents/{ref}/observables")
    assert r.status_code == 200, r.text
    assert [o["value"] for o in r.json()["items"]] == ["198.51.100.8"]
    assert len(a.get(f"/api/v1/incidents/{ref}/observables").json()["items"]) == 2
