"""Paper delivery and the delivery log's reach: only the body responsible for the matter
records a printed notice's delivery and sees how far the notice reached, counted per unit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from communities import services as register
from communities.models import AuditEvent
from deliberation import access, delivery_log, services
from deliberation.models import Delivery, Notification
from tests.factories import make_community, make_more_owners, make_user
from tests.walks import OWNERS, propose, walk_to


@pytest.fixture
def noticed(world, django_capture_on_commit_callbacks):
    """An owners' matter whose notice went out to three owners of three units; the first owner
    has an e-mail address."""
    more = make_more_owners(world)
    owner = world.cast["owner"]
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        matter = walk_to(world, propose(world, OWNERS), "notice")
    world.cast.update(more)
    return matter


def notice_to(matter, user):
    return Notification.objects.get(matter=matter, kind="owners_notice", recipient=user)


def paper(world, matter, by, to="owner_b", note="楼长塞门缝"):
    return services.record_paper_delivery(
        world.cast[by] if isinstance(by, str) else by,
        matter,
        notice_to(matter, world.cast[to]).pk,
        note=note,
    )


def test_the_responsible_body_records_a_paper_delivery(world, noticed):
    delivery = paper(world, noticed, "oc_chair")
    assert (delivery.channel, delivery.state) == (Delivery.Channel.PAPER, Delivery.State.SENT)
    assert delivery.recorded_by == world.cast["oc_chair"] and delivery.note == "楼长塞门缝"
    assert AuditEvent.objects.filter(verb="notice.paper_delivered").count() == 1


@pytest.mark.parametrize("build", ["real", "weakened"])
@pytest.mark.parametrize("who", ["outsider", "resident", "owner", "unverified", "pm_manager"])
def test_others_cannot_record_a_paper_delivery(world, noticed, monkeypatch, build, who):
    """The weakened build lets anyone through the one check: the same attempt then succeeds,
    which shows that the refusal the real build gives comes from that check."""
    if build == "weakened":
        monkeypatch.setattr(access, "answers_for_notices", lambda user, matter: True)
        assert paper(world, noticed, who).pk
        return
    with pytest.raises(PermissionDenied):
        paper(world, noticed, who)
    assert not Delivery.objects.filter(channel=Delivery.Channel.PAPER).exists()


def test_staff_of_another_community_cannot_record_a_paper_delivery(world, noticed):
    community, estate, orgs = make_community(world.admin, slug="taohua", code="TH", name="桃花社区")
    foreign = make_user("foreign_chair")
    register.appoint(world.admin, orgs["owners_committee"], foreign, "director")
    register.appoint(world.admin, orgs["residents_committee"], make_user("foreign_rc"), "director")
    assert foreign.has_perm("communities.chair_meeting", estate)  # a chair, but over there
    with pytest.raises(PermissionDenied):
        paper(world, noticed, foreign)
    assert not Delivery.objects.filter(channel=Delivery.Channel.PAPER).exists()


def test_a_notice_of_another_matter_is_refused(world, noticed):
    other = walk_to(world, propose(world, OWNERS, title="另一议题"), "notice")
    with pytest.raises(ValidationError):
        services.record_paper_delivery(
            world.cast["oc_chair"], noticed, notice_to(other, world.cast["owner_b"]).pk
        )
    with pytest.raises(ValidationError):
        services.record_paper_delivery(world.cast["oc_chair"], noticed, "not a number")


def test_a_second_paper_delivery_is_refused_and_the_first_kept(world, noticed):
    first = paper(world, noticed, "oc_chair", note="第一次")
    with pytest.raises(ValidationError):
        paper(world, noticed, "oc_chair", note="第二次")
    assert list(Delivery.objects.filter(channel=Delivery.Channel.PAPER)) == [first]
    first.refresh_from_db()
    assert first.note == "第一次"


def test_a_note_too_long_is_refused(world, noticed):
    with pytest.raises(ValidationError):
        paper(world, noticed, "oc_chair", note="长" * 201)
    assert not Delivery.objects.filter(channel=Delivery.Channel.PAPER).exists()


def test_the_summary_counts_units_reached_and_unread(world, noticed):
    # 1-101 by e-mail, 1-102 on paper, 1-201 not at all.
    paper(world, noticed, "oc_chair")
    summary = delivery_log.summary(noticed, "owners_notice")
    assert (summary.total, summary.reached, summary.unread, summary.by_unit) == (3, 2, 2, True)
    services.mark_notifications_read(world.cast["owner_b"], matter=noticed)
    summary = delivery_log.summary(noticed, "owners_notice")
    assert (summary.reached, summary.unread) == (2, 1)
    services.mark_notifications_read(world.cast["owner_c"], matter=noticed)
    assert delivery_log.summary(noticed, "owners_notice").reached == 3


def test_an_owner_of_two_units_reaches_both(world, django_capture_on_commit_callbacks):
    make_more_owners(world)
    owner = world.cast["owner"]
    register.record_ownership(world.admin, world.estate.units.get(number="201"), owner)
    owner.email = "owner@example.org"
    owner.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        matter = walk_to(world, propose(world, OWNERS), "notice")
    [row] = [
        r
        for r in delivery_log.recipients(matter, "owners_notice")
        if r.notification.recipient == owner
    ]
    assert sorted(u.number for u in row.units) == ["101", "201"]
    summary = delivery_log.summary(matter, "owners_notice")
    assert (summary.total, summary.reached) == (3, 2)


def page(world, matter):
    return reverse(
        "deliberation:deliveries", args=[world.community.slug, matter.reference, "owners_notice"]
    )


@pytest.mark.parametrize(
    ("who", "sees"),
    [("oc_chair", True), ("owner", False), ("resident", False), ("outsider", False)],
)
def test_the_delivery_log_is_shown_to_the_responsible_body_only(client, world, noticed, who, sees):
    client.force_login(world.cast[who])
    response = client.get(page(world, noticed))
    assert response.status_code == (200 if sees else 404)
    matter_page = client.get(noticed.get_absolute_url())
    assert (b'id="deliveries-h"' in matter_page.content) is sees
    if sees:
        assert b"owner_c" in response.content


def test_the_page_records_a_paper_delivery(client, world, noticed):
    client.force_login(world.cast["oc_chair"])
    target = notice_to(noticed, world.cast["owner_c"])
    response = client.post(page(world, noticed), {"notice": target.pk, "note": "楼长送达"})
    assert response.status_code == 302
    assert (
        Delivery.objects.get(notification=target, channel=Delivery.Channel.PAPER).note == "楼长送达"
    )


def test_the_page_refuses_a_foreign_notice_and_changes_nothing(client, world, noticed):
    other = walk_to(world, propose(world, OWNERS, title="另一议题"), "notice")
    client.force_login(world.cast["oc_chair"])
    foreign = notice_to(other, world.cast["owner_c"])
    response = client.post(page(world, noticed), {"notice": foreign.pk})
    assert response.status_code == 400
    assert not Delivery.objects.filter(channel=Delivery.Channel.PAPER).exists()


def test_an_outsider_cannot_post_a_paper_delivery(client, world, noticed):
    client.force_login(world.cast["outsider"])
    target = notice_to(noticed, world.cast["owner_c"])
    assert client.post(page(world, noticed), {"notice": target.pk}).status_code == 404
    assert not Delivery.objects.filter(channel=Delivery.Channel.PAPER).exists()
