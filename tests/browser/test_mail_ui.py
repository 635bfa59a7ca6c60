"""E-mail in the analysts' workspace: an incident's correspondence (threads,
their messages with the OpenPGP badges, attachments and raw downloads),
opening a thread and sending in it through the forms, the TLP:AMBER
"no key" refusal and its explicit unencrypted override, and the Mail view's
quarantine filter. Real parts throughout: `csirtd mailgate` for what comes
in, the SmtpSink relay of the conftest for what goes out, GnuPG keys made
per run.
"""
import os
import re
import shutil
import subprocess
import uuid
from email import message_from_bytes, policy

import pytest
from selenium.webdriver.support.ui import Select

import csirtd_testlib as lib
from csirtd_testlib import wait_until

GPG = shutil.which("gpg")


def new_incident(api, **extra):
    body = {"title": f"Mail test {uuid.uuid4().hex[:8]}", "rsit_type": "phishing",
            "tlp": "GREEN", "orgs": ["UNI-MIGJORN"]}
    body.update(extra)
    r = api.post("/api/v1/incidents", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def mailgate(server, raw):
    """Pipes raw to `csirtd mailgate` with the server's data and settings;
    returns (outcome, {field: value}) from its one line of output."""
    env = dict(os.environ)
    env.update(server.env)
    env["CSIRTD_DATA"] = str(server.data)
    r = subprocess.run([lib.CSIRTD_BIN, "mailgate"], input=raw, env=env,
                       capture_output=True, timeout=120, cwd=str(server.data))
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    line = r.stdout.decode().strip()
    fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    return line.split()[0], {k: v.strip('"') for k, v in fields.items()}


def gpg(home, *args, input=None):
    r = subprocess.run([GPG, "--batch", "--yes", "--pinentry-mode", "loopback",
                        "--passphrase", "", "--trust-model", "always", *args],
                       env=dict(os.environ, GNUPGHOME=str(home)), input=input,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def kill_agent(home):
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(home)),
                   capture_output=True, timeout=30)


def need_sink(smtp_sink):
    if smtp_sink is None:
        pytest.skip("aiosmtpd is not importable: the server has no SMTP relay")


def sent_to(sink, addr, timeout=30):
    def got():
        return [m for m in sink.messages() if addr in m[0]["rcpt_tos"]]
    wait_until(got, timeout, what=f"mail to {addr}")
    return got()


def thread_el(page, counterpart):
    """The thread with counterpart, once shown (looked up in one script:
    the list may be drawn again meanwhile)."""
    return page.wait(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#thread-list .thread')].find((t) => "
        "t.querySelector('.counterpart').textContent === arguments[0]) || null",
        counterpart), what=f"thread with {counterpart}")


@pytest.mark.skipif(GPG is None, reason="gpg is not installed")
def test_incident_lists_threads_with_badges(page, server, tmp_path):
    api = page.api_session()
    inc = new_incident(api)
    ref = inc["ref"]
    sender = f"maria-{uuid.uuid4().hex[:6]}@example.net"
    r = api.post(f"/api/v1/incidents/{ref}/threads",
                 json={"kind": "reporter", "address": sender, "language": "ca"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]

    # the reporter's key pair; its public key in the team's keyring, so that
    # its signature verifies
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg(home, "--quick-gen-key", f"Maria <{sender}>", "ed25519", "sign", "never")
    out = gpg(home, "--with-colons", "--list-keys", sender).decode()
    fpr = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
    gpg(home, "--quick-add-key", fpr, "cv25519", "encr", "never")
    gpg(server.data / "gnupg", "--import", input=gpg(home, "--armor", "--export", fpr))
    team = server.cli("mail", "key", env=server.env)
    assert team.returncode == 0, lib.describe(team)
    gpg(home, "--import", input=team.stdout.encode())
    lines = gpg(home, "--with-colons", "--list-keys").decode().splitlines()
    # the primary keys: each "pub" line is followed by its "fpr" line
    primaries = [lines[i + 1].split(":")[9] for i, l in enumerate(lines) if l.startswith("pub:")]
    team_fpr = [p for p in primaries if p != fpr][0]

    # an encrypted and signed answer, tagged with the incident's reference
    inner = (b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
             b"The phishing kit was removed at 10:05.\r\n")
    enc = gpg(home, "--armor", "--sign", "--encrypt", "-r", team_fpr, "-u", fpr, input=inner)
    kill_agent(home)
    tag = f"[{ref.split('-')[0]} #{ref}]"
    raw = (f"From: Maria <{sender}>\r\nTo: csirt@example.org\r\n"
           f"Subject: {tag} Re: removed\r\n"
           f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
           "boundary=\"E\"\r\n\r\n--E\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
           "Version: 1\r\n\r\n--E\r\nContent-Type: application/octet-stream\r\n\r\n"
           ).encode() + enc + b"\r\n--E--\r\n"
    kind, f = mailgate(server, raw)
    assert kind == "reply" and f["incident"] == ref, (kind, f)
    secret = int(f["mail"])
    # a plain one with an attachment
    raw = (f"From: {sender}\r\nTo: csirt@example.org\r\nSubject: {tag} the log\r\n"
           f"Message-ID: <{uuid.uuid4().hex}@example.net>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"X\"\r\n\r\n--X\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nThe access log.\r\n--X\r\n"
           "Content-Type: application/octet-stream; name=\"access.log\"\r\n"
           "Content-Disposition: attachment; filename=\"access.log\"\r\n\r\n"
           "203.0.113.9 GET /owa/\r\n--X--\r\n").encode()
    kind, f = mailgate(server, raw)
    assert kind == "reply" and f["incident"] == ref, (kind, f)
    plain = int(f["mail"])
    msgs = api.get(f"/api/v1/incidents/{ref}/threads/{tid}/messages").json()["items"]
    assert {m["id"] for m in msgs} == {secret, plain}
    assert [a["filename"] for m in msgs if m["id"] == plain for a in m["attachments"]] == \
        ["access.log"]

    page.login(path=f"/ui/incidents/{ref}")
    th = thread_el(page, sender)
    assert th.get_attribute("data-thread") == str(tid)
    assert th.find_element("css selector", ".kind").get_attribute("textContent") == "Reporter"
    page.present(f"#thread-list li.mail[data-id='{plain}']")
    enc_el = page.css(f"#thread-list li.mail[data-id='{secret}']")
    assert enc_el.get_attribute("data-direction") == "in"
    assert enc_el.get_attribute("data-state") == "received"
    assert enc_el.find_element("css selector", ".badge-lock").text.endswith("Encrypted")
    good = enc_el.find_element("css selector", ".sig-good")
    assert "Good signature" in good.text and fpr[-16:] in good.text
    assert good.get_attribute("title") == fpr
    assert good.value_of_css_property("color") == "rgba(27, 90, 43, 1)"
    assert enc_el.find_element("css selector", "a.raw").get_attribute("href").endswith(
        f"/api/v1/mail/{secret}/raw")
    plain_el = page.css(f"#thread-list li.mail[data-id='{plain}']")
    assert not plain_el.find_elements("css selector", ".badge")
    att = plain_el.find_element("css selector", "a.attachment")
    assert att.text == "access.log"
    assert att.get_attribute("href").endswith(f"/api/v1/mail/{plain}/attachments/1")
    assert att.get_attribute("download") == "access.log"
    # the download itself, with the browser's session
    body = page.d.execute_script(
        "return fetch(arguments[0], {credentials: 'same-origin'}).then((r) => r.text())",
        f"/api/v1/mail/{plain}/attachments/1")
    assert body.strip() == "203.0.113.9 GET /owa/"

    # a viewer reads the thread and its badges, with no downloads and no forms
    page.d.delete_all_cookies()
    page.d.execute_script("localStorage.clear()")
    page.login("jordi.vidal", path=f"/ui/incidents/{ref}")
    thread_el(page, sender)
    page.present(f"#thread-list li.mail[data-id='{secret}'] .sig-good")
    assert not page.all("#thread-list a.raw") and not page.all("#thread-list a.attachment")
    assert not page.all("#thread-form") and not page.all(".send-form")


def test_handler_opens_thread_and_sends(page, server, smtp_sink):
    need_sink(smtp_sink)
    api = page.api_session()
    inc = new_incident(api)
    ref = inc["ref"]
    addr = f"abuse@hosting-{uuid.uuid4().hex[:6]}.example"
    page.login(path=f"/ui/incidents/{ref}")
    page.present("#no-threads")

    # a thread to an address, in Spanish
    page.css("#thread-adder summary").click()
    form = page.visible("#thread-form")
    Select(form.find_element("css selector", "select[name=kind]")).select_by_value("third_party")
    Select(form.find_element("css selector", "select[name=language]")).select_by_value("es")
    form.find_element("css selector", "input[name=address]").send_keys(addr)
    page.css("#thread-submit").click()
    th = thread_el(page, addr)
    threads = api.get(f"/api/v1/incidents/{ref}/threads").json()["items"]
    assert [(t["kind"], t["counterpart"], t["language"]) for t in threads] == \
        [("third_party", addr, "es")]
    assert th.get_attribute("data-thread") == str(threads[0]["id"])
    assert "No message" in th.text

    # a request for action, through the thread's form
    Select(th.find_element("css selector", "select[name=template]")).select_by_value("request")
    th.find_element("css selector", "textarea[name=text]").send_keys(
        "Please take down /wp-admin/x.php.")
    th.find_element("css selector", ".send-button").click()
    page.present(f".thread[data-thread='{threads[0]['id']}'] li.mail[data-direction='out']")
    # the journal holds the correspondence at once
    page.text_in("#journal-list", "Please take down /wp-admin/x.php.")
    env, raw = sent_to(smtp_sink, addr)[-1]
    m = message_from_bytes(raw, policy=policy.default)
    assert m["Subject"].endswith(f"Solicitud de colaboración: {inc['title']}")
    assert m["Content-Language"] == "es"
    mails = api.get(f"/api/v1/incidents/{ref}/threads/{threads[0]['id']}/messages").json()["items"]
    assert len(mails) == 1 and mails[0]["direction"] == "out"
    # once the relay took it, a reload shows it sent
    wait_until(lambda: api.get(f"/api/v1/mail/{mails[0]['id']}").json()["state"] == "sent",
               30, what="mail marked sent")
    page.open(f"/ui/incidents/{ref}")
    page.present(f"li.mail[data-id='{mails[0]['id']}'][data-state='sent']")

    # a thread to a contact of the incident's organisation
    page.css("#thread-adder summary").click()
    form = page.visible("#thread-form")
    Select(form.find_element("css selector", "select[name=kind]")).select_by_value("constituent")
    form.find_element("css selector", "input[name=to][value=contact]").click()
    Select(form.find_element("css selector", "select[name=org]")).select_by_value("UNI-MIGJORN")
    # the options come once the organisation's contacts are fetched
    value = page.wait(lambda d: d.execute_script(
        "const o = [...document.querySelectorAll('#thread-form select[name=contact] option')]"
        ".find((x) => x.text.includes(arguments[0])); return o ? o.value : null",
        "csirt@umigjorn.example"), what="the organisation's contacts")
    Select(page.css("#thread-form select[name=contact]")).select_by_value(value)
    page.css("#thread-submit").click()
    thread_el(page, "csirt@umigjorn.example")
    threads = api.get(f"/api/v1/incidents/{ref}/threads").json()["items"]
    t = [t for t in threads if t["counterpart"] == "csirt@umigjorn.example"][0]
    assert t["kind"] == "constituent" and t["contact"] is not None and t["language"] == "en"


# The refusal is a 409 the page expects and explains.
@pytest.mark.console_allows(r"messages - Failed to load resource: .* 409")
def test_amber_without_key_needs_explicit_unencrypted(page, server, smtp_sink):
    need_sink(smtp_sink)
    api = page.api_session()
    inc = new_incident(api, tlp="AMBER")
    ref = inc["ref"]
    addr = f"noc@nokey-{uuid.uuid4().hex[:6]}.example"
    tid = api.post(f"/api/v1/incidents/{ref}/threads",
                   json={"kind": "third_party", "address": addr}).json()["id"]
    page.login(path=f"/ui/incidents/{ref}")
    th = thread_el(page, addr)
    Select(th.find_element("css selector", "select[name=template]")).select_by_value("notify")
    th.find_element("css selector", "textarea[name=text]").send_keys("Your host is infected.")
    th.find_element("css selector", ".send-button").click()
    problem = page.visible(f".thread[data-thread='{tid}'] .key-problem")
    assert "OpenPGP" in problem.text and "TLP:AMBER" in problem.text
    box = problem.find_element("css selector", "input[name=send_unencrypted]")
    assert not box.is_selected()
    assert not api.get(f"/api/v1/incidents/{ref}/threads/{tid}/messages").json()["items"]
    # the text is kept; the handler says, explicitly, to send it in the clear
    assert th.find_element("css selector", "textarea[name=text]").get_attribute("value") == \
        "Your host is infected."
    box.click()
    th.find_element("css selector", ".send-button").click()
    page.present(f".thread[data-thread='{tid}'] li.mail[data-direction='out']")
    assert not page.css(f".thread[data-thread='{tid}'] .key-problem").is_displayed()
    sent_to(smtp_sink, addr)
    mails = api.get(f"/api/v1/incidents/{ref}/threads/{tid}/messages").json()["items"]
    assert len(mails) == 1 and mails[0]["encrypted"] is False
    page.text_in("#journal-list", "NOT encrypted")
    audit = server.admin().get("/api/v1/audit", params={"action": "mail.unencrypted_override"})
    assert any(a["object_id"] == str(mails[0]["id"]) for a in audit.json()["items"])


def test_mail_view_filters_quarantine(page, server):
    subject = f"deep {uuid.uuid4().hex[:6]}"
    nested = (f"From: x@example.org\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n").encode()
    for i in range(1, 50):
        nested += f"--b{i-1}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n".encode()
    nested += b"--b49\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    kind, f = mailgate(server, nested)
    assert kind == "quarantined", (kind, f)
    mid = f["mail"]
    api = page.api_session()
    reason = api.get(f"/api/v1/mail/{mid}").json()["error"]
    assert reason

    page.login()
    page.blur()
    page.keys("g", "m")
    page.path_is(r"^/ui/mail$")
    page.present("#mail-filters")
    # the quick filter comes first
    quick = page.all("nav.tabs a")
    assert quick[0].get_attribute("data-quick") == "quarantined"
    quick[0].click()
    page.wait(lambda d: "state=quarantined" in d.current_url, what="quarantine filter")
    row = page.present(f"#mail-table tr[data-id='{mid}']")
    assert {tr.get_attribute("data-state") for tr in page.all("#mail-table tbody tr")} == \
        {"quarantined"}
    assert subject in row.text and reason in row.find_element("css selector", ".mail-error").text
    assert row.find_element("css selector", "a.raw").get_attribute("href").endswith(
        f"/api/v1/mail/{mid}/raw")
    assert page.css("nav.tabs a[aria-current=page]").get_attribute("data-quick") == "quarantined"
    # the direction filter narrows it further, in the address
    Select(page.css("#mail-filters select[name=direction]")).select_by_value("out")
    page.wait(lambda d: "direction=out" in d.current_url and "state=quarantined" in d.current_url,
              what="direction filter")
    page.present("#no-mail")
    Select(page.css("#mail-filters select[name=direction]")).select_by_value("in")
    page.present(f"#mail-table tr[data-id='{mid}']")
    # a viewer sees the list, not the raw message
    page.d.delete_all_cookies()
    page.d.execute_script("localStorage.clear()")
    page.login("jordi.vidal", path="/ui/mail?state=quarantined")
    page.present(f"#mail-table tr[data-id='{mid}'] .mail-error")
    assert not page.all("#mail-table a.raw")
