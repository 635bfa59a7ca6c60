"""Who reads what: every role x every TLP level x every read endpoint gets
exactly the allowed answer. Denied reads are 404 (existence does not leak)
and lists never include, nor count, what the caller may not read."""
import pytest

from csirtd_testlib import paginate

PW = "correct horse battery staple"
TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]

# role -> the TLP levels of org A's incidents it may read
ALLOWED = {
    "admin": TLPS[:4],           # not a member of the RED one
    "owner": TLPS,               # handler who owns them all
    "handler": TLPS[:4],
    "viewer": TLPS[:4],
    "const_a": TLPS[:4],         # org A's constituent
    "const_a_member": TLPS,      # org A's constituent, member of the RED one
    "const_b": [],               # another organisation's constituent
}


@pytest.fixture(scope="module")
def world(server):
    a = server.admin()
    for org in ("ORG-A", "ORG-B"):
        assert a.post("/api/v1/orgs", json={"name": org, "short_name": org}).status_code == 201
    server.create_user("owner", "handler", password=PW)
    server.create_user("handler", "handler", password=PW)
    server.create_user("viewer", "viewer", password=PW)
    server.create_user("const_a", "constituent", password=PW, org="ORG-A")
    server.create_user("const_a_member", "constituent", password=PW, org="ORG-A")
    server.create_user("const_b", "constituent", password=PW, org="ORG-B")
    owner = server.session("owner", PW)
    refs = {}
    for tlp in TLPS:
        body = {"title": f"matrix {tlp}", "tlp": tlp, "orgs": ["ORG-A"], "owner": "owner",
                "tags": ["matrix"]}
        if tlp == "RED":
            body["members"] = ["const_a_member"]
        r = owner.post("/api/v1/incidents", json=body)
        assert r.status_code == 201, r.text
        ref = r.json()["ref"]
        refs[tlp] = ref
        for vis in ("internal", "shared"):
            r = owner.post(f"/api/v1/incidents/{ref}/entries",
                           json={"visibility": vis, "body": f"{vis} note"})
            assert r.status_code == 201, r.text
        assert owner.post(f"/api/v1/incidents/{ref}/tasks",
                          json={"title": "t"}).status_code == 201
    sessions = {"admin": server.admin(), "owner": owner}
    for role in ("handler", "viewer", "const_a", "const_a_member", "const_b"):
        sessions[role] = server.session(role, PW)
    return refs, sessions


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("tlp", TLPS)
def test_read_one(world, role, tlp):
    refs, sessions = world
    s = sessions[role]
    ref = refs[tlp]
    allowed = tlp in ALLOWED[role]
    r = s.get(f"/api/v1/incidents/{ref}")
    assert r.status_code == (200 if allowed else 404), (role, tlp, r.text)
    r = s.get(f"/api/v1/incidents/{ref}/entries")
    assert r.status_code == (200 if allowed else 404), (role, tlp, r.text)
    if allowed:
        vis = sorted(e["visibility"] for e in r.json()["items"] if e["kind"] == "note")
        want = ["shared"] if role.startswith("const") else ["internal", "shared"]
        assert vis == want, (role, tlp, vis)
    r = s.get(f"/api/v1/incidents/{ref}/tasks")
    if role.startswith("const"):
        assert r.status_code == 403, (role, r.text)  # tasks are the team's
    else:
        assert r.status_code == (200 if allowed else 404), (role, tlp, r.text)


@pytest.mark.parametrize("role", list(ALLOWED))
def test_list(world, role):
    refs, sessions = world
    items, _ = paginate(sessions[role], "/api/v1/incidents", params={"tag": "matrix"})
    assert sorted(x["tlp"] for x in items) == sorted(ALLOWED[role]), role
    for tlp in TLPS:
        items, _ = paginate(sessions[role], "/api/v1/incidents",
                            params={"tag": "matrix", "tlp": tlp})
        assert len(items) == (1 if tlp in ALLOWED[role] else 0), (role, tlp)


@pytest.mark.parametrize("role", ["viewer", "const_a", "const_a_member"])
def test_readers_change_nothing(world, role):
    refs, sessions = world
    s = sessions[role]
    ref = refs["CLEAR"]
    assert s.patch(f"/api/v1/incidents/{ref}", json={"title": "x"}).status_code == 403
    assert s.post(f"/api/v1/incidents/{ref}/entries", json={"body": "x"}).status_code == 403
    assert s.post("/api/v1/incidents", json={"title": "x"}).status_code == 403


def test_handler_cannot_change_red_it_cannot_read(world):
    refs, sessions = world
    r = sessions["handler"].patch(f"/api/v1/incidents/{refs['RED']}", json={"title": "x"})
    assert r.status_code == 404, r.text
    r = sessions["handler"].post(f"/api/v1/incidents/{refs['RED']}/entries", json={"body": "x"})
    assert r.status_code == 404, r.text
