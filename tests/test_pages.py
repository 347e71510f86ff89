"""The pages each role sees: home, community, profile, sign-up, sign-in and sign-out."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from communities.models import AuditEvent
from tests.factories import PASSWORD


def community_url(world):
    return reverse("community", args=[world.community.slug])


def test_it_shows_the_home_page_to_anyone(client, world):
    response = client.get("/")
    assert response.status_code == 200
    assert "莲花社区" in response.content.decode()


def test_it_lists_the_bodies_and_their_officials_publicly(client, world):
    page = client.get(community_url(world)).content.decode()
    for name in (
        "莲花社区党委",
        "莲花社区居委会",
        "莲花社区工作站",
        "莲花社区物业",
        "莲花社区业委会",
    ):
        assert name in page
    assert "party_secretary" in page  # officials act in public


@pytest.mark.parametrize("viewer", [None, "resident", "owner", "outsider", "pm_manager"])
def test_it_keeps_residents_names_from_the_public_and_residents(client, world, viewer):
    if viewer:
        client.force_login(world.cast[viewer])
    page = client.get(community_url(world)).content.decode()
    assert '<ul class="people people--columns">' not in page
    if viewer != "resident":
        assert ">resident<" not in page


@pytest.mark.parametrize("viewer", ["party_secretary", "rc_director", "ws_staff"])
def test_it_shows_residents_names_to_staff(client, world, viewer):
    client.force_login(world.cast[viewer])
    page = client.get(community_url(world)).content.decode()
    assert '<ul class="people people--columns">' in page
    assert "resident" in page and "owner" in page


def test_it_offers_the_verification_queue_to_verifiers_only(client, world):
    queue = reverse("verification_queue", args=[world.community.slug])
    client.force_login(world.cast["ws_staff"])
    assert queue in client.get(community_url(world)).content.decode()
    client.force_login(world.cast["resident"])
    assert queue not in client.get(community_url(world)).content.decode()


def test_it_answers_404_for_an_unknown_community(client, db):
    response = client.get(reverse("community", args=["nowhere"]))
    assert response.status_code == 404


def test_it_shows_a_profile_with_communities_organisations_and_rights(client, world):
    client.force_login(world.cast["rc_director"])
    page = client.get(reverse("profile")).content.decode()
    assert "莲花社区居委会" in page
    client.force_login(world.cast["owner"])
    page = client.get(reverse("profile")).content.decode()
    assert "莲花社区" in page and "101" in page


def test_it_sends_anonymous_visitors_from_the_profile_to_sign_in(client, db):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_signs_up_a_new_user_and_signs_them_in(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "xiaoming",
            "display_name": "李小明",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="xiaoming")
    assert user.display_name == "李小明"
    assert client.get(reverse("profile")).status_code == 200
    assert AuditEvent.objects.filter(verb="user.signed_up", actor=user).exists()


def test_it_explains_a_bad_sign_up_and_keeps_the_input(client, db):
    response = client.post(
        reverse("signup"),
        {"username": "xiaoming", "display_name": "李小明", "password1": "123", "password2": "456"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error"' in page
    assert 'value="xiaoming"' in page
    assert not get_user_model().objects.filter(username="xiaoming").exists()


def test_it_signs_in_and_out(client, world):
    response = client.post(reverse("login"), {"username": "resident", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # sign-out is a POST
    client.post(reverse("logout"))
    assert client.get(reverse("profile")).status_code == 302


def test_it_refuses_a_wrong_password_with_a_message(client, world):
    response = client.post(reverse("login"), {"username": "resident", "password": "wrong"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()


def test_it_protects_forms_with_csrf(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.cast["rc_director"])
    membership = world.cast["unverified"].memberships.get()
    response = client.post(
        reverse("decide_membership", args=[membership.pk]), {"decision": "verify"}
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert not membership.is_verified


def test_it_renders_the_community_page_in_constant_queries(
    client, world, django_assert_max_num_queries
):
    from communities import services
    from communities.models import Organization
    from tests.factories import make_user

    client.force_login(world.cast["rc_director"])
    # 20 for the page, 8 for the header's "waiting for me" count (deliberation.inbox, with the
    # votes one may cast as a proxy).
    with django_assert_max_num_queries(28) as before:
        client.get(community_url(world))
    org = world.orgs[Organization.Kind.SOCIAL_ORGANIZATION]
    for n in range(5):
        person = make_user(f"volunteer{n}")
        services.appoint(world.admin, org, person, "member")
        services.request_membership(person, world.community)
        services.verify_membership(world.admin, person.memberships.get())
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(community_url(world))
