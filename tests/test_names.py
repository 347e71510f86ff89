"""Names that cannot pass for someone else's (communities.names): display names normalised and
free of invisible and direction-changing characters wherever they are set (sign-up, the profile,
the admin, the services); usernames in one script, or Chinese characters with Latin letters.

The attacks run against a weakened build too (the check switched off), where they must get
through, so that these tests can fail.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from communities import names, services
from communities.models import AuditEvent
from tests.factories import PASSWORD, make_user

User = get_user_model()

# Each of the characters the issue names, and a few of their kind.
INVISIBLE = {
    "LRE": "\u202a", "RLE": "\u202b", "PDF": "\u202c", "LRO": "\u202d", "RLO": "\u202e",
    "LRI": "\u2066", "RLI": "\u2067", "FSI": "\u2068", "PDI": "\u2069",
    "LRM": "\u200e", "RLM": "\u200f", "ALM": "\u061c",
    "ZWSP": "\u200b", "ZWNJ": "\u200c", "ZWJ": "\u200d", "WJ": "\u2060", "BOM": "\ufeff",
    "BEL": "\x07", "DEL": "\x7f", "C1": "\x85", "LS": "\u2028",
    "SOFT_HYPHEN": "\u00ad", "HANGUL_FILLER": "\u3164", "BRAILLE_BLANK": "\u2800",
}  # fmt: skip


@pytest.fixture
def weaken(monkeypatch):
    """Switch the display-name check off, as a build without it would be."""
    return lambda: monkeypatch.setattr(names, "refused_character", lambda text: None)


def sign_up(client, username="xiaoming", display_name="李小明"):
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "display_name": display_name,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


# Display names -------------------------------------------------------------------------------


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_it_refuses_invisible_characters_at_sign_up(client, db, char, weakened, weaken):
    if weakened:
        weaken()
    with translation.override("zh-hans"):
        response = sign_up(client, display_name=f"王{char}书记")
    created = User.objects.filter(username="xiaoming").exists()
    assert created is weakened
    if not weakened:
        page = response.content.decode()
        assert response.status_code == 200 and "不能包含不可见字符或控制字符" in page
        assert f"U+{ord(char):04X}" in page
        assert 'value="xiaoming"' in page  # nothing typed is lost


def test_it_normalises_a_display_name_with_nfkc(client, db):
    assert sign_up(client, display_name="  ＷＡＮＧ　　王芳 ").status_code == 302
    assert User.objects.get(username="xiaoming").display_name == "WANG 王芳"


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
def test_it_refuses_a_right_to_left_override_in_the_profile(client, world, weakened, weaken):
    if weakened:
        weaken()
    resident = world.cast["resident"]
    client.force_login(resident)
    response = client.post(reverse("profile"), {"display_name": "\u202e记书委党"})
    resident.refresh_from_db()
    assert (resident.display_name == "\u202e记书委党") is weakened
    if not weakened:
        assert "不能包含不可见字符或控制字符" in response.content.decode()
        assert resident.display_name == "resident"


def test_it_renames_through_the_profile_and_audits_it(client, world):
    resident = world.cast["resident"]
    client.force_login(resident)
    assert client.post(reverse("profile"), {"display_name": "李娜"}).status_code == 302
    resident.refresh_from_db()
    assert resident.display_name == "李娜"
    event = AuditEvent.objects.get(verb="user.renamed")
    assert (event.actor, event.data) == (resident, {"from": "resident"})


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
def test_it_refuses_a_zero_width_space_in_the_admin(admin_client, world, weakened, weaken):
    if weakened:
        weaken()
    resident = world.cast["resident"]
    url = reverse("admin:communities_user_change", args=[resident.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data |= {"display_name": "王\u200b书记", "date_joined_0": "2026-01-01"}
    data |= {"date_joined_1": "10:00", "groups": [], "user_permissions": []}
    admin_client.post(url, data)
    resident.refresh_from_db()
    assert (resident.display_name == "王\u200b书记") is weakened


def test_it_normalises_and_audits_a_rename_in_the_admin(admin_client, world):
    resident = world.cast["resident"]
    url = reverse("admin:communities_user_change", args=[resident.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data |= {"display_name": "李娜", "date_joined_0": "2026-01-01", "date_joined_1": "10:00"}
    data |= {"groups": [], "user_permissions": []}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    resident.refresh_from_db()
    assert resident.display_name == "李娜"
    assert AuditEvent.objects.filter(verb="user.renamed", actor=world.admin).exists()


def test_the_services_refuse_what_the_forms_refuse(world):
    with pytest.raises(ValidationError):  # a form refuses NUL before us (Django's own check)
        services.sign_up(username="xiaoming", password=PASSWORD, display_name="王\x00书记")
    with pytest.raises(ValidationError):
        services.sign_up(username="xiaoming", password=PASSWORD, display_name="王\u2067书记")
    with pytest.raises(ValidationError):
        services.rename(world.cast["resident"], world.cast["resident"], "王\u200d书记")
    with pytest.raises(ValidationError):
        services.rename(world.cast["resident"], world.cast["resident"], " \u3000 ")
    with pytest.raises(PermissionDenied):
        services.rename(world.cast["resident"], world.cast["owner"], "郑国华")
    assert not User.objects.filter(username="xiaoming").exists()


def test_the_model_refuses_it_too(db):
    user = User(username="xiaoming", display_name="王\u202e书记")
    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])
    assert "display_name" in error.value.message_dict


def test_it_scrubs_names_saved_before_the_rules():
    assert names.scrub_display_name("\u202e王\u200b书记\ufeff ") == "王书记"
    assert names.scrub_display_name("ＷＡＮＧ") == "WANG"


# Usernames -----------------------------------------------------------------------------------

ALLOWED = [
    "xiaoming", "wang_fang2026", "王芳", "王fang88", "李娜.li", "やまだ太郎", "ヤマダtaro",
    "김철수", "kim김철수", "иван", "ελένη", "ㄅㄆ王", "ａｂｃ",  # full-width: NFKC makes it abc
]  # fmt: skip
REFUSED = {
    "pаypal": "Latin with a Cyrillic а",
    "admіn": "Latin with a Cyrillic і",
    "οwner": "Latin with a Greek ο",
    "王сергей": "Han with Cyrillic",
    "ивanov": "Cyrillic with Latin",
    "김やまだ": "Hangul with Hiragana",
    "admin١": "Arabic-Indic digit",
}


@pytest.mark.parametrize("username", ALLOWED)
def test_it_accepts_usernames_in_one_script_or_han_with_latin(client, db, username):
    response = sign_up(client, username=username)
    assert response.status_code == 302, response.content.decode()[-3000:]


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
@pytest.mark.parametrize("username", REFUSED, ids=REFUSED.values())
def test_it_refuses_usernames_that_mix_scripts(client, db, monkeypatch, username, weakened):
    if weakened:
        monkeypatch.setattr(names.UsernameScriptValidator, "__call__", lambda self, value: None)
    with translation.override("zh-hans"):
        response = sign_up(client, username=username)
    assert User.objects.filter(display_name="李小明").exists() is weakened
    if not weakened:
        page = response.content.decode()
        assert "用户名不能混用不同文字的字母" in page or "用户名只能使用数字 0–9" in page


def test_it_names_the_scripts_it_found_in_the_readers_language(db):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        names.UsernameScriptValidator()("pаypal")
    assert "西里尔字母、拉丁字母" in error.value.messages[0]


def test_the_service_refuses_mixed_scripts_too(db):
    with pytest.raises(ValidationError):
        services.sign_up(username="pаypal", password=PASSWORD, display_name="李小明")
    make_user("paypal")
    with pytest.raises(ValidationError):
        services.sign_up(username="paypal", password=PASSWORD, display_name="李小明")
