"""Server-side sorting of the incident list, paged with keyset cursors."""
import pytest

from csirtd_testlib import assert_problem, paginate

LEVELS = ["critical", "high", "medium", "low"]


@pytest.fixture(scope="module")
def made(server):
    a = server.admin()
    refs = []
    for i in range(11):
        r = a.post("/api/v1/incidents", json={
            "title": f"sort case {i}", "impact": LEVELS[i % 4],
            "urgency": LEVELS[(i * 3) % 4], "tags": ["sortcase"]})
        assert r.status_code == 201, r.text
        refs.append(r.json()["ref"])
    # touch a few so that "updated" differs from creation order
    for ref in (refs[2], refs[7], refs[4]):
        x = a.get(f"/api/v1/incidents/{ref}")
        assert a.patch(f"/api/v1/incidents/{ref}", json={"summary": "touched"},
                       headers={"If-Match": x.headers["ETag"]}).status_code == 200
    return refs


def key(x, sort):
    n = int(x["ref"].rsplit("-", 1)[1])
    if sort == "priority":
        return (x["priority"], -n)
    if sort == "due":
        return (x["sla"]["resolve_due"], -n)
    if sort == "updated":
        return (tuple(-ord(c) for c in x["updated_at"]), -n)
    return (-n,)


@pytest.mark.parametrize("sort", ["newest", "priority", "due", "updated"])
def test_pages_follow_the_order(server, made, sort):
    a = server.admin()
    whole = a.get("/api/v1/incidents", params={"tag": "sortcase", "limit": 100,
                                               "sort": sort}).json()["items"]
    assert len(whole) == 11
    assert [x["ref"] for x in whole] == [x["ref"] for x in sorted(whole, key=lambda x: key(x, sort))]
    paged, pages = paginate(a, "/api/v1/incidents", limit=2,
                            params={"tag": "sortcase", "sort": sort})
    assert [x["ref"] for x in paged] == [x["ref"] for x in whole]
    assert len(pages) == 6


def test_csv_link_keeps_the_order(server, made):
    a = server.admin()
    r = a.get("/api/v1/incidents", params={"tag": "sortcase", "sort": "priority", "limit": 4,
                                           "format": "csv"})
    link = r.headers["Link"]
    assert "sort=priority" in link
    url = link[link.index("<") + 1:link.index(">")]
    r2 = a.get("/api/v1/incidents" + url)
    first = [l.split(",")[0].strip('"') for l in r.text.splitlines()[1:]]
    second = [l.split(",")[0].strip('"') for l in r2.text.splitlines()[1:]]
    whole = a.get("/api/v1/incidents", params={"tag": "sortcase", "limit": 100,
                                               "sort": "priority"}).json()["items"]
    assert first + second == [x["ref"] for x in whole][:8]


def test_bad_sort_and_foreign_cursor(server, made):
    a = server.admin()
    assert_problem(a.get("/api/v1/incidents", params={"sort": "title"}), 400)
    nxt = a.get("/api/v1/incidents", params={"tag": "sortcase", "limit": 2,
                                             "sort": "due"}).json()["next_cursor"]
    p = assert_problem(a.get("/api/v1/incidents", params={"tag": "sortcase", "cursor": nxt}), 400)
    assert "cursor" in p["detail"]
    nxt = a.get("/api/v1/incidents", params={"tag": "sortcase", "limit": 2}).json()["next_cursor"]
    assert_problem(a.get("/api/v1/incidents", params={"tag": "sortcase", "cursor": nxt,
                                                      "sort": "due"}), 400)
