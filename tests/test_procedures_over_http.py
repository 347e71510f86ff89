"""Each built-in procedure carried from proposal to its published result through the pages only,
each step by the role that takes it, with the ledger showing the matter at every stage.

The one thing done outside the pages is `elapse`, which backdates a notice period that has run.
"""

import pytest
from django.urls import reverse

from communities import services as register
from deliberation.models import Matter, Poll, Resolution
from tests.factories import make_user
from tests.walks import ACTOR, CONCERN, CONSULTATION, COUNCIL, FOUR, MICRO, OWNERS, elapse

PROPOSALS = {
    FOUR: ("party_secretary", {"procedure": FOUR}),
    OWNERS: ("oc_chair", {"procedure": OWNERS}),
    COUNCIL: ("council_member", {"procedure": COUNCIL}),
    MICRO: ("resident", {"procedure": MICRO, "project_type": "works", "budget": "300000"}),
    CONCERN: ("resident", {"procedure": CONCERN, "concern_kind": "enquiry"}),
    CONSULTATION: ("rc_director", {"procedure": CONSULTATION}),
}
YES_VOTERS = {"review": ["party_secretary", "resident"], "decision": ["resident", "owner"],
              "council_vote": ["council_member"]}  # fmt: skip


class Browser:
    """One test client that signs in as whoever takes the next step."""

    def __init__(self, client, world):
        self.client, self.world = client, world

    def as_(self, name):
        self.client.force_login(self.world.cast[name] if isinstance(name, str) else name)
        return self

    def post(self, matter, action, data):
        url = reverse(
            "deliberation:matter_action", args=[matter.community.slug, matter.reference, action]
        )
        response = self.client.post(url, data)
        assert response.status_code == 302, (action, response.content.decode()[-3000:])
        return Matter.objects.get(pk=matter.pk)

    def ledger_shows(self, matter, text):
        url = reverse("deliberation:ledger", args=[matter.community.slug])
        page = self.client.get(url, {"q": matter.reference}).content.decode()
        assert matter.reference in page and str(text) in page


def _yes_poll(browser, matter, by, voters, **fields):
    browser.as_(by).post(matter, "create_poll", {
        "question": "是否同意？", "kind": "yes_no_abstain", "max_choices": 1, **fields,
    })  # fmt: skip
    poll = matter.polls.filter(status=Poll.Status.OPEN).get()
    for voter in voters:
        browser.as_(voter).post(matter, "vote", {"poll": poll.pk, "choice": "yes"})
    browser.as_(by).post(matter, "close_poll", {"poll": poll.pk})
    return Poll.objects.get(pk=poll.pk)


def _step(browser, world, matter, owners):
    """Take the current stage's work and leave it, as its actor, through the pages."""
    by = ACTOR[(matter.procedure, matter.stage)]
    stage = matter.stage
    if stage in YES_VOTERS:
        electorate = {"decision": "residents", "review": "party"}.get(stage, "body")
        poll = _yes_poll(browser, matter, by, YES_VOTERS[stage], electorate=electorate)
        assert poll.result["passed"]
    elif matter.procedure == OWNERS and stage == "proposal":
        browser.as_(by).post(matter, "create_poll", {
            "question": "是否续聘物业服务企业？", "kind": "yes_no_abstain", "max_choices": 1,
            "electorate": "owners", "law_item": 4,
        })  # fmt: skip
    elif matter.procedure == OWNERS and stage == "voting":
        poll = matter.polls.get()
        browser.as_(by).post(matter, "open_poll", {"poll": poll.pk})
        for owner in owners:
            browser.as_(owner).post(matter, "vote", {"poll": poll.pk, "choice": "yes"})
        browser.as_(by).post(matter, "close_poll", {"poll": poll.pk})
        poll.refresh_from_db()
        assert poll.result["passed"] and poll.result["quorum_met"]
    elif stage == "resolution" or (stage == "notice" and matter.procedure != OWNERS):
        browser.as_(by).post(matter, "publish_resolution", {"text": "**决议**：同意实施。"})
    elif stage == "implementation":
        browser.as_(by).post(
            matter, "post_update", {"text": "已完工并验收。", "status": "completed"}
        )
    if matter.stage_spec.deadline is not None and matter.stage_spec.deadline.minimum:
        elapse(matter)
    return browser.as_(by).post(matter, "advance", {"note": "已办理，详见附件。"})


@pytest.mark.parametrize("procedure", [FOUR, OWNERS, COUNCIL, MICRO, CONCERN, CONSULTATION])
def test_it_carries_a_matter_through_its_procedure_in_the_browser(client, world, procedure):
    owners = []
    if procedure == OWNERS:
        # Three owners of the three units, so the Art. 278 turnout gate can be met.
        for number in ("102", "201"):
            person = make_user(f"owner{number}")
            register.record_ownership(world.admin, world.estate.units.get(number=number), person)
            owners.append(person)
        owners.append(world.cast["owner"])
    browser = Browser(client, world)
    proposer, fields = PROPOSALS[procedure]
    browser.as_(proposer)
    data = {"title": "修缮三号楼雨棚", "body": "雨棚破损，雨天漏水。", "category": "facilities",
            **fields}  # fmt: skip
    if procedure == OWNERS:
        data["estate"] = world.estate.pk
    response = client.post(reverse("deliberation:propose", args=[world.community.slug]), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    matter = Matter.objects.get()
    seen = []
    while matter.closed_at is None:
        browser.ledger_shows(matter, matter.stage_spec.name)
        seen.append(matter.stage)
        matter = _step(browser, world, matter, owners)
        assert len(seen) < 10
    assert seen == [stage.code for stage in matter.procedure_spec.stages]
    assert matter.status == Matter.Status.DECIDED
    page = client.get(matter.get_absolute_url()).content.decode()
    assert "审计记录" in page
    if procedure in (FOUR, OWNERS, COUNCIL, MICRO):
        resolution = Resolution.objects.get(matter=matter)
        assert resolution.status == Resolution.Status.COMPLETED
        board = client.get(reverse("deliberation:resolutions", args=[world.community.slug]))
        assert resolution.reference in board.content.decode()
