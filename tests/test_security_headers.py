"""Every page tells the browser what it may do: a Content-Security-Policy with no inline script
or style (and the page's own WebSocket origin), a Permissions-Policy, Cross-Origin-Opener-Policy.
The browser tests (tests/e2e/conftest.py) fail on any violation of the policy."""

import pytest
from django.urls import reverse

from tests.walks import FOUR, propose, walk_to


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


@pytest.fixture
def pages(world):
    matter = walk_to(world, propose(world, FOUR), "decision")  # its review poll has a chart
    return {
        "home": reverse("home"),
        "login": reverse("login"),
        "admin login": reverse("admin:login"),
        "community": reverse("community", args=[world.community.slug]),
        "matter": matter.get_absolute_url(),
        "not found": "/no-such-page/",
    }


@pytest.mark.parametrize(
    "page", ["home", "login", "admin login", "community", "matter", "not found"]
)
def test_it_sends_the_policies_on_every_page(client, pages, page, settings):
    settings.DEBUG = False  # django-csp leaves DEBUG's 404 page alone; production does not
    response = client.get(pages[page])
    policy = directives(response)
    for kind in ("default-src", "script-src", "style-src", "img-src", "connect-src"):
        assert policy[kind][0] == "'self'", kind
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_it_lets_a_page_reach_its_own_websocket_and_no_other(client, world):
    plain = directives(client.get("/", HTTP_HOST="localhost"))["connect-src"]
    assert plain == ["'self'", "ws://localhost"]
    secure = directives(client.get("/", HTTP_HOST="localhost", secure=True))["connect-src"]
    assert secure == ["'self'", "wss://localhost"]


def test_it_sends_no_inline_style_even_in_generated_charts(client, world, pages):
    page = client.get(pages["matter"]).content.decode()
    assert 'class="bar-chart"' in page
    assert "<style" not in page and "style=" not in page
