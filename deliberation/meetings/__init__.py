"""Services for live meetings: the only way a meeting's state changes.

Every action checks permission, changes rows in one transaction, appends a numbered event to the
meeting's log (`deliberation.meeting_log`), writes an audit event where the action matters to
the record, and publishes the event on commit. A client that misses a broadcast repairs itself
from the log with `resume`; nothing it is shown exists only in memory.

This module is the public API; the sub-domains live in `sessions` (scheduling and running),
`floor` (hands, speeches, chat), `voting` (live polls, through `deliberation.services`), `room`
(presence, quorum, snapshots), `checkin` (check-in at the door) and `minutes`. The live
transport reads all of it through `live`, and through nothing else.
"""

from deliberation.meetings.floor import (
    end_floor,
    end_floor_if_expired,
    grant_floor,
    lower_hand,
    raise_hand,
    send_chat,
)
from deliberation.meetings.minutes import edit_minutes, generate_minutes, publish_minutes
from deliberation.meetings.room import (
    agenda_view,
    end_open_stays,
    enter,
    join,
    leave,
    personal_state,
    presence,
    present_names,
    room_state,
    snapshot,
)
from deliberation.meetings.sessions import (
    add_agenda_item,
    adjourn_meeting,
    end_meeting,
    goto_item,
    hand_chair,
    schedule_meeting,
    start_meeting,
)
from deliberation.meetings.voting import cast, cast_many, close_poll, live_tally, open_poll

__all__ = [
    "add_agenda_item",
    "adjourn_meeting",
    "agenda_view",
    "cast",
    "cast_many",
    "close_poll",
    "edit_minutes",
    "end_floor",
    "end_floor_if_expired",
    "end_meeting",
    "end_open_stays",
    "enter",
    "generate_minutes",
    "goto_item",
    "grant_floor",
    "hand_chair",
    "join",
    "leave",
    "live_tally",
    "lower_hand",
    "open_poll",
    "personal_state",
    "presence",
    "present_names",
    "publish_minutes",
    "raise_hand",
    "room_state",
    "schedule_meeting",
    "send_chat",
    "snapshot",
    "start_meeting",
]
