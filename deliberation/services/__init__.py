"""The only way deliberation state changes: matters through their procedures, discussion, polls
and ballots, resolutions, escalations, reception ratings and notices.

Each public function takes the acting user, checks that they may act (the stage's actors and
actions come from `procedures`), changes rows in one transaction, writes an audit event,
notifies stakeholders and publishes a domain event on commit. Refusals raise PermissionDenied;
bad input raises ValidationError with a message a person can act on.

This module is the public API; the sub-domains live in its modules (`matters`, `discussion`,
`polls`, `ballots`, `resolutions`, `escalations`, `receptions`, `notices`), and what they share
in `common`. Live meetings have their own services in `deliberation.meetings`, built on these.
"""

from deliberation.services.ballots import cast_ballot, cast_ballots, has_voted
from deliberation.services.counting import tally
from deliberation.services.deliveries import record_paper_delivery
from deliberation.services.discussion import (
    answer_objection,
    edit_comment,
    hide_comment,
    post_comment,
    state_stance,
)
from deliberation.services.escalations import answer_escalation, escalate
from deliberation.services.matters import (
    advance,
    extend_deadline,
    merge,
    propose_matter,
    rate_response,
    reject,
    withdraw,
)
from deliberation.services.notices import mark_notifications_read, remind_overdue
from deliberation.services.polls import (
    MOTION_MEETINGS,
    SPECIAL_ITEMS,
    close_due_polls,
    close_poll,
    close_poll_when_due,
    create_poll,
    extend_poll,
    extendable,
    open_poll,
    poll_options,
    remind_non_voters,
    stage_poll_conforms,
)
from deliberation.services.receptions import hold_reception, rate_reception
from deliberation.services.resolutions import post_update, publish_resolution
from deliberation.services.void_votes import may_rerun, rerun_vote
from deliberation.services.walk_ins import register_walk_in

__all__ = [
    "MOTION_MEETINGS",
    "SPECIAL_ITEMS",
    "advance",
    "answer_escalation",
    "answer_objection",
    "cast_ballot",
    "cast_ballots",
    "close_due_polls",
    "close_poll",
    "close_poll_when_due",
    "create_poll",
    "edit_comment",
    "escalate",
    "extend_deadline",
    "extend_poll",
    "extendable",
    "has_voted",
    "hide_comment",
    "hold_reception",
    "mark_notifications_read",
    "may_rerun",
    "merge",
    "open_poll",
    "poll_options",
    "post_comment",
    "post_update",
    "propose_matter",
    "publish_resolution",
    "rate_reception",
    "rate_response",
    "register_walk_in",
    "reject",
    "record_paper_delivery",
    "remind_non_voters",
    "remind_overdue",
    "rerun_vote",
    "stage_poll_conforms",
    "state_stance",
    "tally",
    "withdraw",
]
