"""The legal gate wherever a vote shows: turnout against 2/3 of heads and of area (owners) or
against the quorum (residents' meeting), with its lines and the shortfall in words, on the
matter page, in the live room's tally and closing event, on the projector and in the minutes;
and a void vote headed 无效 with turnout first, never a share of its ballots.

The estate: 1栋101 (88.50 m², the cast's owner), 1栋102 (120.00), 1栋201 (65.25) and 2栋301
(2,000.00), each with an owner: 4 heads, 2,273.75 m². With 101 alone voting, 2/3 needs 3 heads
(2 more) and 1,515.84 m² (1,427.34 more).
"""

import json

import pytest
from django.urls import reverse

from deliberation import meeting_log, meetings, services, turnout
from deliberation.models import Meeting
from tests.test_results_hidden import _card
from tests.walks import FOUR, OWNERS, elapse, fresh, owners_poll, propose, walk_to

SHORT = "还差 2 户、1,427.34 m² 才达到法定参与比例"
QUESTION = "是否续聘物业服务企业？"


def _gate_figure(card: str) -> str:
    return card.split('class="chart gate', 1)[1].split("</figure>", 1)[0]


def test_it_draws_both_owners_bars_with_their_lines_and_says_the_shortfall(client, estate):
    matter, poll = owners_poll(estate)
    client.force_login(estate.cast["resident"])
    card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
    figure = _gate_figure(card)
    assert 'data-key="gate-heads"' in figure and 'data-key="gate-area"' in figure
    assert figure.count('class="bar-threshold"') == 2
    # The line sits at 2/3 of the 320-unit track.
    assert 'x1="213.33"' in figure
    assert SHORT in figure
    assert ">1 · 25.0%<" in figure and ">88.50 m² · 3.9%<" in figure  # turnout, its share


@pytest.mark.parametrize("options", [{"secret": True}, {"results_hidden": True}])
def test_it_shows_the_gate_but_no_choice_on_a_hidden_poll(client, estate, options):
    matter, poll = owners_poll(estate, **options)
    client.force_login(estate.cast["resident"])
    card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
    assert SHORT in card
    assert 'class="chart"' not in card  # no per-choice chart until close
    tally = meetings.live_tally(poll)
    assert tally["gate"]["measures"][0]["short"] == 2
    assert "counts" not in tally and "area" not in tally


def _void_headline_problems(card: str) -> list[str]:
    """What is wrong with a void vote's card: the verdict must come first and say 无效, turnout
    against the gate next, and no share of the ballots anywhere."""
    problems = []
    verdict = card.find('class="verdict')
    gate = card.find('class="chart gate')
    choices = card.find('<figure class="chart">')
    if verdict == -1 or "<strong>无效</strong>" not in card[verdict : verdict + 200]:
        problems.append("no 无效 headline")
    if gate == -1 or not (verdict < gate):
        problems.append("turnout does not follow the headline")
    if choices != -1 and (choices < gate or "%" in card[choices:]):
        problems.append("a share of the ballots is shown")
    return problems


@pytest.mark.parametrize("weakened", [False, True], ids=["as built", "weakened"])
def test_it_heads_a_void_vote_with_void_and_turnout_never_a_share(
    client, estate, monkeypatch, weakened
):
    matter, poll = owners_poll(estate)
    services.close_poll(estate.cast["oc_chair"], poll)
    poll.refresh_from_db()
    assert not poll.result["quorum_met"]
    if weakened:  # the build before: a void vote drawn like any other
        monkeypatch.setattr(turnout, "is_void", lambda result: False)
    client.force_login(estate.cast["resident"])
    card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
    assert SHORT in card
    if weakened:
        assert "100.0%" in card  # "100 % yes" with 1 of 4 owners taking part
        assert _void_headline_problems(card)
    else:
        assert _void_headline_problems(card) == []
        assert "1 · " not in card.split('<figure class="chart">', 1)[1]


def test_it_draws_a_valid_vote_with_its_shares(client, estate):
    matter, poll = owners_poll(estate)
    for name in ("owner102", "owner301"):
        services.cast_ballot(type(estate.admin).objects.get(username=name), poll, ["yes"])
    services.close_poll(estate.cast["oc_chair"], poll)
    client.force_login(estate.cast["resident"])
    card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
    assert "已达到法定参与比例。" in card and "gate--met" in card
    assert "100.0%" in card.split('<figure class="chart">', 1)[1]  # the shares, as before
    assert "<strong>通过</strong>" in card


def test_it_shows_a_residents_meeting_poll_against_its_quorum(client, world):
    director = world.cast["rc_director"]
    matter = walk_to(world, propose(world, FOUR), "decision")
    poll = services.create_poll(director, matter, question="是否加装电梯？", kind="yes_no_abstain")
    services.cast_ballot(world.cast["resident"], poll, ["yes"])  # 1 of the 2 verified residents
    client.force_login(director)
    card = _card(client.get(matter.get_absolute_url()).content.decode(), poll)
    figure = _gate_figure(card)
    assert 'data-key="gate-heads"' in figure and 'data-key="gate-area"' not in figure
    assert figure.count('class="bar-threshold"') == 1 and 'x1="160"' in figure  # the 1/2 line
    assert "还差 1 人才达到法定人数" in figure


def test_it_sends_the_gate_in_the_live_tally_the_snapshot_and_the_closing_event(client, estate):
    chair = estate.cast["oc_chair"]
    matter = propose(estate, OWNERS)
    noticed = services.create_poll(
        chair, matter, question=QUESTION, kind="yes_no_abstain", law_item=4, secret=True
    )
    matter = services.advance(chair, elapse(services.advance(chair, fresh(matter))))
    meeting = meetings.schedule_meeting(
        estate.admin, estate.community, title="业主大会", kind=Meeting.Kind.OWNERS,
        scheduled_at=matter.created_at, estate=estate.estate, agenda=[("续聘", matter)],
        chair=chair,
    )  # fmt: skip
    meeting = meetings.start_meeting(estate.admin, meeting)
    poll = meetings.open_poll(chair, meeting, question=QUESTION, poll_id=noticed.pk)
    meetings.cast(estate.cast["owner"], meeting, poll.pk, ["yes"])
    poll.refresh_from_db()
    tally = meetings.live_tally(poll)
    heads, area = tally["gate"]["measures"]
    assert (heads["value"], heads["total"], heads["short"]) == (1, 4, 2)
    assert (area["value"], area["short"], area["line"]) == ("88.50", "1427.34", [2, 3])
    assert "counts" not in json.dumps(tally)  # a secret poll: turnout and the gate only
    snapshot = meetings.snapshot(meeting, estate.cast["owner"])
    assert snapshot["polls"][0]["tally"]["gate"] == tally["gate"]

    client.force_login(estate.cast["owner"])
    projector = client.get(reverse("deliberation:meeting_projector", args=[meeting.pk]))
    page = projector.content.decode()
    strings = json.loads(
        page.split('id="room-strings" type="application/json">', 1)[1].split("<")[0]
    )
    assert strings["gate_short_both"] == "还差 %(heads)s 户、%(area)s m² 才达到法定参与比例"
    assert strings["result_void_headline"] == "无效"  # the words the projector's module draws

    meetings.close_poll(chair, meeting, poll.pk)
    events = meeting_log.events_since(meeting, 0, estate.cast["owner"])
    closed = [e for e in events if e.kind == "poll.closed"][-1].data
    assert closed["gate"]["met"] is False and closed["gate"]["measures"][0]["short"] == 2
    assert not closed["result"]["quorum_met"]

    minutes = meetings.generate_minutes(estate.cast["rc_director"], meeting).text
    vote = minutes.split(QUESTION, 1)[1]
    assert "**无效**" in vote and "应参与 4，实际参与 1" in vote and SHORT in vote
    assert "%" not in vote


@pytest.mark.parametrize("void", [False, True], ids=["passed", "void"])
def test_the_resolutions_board_says_the_verdict_then_turnout_never_a_share(client, world, void):
    matter = walk_to(world, propose(world, FOUR), "notice")
    resolution = services.publish_resolution(
        world.cast["rc_director"], matter, text="决议：同意实施。"
    )
    poll = resolution.poll
    assert poll is not None and poll.result["passed"]
    if void:  # a stored result as a void vote would have it (no procedure lets one through)
        result = {**poll.result, "passed": False, "quorum_met": False, "reasons": ["quorum"]}
        type(poll).objects.filter(pk=poll.pk).update(result=result)
    page = client.get(reverse("deliberation:resolutions", args=[world.community.slug]))
    card = page.content.decode().split('class="card"', 1)[1].split("</li>", 1)[0]
    verdict = "无效" if void else "通过"
    assert f"<strong>{verdict}</strong>" in card
    assert "已投票：2 / 2" in card and card.index(verdict) < card.index("已投票")
    assert "%" not in card
