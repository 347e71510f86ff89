"""Every user-facing string the live room's ES modules (static/js/meeting-room.js and
static/js/live/) show.

The view passes `{key: str(text)}` to the template, which renders it with `json_script`; the
module looks strings up by key and fills `%(name)s` placeholders itself. Keep the placeholders
in translations exactly as they are. A key the module asks for and does not find is shown as
the key itself, so tests can check that every key used in the module is defined here.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.roles import BADGE_LABELS
from deliberation.models import LAW_NAMES
from deliberation.rules import RULE_SOURCES
from deliberation.turnout import GATE_STRINGS

ROOM_STRINGS = {
    # The connection
    "connecting": _("Connecting to the live room…"),
    "offline": _("Offline – reconnecting…"),
    "reconnect_now": _("Reconnect now"),
    "closed_signed_out": _("You are signed out. Sign in again to follow the meeting live."),
    "sign_in": _("Sign in"),
    "sign_in_to_follow": _("Sign in to follow the meeting live and take part."),
    "closed_forbidden": _("You no longer have access to this meeting."),
    "closed_flooding": _("Too many messages were sent. Reconnecting in a moment…"),
    "closed_too_many": _(
        "The live room is open in too many of your tabs or devices. Close one; this page "
        "reconnects by itself."
    ),
    "no_websocket": _(
        "This browser cannot follow the meeting live. Reload the page to see the latest state."
    ),
    "offline_not_sent": _("Not sent: the room is offline. Try again once it has reconnected."),
    "lost": _("The connection dropped before the answer came. The room shows what happened."),
    "error_generic": _("That did not work. Please try again."),
    "fullscreen": _("Full screen"),
    "fullscreen_exit": _("Leave full screen"),
    # The meeting
    "status_scheduled": _("Not started yet"),
    "status_live": _("In session"),
    "status_adjourned": _("Adjourned"),
    "status_ended": _("Ended"),
    "phase_scheduled": _(
        "The meeting has not started yet. This page updates by itself when it does."
    ),
    "phase_adjourned": _("The meeting is adjourned. This page updates by itself when it resumes."),
    "phase_ended": _("The meeting has ended."),
    "minutes_link": _("Read the minutes"),
    # Agenda
    "agenda_empty": _("The agenda is empty."),
    "agenda_now": _("Under discussion"),
    "agenda_done": _("Done"),
    "agenda_goto": _("Go to"),
    "agenda_goto_label": _("Go to: %(title)s"),
    # The floor
    "floor_nobody": _("No one has the floor."),
    "floor_you": _("You have the floor"),
    "floor_finish": _("Finish speaking"),
    "floor_end": _("End the speech"),
    "countdown_label": _("Time left"),
    # Sides (正反方)
    "side_pro": _("In favour"),
    "side_con": _("Against"),
    "side_neutral": _("Neutral"),
    "side_legend": _("I will speak"),
    # Hands and the speakers' queue
    "hand_raise": _("Raise my hand"),
    "hand_lower": _("Lower my hand"),
    "hand_waiting": _("Your hand is raised."),
    "hand_not_allowed": _("Only members of the community may ask for the floor."),
    "hand_rules": _("Each person may speak up to %(n)s times per item, for %(minutes)s each."),
    "queue_empty": _("No hands raised."),
    "queue_count": _("Waiting to speak: %(n)s"),
    "queue_you": _("you"),
    "queue_suggested": _("Suggested next"),
    "grant": _("Give the floor"),
    "grant_label": _("Give the floor to %(name)s"),
    # Chat
    "chat_label": _("Message (at most 2000 characters)"),
    "chat_send": _("Send"),
    "chat_write_first": _("Write something first."),
    "chat_empty": _("No messages yet."),
    "chat_closed": _("The chat is open while the meeting is in session."),
    "chat_not_allowed": _("Only members of the community may chat here."),
    # Votes
    "polls_empty": _("No vote yet."),
    "poll_open": _("Voting open"),
    "poll_closed": _("Closed"),
    "poll_kind_yes_no_abstain": _("yes / no / abstain"),
    "poll_kind_single": _("single choice"),
    "poll_kind_multiple": _("multiple choice"),
    "poll_secret": _("secret ballot"),
    # The same words as the poll models, so that a live event reads in the reader's language.
    "choice_yes": _("yes"),
    "choice_no": _("no"),
    "choice_abstain": _("abstain"),
    "rule_simple_majority": _("simple majority"),
    "rule_absolute_majority": _("absolute majority of the electorate"),
    "rule_two_thirds": _("two-thirds"),
    "rule_residents_meeting": _("residents' meeting"),
    "rule_owners_ordinary": _("owners, ordinary matter (Art. 278)"),
    "rule_owners_special": _("owners, special matter (Art. 278)"),
    "rule_council": _("council"),
    # Where each rule comes from (law_<rule>), as the matter page names it.
    **{f"law_{rule}": LAW_NAMES[source["law"]] for rule, source in RULE_SOURCES.items()},
    "poll_rule": _("rule"),
    "turnout": _("%(n)s of %(total)s have voted"),
    "turnout_n": _("%(n)s have voted"),
    "area": _("· %(area)s m²"),
    "results_hidden": _("Results are hidden until the poll closes."),
    "vote_submit": _("Vote"),
    "vote_recorded": _("Your vote is recorded."),
    "vote_not_eligible": _("You are not in this poll's electorate."),
    "vote_pick_one": _("Choose at least one option."),
    "vote_pick_up_to": _("Choose up to %(n)s"),
    "vote_too_many": _("Choose at most %(n)s options."),
    "vote_as": _("Vote on behalf of"),
    "result_passed": _("Passed"),
    "result_failed": _("Not passed"),
    "result_void": _("Void: quorum or participation not reached"),
    # The legal gate (deliberation/turnout.py), and the note under a void vote's ballots
    **GATE_STRINGS,
    "void_counts_note": _(
        "Because the vote is void, its ballots decide nothing: they are shown as counts against "
        "the whole electorate, with no shares."
    ),
    "result_rule": _("Rule applied"),
    "result_carried": _("Carried: %(choices)s"),
    "reason_participation_area": _("owners taking part hold less than 2/3 of the area"),
    "reason_participation_heads": _("fewer than 2/3 of owners took part"),
    "reason_quorum": _("quorum not reached"),
    "reason_pass_area": _("not enough yes by area"),
    "reason_pass_heads": _("not enough yes by headcount"),
    "reason_pass": _("not enough yes votes"),
    "reason_several_carried": _("more than one choice reached the threshold"),
    # The chair's controls
    "meeting_start": _("Start the meeting"),
    "meeting_resume": _("Resume the meeting"),
    "meeting_adjourn": _("Adjourn"),
    "meeting_end": _("End the meeting"),
    "meeting_end_confirm": _(
        "End the meeting for good? Open votes close and the minutes are drafted."
    ),
    "poll_open_heading": _("Put a question to the vote"),
    "poll_question": _("Question"),
    "poll_kind": _("Kind of vote"),
    "poll_choices": _("Choices, one per line"),
    "poll_choices_help": _("Between 2 and 20 different choices."),
    "poll_secret_option": _("Secret ballot"),
    "poll_hidden_option": _("Hide the results until the vote closes"),
    "poll_open_submit": _("Open the vote"),
    "poll_notice_items": _("Items of the published notice, voted as announced:"),
    "poll_open_notice": _("Open the vote: "),
    "poll_opened": _("The vote is open."),
    "poll_close": _("Close the poll and freeze the result"),
    # Presence and quorum
    "present_n": _("%(n)s present"),
    "present_names": _("Who is here (%(n)s)"),
    "checked_in_n": _("%(n)s of them checked in at the door"),
    "quorum_short": _("Quorum: %(present)s / %(needed)s"),
    "quorum_met": _("quorum met"),
    "quorum_not_met": _("quorum not met"),
    "quorum_detail": _("%(present)s of the %(base)s who count are present; %(needed)s are needed."),
    # Roles in the presence counts (keys as the server sends them)
    "role_party_committee": _("Party committee"),
    "role_residents_committee": _("Residents' committee"),
    "role_workstation": _("Community workstation"),
    "role_council": _("Deliberation council"),
    "role_property_management": _("Property management"),
    "role_owners_committee": _("Owners' committee"),
    "role_social_organization": _("Social organisations"),
    "role_street_office": _("Street office"),
    "role_district_office": _("District office"),
    "role_resident": _("Residents"),
    # Verified role badges beside people's names (badge_<role code>, communities.badges)
    "badge_verified": _("verified role:"),
    "person_badged": _("%(name)s (verified role: %(badges)s)"),
    "badge_separator": pgettext_lazy("list separator", ", "),
    **{f"badge_{role}": label for role, label in BADGE_LABELS.items()},
}
