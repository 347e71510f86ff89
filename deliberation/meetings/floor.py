"""The floor, under the rules of order: raised hands, the suggested next speaker, recognised
speeches and their time limit, and the room's chat."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.badges import badge_codes
from deliberation import access, meeting_log, order
from deliberation.meetings.checks import require_chair, require_live
from deliberation.models import ChatMessage, SpeakerRequest
from deliberation.services.common import require_signed_in
from deliberation.text import render_markdown_lite


def _speeches_on(meeting, item) -> dict[int, int]:
    rows = (
        SpeakerRequest.objects.filter(
            meeting=meeting,
            item=item,
            status__in=[SpeakerRequest.Status.SPEAKING, SpeakerRequest.Status.DONE],
        )
        .values("user_id")
        .annotate(n=Count("id"))
    )
    return {row["user_id"]: row["n"] for row in rows}


def next_speaker(meeting) -> int | None:
    """Whom the rules of order suggest the chair recognise next (`order.next_speaker`): after a
    pro (con) speech on the current item the earliest con (pro) hand, else the earliest; a hand
    that has used up its speeches is passed over. Decided here, once; the browser only shows it,
    from the snapshot and from the `next_speaker` of every event that changes the queue."""
    item = meeting.current_item
    waiting = list(
        SpeakerRequest.objects.filter(meeting=meeting, status=SpeakerRequest.Status.WAITING)
    )
    if item is None or not waiting:
        return None
    rules_ = meeting.rules_of_order
    spoken = _speeches_on(meeting, item)
    queue = [
        order.Hand(hand.user_id, hand.side, hand.raised_seq)
        for hand in waiting
        if order.refusal_to_speak(hand.user_id, spoken, rules_, recognised=True) is None
    ]
    last_side = (
        SpeakerRequest.objects.filter(meeting=meeting, item=item, granted_at__isnull=False)
        .order_by("-granted_at", "-pk")
        .values_list("side", flat=True)
        .first()
    )
    chosen = order.next_speaker(queue, last_side, rules_)
    return chosen.user_id if chosen is not None else None


# Lazy: the refusal is worded when it is raised, in the language of whoever asked.
REFUSALS = {
    "bad_side": gettext_lazy("Choose pro, con or neutral."),
    "already_waiting": gettext_lazy("Your hand is already raised."),
    "speech_limit": gettext_lazy(
        "You have already spoken as often as the rules allow on this item."
    ),
    "not_recognised": gettext_lazy("Only the person the chair recognised may take the floor."),
}


def _refuse(code):
    raise ValidationError(str(REFUSALS[code]), code=code)


def raise_hand(user, meeting, side: str = order.NEUTRAL) -> SpeakerRequest:
    """Ask for the floor on the current item, saying which side you will speak for."""
    require_signed_in(user)
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_live(meeting)
        if not access.may_take_part(user, meeting):
            raise PermissionDenied(_("Only members of the community may ask for the floor."))
        item = meeting.current_item
        if item is None:
            raise ValidationError(_("There is no current agenda item."))
        rules_ = meeting.rules_of_order
        if not rules_.alternate and side not in order.SIDES:
            side = order.NEUTRAL
        waiting = set(
            SpeakerRequest.objects.filter(
                meeting=meeting,
                status__in=[SpeakerRequest.Status.WAITING, SpeakerRequest.Status.SPEAKING],
            ).values_list("user_id", flat=True)
        )
        code = order.may_raise_hand(user.pk, _speeches_on(meeting, item), waiting, side, rules_)
        if code:
            _refuse(code)
        hand = SpeakerRequest.objects.create(
            meeting=meeting, item=item, user=user, side=side, raised_seq=meeting.seq + 1
        )
        meeting_log.append(
            meeting,
            "hand.raised",
            {
                "user": user.pk,
                "name": str(user),
                "badges": badge_codes(meeting.community_id, user.pk),
                "side": side,
                "item": item.pk,
                "next_speaker": next_speaker(meeting),
            },
            actor=user,
        )
    return hand


def lower_hand(user, meeting) -> None:
    """Withdraw your own raised hand."""
    require_signed_in(user)
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_live(meeting)
        changed = SpeakerRequest.objects.filter(
            meeting=meeting, user=user, status=SpeakerRequest.Status.WAITING
        ).update(status=SpeakerRequest.Status.LOWERED)
        if not changed:
            raise ValidationError(_("Your hand is not raised."))
        meeting_log.append(
            meeting,
            "hand.lowered",
            {"user": user.pk, "next_speaker": next_speaker(meeting)},
            actor=user,
        )


def grant_floor(actor, meeting, user_id: int) -> SpeakerRequest:
    """The chair recognises a waiting speaker, who gets the floor for the speech time."""
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_chair(actor, meeting)
        require_live(meeting)
        hand = SpeakerRequest.objects.filter(
            meeting=meeting, user_id=user_id, status=SpeakerRequest.Status.WAITING
        ).first()
        if hand is None:
            _refuse("not_recognised")
        rules_ = meeting.rules_of_order
        code = order.refusal_to_speak(
            user_id, _speeches_on(meeting, hand.item), rules_, recognised=True
        )
        if code:
            _refuse(code)
        now = timezone.now()
        end_speech(meeting, actor, now, reason="next", suggest=False)
        hand.status = SpeakerRequest.Status.SPEAKING
        hand.granted_at = now
        hand.save(update_fields=["status", "granted_at"])
        ends = order.floor_deadline(now, rules_)
        meeting_log.append(
            meeting,
            "floor.granted",
            {
                "user": hand.user_id,
                "name": str(hand.user),
                "badges": badge_codes(meeting.community_id, hand.user_id),
                "side": hand.side,
                "started_at": now.isoformat(),
                "ends_at": ends.isoformat(),
                "seconds": rules_.speech_seconds,
                "item": hand.item_id,
                "next_speaker": next_speaker(meeting),
            },
            actor=actor,
        )
    return hand


def end_speech(meeting, actor, now, *, reason: str, suggest: bool = True) -> SpeakerRequest | None:
    """End the speech in progress, if any, as of `now` (the meeting row locked); `suggest`
    False where the caller's own event says who is next at once (granting the floor)."""
    speaking = SpeakerRequest.objects.filter(
        meeting=meeting, status=SpeakerRequest.Status.SPEAKING
    ).first()
    if speaking is None:
        return None
    speaking.status = SpeakerRequest.Status.DONE
    speaking.ended_at = now
    speaking.save(update_fields=["status", "ended_at"])
    seconds = int((now - speaking.granted_at).total_seconds())
    meeting_log.append(
        meeting,
        "floor.ended",
        {
            "user": speaking.user_id,
            "seconds": seconds,
            "reason": reason,
            **({"next_speaker": next_speaker(meeting)} if suggest else {}),
        },
        actor=actor,
    )
    return speaking


def end_floor(actor, meeting) -> None:
    """The chair, or the speaker themself, ends the current speech."""
    require_signed_in(actor)
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_live(meeting)
        speaking = SpeakerRequest.objects.filter(
            meeting=meeting, status=SpeakerRequest.Status.SPEAKING
        ).first()
        if speaking is None:
            raise ValidationError(_("Nobody has the floor."))
        if speaking.user_id != actor.pk and not access.may_chair(actor, meeting):
            raise PermissionDenied(_("Only the chair or the speaker may end the speech."))
        end_speech(meeting, actor, timezone.now(), reason="ended")


def end_floor_if_expired(meeting, now=None) -> bool:
    """End the speech whose time is up (any process's room hub may call this; it is idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        speaking = SpeakerRequest.objects.filter(
            meeting=meeting, status=SpeakerRequest.Status.SPEAKING
        ).first()
        if speaking is None or not order.floor_expired(
            speaking.granted_at, now, meeting.rules_of_order
        ):
            return False
        end_speech(meeting, None, now, reason="time")
        return True


def send_chat(user, meeting, text: str) -> ChatMessage:
    """Post a chat line on the current item (Markdown-lite: bold, italics, code, links)."""
    require_signed_in(user)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write something first."))
    if len(text) > 2000:
        raise ValidationError(_("A chat message may have at most 2000 characters."))
    html = render_markdown_lite(text)
    with transaction.atomic():
        meeting = meeting_log.locked(meeting)
        require_live(meeting)
        if not access.may_take_part(user, meeting):
            raise PermissionDenied(_("Only members of the community may chat here."))
        message = ChatMessage.objects.create(
            meeting=meeting, item=meeting.current_item, author=user, text=text, html=html
        )
        meeting_log.append(
            meeting,
            "chat.message",
            {
                "id": message.pk,
                "user": user.pk,
                "name": str(user),
                "badges": badge_codes(meeting.community_id, user.pk),
                "html": html,
                "item": meeting.current_item_id,
                "at": message.created_at.isoformat(),
            },
            actor=user,
        )
    return message
