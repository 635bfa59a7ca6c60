"""The analysts' workspace (/ui/) in headless Chromium against a real
csirtd with the demo installation: signing in, the dashboard, triage of a
report, editing an incident, the journal and observables, a concurrent
change (412) that keeps what the user typed, a session that ends under an
open page, what a constituent sees, the language switcher, keyboard
shortcuts, and no console errors (CSP violations included) on any page.
"""
import re
import uuid

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

REF = re.compile(r"^/ui/incidents/([A-Z0-9]+-\d{4}-\d{6})$")


def new_incident(api, **extra):
    """An incident of its own for a test, opened through the API."""
    body = {"title": f"Browser test {uuid.uuid4().hex[:8]}", "rsit_type": "phishing",
            "tlp": "AMBER", "orgs": ["UNI-MIGJORN"],
            "summary": "Seen by the **browser** tests."}
    body.update(extra)
    r = api.post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def count_all(api, path):
    n, cursor = 0, None
    while True:
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}limit=500" + (f"&cursor={cursor}" if cursor else "")
        r = api.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        n += len(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return n


# The failed login is a 401 the page expects.
@pytest.mark.console_allows(r"api/v1/session - Failed to load resource: .* 401")
def test_login_and_dashboard_counts(page):
    page.open("/ui/")
    # no session yet: the sign-in form, and no request that failed
    page.visible("#login-form")
    page.css("#login-name").send_keys("marta.puig")
    page.css("#login-password").send_keys("wrong-password")
    page.css("#login-submit").click()
    page.visible("#login-error")
    assert page.css("#login-error").text.strip()
    page.css("#login-password").clear()
    page.css("#login-password").send_keys("demo-password-change-me" + Keys.ENTER)
    page.visible("#top")
    page.present(".cards [data-card='breached'] .count")
    assert "Marta" in page.css("#who").text

    api = page.api_session()
    want = {
        "breached": count_all(api, "/api/v1/incidents?sla=breached"),
        "reports": count_all(api, "/api/v1/reports?status=new"),
        "mine": sum(count_all(api, f"/api/v1/incidents?owner=marta.puig&status={s}")
                    for s in ("new", "open", "stalled")),
    }
    for card, n in want.items():
        el = page.css(f".cards [data-card='{card}'] .count")
        assert el.get_attribute("data-count") == str(n), (card, el.text, n)
        assert el.text.strip() == str(n)
    assert want["breached"] > 0 and want["reports"] > 0
    # the chart of the last 30 days, drawn as SVG bars
    bars = page.all("#rsit-chart svg rect.chart-bar")
    assert len(bars) >= 3
    labels = [e.text for e in page.all("#rsit-chart svg text.chart-label")]
    assert "Fraud" in labels


def test_triage_report_into_incident(page):
    api = page.api_session()
    r = api.post("/api/v1/reports", json={
        "reporter": "Browser test <soc@example.org>",
        "subject": f"Phishing kit at login-check.example {uuid.uuid4().hex[:6]}",
        "body": "The page hxxps://login-check[.]example/owa/ asks for passwords; "
                "it is served from 198.51.100.77.",
        "tlp": "AMBER"})
    assert r.status_code == 201, r.text
    rep = r.json()

    page.login()
    # g r: the reports to triage, newest first; Enter opens the focused one
    page.blur()
    page.keys("g", "r")
    page.path_is(r"^/ui/reports$")
    first = page.present("#report-table a.row-link")
    page.wait(lambda d: d.switch_to.active_element == first, what="first report focused")
    assert first.text == rep["subject"]
    page.keys(Keys.ENTER)
    page.path_is(rf"^/ui/reports/{rep['id']}$")
    page.text_in("#report-subject", rep["subject"])
    # the indicators of the text, refanged, before anything is created
    page.text_in("#ioc-preview", "https://login-check.example/owa/")
    assert "198.51.100.77" in page.css("#ioc-preview").text
    # c: the form; choose the type; Ctrl+Enter creates it
    page.blur()
    page.keys("c")
    rsit = page.d.switch_to.active_element
    assert rsit.get_attribute("name") == "rsit_type"
    Select(rsit).select_by_value("phishing")
    rsit.send_keys(Keys.CONTROL, Keys.ENTER)
    path = page.path_is(REF.pattern)
    ref = REF.match(path).group(1)
    page.text_in("#incident-title", rep["subject"])
    page.present("#observable-table")

    x = api.get(f"/api/v1/incidents/{ref}").json()
    assert x["rsit_type"] == "phishing" and x["owner"] == "marta.puig"
    assert api.get(f"/api/v1/reports/{rep['id']}").json()["status"] == "triaged"
    values = [o["value"] for o in api.get(f"/api/v1/incidents/{ref}/observables").json()["items"]]
    assert "https://login-check.example/owa/" in values
    shown = page.css("#observable-table").text
    assert "https://login-check.example/owa/" in shown


def test_edit_title_journal_and_observable(page):
    api = page.api_session()
    inc = new_incident(api)
    page.login(path=f"/ui/incidents/{inc['ref']}")
    page.text_in("#incident-title", inc["title"])
    # the summary comes as the server's sanitized HTML
    assert page.css("#summary strong").text == "browser"

    # e: edit; a new title; save
    page.blur()
    page.keys("e")
    title = page.visible("#edit-form input[name=title]")
    assert page.d.switch_to.active_element == title
    title.clear()
    title.send_keys("Renamed by the browser test")
    page.css("#save-button").click()
    page.text_in("#incident-title", "Renamed by the browser test")
    assert not page.all("#edit-form")
    assert api.get(f"/api/v1/incidents/{inc['ref']}").json()["title"] == \
        "Renamed by the browser test"

    # a shared journal entry, sent with Ctrl+Enter
    body = page.css("#journal-body")
    body.send_keys("Told the university's security team.")
    page.css("#journal-form input[value=shared]").click()
    body.send_keys(Keys.CONTROL, Keys.ENTER)
    page.text_in("#journal-list", "Told the university's security team.")
    entry = [e for e in page.all("#journal-list li.entry")
             if "Told the university" in e.text][0]
    assert entry.get_attribute("data-visibility") == "shared"
    assert "entry-shared" in entry.get_attribute("class")
    entries = api.get(f"/api/v1/incidents/{inc['ref']}/entries").json()["items"]
    assert any(e["body"] == "Told the university's security team." and
               e["visibility"] == "shared" for e in entries)

    # an observable, defanged as analysts paste it
    Select(page.css("#observable-form select[name=type]")).select_by_value("domain")
    page.css("#observable-value").send_keys("evil-login[.]example")
    page.css("#observable-submit").click()
    page.text_in("#observable-table", "evil-login.example")
    obs = api.get(f"/api/v1/incidents/{inc['ref']}/observables").json()["items"]
    assert [o["value"] for o in obs] == ["evil-login.example"]


@pytest.mark.console_allows(r"Failed to load resource: .* 412")
def test_concurrent_change_keeps_typed_text(page):
    api = page.api_session()
    inc = new_incident(api)
    page.login(path=f"/ui/incidents/{inc['ref']}")
    page.text_in("#incident-title", inc["title"])
    page.css("#edit-button").click()
    title = page.visible("#edit-form input[name=title]")
    title.clear()
    title.send_keys("My careful new title")
    summary = page.css("#edit-form textarea[name=summary]")
    summary.send_keys(" And a line I typed.")

    # meanwhile another analyst changes it
    other = page.api_session("lucia.romero")
    r = other.patch(f"/api/v1/incidents/{inc['ref']}",
                    json={"title": "Their title", "impact": "high"})
    assert r.status_code == 200, r.text

    page.css("#save-button").click()
    box = page.visible("#conflict")
    assert "someone else changed" in box.text.lower()
    # their version is on the page ...
    page.text_in("#incident-title", "Their title")
    assert "High" in page.css("#incident-head").text
    # ... and what we typed is still in the form
    form = page.css("#edit-form")
    assert form.find_element("css selector", "input[name=title]").get_attribute("value") == \
        "My careful new title"
    assert form.find_element("css selector", "textarea[name=summary]").get_attribute(
        "value").endswith("And a line I typed.")
    # the field they did not touch follows their version
    assert Select(form.find_element("css selector", "select[name=impact]")) \
        .first_selected_option.get_attribute("value") == "high"
    assert api.get(f"/api/v1/incidents/{inc['ref']}").json()["title"] == "Their title"

    # saving again applies our changes on top of theirs
    page.css("#save-button").click()
    page.text_in("#incident-title", "My careful new title")
    x = api.get(f"/api/v1/incidents/{inc['ref']}").json()
    assert x["title"] == "My careful new title"
    assert x["impact"] == "high"
    assert x["summary"].endswith("And a line I typed.")


@pytest.mark.console_allows(r"Failed to load resource: .* 401")
def test_session_end_keeps_the_page_and_the_text(page):
    api = page.api_session()
    inc = new_incident(api)
    page.login(path=f"/ui/incidents/{inc['ref']}")
    page.text_in("#incident-title", inc["title"])
    body = page.css("#journal-body")
    body.send_keys("Written while the session ended.")
    # the session ends (here: the browser loses its cookie)
    page.d.delete_cookie("csirtd_session")
    page.css("#journal-submit").click()
    page.visible("#login-expired")
    assert page.d.execute_script("return location.pathname") == f"/ui/incidents/{inc['ref']}"
    page.css("#login-name").clear()
    page.css("#login-name").send_keys("marta.puig")
    page.css("#login-password").send_keys("demo-password-change-me" + Keys.ENTER)
    # the entry the user wrote went through once signed in again
    page.text_in("#journal-list", "Written while the session ended.")
    entries = api.get(f"/api/v1/incidents/{inc['ref']}/entries").json()["items"]
    assert sum(e["body"] == "Written while the session ended." for e in entries) == 1
    assert page.d.execute_script("return location.pathname") == f"/ui/incidents/{inc['ref']}"


def test_constituent_sees_only_its_organisation(page):
    page.login("pau.serra")
    page.present(".cards [data-card='mine'] .count")
    assert not page.css("#nav-reports").is_displayed()
    assert not page.all(".cards [data-card='reports']")

    page.open("/ui/incidents")
    page.present("#incident-table tbody tr")
    shown = {tr.get_attribute("data-ref") for tr in page.all("#incident-table tbody tr")}
    api = page.api_session("pau.serra")
    mine = api.get("/api/v1/incidents?limit=50").json()["items"]
    assert shown == {x["ref"] for x in mine}
    assert all(x["orgs"] == ["HOSP-SANTLLUC"] for x in mine)
    orgs = {td.text for td in page.all("#incident-table tbody td:nth-child(8)")}
    assert orgs == {"HOSP-SANTLLUC"}
    # no way to the reports, by keys or by address
    page.blur()
    page.keys("g", "r")
    assert page.d.execute_script("return location.pathname") == "/ui/incidents"
    page.open("/ui/reports")
    page.text_in("#main", "Your role cannot open this page")
    # and no controls to change an incident
    page.open(f"/ui/incidents/{mine[0]['ref']}")
    page.present("#incident-title")
    page.present("#journal-list li")
    assert not page.all("#edit-button") and not page.all("#journal-form")
    assert not page.all("#tasks")
    for e in page.all("#journal-list li.entry"):
        assert e.get_attribute("data-visibility") == "shared"


def test_viewer_reads_but_changes_nothing(page):
    page.login("jordi.vidal")
    page.present(".cards [data-card='reports'] .count")
    page.open("/ui/incidents")
    link = page.present("#incident-table a.row-link")
    assert not page.all("a[href='/ui/incidents/new']")
    link.click()
    page.present("#journal-list li")
    page.present("#task-list")
    assert not page.all("#edit-button") and not page.all("#journal-form")
    assert not page.all("#observable-form")
    page.blur()
    page.keys("n")
    assert page.d.execute_script("return location.pathname") != "/ui/incidents/new"


def test_language_switch_to_catalan(page):
    page.login()
    page.text_in("#nav a[data-nav='dashboard']", "Dashboard")
    Select(page.css("#lang-select")).select_by_value("ca")
    page.text_in("#nav a[data-nav='dashboard']", "Tauler")
    page.text_in("#main h1", "Tauler")
    assert page.css("#nav a[data-nav='reports']").text == "Informes"
    assert page.css("#logout-button").text == "Tanca la sessió"
    assert page.d.execute_script("return document.documentElement.lang") == "ca"
    # remembered for the next visit
    page.open("/ui/incidents")
    page.text_in("#main h1", "Incidents")
    page.text_in("#filters", "Prioritat")
    # ?lang= wins over the remembered choice
    page.open("/ui/?lang=fr")
    page.text_in("#nav a[data-nav='dashboard']", "Tableau de bord")


def test_keyboard_shortcuts(page):
    page.login()
    page.present(".cards")
    page.blur()
    page.keys("?")
    page.visible("#help-dialog")
    page.keys(Keys.ESCAPE)
    page.wait(lambda d: not d.execute_script(
        "return document.getElementById('help-dialog').open"), what="help closed")
    page.keys("g", "i")
    page.path_is(r"^/ui/incidents$")
    page.present("#incident-table")
    page.blur()
    page.keys("/")
    assert page.d.switch_to.active_element.get_attribute("name") == "q"
    page.keys("ransomware", Keys.ENTER)
    page.wait(lambda d: "q=ransomware" in d.current_url, what="search applied")
    page.present("#incident-table tbody tr")
    page.blur()
    page.keys("j", "j")
    focused = page.d.switch_to.active_element
    rows = page.all("#incident-table a.row-link")
    assert focused == rows[1]
    page.keys("n")
    page.path_is(r"^/ui/incidents/new$")
    assert page.d.switch_to.active_element.get_attribute("name") == "title"
    page.keys(Keys.ESCAPE, "g", "c")
    page.path_is(r"^/ui/constituency$")
    page.css("#lookup-input").send_keys("198.51.100.37" + Keys.ENTER)
    page.text_in("#lookup-result", "Ajuntament de Vilafranca")


def test_every_page_without_console_errors(page):
    """No script error and no CSP violation on any page, wide and narrow."""
    page.login()
    api = page.api_session()
    ref = api.get("/api/v1/incidents?limit=1").json()["items"][0]["ref"]
    rid = api.get("/api/v1/reports?limit=1").json()["items"][0]["id"]
    pages = {
        "/ui/": ".cards",
        "/ui/incidents?status=open&sort=priority": "#incident-table",
        f"/ui/incidents/{ref}": "#journal-list li",
        f"/ui/incidents/{ref}#correspondence": "#thread-list > *",
        "/ui/mail": "#mail-filters",
        "/ui/mail?state=quarantined&direction=in": "#mail-filters",
        "/ui/incidents/new": "#new-incident-form",
        "/ui/reports": "#report-table",
        f"/ui/reports/{rid}": "#report-body",
        "/ui/constituency": "#org-table",
        "/ui/constituency/orgs/3": "#contact-list table",
        "/ui/search?q=ransomware": "#search-results",
        "/ui/no/such/page": "#main h1",
    }
    for width in (1280, 400):
        page.d.set_window_size(width, 800 if width < 1000 else 720)
        for path, sel in pages.items():
            page.open(path)
            page.present(sel)
            # nothing wider than the window but tables, which scroll
            overflow = page.d.execute_script(
                "return document.documentElement.scrollWidth - "
                "document.documentElement.clientWidth")
            assert overflow <= 1, (path, width, overflow)
            bad = [e["message"] for e in page.console() if e["level"] == "SEVERE"]
            assert not bad, (path, bad)
            page.screenshot(path, width)
    # the TLP labels are FIRST's colours on black
    page.d.set_window_size(1280, 720)
    page.open("/ui/incidents?tlp=AMBER")
    label = page.present("#incident-table .tlp")
    assert label.text == "TLP:AMBER"
    assert label.value_of_css_property("background-color") in ("rgba(0, 0, 0, 1)", "rgb(0, 0, 0)")
    assert label.value_of_css_property("color") in ("rgba(255, 192, 0, 1)", "rgb(255, 192, 0)")
    # the CSV export carries the filters
    href = page.css("#csv-export").get_attribute("href")
    assert "format=csv" in href and "tlp=AMBER" in href


def test_portal_pages_screenshots(page):
    """The public pages in three languages, saved for review."""
    for path in ("/", "/report", "/about"):
        for lang in ("en", "eu", "ca"):
            page.open(f"{path}?lang={lang}")
            page.present("main h1")
            page.screenshot(f"portal{path}-{lang}", 1280)


def test_owner_and_members_are_picked_from_the_team(page):
    api = page.api_session()
    inc = new_incident(api)
    page.login(path=f"/ui/incidents/{inc['ref']}")
    page.text_in("#incident-title", inc["title"])
    # the member picker offers the team's logins (not those already in)
    page.wait(lambda d: len(page.all("#member-options option")) > 3, what="member options")
    logins = {o.get_attribute("value") for o in page.all("#member-options option")}
    assert {"pau.serra", "jordi.vidal"} <= logins
    assert not logins & set(inc.get("members") or [])
    member = page.css("#members input[name=member]")
    member.send_keys("jordi.vidal")
    member.submit()
    page.wait(lambda d: "jordi.vidal" in api.get(f"/api/v1/incidents/{inc['ref']}").json()["members"],
              what="member added")
    # the owner field suggests handlers and the team, never constituents
    page.blur()
    page.keys("e")
    page.visible("#edit-form input[name=owner]")
    page.wait(lambda d: len(page.all("#user-options option")) > 3, what="owner options")
    owners = {o.get_attribute("value") for o in page.all("#user-options option")}
    assert "marta.puig" in owners and "pau.serra" not in owners


def test_sorting_orders_the_whole_list(page):
    page.login(path="/ui/incidents?sort=priority")
    page.present("#incident-table")
    api = page.api_session()
    expected = [x["ref"] for x in api.get("/api/v1/incidents", params={
        "sort": "priority", "limit": 500}).json()["items"]]
    shown = [r.get_attribute("data-ref") for r in page.all("#incident-table tbody tr")]
    assert shown == expected[:len(shown)]
    # the next page continues the same order
    page.css("#next-page").click()
    page.wait(lambda d: "cursor=" in d.current_url, what="second page")
    page.present("#incident-table")
    more = [r.get_attribute("data-ref") for r in page.all("#incident-table tbody tr")]
    assert more == expected[len(shown):len(shown) + len(more)]
