"""The public report form in the browser: a report with files reaches the
team, and the files are the exact bytes chosen."""
import hashlib


def test_report_with_a_file(page, tmp_path):
    shot = bytes(range(256)) * 64
    path = tmp_path / "capture d'écran.png"
    path.write_bytes(shot)
    page.open("/report?lang=ca")
    page.visible("#f-description").send_keys(
        "Un correu de pesca amb l'enllaç hxxp://banc-fals[.]example/ (captura adjunta)")
    page.css("#f-email").send_keys("veina@example.net")
    page.css("#f-files").send_keys(str(path))
    page.css("form.report-form button[type=submit]").click()
    api = page.api_session()

    def mine():
        items = api.get("/api/v1/reports", params={"source": "web", "limit": 5}).json()["items"]
        return [r for r in items if "banc-fals" in r["body"]]
    page.wait(lambda d: mine(), what="the report reaches the team")
    rep = mine()[0]
    page.text_in("main", f"-R-{rep['id']}")
    full = api.get(f"/api/v1/reports/{rep['id']}").json()
    assert [(a["filename"], a["content_type"], a["sha256"]) for a in full["attachments"]] == [
        ("capture d'écran.png", "image/png", hashlib.sha256(shot).hexdigest())]
    assert api.get(f"/api/v1/reports/{rep['id']}/attachments/1").content == shot
    # the handler finds it on the report's page in the workspace
    page.login(path=f"/ui/reports/{rep['id']}")
    a = page.visible("#report-files a.attachment")
    assert a.text == "capture d'écran.png"
    assert a.get_attribute("href").endswith(f"/api/v1/reports/{rep['id']}/attachments/1")


def test_files_over_the_limit_are_refused_before_sending(page, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (600 * 1024))
    page.open("/report?lang=en")
    page.visible("#f-description").send_keys("too big a file")
    page.css("#f-files").send_keys(str(big))
    page.css("form.report-form button[type=submit]").click()
    err = page.visible("#f-files-err")
    assert "at most 5 files of 512 KB" in err.text
