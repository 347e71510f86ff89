"""Who is in the room, and the room as each person sees it: attendance and the quorum it
drives, and the snapshot a socket gets when it joins (shared part built once, personal part
per person)."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.badges import badges_for, codes
from communities.models import Membership, Organization, Ownership, Position
from deliberation import access, electorates, meeting_log, order, procedures, rules, services
from deliberation.meetings.floor import next_speaker
from deliberation.meetings.voting import live_tally, poll_json
from deliberation.models import (
    Attendance,
    ChatMessage,
    CheckIn,
    Electorate,
    Meeting,
    Poll,
    SpeakerRequest,
)
from deliberation.services import attendance

Kind = Organization.Kind


def join(user, meeting) -> Attendance:
    """Record that the user is in the room (one open stay, however many tabs)."""
    if not access.may_attend(user, meeting):
        raise PermissionDenied(_("This meeting is for members of the community."))
    with transaction.atomic():
        stay = (
            Attendance.objects.select_for_update()
            .filter(meeting=meeting, user=user, left_at__isnull=True)
            .first()
        )
        if stay is None:
            try:
                with transaction.atomic():
                    stay = Attendance.objects.create(meeting=meeting, user=user)
            except IntegrityError:
                stay = Attendance.objects.select_for_update().get(
                    meeting=meeting, user=user, left_at__isnull=True
                )
                stay.connections += 1
                stay.save(update_fields=["connections"])
        else:
            stay.connections += 1
            stay.save(update_fields=["connections"])
        meeting_log.figures_changed(meeting, "presence")
    return stay


def leave(user, meeting) -> None:
    """One connection closed; the stay ends when the user's last connection does."""
    with transaction.atomic():
        stay = (
            Attendance.objects.select_for_update()
            .filter(meeting=meeting, user=user, left_at__isnull=True)
            .first()
        )
        if stay is None:
            return
        stay.connections = max(stay.connections - 1, 0)
        if stay.connections == 0:
            stay.left_at = timezone.now()
        stay.save(update_fields=["connections", "left_at"])
        meeting_log.figures_changed(meeting, "presence")


def end_open_stays(meeting) -> int:
    """End every open stay in the room: for a server that alone serves the room and starts it
    afresh, so that stays left open by a server process that died (SIGKILL, out of memory)
    stop counting as presence and towards the quorum. Returns how many were ended."""
    return Attendance.objects.filter(meeting_id=meeting.pk, left_at__isnull=True).update(
        left_at=timezone.now(), connections=0
    )


# Whom each kind of meeting counts towards its quorum.
MEETING_ELECTORATES = {
    Meeting.Kind.COUNCIL: Electorate.BODY,
    Meeting.Kind.RESIDENTS: Electorate.RESIDENTS,
    Meeting.Kind.REPRESENTATIVES: Electorate.RESIDENTS,
    Meeting.Kind.JOINT: Electorate.ORGANIZATIONS,
    Meeting.Kind.OWNERS: Electorate.OWNERS,
    Meeting.Kind.REVIEW: Electorate.RESIDENTS,
}


def electorate_user_ids(meeting):
    """The people the quorum counts, as a query of user ids (None: everyone present counts, as
    when organisations meet). A query, not a set: rooms of thousands count it in the database."""
    electorate = MEETING_ELECTORATES[meeting.kind]
    if electorate == Electorate.BODY:
        council = access.body_of_kind(meeting.community, Kind.COUNCIL)
        return Position.objects.current().filter(organization=council).values("user_id")
    if electorate == Electorate.RESIDENTS:
        return (
            Membership.objects.verified().filter(community=meeting.community_id).values("user_id")
        )
    if electorate == Electorate.OWNERS:
        return (
            Ownership.objects.current()
            .filter(unit__estate=meeting.estate_id, is_voter=True)
            .values("owner_id")
            .distinct()
        )
    return None


def _quorum_threshold(meeting) -> str:
    settings = meeting.community.settings
    if meeting.kind == Meeting.Kind.RESIDENTS:
        return rules.setting(settings, "residents_meeting.quorum")
    if meeting.kind == Meeting.Kind.REPRESENTATIVES:
        return rules.setting(settings, "representatives_meeting.quorum")
    if meeting.kind == Meeting.Kind.OWNERS:
        return ">=2/3"
    return meeting.rules_of_order.quorum


def presence(meeting) -> dict:
    """Who is in the room now, online or checked in at the door, each person once
    (`services.attendance`): counts by role for everyone, and the quorum (a handful of
    aggregate queries, however many are present)."""
    online = attendance.online_user_ids(meeting.pk)
    door = attendance.checked_in_user_ids(meeting.pk)
    present = online.union(door)  # UNION, not UNION ALL: someone both online and in the hall
    total = present.count()
    checked_in = door.count()
    roles = {}
    if total:
        officials = Position.objects.current().filter(
            Q(user__in=online) | Q(user__in=door), organization__community=meeting.community_id
        )
        roles = {
            row["organization__kind"]: row["n"]
            for row in officials.values("organization__kind").annotate(
                n=Count("user_id", distinct=True)
            )
        }
        roles["resident"] = total - officials.values("user_id").distinct().count()
    electorate = electorate_user_ids(meeting)
    if electorate is None:
        counted, base = total, total
    else:
        counted = (
            online.filter(user__in=electorate).union(door.filter(user__in=electorate)).count()
            if total
            else 0
        )
        base = electorate.count()
    q = order.quorum(counted, base, _quorum_threshold(meeting))
    return {
        "total": total,
        "checked_in": checked_in,
        "by_role": roles,
        "quorum": {
            "present": q.present,
            "base": q.base,
            "needed": q.needed,
            "met": q.met,
            "threshold": q.threshold,
        },
    }


PRESENT_NAMES_SHOWN = 500  # a named list longer than this helps no chair; the count is in presence


def present_names(meeting) -> list[dict]:
    """The named list of those present, for the chair: the first arrivals online, then those
    checked in at the door and not online (flagged `checked_in`), at most 500 in all."""
    stays = Attendance.objects.filter(meeting=meeting, left_at__isnull=True).select_related("user")
    stays = list(stays.order_by("joined_at", "pk")[:PRESENT_NAMES_SHOWN])
    online = {s.user_id for s in stays}
    door = (
        CheckIn.objects.filter(meeting=meeting, undone_at__isnull=True)
        .exclude(user__in=attendance.online_user_ids(meeting.pk))
        .select_related("user")
        .order_by("checked_in_at", "pk")
    )
    door = [c for c in door[: PRESENT_NAMES_SHOWN - len(stays)] if c.user_id not in online]
    badges = badges_for(meeting.community_id, [s.user_id for s in stays + door])
    return [person_json(s.user, badges) | {"id": s.user_id} for s in stays] + [
        person_json(c.user, badges) | {"id": c.user_id, "checked_in": True} for c in door
    ]


def person_json(user, badges) -> dict:
    """A person as the room shows them: the name, and their verified role badges as role codes
    (`communities.badges`; the page words them from its strings, in the reader's language)."""
    return {"name": str(user), "badges": codes(badges.get(user.pk, []))}


# An agenda item on a matter the reader may not see shows this instead of its title (which is
# often the matter's own) and no link to the matter.
HIDDEN_ITEM_TITLE = gettext_lazy("(an item for members only)")


def item_json(item) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "position": item.position,
        "matter": item.matter.reference if item.matter_id else None,
        "matter_url": item.matter.get_absolute_url() if item.matter_id else None,
        "acting_chair": item.acting_chair_id,
        "done": item.ended_at is not None,
        "notice_polls": notice_polls(item),
    }


def notice_polls(item) -> list[dict]:
    """The items of an owners' notice that the chair may open on this agenda item: the drafted
    polls of its matter, once its stage opens them (after the notice period)."""
    matter = item.matter
    if matter is None or not matter.in_progress:
        return []
    if procedures.OPEN_POLL not in matter.stage_spec.actions:
        return []
    drafts = matter.polls.filter(status=Poll.Status.DRAFT).order_by("id")
    return [{"id": p.pk, "question": p.question} for p in drafts]


def hidden_item_json(item: dict) -> dict:
    """An item's JSON as shown to someone who may not see its matter."""
    return {
        **item,
        "title": str(HIDDEN_ITEM_TITLE),
        "matter": None,
        "matter_url": None,
        "notice_polls": [],
        "restricted": True,
    }


def agenda_for(agenda: list[dict], hidden: set[int]) -> list[dict]:
    """The agenda (item JSON) with the items in `hidden` (`access.hidden_agenda_items`) shown
    as placeholders."""
    return [hidden_item_json(item) if item["id"] in hidden else item for item in agenda]


def public_item_json(item) -> dict:
    """An item as sent to everyone in the room at once (the `agenda.added` event): a placeholder
    if its matter is not public; each person's next snapshot shows what they may see."""
    data = item_json(item)
    if item.pk in access.hidden_agenda_items(AnonymousUser(), item.meeting_id):
        return hidden_item_json(data)
    return data


def agenda_view(user, meeting) -> list[dict]:
    """The agenda as `user` may see it, for the pages that render it (room, projector)."""
    items = meeting.items.select_related("matter__community").order_by("position", "id")
    return agenda_for(
        [item_json(item) for item in items], access.hidden_agenda_items(user, meeting)
    )


def snapshot(meeting, user) -> dict:
    """The whole room as this user may see it, with the seq it is current to."""
    room = room_state(meeting)
    return personalise(room, personal_state(meeting, user, room))


def room_state(meeting) -> dict:
    """The part of the snapshot that is the same for everyone (in the active language), so a
    process can build it once for many joiners (realtime/hub.py caches it until the next event
    or figure update). `personal_state` completes it for one person."""
    meeting = Meeting.objects.select_related("community", "chair", "current_item").get(
        pk=meeting.pk
    )
    rules_ = meeting.rules_of_order
    items = list(meeting.items.select_related("matter__community"))
    hands = list(
        SpeakerRequest.objects.filter(
            meeting=meeting,
            status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING],
        ).select_related("user")
    )
    speaker = next((h for h in hands if h.status == SpeakerRequest.Status.SPEAKING), None)
    queue = [h for h in hands if h.status == SpeakerRequest.Status.WAITING]
    polls = list(
        Poll.objects.filter(agenda_item__meeting=meeting).prefetch_related("choices").order_by("id")
    )
    chat = list(
        ChatMessage.objects.filter(meeting=meeting).select_related("author").order_by("-id")[:50]
    )
    people = {meeting.chair_id, *(h.user_id for h in hands), *(m.author_id for m in chat)}
    badges = badges_for(meeting.community_id, people)
    poll_views = []
    for poll in polls:
        view = poll_json(poll)
        view["tally"] = live_tally(poll)
        if poll.is_closed:
            view["result"] = poll.result
        poll_views.append(view)
    data = {
        "seq": meeting.seq,
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "kind": meeting.kind,
            "kind_label": str(meeting.get_kind_display()),
            "status": meeting.status,
            "chair": meeting.chair_id,
            "chair_name": str(meeting.chair),
            "chair_badges": codes(badges.get(meeting.chair_id, [])),
            "public": meeting.public,
            "current_item": meeting.current_item_id,
        },
        "rules": rules_.to_json(),
        "agenda": [item_json(item) for item in items],
        "speaker": None,
        "queue": [
            {"user": h.user_id, **person_json(h.user, badges), "side": h.side} for h in queue
        ],
        "next_speaker": next_speaker(meeting),
        "polls": poll_views,
        "chat": [
            {
                "id": m.pk,
                "user": m.author_id,
                **person_json(m.author, badges),
                "html": m.html,
                "item": m.item_id,
                "at": m.created_at.isoformat(),
            }
            for m in reversed(chat)
        ],
        "presence": presence(meeting),
    }
    if speaker is not None:
        ends = order.floor_deadline(speaker.granted_at, rules_)
        data["speaker"] = {
            "user": speaker.user_id,
            **person_json(speaker.user, badges),
            "side": speaker.side,
            "started_at": speaker.granted_at.isoformat(),
            "ends_at": ends.isoformat(),
            "seconds": rules_.speech_seconds,
        }
    return data


def personal_state(meeting, user, room: dict | None = None) -> dict:
    """What only this user sees: who they are, whether they chair, per poll of `room` (a
    `room_state`, read now if not given) whether they have voted and may vote, and which agenda
    items are on matters they may not see (`personalise` shows those as placeholders)."""
    meeting = Meeting.objects.select_related("community", "current_item").get(pk=meeting.pk)
    is_chair = access.may_chair(user, meeting)
    poll_ids = [p["id"] for p in room["polls"]] if room is not None else None
    polls = Poll.objects.filter(agenda_item__meeting=meeting)
    if poll_ids is not None:
        polls = polls.filter(pk__in=poll_ids)
    mine = {}
    for poll in polls.order_by("id"):
        mine[poll.pk] = {
            "voted": services.has_voted(user, poll),
            "eligible": bool(electorates.slots(user, poll)) if poll.is_open else False,
        }
    data = {
        "hidden_items": sorted(access.hidden_agenda_items(user, meeting)),
        "you": {
            "id": user.pk,
            "name": str(user),
            "is_chair": is_chair,
            "may_take_part": access.may_take_part(user, meeting),
            # One vote per organisation: the bodies this person may cast it for.
            "organizations": [
                {"id": o.pk, "name": o.name}
                for o in access.speaking_bodies(user, meeting.community)
            ],
        },
        "mine": mine,
    }
    if is_chair:
        data["present"] = present_names(meeting)
    return data


def personalise(room: dict, personal: dict) -> dict:
    """One person's snapshot: the shared room with their own flags on each poll, and the agenda
    items on matters they may not see as placeholders."""
    mine = personal.get("mine", {})
    polls = [
        {**poll, **mine.get(poll["id"], {"voted": False, "eligible": False})}
        for poll in room["polls"]
    ]
    data = {**room, **personal, "polls": polls}
    data["agenda"] = agenda_for(room["agenda"], set(personal.get("hidden_items", ())))
    data.pop("mine", None)
    data.pop("hidden_items", None)
    return data


def enter(user, meeting, room: dict) -> dict:
    """A socket joins: record the attendance and return this person's snapshot of `room`."""
    join(user, meeting)
    return personalise(room, personal_state(meeting, user, room))
