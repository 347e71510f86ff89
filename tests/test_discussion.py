"""Discussion of a matter: comments and replies, objections during public notice, edits kept as
revisions, moderation, organisations' stances, and Markdown that cannot carry script."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from communities import services as register
from communities.models import AuditEvent, Organization
from deliberation import access, rules, services
from deliberation.models import Comment, CommentRevision, Notification, Stance
from tests.factories import CAST
from tests.walks import FOUR, fresh, outcome, prepare, propose, walk_to

Kind = Organization.Kind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def matter(world):
    """A 四议两公开 matter at its proposal, with the social organisation as a stakeholder."""
    return propose(world, FOUR, stakeholders=[world.orgs[Kind.SOCIAL_ORGANIZATION]])


@pytest.fixture
def on_notice(world):
    """A 四议两公开 matter whose resolution is on public notice (决议公开)."""
    return prepare(world, walk_to(world, propose(world, FOUR), "notice"))


# Comments -----------------------------------------------------------------------------------

# Who may comment on the community's matters (roles.py), written out by hand.
MAY_COMMENT = {
    "party_secretary", "rc_director", "ws_staff", "pm_manager", "oc_chair", "so_member",
    "council_member", "street_officer", "district_officer", "resident", "owner",
}  # fmt: skip


def test_it_lets_exactly_the_community_comment(world, matter):
    outcomes = {
        name: outcome(lambda n=name: services.post_comment(world.cast[n], matter, body="支持。"))
        for name in CAST
    }
    assert outcomes == {name: "ok" if name in MAY_COMMENT else "denied" for name in CAST}
    assert not Comment.objects.exists()


def test_it_threads_replies_and_tells_the_parent_author(world, matter):
    resident, owner = world.cast["resident"], world.cast["owner"]
    comment = services.post_comment(resident, matter, body="雨棚确实漏水。")
    reply = services.post_comment(owner, matter, body="我家也是。", parent=comment)
    assert reply.parent == comment
    assert list(comment.replies.all()) == [reply]
    assert Notification.objects.filter(recipient=resident, kind="reply", matter=matter).exists()
    assert not Notification.objects.filter(recipient=owner, matter=matter).exists()
    event = AuditEvent.objects.get(verb="comment.posted", object_id=str(reply.pk))
    assert event.actor == owner
    assert event.data == {"matter": matter.reference, "as": None}


def test_it_tells_the_proposer_of_a_comment(world, matter):
    services.post_comment(world.cast["resident"], matter, body="支持。")
    assert Notification.objects.filter(
        recipient=world.cast["party_secretary"], kind="comment", matter=matter
    ).exists()


def test_it_refuses_a_reply_to_a_comment_on_another_matter(world, matter):
    elsewhere = propose(world, FOUR)
    comment = services.post_comment(world.cast["resident"], elsewhere, body="另一个议题。")
    with pytest.raises(ValidationError):
        services.post_comment(world.cast["owner"], matter, body="回复", parent=comment)


def test_it_refuses_an_empty_or_overlong_comment(world, matter):
    for body in ("", "   ", "长" * 5001):
        with pytest.raises(ValidationError):
            services.post_comment(world.cast["resident"], matter, body=body)
    assert not Comment.objects.exists()


def test_it_closes_a_finished_matter_for_comments(world, matter):
    services.withdraw(world.cast["party_secretary"], matter, reason="撤回")
    with pytest.raises(ValidationError):
        services.post_comment(world.cast["resident"], fresh(matter), body="还有意见。")


def test_it_lets_a_spokesperson_speak_as_their_organisation(world, matter):
    social = world.orgs[Kind.SOCIAL_ORGANIZATION]
    comment = services.post_comment(
        world.cast["so_member"], matter, body="我社愿意协助。", as_organization=social
    )
    assert comment.as_organization == social
    assert AuditEvent.objects.get(verb="comment.posted").data["as"] == social.pk


def test_it_refuses_to_let_others_speak_for_an_organisation(world, matter):
    for name, kind in [
        ("resident", Kind.SOCIAL_ORGANIZATION),  # not a member
        ("so_member", Kind.RESIDENTS_COMMITTEE),  # a member of another body
        ("council_member", Kind.COUNCIL),  # a member without the right to speak for it
    ]:
        with pytest.raises(PermissionDenied):
            services.post_comment(
                world.cast[name], matter, body="代表发言。", as_organization=world.orgs[kind]
            )
    assert not Comment.objects.exists()


# Objections ---------------------------------------------------------------------------------


def test_it_takes_objections_only_during_public_notice(world, matter):
    for stage in ("proposal", "consultation", "review", "decision"):
        matter = walk_to(world, matter, stage)
        with pytest.raises(ValidationError) as excinfo:
            services.post_comment(world.cast["resident"], matter, body="反对。", objection=True)
        assert "public notice" in " ".join(excinfo.value.messages)
    assert not Comment.objects.exists()


def test_it_gives_an_objection_an_answer_date(world, on_notice):
    before = timezone.now()
    objection = services.post_comment(
        world.cast["resident"], on_notice, body="公示数字有误。", objection=True
    )
    assert objection.is_objection
    assert before + timedelta(days=3) <= objection.answer_due <= timezone.now() + timedelta(days=3)
    assert AuditEvent.objects.filter(verb="comment.objection", object_id=str(objection.pk))
    # The body that must answer hears of it.
    assert Notification.objects.filter(
        recipient=world.cast["rc_director"], kind="objection"
    ).exists()


def test_it_reads_the_objection_answer_days_from_the_community_settings(world, on_notice):
    world.community.settings = {"objection.answer_days": 5}
    register.save_structure(world.admin, world.community, changed=["settings"])
    matter = fresh(on_notice)
    objection = services.post_comment(world.cast["resident"], matter, body="异议", objection=True)
    expected = rules.add_days(objection.created_at, 5)
    assert abs(objection.answer_due - expected) < timedelta(seconds=5)


def test_it_lets_only_the_stage_actor_answer_an_objection(world, on_notice):
    objection = services.post_comment(
        world.cast["resident"], on_notice, body="公示数字有误。", objection=True
    )
    outcomes = {
        name: outcome(
            lambda n=name: services.answer_objection(world.cast[n], objection, body="已更正。")
        )
        for name in CAST
    }
    assert outcomes == {name: "ok" if name == "rc_director" else "denied" for name in CAST}

    answer = services.answer_objection(world.cast["rc_director"], objection, body="已核实更正。")
    objection.refresh_from_db()
    assert objection.answered_by == answer
    assert answer.parent == objection
    assert answer.as_organization == world.orgs[Kind.RESIDENTS_COMMITTEE]
    event = AuditEvent.objects.get(verb="comment.objection_answered")
    assert event.data == {"answer": answer.pk, "late": False}
    assert Notification.objects.filter(
        recipient=world.cast["resident"], kind="objection_answered"
    ).exists()
    with pytest.raises(ValidationError):
        services.answer_objection(world.cast["rc_director"], objection, body="再答一次。")


def test_it_answers_only_objections(world, on_notice):
    comment = services.post_comment(world.cast["resident"], on_notice, body="支持。")
    with pytest.raises(ValidationError):
        services.answer_objection(world.cast["rc_director"], comment, body="答复")


def test_it_shows_an_unanswered_objection_as_overdue(world, on_notice):
    objection = services.post_comment(
        world.cast["resident"], on_notice, body="公示数字有误。", objection=True
    )
    due = objection.answer_due
    assert not access.is_overdue(on_notice, now=due - timedelta(minutes=1))
    assert access.is_overdue(on_notice, now=due + timedelta(minutes=1))
    assert objection.objection_overdue(now=due + timedelta(minutes=1))

    services.answer_objection(world.cast["rc_director"], objection, body="已更正。")
    assert not access.is_overdue(on_notice, now=due + timedelta(minutes=1))


def test_it_records_a_late_answer_as_late(world, on_notice):
    objection = services.post_comment(
        world.cast["resident"], on_notice, body="异议", objection=True
    )
    Comment.objects.filter(pk=objection.pk).update(
        created_at=objection.created_at - timedelta(days=4),
        answer_due=objection.answer_due - timedelta(days=4),
    )
    services.answer_objection(world.cast["rc_director"], objection, body="迟到的答复。")
    assert AuditEvent.objects.get(verb="comment.objection_answered").data["late"] is True


# Edits and moderation -----------------------------------------------------------------------


def test_it_keeps_every_earlier_text_when_a_comment_is_edited(world, matter):
    resident = world.cast["resident"]
    comment = services.post_comment(resident, matter, body="第一稿")
    services.edit_comment(resident, comment, body="第二稿")
    edited = services.edit_comment(resident, comment, body="**第三稿**")
    assert edited.body == "**第三稿**"
    assert "<strong>第三稿</strong>" in edited.body_html
    assert edited.edited_at is not None
    revisions = CommentRevision.objects.filter(comment=comment)
    assert [(r.body, r.edited_by) for r in revisions] == [
        ("第一稿", resident),
        ("第二稿", resident),
    ]
    assert AuditEvent.objects.filter(verb="comment.edited", object_id=str(comment.pk)).count() == 2


def test_it_keeps_no_revision_when_nothing_changed(world, matter):
    comment = services.post_comment(world.cast["resident"], matter, body="原文")
    services.edit_comment(world.cast["resident"], comment, body="  原文  ")
    assert not CommentRevision.objects.exists()


def test_it_lets_only_the_author_edit(world, matter):
    comment = services.post_comment(world.cast["resident"], matter, body="原文")
    for name in ("owner", "rc_director", "party_secretary"):
        with pytest.raises(PermissionDenied):
            services.edit_comment(world.cast[name], comment, body="改写")
    assert Comment.objects.get(pk=comment.pk).body == "原文"
    assert not CommentRevision.objects.exists()


def test_it_hides_a_comment_with_a_reason_and_keeps_it(world, matter):
    comment = services.post_comment(world.cast["resident"], matter, body="广告内容")
    director = world.cast["rc_director"]
    with pytest.raises(ValidationError):
        services.hide_comment(director, comment, reason="  ")
    hidden = services.hide_comment(director, comment, reason="广告")
    assert hidden.is_hidden
    assert (hidden.hidden_by, hidden.hidden_reason) == (director, "广告")
    stored = Comment.objects.get(pk=comment.pk)
    assert stored.body == "广告内容"
    assert stored.hidden_at is not None
    event = AuditEvent.objects.get(verb="comment.hidden", object_id=str(comment.pk))
    assert (event.actor, event.data) == (director, {"reason": "广告"})
    with pytest.raises(ValidationError):
        services.hide_comment(director, comment, reason="再次隐藏")
    with pytest.raises(ValidationError):
        services.edit_comment(world.cast["resident"], stored, body="改写")


def test_it_lets_only_moderators_hide(world, matter):
    comment = services.post_comment(world.cast["owner"], matter, body="意见")
    outcomes = {
        name: outcome(lambda n=name: services.hide_comment(world.cast[n], comment, reason="离题"))
        for name in CAST
    }
    moderators = {"party_secretary", "rc_director"}
    assert outcomes == {name: "ok" if name in moderators else "denied" for name in CAST}
    assert not Comment.objects.get(pk=comment.pk).is_hidden


def test_it_does_not_wait_for_answers_to_hidden_objections(world, on_notice):
    objection = services.post_comment(
        world.cast["resident"], on_notice, body="刷屏", objection=True
    )
    services.hide_comment(world.cast["party_secretary"], objection, reason="重复刷屏")
    assert not access.is_overdue(on_notice, now=objection.answer_due + timedelta(days=1))
    assert services.advance(world.cast["rc_director"], on_notice).stage == "implementation"


# Stances ------------------------------------------------------------------------------------


def test_it_keeps_every_stance_an_organisation_states(world, matter):
    social = world.orgs[Kind.SOCIAL_ORGANIZATION]
    member = world.cast["so_member"]
    first = services.state_stance(member, matter, social, position="support", statement="支持")
    second = services.state_stance(
        member, matter, social, position="conditional", statement="需先征求老人意见"
    )
    assert list(Stance.objects.filter(matter=matter, organization=social)) == [second, first]
    assert [s.position for s in matter.stances.all()] == ["conditional", "support"]
    assert AuditEvent.objects.filter(verb="stance.stated").count() == 2
    assert Notification.objects.filter(
        recipient=world.cast["party_secretary"], kind="stance"
    ).exists()


def test_it_takes_stances_only_from_spokespeople_of_stakeholders(world, matter):
    orgs = world.orgs
    social = orgs[Kind.SOCIAL_ORGANIZATION]
    for name in ("resident", "party_secretary", "council_member", "outsider"):
        with pytest.raises(PermissionDenied):
            services.state_stance(
                world.cast[name], matter, social, position="oppose", statement="反对"
            )
    # The property company speaks for itself, but is no stakeholder in this matter.
    with pytest.raises(ValidationError):
        services.state_stance(
            world.cast["pm_manager"],
            matter,
            orgs[Kind.PROPERTY_MANAGEMENT],
            position="oppose",
            statement="反对",
        )
    assert not Stance.objects.exists()


def test_it_refuses_a_stance_without_a_known_position_or_statement(world, matter):
    social, member = world.orgs[Kind.SOCIAL_ORGANIZATION], world.cast["so_member"]
    with pytest.raises(ValidationError):
        services.state_stance(member, matter, social, position="maybe", statement="再看")
    with pytest.raises(ValidationError):
        services.state_stance(member, matter, social, position="support", statement=" ")
    assert not Stance.objects.exists()


# Markdown that cannot run -------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "[x](vbscript:msgbox(1))",
]
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Elements(HTMLParser):
    """Every element and attribute in a fragment, as a browser would parse it."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _live_parts(html) -> list[str]:
    """What in the rendered HTML could run script: tags, handlers and link schemes."""
    found = []
    for tag, attrs in _Elements(html).elements:
        if tag in {"script", "img", "iframe", "svg", "object", "embed", "style", "form"}:
            found.append(tag)
        found += [name for name in attrs if name.startswith("on") or name in {"src", "style"}]
        href = "".join((attrs.get("href") or "").split()).lower()
        if href and not href.startswith(SAFE_SCHEMES) and ":" in href.split("/")[0]:
            found.append(href)
    return found


def test_it_renders_script_in_comments_inert(world, matter):
    resident = world.cast["resident"]
    live = {}
    for payload in PAYLOADS:
        comment = services.post_comment(resident, matter, body=f"请看 {payload} 这里")
        assert comment.body == f"请看 {payload} 这里"  # what was written is kept as written
        edited = services.edit_comment(resident, comment, body=payload)
        live[payload] = _live_parts(comment.body_html) + _live_parts(edited.body_html)
    assert live == dict.fromkeys(PAYLOADS, [])


def test_it_still_renders_a_safe_link(world, matter):
    comment = services.post_comment(
        world.cast["resident"], matter, body="[公告](https://example.org/notice)"
    )
    (tag, attrs) = _Elements(comment.body_html).elements[1]
    assert tag == "a"
    assert attrs["href"] == "https://example.org/notice"
    assert "nofollow" in attrs["rel"]
