"""The browser tests run under the servers' Content-Security-Policy and fail on a violation
(tests/e2e/conftest.py); this checks that the watch does see one, and that a locked-out sign-in
is refused in the form itself."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, Browse, call, no_horizontal_scroll


def _reported(browse, page, directive):
    """The violations seen, once the page's own report of `directive` has come (or 5 s on)."""
    for _ in range(50):
        if any(directive in violation for violation in browse.csp_violations):
            break
        page.wait_for_timeout(100)
    return list(browse.csp_violations)


@pytest.mark.parametrize(
    ("injected", "directive"),
    [
        ('<p style="color: red">inline style</p>', "style-src-attr"),
        ("<style>p { color: red }</style>", "style-src-elem"),
        ("<img src=x onerror=\"document.title = 'x'\">", "script-src-attr"),
    ],
)
def test_an_inline_style_or_script_is_refused_and_reported(
    browser, site, shots, injected, directive
):
    browse = Browse(browser, site, shots)
    try:
        page = browse.page("visitor")
        page.goto("/")
        assert page.title()  # the page itself loads without a violation
        assert browse.csp_violations == []
        page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", injected)
        found = _reported(browse, page, directive)
        assert any(directive in violation for violation in found), found
        assert any("console" in violation for violation in found), found
        with pytest.raises(pytest.fail.Exception, match="Content-Security-Policy violations"):
            browse.finish(None)
    finally:
        browse.close()


def test_a_locked_out_sign_in_says_why_in_the_form(world, browse, shots):
    """Through daphne (the async middleware path), on a phone: the fifth wrong password locks,
    the right one is refused too, and the form says why, under the policy like every page."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from communities.models import User

    password = "Lotus-pond-2026!"  # noqa: S105 - the test's own user
    hashed = PBKDF2PasswordHasher().encode(password, PBKDF2PasswordHasher().salt())
    resident = world.cast["resident"]
    call(lambda: User.objects.filter(pk=resident.pk).update(password=hashed))
    page = browse.page("visitor", viewport=PHONE)
    page.goto("/accounts/login/")

    def sign_in(secret):
        page.get_by_label("用户名").fill(resident.username)
        page.get_by_label("密码").fill(secret)
        page.get_by_role("button", name="登录", exact=True).click()
        return page.get_by_role("alert")

    locked = "登录失败次数过多，登录已暂停 15 分钟"
    for _ in range(4):
        expect(sign_in("not-the-password")).to_contain_text("用户名")
    expect(sign_in("not-the-password")).to_contain_text(locked)  # the fifth failure locks
    shots.step("five wrong passwords")
    expect(sign_in(password)).to_contain_text(locked)
    shots.step("the right password, refused")
    assert "/accounts/login/" in page.url
    assert no_horizontal_scroll(page) == 0
    assert page.errors == []
