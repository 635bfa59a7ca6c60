"""Fixtures for the browser tests of the analysts' workspace (/ui/).

Run:  CSIRTD_BIN=$PWD/build/csirtd /usr/bin/python3 -m pytest -q tests/browser

One csirtd server with the demo installation (`csirtd init` + `csirtd
demo`), its SMTP relay (tests/api/mailservers.py's SmtpSink when aiosmtpd is
importable; the smtp_sink fixture is None otherwise) and one headless
Chromium (selenium, /usr/bin/chromedriver) serve the whole run; every test
starts signed out with empty storage. After each test the browser's console
must hold no SEVERE entry (script errors, CSP violations, failed requests),
except what a test expects and declares with
@pytest.mark.console_allows("regex", ...).

Everything skips, with the reason, when the csirtd binary, selenium,
chromium or chromedriver is missing (Debian: apt-get install chromium
chromium-driver python3-selenium).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "api"))

import csirtd_testlib as lib  # noqa: E402

CHROMIUM = os.environ.get("CSIRTD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CSIRTD_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
DEMO_PASSWORD = "demo-password-change-me"
WAIT = float(os.environ.get("CSIRTD_TEST_BROWSER_WAIT", "10"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "console_allows(*patterns): console entries a test expects")


def _missing():
    if not os.access(lib.CSIRTD_BIN, os.X_OK):
        return f"csirtd binary not found at {lib.CSIRTD_BIN} (set CSIRTD_BIN)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (apt-get install python3-selenium)"
    chromium = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if not chromium:
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not os.access(CHROMEDRIVER, os.X_OK):
        return f"chromedriver not found at {CHROMEDRIVER} (apt-get install chromium-driver)"
    return None


@pytest.fixture(scope="session")
def smtp_sink():
    """The relay the server sends its mail to, or None without aiosmtpd."""
    from mailservers import SmtpSink
    try:
        sink = SmtpSink()
    except pytest.skip.Exception:
        yield None
        return
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory, smtp_sink):
    why = _missing()
    if why:
        pytest.skip(why)
    env = {}
    if smtp_sink is not None:
        env = {"CSIRTD_SMTP_URL": smtp_sink.url(), "CSIRTD_SMTP_TLS": "false"}
    s = lib.Server(tmp_path_factory.mktemp("browser") / "data", env)
    s.init()
    r = s.cli("demo")
    assert r.returncode == 0, lib.describe(r)
    s.start()
    yield s
    rc = s.stop(signal.SIGTERM)
    if s in lib.LIVE_SERVERS:
        lib.LIVE_SERVERS.remove(s)
    gnupg = s.data / "gnupg"
    if gnupg.is_dir() and shutil.which("gpgconf"):
        subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=str(gnupg)),
                       capture_output=True, timeout=30)
    assert rc == 0, f"csirtd serve exited with {rc!r}\n{s.log_tail()}"


@pytest.fixture(scope="session")
def browser(server):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--window-size=1280,720", "--disable-dev-shm-usage",
              "--lang=en-GB", "--disable-extensions"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    opts.binary_location = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


class Page:
    """The browser, pointed at the test server, with the waits tests need."""

    def __init__(self, driver, server):
        self.d = driver
        self.server = server
        self.base = server.base

    # ---- navigation and waiting ----
    def open(self, path):
        self.d.get(self.base + path)

    def wait(self, cond, timeout=WAIT, what="condition"):
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.d, timeout).until(cond, message=f"waiting for {what}")

    def css(self, sel):
        from selenium.webdriver.common.by import By
        return self.d.find_element(By.CSS_SELECTOR, sel)

    def all(self, sel):
        from selenium.webdriver.common.by import By
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    def visible(self, sel, timeout=WAIT):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, sel)),
                         timeout, what=f"{sel} visible")

    def present(self, sel, timeout=WAIT):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, sel)),
                         timeout, what=f"{sel} present")

    def text_in(self, sel, text, timeout=WAIT):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, sel), text),
                         timeout, what=f"{text!r} in {sel}")

    def path_is(self, pattern, timeout=WAIT):
        rx = re.compile(pattern)
        self.wait(lambda d: rx.search(d.execute_script("return location.pathname")),
                  timeout, what=f"path matching {pattern}")
        return self.d.execute_script("return location.pathname")

    def keys(self, *keys):
        """Key presses sent to whatever has the focus (the page's body
        when nothing else has)."""
        from selenium.webdriver.common.action_chains import ActionChains
        a = ActionChains(self.d)
        for k in keys:
            a.send_keys(k)
        a.perform()

    def blur(self):
        self.d.execute_script("document.activeElement && document.activeElement.blur()")

    # ---- signing in ----
    def login(self, login="marta.puig", password=DEMO_PASSWORD, path="/ui/"):
        self.open(path)
        self.visible("#login-name").clear()
        self.css("#login-name").send_keys(login)
        self.css("#login-password").send_keys(password)
        self.css("#login-submit").click()
        self.wait(lambda d: not d.execute_script(
            "return document.getElementById('login-dialog').open"), what="signed in")
        self.visible("#top")

    # ---- the same server through the API, as another client ----
    def api_session(self, login="marta.puig", password=DEMO_PASSWORD):
        return self.server.session(login, password)

    def console(self):
        return self.d.get_log("browser")

    def screenshot(self, path, width):
        """Saves the window as PNG under $CSIRTD_SCREENSHOTS (ctest sets
        it to <build>/screenshots; unset: not saved)."""
        out = os.environ.get("CSIRTD_SCREENSHOTS")
        if not out:
            return None
        os.makedirs(out, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", path.strip("/")) or "home"
        dest = os.path.join(out, f"{name}-{width}.png")
        assert self.d.save_screenshot(dest), dest
        return dest


@pytest.fixture
def page(request, browser, server):
    # every test starts signed out, with empty storage, in English
    browser.get(server.base + "/static/ui/app.css")
    browser.delete_all_cookies()
    browser.execute_script("localStorage.clear(); sessionStorage.clear();")
    browser.set_window_size(1280, 720)
    browser.get_log("browser")  # drop what came before
    p = Page(browser, server)
    yield p
    allowed = []
    for m in request.node.iter_markers("console_allows"):
        allowed.extend(re.compile(x) for x in m.args)
    entries = browser.get_log("browser")
    severe = [e["message"] for e in entries if e.get("level") == "SEVERE"
              and not any(rx.search(e["message"]) for rx in allowed)]
    assert not severe, "browser console errors:\n" + "\n".join(severe)
