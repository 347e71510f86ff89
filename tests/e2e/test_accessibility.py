"""axe-core finds nothing serious on the pages of the tour (tests/e2e/tour.py), for a visitor and
for those signed in, in both languages; and on a phone no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from tests.e2e import tour
from tests.e2e.conftest import PHONE, call, no_horizontal_scroll, run_axe

WRONG_PASSWORD = "not-the-password"  # noqa: S105 - a password that must be refused


def _refuse_sign_in(page) -> None:
    """Try to sign in with a wrong password, so that the form shows its error."""
    page.get_by_label("用户名").fill(tour.NAMES["resident"])
    page.get_by_label("密码").fill(WRONG_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()


@pytest.mark.parametrize("name", tour.PAGES)
def test_it_has_no_serious_accessibility_violations(world, browse, shots, name):
    scene = call(tour.build_scene, world)
    viewers = tour.VIEWERS[name]
    # Everyone in Chinese, the site's language, and the last of them once more in English.
    visits = [(who, "zh-CN") for who in viewers] + [(viewers[-1], "en-US")]
    violations = {}
    for who, locale in visits:
        label = f"{who or 'visitor'} {locale}"
        page = browse.page(label, user=world.cast[who] if who else None, locale=locale)
        tour.visit(page, scene, name, signed_in=who is not None)
        shots.step(label)
        violations[label] = run_axe(page)
        if name == "room" and who == "party_secretary":
            tour.chair_acts(page, "zh-hans")
            shots.step(f"{label} gave the floor and closed the vote")
            violations[f"{label}, after acting"] = run_axe(page)
        if name == "login" and locale == "zh-CN":
            _refuse_sign_in(page)
            shots.step(f"{label} refused")
            violations[f"{label}, refused"] = run_axe(page)
        assert page.errors == []
    assert {who: found for who, found in violations.items() if found} == {}


@pytest.mark.parametrize("name", tour.PAGES)
def test_it_fits_a_phone_without_scrolling_sideways(world, browse, shots, name):
    scene = call(tour.build_scene, world)
    overflow, violations = {}, {}
    for who in tour.VIEWERS[name]:
        label = who or "visitor"
        page = browse.page(label, user=world.cast[who] if who else None, viewport=PHONE)
        tour.visit(page, scene, name, signed_in=who is not None)
        shots.step(f"{label} on a phone")
        overflow[label] = no_horizontal_scroll(page)
        violations[label] = run_axe(page)
    assert overflow == dict.fromkeys(overflow, 0)
    assert {who: found for who, found in violations.items() if found} == {}
