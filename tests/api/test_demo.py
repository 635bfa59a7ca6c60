"""csirtd demo: a sample installation loaded through the core, checked
through the API as a newcomer would look at it."""
import re

from csirtd_testlib import describe, paginate

DEMO_PASSWORD = "demo-password-change-me"


def printed(stdout, label):
    m = re.search(rf"^\s+{label}\s+(\d+)", stdout, re.M)
    assert m, f"no {label} count in:\n{stdout}"
    return int(m.group(1))


def audit_rows(s):
    r = s.cli("audit", "verify")
    assert r.returncode == 0, describe(r)
    return int(re.search(r"OK: (\d+) rows", r.stdout).group(1))


def test_demo_help(server_factory):
    s = server_factory(start=False)
    r = s.cli("demo", "--help")
    assert r.returncode == 0, describe(r)
    assert r.stdout.startswith("usage: csirtd demo"), r.stdout
    assert s.cli("demo", "--no-such-option").returncode == 2
    assert s.cli("demo", "extra").returncode == 2


def test_demo_workspace(server_factory):
    s = server_factory(start=False)
    r = s.cli("demo")
    assert r.returncode == 0, describe(r)
    out = r.stdout
    n_incidents, n_reports = printed(out, "incidents"), printed(out, "reports")
    assert printed(out, "organisations") == 8
    assert n_incidents >= 100 and n_reports >= 50, out
    assert DEMO_PASSWORD in out
    s.start()
    a = s.admin()

    orgs, _ = paginate(a, "/api/v1/orgs")
    assert len(orgs) == 8
    assert all("demo" in o["notes"] for o in orgs)
    assert {o["short_name"]: o["parent"] for o in orgs}["NUVOL"] == "XOT"

    # the admin is no member of the TLP:RED ones
    incs, _ = paginate(a, "/api/v1/incidents")
    assert 100 <= len(incs) < n_incidents
    assert all("demo" in x["tags"] for x in incs)
    assert {x["status"] for x in incs} == {"new", "open", "stalled", "resolved", "closed"}
    assert {x["tlp"] for x in incs} == {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT"}
    assert {x["resolution"] for x in incs} >= {None, "fixed", "mitigated", "duplicate"}
    assert any(t.startswith("T1566.") for x in incs for t in x["tags"])
    assert len({x["rsit_type"] for x in incs}) >= 15
    assert any(x["owner"] is None for x in incs)

    reps, _ = paginate(a, "/api/v1/reports")
    assert len(reps) == n_reports
    assert {x["status"] for x in reps} == {"new", "triaged", "merged", "rejected", "spam"}

    tpl = a.get("/api/v1/templates").json()["items"]
    assert [t["rsit_type"] for t in tpl] == ["phishing"] and len(tpl[0]["tasks"]) == 6

    # whose address is this
    r = a.get("/api/v1/lookup", params={"ip": "198.51.100.37"}).json()
    assert r["matched"] == "198.51.100.32/28"
    assert [o["short_name"] for o in r["orgs"]] == ["AJ-VILAFRANCA"]
    assert r["orgs"][0]["contacts"], r
    r = a.get("/api/v1/lookup", params={"ip": "198.51.100.10"}).json()
    assert [o["short_name"] for o in r["orgs"]] == ["XOT"]
    r = a.get("/api/v1/lookup", params={"asn": "64497"}).json()
    assert [o["short_name"] for o in r["orgs"]] == ["UNI-MIGJORN"]
    r = a.get("/api/v1/lookup", params={"domain": "www.hsantlluc.example"}).json()
    assert [o["short_name"] for o in r["orgs"]] == ["HOSP-SANTLLUC"]

    # search, SLA, links, observables refanged
    hits = a.get("/api/v1/search", params={"q": "ransomware"}).json()["items"]
    assert any(h["kind"] == "incident" for h in hits), hits
    late = a.get("/api/v1/incidents", params={"sla": "breached", "limit": 200}).json()["items"]
    assert late and all(x["sla"]["breached"] for x in late)
    soon = a.get("/api/v1/incidents", params={"due_within": "1d", "limit": 200}).json()["items"]
    assert len(soon) > len(late)
    parent = next(x for x in incs if x["title"].startswith("Campaign:"))
    links = a.get(f"/api/v1/incidents/{parent['ref']}/links").json()["items"]
    assert sum(l["kind"] == "parent-of" for l in links) >= 3
    obs = a.get(f"/api/v1/incidents/{links[0]['ref']}/observables").json()["items"]
    assert obs and not any("[.]" in o["value"] or "hxxp" in o["value"] for o in obs)

    # every TLP:RED incident has named members who read it
    red = 0
    for login in ("marta.puig", "iker.etxeberria", "lucia.romero"):
        h = s.session(login, DEMO_PASSWORD)
        red += len(h.get("/api/v1/incidents", params={"tlp": "RED"}).json()["items"])
    assert red > 0

    # a constituent sees its own organisation's incidents only
    con = s.session("pau.serra", DEMO_PASSWORD)
    mine, _ = paginate(con, "/api/v1/incidents")
    assert mine and all("HOSP-SANTLLUC" in x["orgs"] for x in mine)
    assert len(mine) < len(incs)
    assert con.get("/api/v1/reports").status_code == 403

    # the audit chain holds, and a second run changes nothing
    rows = audit_rows(s)
    r = s.cli("demo")
    assert r.returncode == 1, describe(r)
    assert "--force" in r.stderr
    assert audit_rows(s) == rows
    assert len(paginate(a, "/api/v1/incidents")[0]) == len(incs)
