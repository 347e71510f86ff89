"""Who is at a meeting: present online (an open stay in the room) or checked in at the door
(`CheckIn`), each person once however they are there. The one definition the room's presence
and quorum, and the attendance a residents' meeting's poll freezes when it closes, both use."""

from django.contrib.auth import get_user_model

from deliberation import electorates, rules
from deliberation.models import Attendance, Ballot, CheckIn, Poll, VoterReceipt


def online_user_ids(meeting_id):
    """Users with an open stay in the room, as a query of user ids."""
    return Attendance.objects.filter(meeting_id=meeting_id, left_at__isnull=True).values("user_id")


def checked_in_user_ids(meeting_id):
    """Users checked in at the door (not undone), as a query of user ids."""
    return CheckIn.objects.filter(meeting_id=meeting_id, undone_at__isnull=True).values("user_id")


def present_user_ids(meeting_id) -> set[int]:
    """Everyone present now, online or at the door, each once."""
    online = online_user_ids(meeting_id).values_list("user_id", flat=True)
    door = checked_in_user_ids(meeting_id).values_list("user_id", flat=True)
    return set(online) | set(door)


def counts_attendance(poll: Poll) -> bool:
    """Whether the poll's base is those attending (domain-rules §2): a residents' (or
    representatives') meeting poll held in a meeting. A poll outside a meeting counts voters."""
    return poll.rule in rules.ATTENDANCE_RULES and poll.agenda_item_id is not None


def attendance_at_close(poll: Poll) -> int | None:
    """The heads attending as the poll closes (those present now and those who voted, each head
    once), for the rule to freeze into the result; None where the rule counts no attendance."""
    if not counts_attendance(poll):
        return None
    meeting_id = poll.agenda_item.meeting_id
    if poll.secret:  # a receipt's slot is its head in the residents' and households' bases
        heads = set(VoterReceipt.objects.filter(poll=poll).values_list("slot", flat=True))
    else:
        heads = set(Ballot.objects.filter(poll=poll).values_list("head", flat=True))
    ids = sorted(present_user_ids(meeting_id))
    people = get_user_model().objects.in_bulk(ids)
    present = [(people[pk], None) for pk in ids if pk in people]
    for slots in electorates.slots_many(poll, present):
        heads.update(head for _slot, head, _weight in slots)
    return len(heads)
