"""Proxies (委托): one voter authorises another on a written authorisation; the proxy's ballot
fills the voter's own slots; at most N per proxy; revoked until used; lapsed when the voter votes
first; no proxies in council votes unless the community allows them. Uploads are checked by
their content, and nothing is kept from a refused one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from communities.attachments import MAX_BYTES, sniff
from communities.models import Attachment, Community
from deliberation import rules, services
from deliberation.models import Ballot, Channel, Proxy
from deliberation.services import proxies
from tests.factories import MINIMAL_PDF, make_user, png_bytes, upload
from tests.test_one_register import owners_vote
from tests.walks import COUNCIL, propose, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"  # pages in English, as the test reads them
    with translation.override("en"):
        yield


def authorise(poll, principal, holder, **kwargs):
    return proxies.authorise_proxy(
        principal, principal, holder, poll=poll, upload=upload(), **kwargs
    )


def test_a_proxy_ballot_carries_the_voters_area_and_head(world):
    poll, owners = owners_vote(world)
    holder = world.cast["resident"]  # not an owner: a proxy need not be in the electorate
    proxy = authorise(poll, owners["102"], holder)
    proxies.cast_by_proxy(holder, proxy, poll, ["yes"])
    ballot = Ballot.objects.get(poll=poll)
    unit = world.estate.units.get(number="102")
    assert (ballot.voter, ballot.cast_by, ballot.channel) == (owners["102"], holder, Channel.PROXY)
    assert (ballot.slot, ballot.head, ballot.weight) == (
        f"unit:{unit.pk}",
        f"user:{owners['102'].pk}",
        unit.area,
    )
    assert Proxy.objects.get(pk=proxy.pk).status == Proxy.Status.USED
    with pytest.raises(ValidationError, match="proxy has already voted for you"):
        services.cast_ballot(owners["102"], poll, ["no"])
    with pytest.raises(ValidationError, match="already voted"):
        proxies.cast_by_proxy(holder, proxy, poll, ["no"])
    assert Ballot.objects.get(poll=poll).choices == ["yes"]


def test_the_voter_who_votes_first_keeps_their_vote_and_the_proxy_lapses(world):
    poll, owners = owners_vote(world)
    holder = world.cast["resident"]
    proxy = authorise(poll, owners["102"], holder)
    services.cast_ballot(owners["102"], poll, ["no"])
    assert Proxy.objects.get(pk=proxy.pk).status == Proxy.Status.LAPSED
    with pytest.raises(ValidationError, match="voted themselves"):
        proxies.cast_by_proxy(holder, proxy, poll, ["yes"])
    assert Ballot.objects.get(poll=poll).choices == ["no"]


def test_it_revokes_until_the_proxy_has_voted(world):
    poll, owners = owners_vote(world)
    holder = world.cast["resident"]
    first = authorise(poll, owners["102"], holder)
    with pytest.raises(PermissionDenied):  # the proxy cannot revoke the voter's authorisation
        proxies.revoke_proxy(holder, first)
    proxies.revoke_proxy(owners["102"], first)
    with pytest.raises(ValidationError, match="no longer in force"):
        proxies.cast_by_proxy(holder, first, poll, ["yes"])
    second = authorise(poll, owners["102"], holder)
    proxies.cast_by_proxy(holder, second, poll, ["yes"])
    with pytest.raises(ValidationError, match="can no longer be revoked"):
        proxies.revoke_proxy(owners["102"], second)
    assert Proxy.objects.get(pk=second.pk).status == Proxy.Status.USED


def test_one_proxy_holds_at_most_the_communitys_number(world):
    assert rules.setting(None, "proxy.max_per_proxy") == 3
    Community.objects.filter(pk=world.community.pk).update(settings={"proxy.max_per_proxy": 1})
    poll, owners = owners_vote(world)
    holder = world.cast["resident"]
    authorise(poll, owners["102"], holder)
    with pytest.raises(ValidationError, match="the most one proxy may hold"):
        authorise(poll, owners["201"], holder)
    assert Proxy.objects.count() == 1 and Attachment.objects.count() == 1


def test_it_refuses_a_stranger_registering_a_proxy_for_someone_else(world):
    poll, owners = owners_vote(world)
    for name in ("outsider", "resident", "ws_staff"):
        with pytest.raises(PermissionDenied):
            proxies.authorise_proxy(
                world.cast[name], owners["102"], world.cast[name], poll=poll, upload=upload()
            )
    # The body responsible for the vote may, for an owner who brings the form in person.
    proxy = proxies.authorise_proxy(
        world.cast["oc_chair"], owners["102"], world.cast["resident"], poll=poll, upload=upload()
    )
    assert proxy.created_by == world.cast["oc_chair"]


def test_only_its_holder_votes_with_an_authorisation(world):
    poll, owners = owners_vote(world)
    proxy = authorise(poll, owners["102"], world.cast["resident"])
    with pytest.raises(PermissionDenied):
        proxies.cast_by_proxy(owners["201"], proxy, poll, ["yes"])
    assert not Ballot.objects.exists()


def test_a_council_vote_takes_no_proxy_unless_the_community_allows_it(world):
    matter = walk_to(world, propose(world, COUNCIL), "council_vote")
    poll = services.create_poll(
        world.cast["party_secretary"], matter, question="通过议案？", kind="yes_no_abstain"
    )
    member, holder = world.cast["council_member"], world.cast["resident"]
    with pytest.raises(ValidationError, match="council votes take no proxies"):
        proxies.authorise_proxy(member, member, holder, poll=poll, upload=upload())
    Community.objects.filter(pk=world.community.pk).update(settings={"proxy.council_allowed": True})
    poll.community.refresh_from_db()
    assert proxies.authorise_proxy(member, member, holder, poll=poll, upload=upload())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("委托书.pdf", b"%PDF-1.4 no end", "or a PDF"),
        ("委托书.jpg", b"MZ\x90\x00 an executable", "or a PDF"),
        ("委托书.pdf", png_bytes(), "does not match its name"),
        ("委托书.png", MINIMAL_PDF, "does not match its name"),
        ("委托书.png", png_bytes()[:40], "or a PDF"),
        ("委托书.pdf", b"", "empty"),
        ("委托书.pdf", MINIMAL_PDF + b" " * MAX_BYTES, "too large"),
    ],
)
def test_a_bad_upload_is_refused_clearly_and_nothing_is_kept(world, name, content, message):
    poll, owners = owners_vote(world)
    with pytest.raises(ValidationError, match=message):
        proxies.authorise_proxy(
            owners["102"], owners["102"], world.cast["resident"], poll=poll,
            upload=upload(name, content),
        )  # fmt: skip
    assert not Proxy.objects.exists() and not Attachment.objects.exists()


def test_it_reads_the_kind_from_the_content():
    assert sniff(MINIMAL_PDF) == "application/pdf"
    assert sniff(png_bytes()) == "image/png"
    assert sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert sniff(b"GIF89a") is None


def test_the_written_authorisation_is_shown_only_to_those_concerned(world, client):
    poll, owners = owners_vote(world)
    proxy = authorise(poll, owners["102"], world.cast["resident"])
    url = reverse("deliberation:proxy_document", args=[proxy.pk])
    seen = {}
    for name, person in {
        "voter": owners["102"],
        "proxy": world.cast["resident"],
        "oc_chair": world.cast["oc_chair"],
        "rc_director": world.cast["rc_director"],
        "another owner": owners["201"],
        "outsider": world.cast["outsider"],
        "ws_staff": world.cast["ws_staff"],
    }.items():
        client.force_login(person)
        response = client.get(url)
        seen[name] = response.status_code
        if response.status_code == 200:
            assert response.content == MINIMAL_PDF
            assert response["Content-Type"] == "application/pdf"
            assert "no-store" in response["Cache-Control"]
    client.logout()
    seen["anonymous"] = client.get(url).status_code
    assert seen == {
        "voter": 200,
        "proxy": 200,
        "oc_chair": 200,
        "rc_director": 200,
        "another owner": 404,
        "outsider": 404,
        "ws_staff": 404,
        "anonymous": 302,
    }


def test_a_voter_authorises_a_proxy_on_the_page_and_the_proxy_votes_on_the_matter(world, client):
    poll, owners = owners_vote(world)
    voter, holder = owners["102"], make_user("邻居老王")
    client.force_login(voter)
    page = client.get(reverse("deliberation:poll_proxy", args=[poll.pk]))
    assert page.status_code == 200 and "principal" not in page.context["form"].fields
    response = client.post(
        reverse("deliberation:poll_proxy", args=[poll.pk]),
        {"holder": holder.username, "document": upload("委托书.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 302
    proxy = Proxy.objects.get()
    client.force_login(holder)
    matter_page = client.get(poll.matter.get_absolute_url())
    assert f"p{proxy.pk}-choice" in matter_page.content.decode()
    client.post(
        reverse("deliberation:vote_by_proxy", args=[proxy.pk]),
        {"poll": poll.pk, f"p{proxy.pk}-choice": "yes"},
    )
    assert Ballot.objects.get(poll=poll).channel == Channel.PROXY


def test_the_page_keeps_what_was_typed_when_the_upload_is_refused(world, client):
    poll, owners = owners_vote(world)
    client.force_login(owners["102"])
    response = client.post(
        reverse("deliberation:poll_proxy", args=[poll.pk]),
        {"holder": world.cast["resident"].username, "document": upload("a.pdf", b"nope")},
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert response.context["form"]["holder"].value() == world.cast["resident"].username
    assert not Proxy.objects.exists()


def test_the_proxys_inbox_lists_the_vote_until_it_is_cast(world):
    from deliberation import inbox

    poll, owners = owners_vote(world)
    holder = make_user("邻居小李")
    proxy = authorise(poll, owners["102"], holder)
    assert [(r.poll, r.principal) for r in inbox.proxy_votes(holder)] == [(poll, owners["102"])]
    assert inbox.count(holder) == 1
    assert inbox.proxy_votes(owners["201"]) == []
    proxies.cast_by_proxy(holder, proxy, poll, ["yes"])
    assert inbox.proxy_votes(holder) == []
