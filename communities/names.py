"""What a name may hold, so that one person's name cannot pass for another's.

Display names are normalised with NFKC (full-width letters and digits become ordinary ones, the
ideographic space an ordinary space) and may not contain characters that draw nothing or that
reorder the text around them: controls, format characters (bidirectional embeddings, overrides,
isolates and marks, zero-width spaces and joiners, the word joiner, the byte-order mark…),
separators other than the space, unassigned and private-use code points, and letters that are
blank (the Hangul fillers, the blank Braille pattern).

Usernames keep Django's rule (Unicode letters, digits and @ . + - _), normalised with NFKC, and
may not mix scripts: their letters come from one script, or from one of the mixes that Chinese,
Japanese and Korean writers use, as Unicode's "highly restrictive" level allows (UTS #39 §5.2):
Han with Latin; Han, Hiragana and Katakana with Latin; Han and Bopomofo with Latin; Han and
Hangul with Latin. So 王fang2026 and 李娜 are fine, and pаypal with a Cyrillic а, or a Latin
name with a Greek ο in it, is refused. Digits are 0–9. A username written wholly in one other
script (all Cyrillic, say) is allowed; that it may look like a Latin one is left to the role
badges (communities.badges), which no name can imitate.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

DISPLAY_NAME_MAX = 64

# Unicode general categories that have no place in a name.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and symbols that draw nothing, so a name could look empty or like another's.
BLANK_CHARACTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})
_SPACES = re.compile(r"\s+")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip()


def refused_character(text: str) -> str | None:
    """The first character of `text` that a name may not contain, or None."""
    for char in text:
        if unicodedata.category(char) in REFUSED_CATEGORIES or char in BLANK_CHARACTERS:
            return char
    return None


def normalise_display_name(value: str) -> str:
    """NFKC, with runs of spaces made one and the ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value or "")).strip()


def clean_display_name(value: str) -> str:
    """The display name as stored, or ValidationError with a message the person can act on."""
    # Checked before spaces are tidied: a line break or tab is refused, not made a space.
    # The character as typed where it is one (the message names it), else as NFKC made it.
    char = refused_character(value or "") or refused_character(
        unicodedata.normalize("NFKC", value or "")
    )
    name = normalise_display_name(value)
    if char is not None:
        raise ValidationError(
            _(
                "A name may not contain invisible or control characters; this one contains "
                "%(char)s. Please type your name again without it."
            ),
            code="invisible_character",
            params={"char": _describe(char)},
        )
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationError(
            _("A name may have at most %(max)d characters."),
            code="max_length",
            params={"max": DISPLAY_NAME_MAX},
        )
    return name


def scrub_display_name(value: str) -> str:
    """A stored name made acceptable without asking anyone: normalised, refused characters
    dropped. For names saved before these rules (communities migration 0005)."""
    name = normalise_display_name(value)
    kept = "".join(c for c in name if refused_character(c) is None)
    return normalise_display_name(kept)[:DISPLAY_NAME_MAX]


def validate_display_name(value: str) -> None:
    """The model field's check (normalising is `clean_display_name`'s, via User.clean)."""
    clean_display_name(value)


# Usernames ---------------------------------------------------------------------------------

# The mixes a CJK writer uses (UTS #39 "highly restrictive"); any single script is allowed too.
ALLOWED_MIXES = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
# Unicode character names begin with their script; these need saying.
_NAME_PREFIXES = (
    ("CJK ", "Han"),
    ("KATAKANA-HIRAGANA", "Katakana"),  # the prolonged sound mark ー, used in both
    ("HALFWIDTH KATAKANA", "Katakana"),
    ("HALFWIDTH HANGUL", "Hangul"),
    ("FULLWIDTH LATIN", "Latin"),
)
SCRIPT_NAMES = {
    "Latin": _("Latin letters"),
    "Han": _("Chinese characters"),
    "Cyrillic": _("Cyrillic letters"),
    "Greek": _("Greek letters"),
    "Hiragana": _("Hiragana"),
    "Katakana": _("Katakana"),
    "Hangul": _("Hangul"),
    "Bopomofo": _("Bopomofo"),
}


def script_of(char: str) -> str | None:
    """The script of a letter, from its Unicode name; None for marks, digits and symbols, which
    go with any script."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    for prefix, script in _NAME_PREFIXES:
        if name.startswith(prefix):
            return script
    word = name.split(" ", 1)[0]
    return word.capitalize() if word else "Unknown"


def scripts_of(text: str) -> set[str]:
    return {s for s in map(script_of, text) if s is not None}


def mixes_scripts(text: str) -> bool:
    """Whether `text` mixes scripts in a way a username may not."""
    scripts = scripts_of(text)
    return len(scripts) > 1 and not any(scripts <= mix for mix in ALLOWED_MIXES)


@deconstructible
class UsernameScriptValidator:
    """Refuses usernames that mix scripts (see the module's docstring) or use digits but 0–9."""

    def __call__(self, value):
        value = unicodedata.normalize("NFKC", value or "")
        if mixes_scripts(value):
            scripts = sorted(scripts_of(value))
            raise ValidationError(
                _(
                    "A username may not mix letters of different scripts (this one has "
                    "%(scripts)s), so that it cannot look like someone else's. Use one script; "
                    "Chinese characters may go with Latin letters."
                ),
                code="mixed_scripts",
                params={
                    "scripts": pgettext("list separator", ", ").join(
                        str(SCRIPT_NAMES.get(s, s)) for s in scripts
                    )
                },
            )
        if any(c.isdigit() and not ("0" <= c <= "9") for c in value):
            raise ValidationError(_("Use the digits 0–9 in a username."), code="digits")

    def __eq__(self, other):
        return isinstance(other, UsernameScriptValidator)
