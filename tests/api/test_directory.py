"""The team's directory: who can own or follow an incident."""
from csirtd_testlib import assert_problem

PW = "correct horse battery staple"


def test_directory_for_handlers_only(server):
    server.admin().post("/api/v1/orgs", json={"name": "Town", "short_name": "DIRTOWN"})
    server.create_user("dir.h", "handler", password=PW, name="Núria Handler",
                       email="nuria@cert.example")
    server.create_user("dir.v", "viewer", password=PW)
    server.create_user("dir.c", "constituent", password=PW, org="DIRTOWN")
    off, _ = server.create_user("dir.off", "handler", password=PW)
    a = server.admin()
    etag = a.get("/api/v1/users/dir.off").headers["ETag"]
    assert a.patch("/api/v1/users/dir.off", json={"disabled": True},
                   headers={"If-Match": etag}).status_code == 200
    h = server.session("dir.h", PW)
    items = h.get("/api/v1/directory").json()["items"]
    by = {u["login"]: u for u in items}
    assert by["dir.h"] == {"login": "dir.h", "name": "Núria Handler", "role": "handler",
                           "org": None}
    assert by["dir.c"]["org"] == "DIRTOWN" and by["dir.c"]["role"] == "constituent"
    assert "dir.off" not in by
    assert all(set(u) == {"login", "name", "role", "org"} for u in items)
    assert "nuria@cert.example" not in h.get("/api/v1/directory").text
    assert_problem(server.session("dir.v", PW).get("/api/v1/directory"), 403)
    assert_problem(server.session("dir.c", PW).get("/api/v1/directory"), 403)
