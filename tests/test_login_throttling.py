"""Sign-in throttling (django-axes), on the site's and the admin's login: after five failures a
username is locked, and so is the address they came from, each on its own; while locked even the
right password is refused, with the login form saying why in the reader's language; after the
cool-off the account opens again. Written as the attacker guessing passwords."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

LOGINS = {"site": "login", "admin": "admin:login"}
ZH_LOCKED = "登录失败次数过多"
EN_LOCKED = "Too many failed sign-in attempts"


WRONG = "a-wrong-guess"  # noqa: S105 - a password that must be refused


def guess(client, login: str, username: str, password: str = WRONG):
    return client.post(reverse(LOGINS[login]), {"username": username, "password": password})


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def time_passes(delta):
    """Move every recorded failure back by `delta`, as if that much time had passed."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= delta
        attempt.save(update_fields=["attempt_time"])


def wait_out_the_cool_off():
    time_passes(settings.AXES_COOLOFF_TIME + timedelta(minutes=1))


@pytest.fixture
def staff(world):
    user = world.cast["rc_director"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_it_defaults_to_five_failures_and_a_cool_off():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


@pytest.mark.parametrize("login", LOGINS)
def test_it_refuses_the_right_password_once_a_username_is_locked(staff, login):
    attacker = from_address("203.0.113.7")
    owner = from_address("198.51.100.20")
    for _ in range(2):
        # One failure short of the limit the owner's own password still works, and a success
        # starts the count again.
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert guess(attacker, login, staff.username).status_code == 200
        assert guess(owner, login, staff.username, PASSWORD).status_code == 302
        owner.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guess(attacker, login, staff.username)
    # Now the username is locked, from any address, right password or not.
    elsewhere = from_address("198.51.100.21")
    response = guess(elsewhere, login, staff.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(elsewhere)
    page = response.content.decode()
    assert ZH_LOCKED in page and "15 分钟" in page
    assert int(response["Retry-After"]) == 15 * 60
    # A form with its error, not a bare refusal: the form is there to try again later.
    assert 'name="password"' in page
    assert ("form-errors" if login == "site" else "errornote") in page


@pytest.mark.parametrize("login", LOGINS)
def test_it_locks_an_address_that_tries_many_usernames(world, staff, login):
    attacker = from_address("203.0.113.8")
    for n in range(settings.AXES_FAILURE_LIMIT):
        guess(attacker, login, f"nobody{n}")
    # Each username failed only once, but this address is locked, even for a right password...
    response = guess(attacker, login, staff.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(attacker)
    # ...and the username it tried is not locked for its owner elsewhere.
    owner = from_address("198.51.100.30")
    assert guess(owner, login, staff.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("login", LOGINS)
def test_it_unlocks_after_the_cool_off(staff, login):
    attacker = from_address("203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guess(attacker, login, staff.username)
    owner = from_address("198.51.100.40")
    assert guess(owner, login, staff.username, PASSWORD).status_code == 429
    # Half a minute before the end the lock holds; tries made then do not push the end back.
    time_passes(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
    assert guess(owner, login, staff.username, PASSWORD).status_code == 429
    assert guess(attacker, login, staff.username).status_code == 429
    time_passes(timedelta(minutes=1))
    assert guess(owner, login, staff.username, PASSWORD).status_code == 302
    assert signed_in(owner)


def test_it_takes_the_limit_and_the_cool_off_from_the_settings(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    attacker = from_address("203.0.113.10")
    for _ in range(2):
        guess(attacker, "site", "resident")
    response = guess(from_address("198.51.100.50"), "site", "resident", PASSWORD)
    assert response.status_code == 429 and "2 分钟" in response.content.decode()
    wait_out_the_cool_off()  # three minutes on: past two, far short of the default fifteen
    assert guess(from_address("198.51.100.50"), "site", "resident", PASSWORD).status_code == 302


def test_it_says_so_in_english_to_an_english_reader(world):
    attacker = from_address("203.0.113.11")
    attacker.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guess(attacker, "site", "resident")
    page = guess(attacker, "site", "resident", PASSWORD).content.decode()
    assert EN_LOCKED in page and "15 minutes" in page
    assert ZH_LOCKED not in page


def test_it_keeps_sessions_made_without_the_form_working(client, world):
    """force_login and sign-up name ModelBackend; the watching backend never signs anyone in."""
    client.force_login(world.cast["resident"])
    assert client.get(reverse("profile")).status_code == 200
