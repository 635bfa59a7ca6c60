"""Cursor pagination over many tokens."""
import pytest

from csirtd_testlib import assert_problem, paginate

N = 260


@pytest.fixture(scope="module")
def created(server):
    a = server.admin()
    ids = []
    for i in range(N):
        r = a.post("/api/v1/tokens", json={"name": f"page-{i:03d}"})
        assert r.status_code == 201, f"token {i}: {r.status_code} {r.text}"
        ids.append(r.json()["id"])
    assert len(set(ids)) == N
    return ids


def test_three_pages_each_item_once(server, created):
    items, pages = paginate(server.admin(), "/api/v1/tokens", limit=100)
    ids = [t["id"] for t in items]
    # the admin owns the N tokens plus the CLI-made bearer token "t"
    assert len(ids) == N + 1, (len(ids), pages)
    assert pages == [100, 100, N + 1 - 200], pages
    assert len(set(ids)) == len(ids), "an item appeared twice"
    assert set(created) <= set(ids)


def test_other_limits_agree(server, created):
    a = server.admin()
    ref = [t["id"] for t in paginate(a, "/api/v1/tokens", limit=100)[0]]
    for limit in (37, 500, 261, 260):
        items, pages = paginate(a, "/api/v1/tokens", limit=limit)
        assert [t["id"] for t in items] == ref, f"limit {limit}: order/content differs"
        assert all(p == limit for p in pages[:-1]), (limit, pages)
    # default limit is 50
    body = a.get("/api/v1/tokens").json()
    assert len(body["items"]) == 50 and body["next_cursor"], len(body["items"])


def test_last_page_next_cursor_null(server, created):
    body = server.admin().get("/api/v1/tokens", params={"limit": 500}).json()
    assert len(body["items"]) == N + 1
    assert body["next_cursor"] is None


@pytest.mark.parametrize("params", [
    {"cursor": "garbage!!"},
    {"cursor": "AAAAAAAAAAAAAAAAAAAA"},
    {"cursor": "%%%"},
    {"limit": 0},
    {"limit": 501},
    {"limit": -1},
    {"limit": "ten"},
])
def test_bad_cursor_or_limit_400(server, created, params):
    r = server.admin().get("/api/v1/tokens", params=params)
    assert_problem(r, 400, "/api/v1/tokens")


def test_cursor_from_other_collection_rejected_or_harmless(server, created):
    a = server.admin()
    cur = a.get("/api/v1/tokens", params={"limit": 2}).json()["next_cursor"]
    assert cur
    r = a.get("/api/v1/users", params={"cursor": cur})
    assert r.status_code in (200, 400), r.text


def test_inserts_during_pagination_no_duplicates(server, created):
    a = server.admin()
    first = a.get("/api/v1/tokens", params={"limit": 100}).json()
    seen = [t["id"] for t in first["items"]]
    extra = []
    for i in range(5):
        r = a.post("/api/v1/tokens", json={"name": f"late-{i}"})
        assert r.status_code == 201
        extra.append(r.json()["id"])
    cursor = first["next_cursor"]
    for _ in range(100):
        if cursor is None:
            break
        body = a.get("/api/v1/tokens", params={"limit": 100, "cursor": cursor}).json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)), "duplicates when items were added mid-pagination"
    assert set(created) <= set(seen), "items skipped when items were added mid-pagination"
