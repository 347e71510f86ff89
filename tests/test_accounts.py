"""Accounts: an optional e-mail and mainland mobile phone at sign-up and on the profile, changed
through one audited service (communities.contact), and a password reset by e-mail with Django's
own views, end to end through the locmem outbox."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from communities import contact
from communities.models import AuditEvent
from tests.factories import PASSWORD, make_user

User = get_user_model()
NEW_PASSWORD = "a-new-and-long-passphrase-2026"


@pytest.fixture(autouse=True)
def english(client):
    """English, in the test and in the pages the client asks for."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def sign_up(client, **extra):
    data = {
        "username": "xiaoming",
        "display_name": "李小明",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(reverse("signup"), data)


# Sign-up ------------------------------------------------------------------------------------


def test_it_signs_up_with_an_email_and_a_phone(client, db):
    response = sign_up(client, email="Ming@Example.COM", phone="138 1234 5678")
    assert response.status_code == 302
    user = User.objects.get(username="xiaoming")
    assert user.email == "Ming@example.com"
    assert contact.phone_of(user) == "13812345678"


def test_it_signs_up_without_either(client, db):
    assert sign_up(client).status_code == 302
    user = User.objects.get(username="xiaoming")
    assert (user.email, contact.phone_of(user)) == ("", "")


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "phone", "+1 555"])
def test_it_refuses_a_phone_that_is_no_mainland_mobile_at_sign_up(client, db, phone):
    response = sign_up(client, phone=phone)
    assert response.status_code == 200
    assert "11-digit mainland mobile number" in response.content.decode()
    assert not User.objects.filter(username="xiaoming").exists()


def test_it_refuses_a_bad_email_at_sign_up(client, db):
    response = sign_up(client, email="not-an-address")
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not User.objects.filter(username="xiaoming").exists()


def test_it_explains_a_bad_phone_in_chinese(client, db):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            contact.clean_phone("12345")
        assert "11 位中国大陆手机号" in " ".join(excinfo.value.messages)


# The profile --------------------------------------------------------------------------------


def test_it_edits_email_and_phone_on_the_profile_with_an_audit_event(client, db):
    user = make_user("lina")
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {"contact": "1", "email": "lina@example.com", "phone": "+86 139-0000-1111"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email, contact.phone_of(user)) == ("lina@example.com", "13900001111")
    event = AuditEvent.objects.get(verb="user.contact_changed")
    assert event.actor == user and event.data == {"fields": ["email", "phone"]}
    assert "13900001111" not in str(event.data)  # the audit names the fields, not the values
    page = client.get(reverse("profile")).content.decode()
    assert 'value="lina@example.com"' in page and 'value="13900001111"' in page


def test_it_keeps_the_old_phone_when_the_new_one_is_bad(client, db):
    user = make_user("lina")
    contact.change_contact(user, user, email="", phone="13900001111")
    client.force_login(user)
    response = client.post(reverse("profile"), {"contact": "1", "email": "", "phone": "0755-1234"})
    assert response.status_code == 200
    assert "11-digit mainland mobile number" in response.content.decode()
    user.refresh_from_db()
    assert contact.phone_of(user) == "13900001111"
    assert AuditEvent.objects.filter(verb="user.contact_changed").count() == 1


def test_it_clears_a_phone_when_left_blank(db):
    user = make_user("lina")
    contact.change_contact(user, user, email="", phone="13900001111")
    assert contact.change_contact(user, user, email="", phone="") == ["phone"]
    user.refresh_from_db()
    assert contact.phone_of(user) == ""


def test_it_records_nothing_when_nothing_changed(db):
    user = make_user("lina")
    assert contact.change_contact(user, user, email="", phone="") == []
    assert not AuditEvent.objects.filter(verb="user.contact_changed").exists()


@pytest.mark.parametrize("weakened", [False, True], ids=["guarded", "weakened"])
def test_it_refuses_changing_someone_elses_contact(db, monkeypatch, weakened):
    """A resident cannot redirect another person's notices (or their password reset) to
    themselves. Weakened: the service without its ownership check lets it through."""
    alice, mallory = make_user("alice"), make_user("mallory")
    if weakened:
        monkeypatch.setattr(type(mallory), "has_perm", lambda self, perm, obj=None: True)
    try:
        contact.change_contact(mallory, alice, email="mallory@example.com", phone="")
    except PermissionDenied:
        refused = True
    else:
        refused = False
    alice.refresh_from_db()
    assert refused is not weakened
    assert (alice.email == "mallory@example.com") is weakened


def test_it_refuses_an_anonymous_change(db):
    from django.contrib.auth.models import AnonymousUser

    alice = make_user("alice")
    with pytest.raises(PermissionDenied):
        contact.change_contact(AnonymousUser(), alice, email="x@example.com", phone="")


def test_phone_of_is_empty_for_nobody(db):
    assert contact.phone_of(None) == ""


# Password reset -----------------------------------------------------------------------------


def reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_sign_in_page_links_to_the_password_reset(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page


def test_it_resets_a_password_by_email_end_to_end(client, db):
    user = make_user("lina")
    contact.change_contact(user, user, email="lina@example.com", phone="")
    response = client.post(reverse("password_reset"), {"email": "LINA@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lina@example.com"]
    assert "lina" in message.body  # the user name, for those who forgot it too
    link = reset_link(message)
    # The link redirects to a one-off URL holding the token in the session, as Django does.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "new_password1" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    client.logout()
    old = client.post(reverse("login"), {"username": "lina", "password": PASSWORD})
    assert old.status_code == 200  # the old password no longer works
    response = client.post(reverse("login"), {"username": "lina", "password": NEW_PASSWORD})
    assert response.status_code == 302
    client.post(reverse("logout"))
    # The link works once.
    client.cookies["django_language"] = "en"  # sign-out's response set the cookie afresh
    again = client.get(link, follow=True)
    assert "no longer valid" in again.content.decode()


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_an_unknown_address_gets_the_same_neutral_page_and_no_mail(client, db):
    user = make_user("lina")
    contact.change_contact(user, user, email="lina@example.com", phone="")
    known = client.post(reverse("password_reset"), {"email": "lina@example.com"}, follow=True)
    mail.outbox.clear()
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert mail.outbox == []
    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known) == without_csrf(unknown)


def test_an_account_without_a_password_yet_can_set_one(client, db):
    """A walk-in resident registered by staff has no usable password until they set one."""
    user = make_user("walkin")
    user.set_unusable_password()
    user.email = "walkin@example.com"
    user.save()
    client.post(reverse("password_reset"), {"email": "walkin@example.com"})
    assert len(mail.outbox) == 1


def test_an_inactive_account_gets_no_reset_mail(client, db):
    user = make_user("gone")
    user.email, user.is_active = "gone@example.com", False
    user.save()
    client.post(reverse("password_reset"), {"email": "gone@example.com"})
    assert mail.outbox == []


def test_the_reset_pages_and_mail_are_translated(client, db):
    client.cookies["django_language"] = "zh-hans"
    assert "重置密码" in client.get(reverse("password_reset")).content.decode()
    user = make_user("lina")
    contact.change_contact(user, user, email="lina@example.com", phone="")
    client.post(reverse("password_reset"), {"email": "lina@example.com"})
    assert mail.outbox[0].subject == "设置共治账号的新密码"
    assert "您的用户名是 lina。" in mail.outbox[0].body
