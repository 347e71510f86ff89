"""The interface speaks Simplified Chinese first and English second.

Source strings are English; the zh_Hans catalogue translates every one of them, and its compiled
.mo file is committed, so that translations work on a machine without gettext's tools.
"""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path("locale", "zh_Hans", "LC_MESSAGES", "django.po")
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "var",
    "staticfiles",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
)
# English source strings that home.html and base.html show to a visitor who is not signed in.
HOME_PAGE_ENGLISH = [
    "Gongzhi",
    "Skip to content",
    "Communities",
    "Sign up",
    "Sign in",
    "Community affairs, decided together",
    "The party committee",
    "No community has been set up yet.",
    "verified resident",
    "communities propose, discuss, decide and publish together",
]


def catalogue_entries(path=ROOT / CATALOGUE):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def describe(entry):
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def placeholders(text):
    return set(PLACEHOLDER.findall(text))


def visible_text(html):
    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts, self.hidden = [], 0

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_it_translates_every_message_into_chinese():
    entries = catalogue_entries()
    assert entries, f"{CATALOGUE} has no messages"
    untranslated = [
        describe(entry)
        for entry in entries
        if not (
            all(entry.msgstr_plural.values()) and entry.msgstr_plural
            if entry.msgid_plural
            else entry.msgstr
        )
    ]
    fuzzy = [describe(entry) for entry in entries if "fuzzy" in entry.flags]
    assert not untranslated, f"Untranslated messages in {CATALOGUE}: {untranslated}"
    assert not fuzzy, f"Fuzzy messages in {CATALOGUE} (check and unmark them): {fuzzy}"


def test_it_keeps_placeholders_in_translations():
    wrong = []
    for entry in catalogue_entries():
        if entry.msgid_plural:
            sources = [entry.msgid, entry.msgid_plural]
            translations = list(entry.msgstr_plural.values())
        else:
            sources, translations = [entry.msgid], [entry.msgstr]
        for source in sources:
            for translation in translations:
                if translation and placeholders(source) != placeholders(translation):
                    wrong.append(f"{source!r} -> {translation!r}")
    assert not wrong, "Placeholders differ between source and translation:\n" + "\n".join(wrong)


def test_it_ships_compiled_translations_that_match_the_catalogue():
    # Raises CommandError when a .mo is missing or older than its .po.
    call_command("compiletranslations", "--check")


def test_it_extracts_no_message_missing_from_the_catalogue(tmp_path):
    if shutil.which("xgettext") is None:
        reason = "gettext's xgettext is not installed, so messages cannot be extracted"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install gettext.")
        pytest.skip(reason)
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    command = [
        sys.executable,
        "manage.py",
        "makemessages",
        "--locale",
        "zh_Hans",
        "--no-obsolete",
        "--ignore",
        "tests/*",
        "--ignore",
        "bench/*",
    ]
    # The arguments are fixed and the interpreter is the one running the tests.
    subprocess.run(  # noqa: S603
        command,
        cwd=copy,
        env={**os.environ, "DJANGO_DEBUG": "1"},
        check=True,
        capture_output=True,
    )

    def keys(path):
        return {(entry.msgctxt, entry.msgid) for entry in catalogue_entries(path)}

    missing = keys(copy / CATALOGUE) - keys(ROOT / CATALOGUE)
    listed = "\n".join(f"  {ctxt}|{msgid}" if ctxt else f"  {msgid}" for ctxt, msgid in missing)
    assert not missing, (
        f"{len(missing)} message(s) in the source are missing from {CATALOGUE}; "
        f"run `make messages` and translate them:\n{listed}"
    )


def test_it_serves_pages_in_chinese_by_default_and_in_english_on_request(client, db):
    chinese = client.get("/").content.decode()
    assert '<html lang="zh-hans"' in chinese
    assert "共治" in chinese
    assert "登录" in chinese

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert '<html lang="en"' in english
    assert "Sign in" in english
    assert "Gongzhi" in english
    assert "登录" not in english

    asked_for = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert '<html lang="en"' in asked_for
    assert "Sign in" in asked_for


@pytest.mark.parametrize("with_community", [False, True], ids=["empty", "with-community"])
def test_it_renders_the_home_page_without_untranslated_english_in_chinese(
    client, admin_user, with_community
):
    if with_community:
        factories.make_community(admin_user)
    text = visible_text(client.get("/").content.decode())
    assert "社区" in text
    left_in_english = [source for source in HOME_PAGE_ENGLISH if source in text]
    assert not left_in_english, f"Untranslated on the Chinese home page: {left_in_english}"
