"""Every page of the tour (tests/e2e/tour.py) in zh-Hans and in English, chosen with the site's
own language switcher, with no word left in the other language: not in the text, not in what
assistive technology reads out, not in what the live room's module draws."""

import re

import pytest
from playwright.sync_api import expect

from deliberation.models import LAW_NAMES
from deliberation.rules import DEFAULT_SETTINGS, RULE_SOURCES
from deliberation.views.matter_page import AUDIT_LABELS
from tests.e2e import tour
from tests.e2e.conftest import ROOT, call

# Each language is reached from a browser that asks for the other one, so that only the
# switcher (its button is named in the language it switches to) can bring it.
BROWSER_LOCALE = {"zh-hans": "en-US", "en": "zh-CN"}
SWITCH_TO = {"zh-hans": "简体中文", "en": "English"}
# The sign-in form's labels and button, as each language names them.
SIGN_IN = {"zh-hans": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Sign in")}


def switch_language(page, language: str) -> None:
    """Choose `language` with the switcher in the page's header, as a reader would."""
    switcher = page.locator("form.language-switcher")
    if not switcher.is_visible():
        page.goto("/")  # the projector shows no header
    with page.expect_navigation():
        switcher.get_by_role("button", name=SWITCH_TO[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", tour.PAGES)
def test_it_shows_the_page_in_the_chosen_language_only(world, browse, shots, name, language):
    scene = call(tour.build_scene, world)
    data = call(tour.user_data)
    path = scene.path(name)
    findings = {}
    for who in tour.VIEWERS[name]:
        label = who or "visitor"
        page = browse.page(
            label, user=world.cast[who] if who else None, locale=BROWSER_LOCALE[language]
        )
        page.goto(path)
        expect(page.locator("html")).not_to_have_attribute("lang", language)
        switch_language(page, language)
        if not page.url.endswith(path):
            page.goto(path)
        tour.settle(page, name, signed_in=who is not None)
        shots.step(f"{label} in {language}")
        findings[label] = tour.untranslated(page.evaluate(tour.COLLECT_JS), language, data)
        if name == "room" and who == "party_secretary":
            tour.chair_acts(page, language)
            shots.step(f"{label} gave the floor and closed the vote")
            findings[f"{label}, after acting"] = tour.untranslated(
                page.evaluate(tour.COLLECT_JS), language, data
            )
        if name == "login":
            # The form's own refusal comes from Django's catalogue; it must speak the same.
            username, password, submit = SIGN_IN[language]
            page.get_by_label(username).fill(tour.NAMES["resident"])
            page.get_by_label(password).fill("not-the-password")
            page.get_by_role("button", name=submit, exact=True).click()
            expect(page.get_by_role("alert")).to_be_visible()
            shots.step(f"{label} refused in {language}")
            findings[f"{label}, refused"] = tour.untranslated(
                page.evaluate(tour.COLLECT_JS), language, data
            )
        assert page.errors == []
    assert {who: found for who, found in findings.items() if found} == {}


FRAGMENT = """
<main id="fragment">
  <h1>{heading}</h1>
  <p>{person} · LH-2026-0007 · Gongzhi · 共治</p>
  <button type="button" aria-label="{label}">×</button>
  <details><summary>{summary}</summary><p>{hidden}</p></details>
</main>
"""
# A fragment with every word in its language (with a person's name, a reference number, the
# product's name and, in English, a Chinese gloss), and a word of the other language to slip in.
CLEAN = {
    "zh-hans": {
        "heading": "议题台账",
        "person": "Zhang Wei",
        "label": "重新连接",
        "summary": "审计记录",
        "hidden": "时间线",
    },
    "en": {
        "heading": "Public ledger of matters (台账)",
        "person": "张伟",
        "label": "Reconnect now",
        "summary": "Audit trail",
        "hidden": "Timeline",
    },
}
LEFT_OVER = {"zh-hans": "Reconnect", "en": "投票"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_check_reports_a_word_left_untranslated(browser, language):
    """The check reads the text, the attributes and closed <details>; a fragment all in one
    language passes, and one word of the other language anywhere in it is reported."""
    page = browser.new_page()
    try:
        clean, word = CLEAN[language], LEFT_OVER[language]
        data = [clean["person"]]
        page.set_content(FRAGMENT.format(**clean))
        assert tour.untranslated(page.evaluate(tour.COLLECT_JS, "#fragment"), language, data) == []
        for where in ("heading", "label", "summary", "hidden"):
            page.set_content(FRAGMENT.format(**{**clean, where: f"{clean[where]} {word}"}))
            found = tour.untranslated(page.evaluate(tour.COLLECT_JS, "#fragment"), language, data)
            assert len(found) == 1 and repr(word) in found[0], (where, found)
    finally:
        page.close()


def test_every_source_of_a_rule_has_a_translated_name():
    """A poll's result names the law its rule comes from; the pages translate it by this table."""
    assert {source["law"] for source in RULE_SOURCES.values()} <= set(LAW_NAMES)


def test_every_verb_of_a_matters_audit_trail_has_a_label():
    """The matter page's audit trail names each action in words; a verb the services record
    about a matter and its parts, with no label, would show as code."""
    source = "".join(
        path.read_text(encoding="utf-8")
        for package in ("services", "meetings")
        for path in sorted((ROOT / "deliberation" / package).glob("*.py"))
    )
    parts = "matter|comment|stance|poll|resolution|escalation"
    verbs = set(re.findall(rf'"((?:{parts})\.[a-z_]+)"', source)) - set(DEFAULT_SETTINGS)
    verbs.discard("poll.voted")  # the trail leaves out who voted
    assert verbs, "no verbs found: the pattern no longer matches the services"
    assert verbs <= set(AUDIT_LABELS), verbs - set(AUDIT_LABELS)
