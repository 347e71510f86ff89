"""The register's pages: who may open them, what they show (never a secret vote's choices), and
forms that keep what was typed when refused."""

import pytest
from django.urls import reverse
from django.utils import translation

from deliberation import services
from deliberation.models import Ballot, PaperBallot
from deliberation.services import register
from tests.test_one_register import owners_vote, with_scrutineers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"  # pages in English, as the test reads them
    with translation.override("en"):
        yield


def test_only_the_responsible_body_and_the_scrutineers_open_the_register(world, client):
    poll, owners = owners_vote(world)
    s1, _s2 = with_scrutineers(world, poll)
    url = reverse("deliberation:poll_register", args=[poll.pk])
    seen = {}
    people = {**{n: world.cast[n] for n in ("oc_chair", "rc_director", "resident", "owner",
              "ws_staff", "outsider", "pm_manager")}, "scrutineer": s1}  # fmt: skip
    for name, person in people.items():
        client.force_login(person)
        seen[name] = client.get(url).status_code
    assert seen == {
        "oc_chair": 200,
        "rc_director": 200,
        "scrutineer": 200,
        "resident": 404,
        "owner": 404,
        "ws_staff": 404,
        "outsider": 404,
        "pm_manager": 404,
    }


def test_a_resident_cannot_post_to_the_register(world, client):
    poll, _owners = owners_vote(world)
    client.force_login(world.cast["resident"])
    response = client.post(
        reverse("deliberation:poll_register_action", args=[poll.pk, "appoint"]),
        {"username": "resident"},
    )
    assert response.status_code == 404
    assert not poll.scrutineers.exists()


def test_a_scrutineer_enters_and_a_second_confirms_through_the_page(world, client):
    poll, owners = owners_vote(world)
    s1, s2 = with_scrutineers(world, poll)
    client.force_login(s1)
    action = reverse("deliberation:poll_register_action", args=[poll.pk, "paper"])
    refused = client.post(action, {"unit": "9栋909", "choice": "yes"})
    assert refused.status_code == 400
    assert "No such unit" in refused.content.decode()
    assert 'value="9栋909"' in refused.content.decode()
    assert client.post(action, {"unit": "1-102", "choice": "yes"}).status_code == 302
    paper = PaperBallot.objects.get()
    page = client.get(reverse("deliberation:poll_register", args=[poll.pk])).content.decode()
    assert "awaiting a second scrutineer" in page
    assert "Confirm: I read the same" not in page  # not for the one who entered it
    client.force_login(s2)
    confirm = reverse("deliberation:poll_register_action", args=[poll.pk, "confirm"])
    differs = client.post(confirm, {"paper": paper.pk, f"c{paper.pk}-choice": "no"})
    assert differs.status_code == 400 and "differs" in differs.content.decode()
    client.post(confirm, {"paper": paper.pk, f"c{paper.pk}-choice": "yes"})
    assert Ballot.objects.get(poll=poll).channel == "paper"
    report = client.get(reverse("deliberation:poll_register", args=[poll.pk]))
    assert report.context["report"]["channels"]["paper"]["ballots"] == 1


def test_a_secret_register_shows_who_took_part_and_never_a_choice(world, client):
    poll, owners = owners_vote(world, secret=True)
    s1, s2 = with_scrutineers(world, poll)
    services.cast_ballot(owners["101"], poll, ["yes"])
    register.record_paper_receipt(s1, poll, unit=world.estate.units.get(number="102"))
    box = register.enter_paper_box(
        s1, poll, label="一号票箱", totals={"no": {"heads": 1, "area": "120.00"}}
    )
    for person in (world.cast["oc_chair"], s1, s2):
        client.force_login(person)
        page = client.get(reverse("deliberation:poll_register", args=[poll.pk])).content.decode()
        assert "一号票箱" in page
        assert "120.00" not in page.split('id="boxes"')[1]  # the box's count is not shown
        for word in ("Passed", "Not passed", "yes:", "no:"):
            assert word not in page.split('id="reconciliation"')[1].split("</section>")[0]
    register.confirm_paper_box(s2, box, {"no": {"heads": 1, "area": "120.00"}})


def test_the_matter_page_links_the_register_and_the_proxy_page(world, client):
    poll, owners = owners_vote(world)
    client.force_login(world.cast["oc_chair"])
    page = client.get(poll.matter.get_absolute_url()).content.decode()
    assert reverse("deliberation:poll_register", args=[poll.pk]) in page
    client.force_login(owners["102"])
    page = client.get(poll.matter.get_absolute_url()).content.decode()
    assert reverse("deliberation:poll_proxy", args=[poll.pk]) in page
    assert reverse("deliberation:poll_register", args=[poll.pk]) not in page
