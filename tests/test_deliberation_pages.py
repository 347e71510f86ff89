"""The deliberation pages as each role sees them: ledger, CSV, matter page and its forms."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from communities.models import Organization
from deliberation import services
from deliberation.models import Ballot, Comment, Matter, Notification

Kind = Organization.Kind


def propose(world, title="加装电梯", procedure="four_deliberations", **extra):
    by = extra.pop("by", world.cast["party_secretary"])
    return services.propose_matter(
        by,
        world.community,
        title=title,
        body=extra.pop("body", "议题说明。"),
        category=extra.pop("category", "facilities"),
        procedure=procedure,
        **extra,
    )


def ledger_url(world, **query):
    url = reverse("deliberation:ledger", args=[world.community.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def action_url(matter, action):
    return reverse(
        "deliberation:matter_action", args=[matter.community.slug, matter.reference, action]
    )


def test_it_shows_public_matters_on_the_ledger_to_anyone(client, world):
    matter = propose(world)
    page = client.get(ledger_url(world)).content.decode()
    assert matter.reference in page
    assert "加装电梯" in page


def test_it_keeps_members_only_matters_from_the_public(client, world):
    concern = propose(
        world, title="楼道灯坏了", procedure="concern", concern_kind="urgent",
        by=world.cast["resident"],
    )  # fmt: skip
    assert concern.visibility == Matter.Visibility.MEMBERS
    assert concern.reference not in client.get(ledger_url(world)).content.decode()
    assert client.get(concern.get_absolute_url()).status_code == 404
    client.force_login(world.cast["outsider"])
    assert client.get(concern.get_absolute_url()).status_code == 404
    client.force_login(world.cast["owner"])
    assert client.get(concern.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"procedure": "consultation"}, {"征求意见"}),
        ({"status": "withdrawn"}, {"撤回的议题"}),
        ({"q": "电梯"}, {"加装电梯"}),
        ({"overdue": "on"}, {"超期的诉求"}),
    ],
)
def test_it_filters_the_ledger(client, world, query, expected):
    propose(world)
    propose(world, title="征求意见", procedure="consultation")
    withdrawn = propose(world, title="撤回的议题")
    services.withdraw(world.cast["party_secretary"], withdrawn, reason="重复")
    late = propose(
        world, title="超期的诉求", procedure="concern", concern_kind="urgent",
        by=world.cast["resident"],
    )  # fmt: skip
    Matter.objects.filter(pk=late.pk).update(deadline=timezone.now() - timezone.timedelta(days=1))
    client.force_login(world.cast["resident"])
    page = client.get(ledger_url(world, **query)).content.decode()
    titles = {"加装电梯", "征求意见", "撤回的议题", "超期的诉求"}
    assert {t for t in titles if f">{t}</a>" in page} == expected


def test_it_exports_the_ledger_as_csv_that_excel_reads(client, world):
    propose(world, title='=HYPERLINK("http://evil")')
    propose(world, title="长者饭堂")
    response = client.get(reverse("deliberation:ledger_csv", args=[world.community.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "编号"
    titles = [row[1] for row in rows[1:]]
    assert "长者饭堂" in titles
    assert '\'=HYPERLINK("http://evil")' in titles  # a formula stays text in Excel


def test_it_renders_the_matter_page_in_chinese_and_english(client, world):
    matter = propose(world)
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "审计记录" in page
    assert "党组织提议" in page
    client.cookies["django_language"] = "en"
    english = client.get(matter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Audit trail" in english


def test_it_moves_a_matter_on_through_the_page(client, world):
    matter = propose(world)
    client.force_login(world.cast["party_secretary"])
    response = client.post(action_url(matter, "advance"), {"note": "提交两委商议"})
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.stage == "consultation"
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "提交两委商议" in page


def test_it_refuses_an_action_and_keeps_what_was_typed(client, world):
    matter = propose(world)
    client.force_login(world.cast["resident"])
    response = client.post(action_url(matter, "advance"), {"note": "我的长篇说明文字"})
    assert response.status_code == 400
    assert "message--error" in response.content.decode()
    matter.refresh_from_db()
    assert matter.stage == "proposal"


def test_it_keeps_a_comment_that_failed_validation(client, world):
    matter = propose(world)
    client.force_login(world.cast["resident"])
    response = client.post(action_url(matter, "comment"), {"body": "x" * 5001})
    assert response.status_code == 400
    assert "x" * 5001 in response.content.decode()
    assert not Comment.objects.exists()


def test_it_shows_hostile_comments_inert(client, world):
    matter = propose(world)
    client.force_login(world.cast["resident"])
    for payload in (
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "[y](data:text/html;base64,PHNjcmlwdD4=)",
    ):
        assert client.post(action_url(matter, "comment"), {"body": payload}).status_code == 302
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "<script>alert" not in page
    assert 'href="javascript:' not in page
    assert "<img" not in page
    assert 'href="data:' not in page


def test_it_lets_a_verified_resident_vote_over_http(client, world):
    matter = propose(world)
    party = world.cast["party_secretary"]
    services.advance(party, matter)
    services.advance(world.cast["party_secretary"], matter)
    review = services.create_poll(party, matter, question="是否同意？", kind="yes_no_abstain")
    services.cast_ballot(party, review, ["yes"])
    services.cast_ballot(world.cast["resident"], review, ["yes"])  # the roll's other member
    services.close_poll(party, review)
    services.advance(party, matter)
    matter.refresh_from_db()
    assert matter.stage == "decision"
    director = world.cast["rc_director"]
    poll = services.create_poll(director, matter, question="居民会议表决", kind="yes_no_abstain")
    client.force_login(world.cast["resident"])
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "居民会议表决" in page and 'name="choice"' in page
    response = client.post(action_url(matter, "vote"), {"poll": poll.pk, "choice": "yes"})
    assert response.status_code == 302
    assert Ballot.objects.get(poll=poll).choices == ["yes"]
    client.force_login(world.cast["outsider"])
    response = client.post(action_url(matter, "vote"), {"poll": poll.pk, "choice": "no"})
    assert response.status_code == 400
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_it_proposes_through_the_form_and_keeps_input_on_error(client, world):
    client.force_login(world.cast["resident"])
    url = reverse("deliberation:propose", args=[world.community.slug])
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {"title": "长者饭堂", "body": "说明", "procedure": "micro_project", "category": "services",
         "project_type": "service", "budget": "999999"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "长者饭堂" in bad.content.decode()
    good = client.post(
        url,
        {"title": "长者饭堂", "body": "说明", "procedure": "micro_project", "category": "services",
         "project_type": "service", "budget": "150000"},
    )  # fmt: skip
    assert good.status_code == 302
    assert Matter.objects.get().title == "长者饭堂"


def test_it_rings_the_bell_for_stakeholders(client, world):
    matter = propose(world, stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]])
    member = world.cast["so_member"]
    assert Notification.objects.filter(recipient=member, matter=matter).exists()
    client.force_login(member)
    page = client.get("/").content.decode()
    assert 'class="bell__count">1<' in page
    client.get(matter.get_absolute_url())
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()


@pytest.mark.parametrize("name", ["resolutions", "escalations", "receptions", "ledger"])
def test_it_serves_the_community_boards_to_anyone(client, world, name):
    response = client.get(reverse(f"deliberation:{name}", args=[world.community.slug]))
    assert response.status_code == 200


def test_it_returns_404_for_an_unknown_action(client, world):
    matter = propose(world)
    client.force_login(world.cast["party_secretary"])
    assert client.post(action_url(matter, "delete")).status_code == 404


@pytest.mark.parametrize("model", ["matter", "poll", "resolution", "escalation", "comment"])
def test_it_shows_deliberation_in_the_admin_read_only(client, world, model):
    propose(world)
    client.force_login(world.admin)
    listing = client.get(reverse(f"admin:deliberation_{model}_changelist"))
    assert listing.status_code == 200
    assert client.get(reverse(f"admin:deliberation_{model}_add")).status_code == 403


def test_it_keeps_ballots_out_of_the_admin(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert "secretballot" not in page.lower()
    assert "voterreceipt" not in page.lower()


def test_it_lists_the_ledger_in_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    for n in range(30):
        propose(world, title=f"议题{n}", procedure=["four_deliberations", "consultation"][n % 2])
    with django_assert_max_num_queries(12):
        response = client.get(ledger_url(world))
    assert response.content.decode().count("/m/LH-") >= 60


def test_it_shows_a_long_discussion_without_a_query_per_comment(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    matter = propose(world)
    resident = world.cast["resident"]

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get(matter.get_absolute_url())
        return len(ctx.captured_queries)

    services.post_comment(resident, matter, body="第一条")
    client.force_login(world.cast["rc_director"])
    few = queries()
    for n in range(10):
        services.post_comment(resident, matter, body=f"评论{n}")
    assert queries() == few


def test_it_takes_one_vote_per_organisation_in_a_consultation(client, world):
    matter = propose(world, title="垃圾分类方案", procedure="consultation")
    poll = services.create_poll(
        world.cast["party_secretary"], matter, question="是否赞成方案？", kind="yes_no_abstain",
        electorate="organizations",
    )  # fmt: skip
    so = world.orgs[Kind.SOCIAL_ORGANIZATION]
    client.force_login(world.cast["so_member"])
    assert 'name="organization"' in client.get(matter.get_absolute_url()).content.decode()
    vote = {"poll": poll.pk, "choice": "yes", "organization": so.pk}
    assert client.post(action_url(matter, "vote"), vote).status_code == 302
    ballot = Ballot.objects.get(poll=poll)
    assert ballot.slot == f"org:{so.pk}"
    client.force_login(world.cast["resident"])  # speaks for no organisation
    refused = client.post(action_url(matter, "vote"), vote)
    assert refused.status_code == 400
    assert Ballot.objects.filter(poll=poll).count() == 1
    Matter.objects.filter(pk=matter.pk).update(deadline=timezone.now())
    with pytest.raises(ValidationError, match="请先结束进行中的表决"):
        services.advance(world.cast["party_secretary"], matter)


def test_it_emails_stakeholders_in_the_site_language(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    member = world.cast["so_member"]
    member.email = "so@example.org"
    member.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        matter = propose(world, stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]])
    sent = [m for m in mailoutbox if m.to == ["so@example.org"]]
    assert len(sent) == 1
    assert matter.reference in sent[0].subject
    assert "提出" in sent[0].body or "提议" in sent[0].body


def test_it_keeps_a_refused_reception_form_as_typed(client, world):
    url = reverse("deliberation:hold_reception", args=[world.community.slug])
    client.force_login(world.cast["ws_staff"])
    future = (timezone.localdate() + timezone.timedelta(days=3)).isoformat()
    response = client.post(url, {"held_on": future, "place": "社区服务中心", "hosts": "刘站长"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "社区服务中心" in page and "刘站长" in page
    assert "message--error" in page


def test_it_keeps_a_refused_rating_comment_as_typed(client, world):
    session = services.hold_reception(
        world.cast["ws_staff"], world.community, held_on=timezone.localdate(),
        place="服务中心", hosts="刘站长",
    )  # fmt: skip
    url = reverse("deliberation:rate_reception", args=[world.community.slug, session.pk])
    client.force_login(world.cast["resident"])
    response = client.post(url, {"comment": "接待很耐心"})  # no score
    assert response.status_code == 400
    assert "接待很耐心" in response.content.decode()
    assert client.post(url, {"score": 5, "comment": "接待很耐心"}).status_code == 302
    again = client.post(url, {"score": 4, "comment": "再评一次"})
    assert again.status_code == 400
    assert "您已评价过这次接访" in again.content.decode()
    assert session.ratings.get().score == 5


def test_every_id_on_the_matter_page_is_unique(client, world):
    # The proposer at the first stage sees most forms at once (advance, reject, withdraw, merge,
    # extend, escalate, stance): a label must point at its own form's field, an anchor at one
    # place.
    import re
    from collections import Counter

    matter = propose(world)
    client.force_login(world.cast["party_secretary"])
    page = client.get(matter.get_absolute_url()).content.decode()
    assert page.count("<form") >= 3
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [name for name, n in ids.items() if n > 1] == []


def test_it_tells_a_resident_awaiting_verification_why_they_cannot_comment_or_propose(
    client, world
):
    from communities import services as community_services

    matter = propose(world)
    newcomer = world.cast["outsider"]
    client.force_login(newcomer)
    page = client.get(matter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Only verified residents and the community's bodies can comment." in page
    join = reverse("join_community", args=[world.community.slug])
    assert join in page
    community_services.request_membership(newcomer, world.community, address="1栋101")
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "badge--pending" in page and join not in page
    propose_page = client.get(reverse("deliberation:propose", args=[world.community.slug]))
    assert "badge--pending" in propose_page.content.decode()
    client.force_login(world.cast["resident"])  # verified: the form, and no notice
    page = client.get(matter.get_absolute_url()).content.decode()
    assert (
        "badge--pending" not in page
        and 'action="'
        + reverse(
            "deliberation:matter_action", args=[world.community.slug, matter.reference, "comment"]
        )
        in page
    )
