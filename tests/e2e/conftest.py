"""Browser tests: Playwright's Python API driving Debian's Chromium against real daphne servers.

- The browser is /usr/bin/chromium (GONGZHI_CHROMIUM overrides it); Playwright's own browser
  downloads are never used. Without it these tests skip, except where the run requires a browser
  (GONGZHI_REQUIRE_BACKENDS names `browser`, as CI does): then they fail.
- Servers are started from deploy/Procfile with production settings (DEBUG off, collected static
  files) on the test database (tests/live.py).
- Each test's steps are photographed (`shots.step(...)`) into test-artifacts/e2e/<test>/; the
  pictures are kept when the test fails, with one more of every open page at the failure, and
  thrown away when it passes.
- The servers send their Content-Security-Policy as in production, and every page opened
  through `browse` reports each violation of it (a `securitypolicyviolation` event, or the
  console's "Content Security Policy" error): any violation fails the test at teardown.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client

from tests import live
from tests.conftest import REQUIRED_BACKENDS, World

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path(os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__e2e__/axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Servers run with DEBUG off, which wants a real key; the test process signs with the same one
# (a session's auth hash is keyed with it).
SERVER_KEY = secrets.token_urlsafe(48)
# Every wait in these tests is bounded; a step that takes longer than this has failed.
TIMEOUT_MS = 15_000


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright is not installed (make test installs requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    """Browser tests are marked, run on committed data, and run last: while Playwright's sync
    API is started, this thread has an event loop that the other tests must never see."""
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(item.fspath).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.django_db(transaction=True))
    others = [item for item in items if item not in browser_tests]
    items[:] = others + browser_tests


def call(fn, *args, **kwargs):
    """Run Django code of the test's own (building data, services) on a thread of its own.

    Playwright's sync API keeps an event loop in the test's thread, and services broadcast with
    async_to_sync, which refuses to run beside one."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=300)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright_driver():
    missing = _missing()
    if missing:
        if "browser" in REQUIRED_BACKENDS:
            pytest.fail(f"this run requires browser tests, but: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    # The test's own ORM calls in this thread (pytest-django's flush, say) are synchronous code
    # beside Playwright's loop, not async code; the servers under test never see this setting.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    yield driver
    driver.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser(playwright_driver):
    args = ["--disable-gpu", "--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root (CI runs as root)
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=args
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """Static files collected once, as production serves them (whitenoise's manifest)."""
    root = tmp_path_factory.mktemp("static")
    env = {
        **live.server_env(static_root=root),
        "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_SECRET_KEY": SERVER_KEY,
    }
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root


@pytest.fixture(autouse=True)
def _server_key(settings):
    settings.SECRET_KEY = SERVER_KEY


@pytest.fixture
def world(admin_user, playwright_driver):
    """The shared test community (tests/conftest.py), built on a thread of its own."""
    return call(World, admin_user)


@pytest.fixture
def site(request, static_root, transactional_db):
    """One daphne process on the test database, with the in-memory channel layer."""
    with live.cluster(1, static_root=static_root) as running:
        yield running
        if _failed(request.node):
            print(running.logs())


class Shots:
    """Numbered screenshots of every open page, per step, for a failing test's record."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pages: dict[str, object] = {}
        self.count = 0

    def add(self, name: str, page) -> None:
        self.pages[name] = page

    def step(self, label: str) -> None:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, page in self.pages.items():
            if page.is_closed():
                continue
            path = self.folder / f"{self.count:02d}-{slug}-{name}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=5_000)
            except Exception as error:  # noqa: BLE001 - a picture must not fail the test
                path.with_suffix(".txt").write_text(f"no screenshot: {error}\n")


def _failed(node) -> bool:
    return any(
        getattr(getattr(node, f"report_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


@pytest.fixture
def shots(request):
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[1])
    shutil.rmtree(folder, ignore_errors=True)
    record = Shots(folder)
    yield record
    if _failed(request.node):
        record.step("failure")  # pages still open (those of `browse` were photographed there)
        print(f"\nE2E screenshots of every step: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def session_cookie(user) -> str:
    """A real signed-in session in the test database, as the login form would make."""

    def login():
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return call(login)


# Runs in every page of a context before the page's own scripts; the binding is Playwright's
# and, like this script, not subject to the page's policy.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__gongzhiCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    where: `${event.sourceFile || event.documentURI}:${event.lineNumber}`,
  });
}, true);
"""


class Browse:
    """Browser contexts, one per person, each optionally signed in, all closed at the end.

    `csp_violations` collects every Content-Security-Policy violation in any of their pages;
    `finish` fails the test if there is one."""

    def __init__(self, browser, site, shots):
        self.browser, self.site, self.shots = browser, site, shots
        self.contexts = []
        self.csp_violations: list[str] = []

    def _watch_policy(self, context, name: str) -> None:
        def reported(source, violation):
            self.csp_violations.append(f"{name}: {violation}")

        def console(message):
            if "Content Security Policy" in message.text:
                self.csp_violations.append(f"{name}, console: {message.text}")

        context.expose_binding("__gongzhiCspViolation", reported)
        context.add_init_script(CSP_LISTENER)
        context.on("console", console)

    def page(self, name: str, user=None, *, viewport=None, locale="zh-CN", index: int = 0):
        context = self.browser.new_context(
            viewport=viewport or DESKTOP,
            locale=locale,
            base_url=self.site.url("/", index).rstrip("/"),
            has_touch=viewport == PHONE,
            is_mobile=viewport == PHONE,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS * 2)
        self._watch_policy(context, name)
        if user is not None:
            context.add_cookies(
                [{"name": "sessionid", "value": session_cookie(user), "url": self.site.url("/")}]
            )
        self.contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        self.shots.add(name, page)
        return page

    def finish(self, node) -> None:
        """At a test's end: photograph every page if it failed, then close them all; fail if
        any page broke the Content-Security-Policy."""
        if _failed(node):
            self.shots.step("failure")
        self.close()
        if self.csp_violations:
            pytest.fail(
                "Content-Security-Policy violations:\n  " + "\n  ".join(self.csp_violations),
                pytrace=False,
            )

    def close(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception:  # noqa: BLE001, S110 - already gone with the browser
                pass


@pytest.fixture
def browse(request, browser, site, shots):
    pages = Browse(browser, site, shots)
    yield pages
    pages.finish(request.node)


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        if "browser" in REQUIRED_BACKENDS:
            pytest.fail(f"this run requires the accessibility checks, but {AXE} is missing")
        pytest.skip(f"{AXE} is missing (make test runs npm ci when npm is installed)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Loaded from the page's own origin (served here, never by the app), as the policy
        # allows; an inline <script> would be refused.
        url = page.evaluate("location.origin") + AXE_PATH
        page.route(url, lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        page.add_script_tag(url=url)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def no_horizontal_scroll(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
