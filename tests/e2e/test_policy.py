"""The browser tests run under the servers' Content-Security-Policy and fail on a violation
(tests/e2e/conftest.py); this checks that the watch does see one."""

import pytest

from tests.e2e.conftest import Browse


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

