"""The README's screenshots, taken of the demo community in Debian's Chromium.

    python -m tests.e2e.screenshots [--out docs/screenshots]      (or: make screenshots)

It builds a throwaway site (a temporary SQLite database with `seed_demo`), serves it from
deploy/Procfile's `web` line with production settings, signs the demo people in through the
login form, holds a little of the live meeting through the page (a hand raised, a vote opened
and cast) and photographs what a resident, the projector and a visitor see. Nothing here
touches var/ or a real database.
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import servers

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("GONGZHI_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-2026"  # noqa: S105 - the demo's documented password (README)
SLUG = "lianhua"
# demo/decisions.py: an owners' Art. 278 vote, decided
ROOF_REPAIR = "使用专项维修资金翻新1至4栋屋面防水层"
WAIT_MS = 20_000


def _manage(env: dict, *args: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def _site(workdir: Path) -> tuple[dict, Path]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env = {
        **base,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + base.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "GONGZHI_VAR_DIR": str(workdir),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    _manage({**env, "DJANGO_DEBUG": "1"}, "migrate", "--noinput")
    _manage({**env, "DJANGO_DEBUG": "1"}, "seed_demo")
    serve = {**env, "DJANGO_DEBUG": "0"}
    _manage(serve, "collectstatic", "--noinput")
    return serve, workdir


def _sign_in(browser, base: str, username: str, **context):
    ctx = browser.new_context(base_url=base, locale="zh-CN", **context)
    ctx.set_default_timeout(WAIT_MS)
    page = ctx.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def _live_room(page) -> None:
    page.goto(f"/c/{SLUG}/meetings/")
    page.locator("main a[href^='/meetings/']").first.click()
    page.wait_for_selector("#room.is-ready")


def take(out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="gongzhi-shots-"))
    web = None
    written = []
    try:
        env, _ = _site(workdir)
        port = servers.free_port()
        web = servers.start("web", servers.procfile("web"), {**env, "PORT": str(port)}, port,
                            workdir)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        out.mkdir(parents=True, exist_ok=True)
        args = ["--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
            desktop = {"viewport": {"width": 1280, "height": 860}}
            phone = {
                "viewport": {"width": 390, "height": 844},
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
            }
            chair = _sign_in(browser, base, "party_secretary", **desktop)
            resident = _sign_in(browser, base, "resident", **phone)
            projector = _sign_in(browser, base, "rc_director", **desktop)
            visitor = browser.new_context(base_url=base, locale="zh-CN", **desktop).new_page()

            _live_room(chair)
            _live_room(resident)
            resident.get_by_role("button", name="举手").click()
            chair.locator("details.poll-open summary").click()
            chair.fill("#poll-question", "是否同意设立加装电梯协调服务小组？")
            chair.locator("form.poll-form button[type=submit]").click()
            vote = resident.locator(".vote-button--yes")
            vote.wait_for()
            vote.click()
            resident.locator(".vote-button--yes[aria-pressed=true]").wait_for()
            # The floor and the vote, under the page's header: what a resident holds in hand.
            resident.evaluate("document.querySelector('.room__now').scrollIntoView()")
            path = out / "live-room-phone.png"
            resident.screenshot(path=str(path))
            written.append(path)

            projector.goto(chair.url.rstrip("/") + "/projector/")
            projector.wait_for_selector("#room.is-ready")
            projector.wait_for_selector(".live-poll")
            path = out / "projector.png"
            projector.screenshot(path=str(path))
            written.append(path)

            visitor.goto(f"/c/{SLUG}/ledger/")
            path = out / "ledger.png"
            visitor.screenshot(path=str(path))
            written.append(path)

            visitor.get_by_role("link", name=ROOF_REPAIR).first.click()
            visitor.wait_for_load_state()
            path = out / "matter.png"
            # The procedure and the double-majority chart (the page goes on with the resolution,
            # positions, discussion and history).
            clip = {"x": 0, "y": 0, "width": 1280, "height": 1800}
            visitor.screenshot(path=str(path), full_page=True, clip=clip)
            written.append(path)
            browser.close()
    finally:
        if web is not None:
            web.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    options = parser.parse_args(argv)
    for path in take(options.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
