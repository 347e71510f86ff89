"""Minutes (会议纪要): drafted from the event log and the attendance register, edited and
published by the residents' committee; published minutes never change."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from communities.badges import badges_for
from deliberation import access, order, turnout
from deliberation.meetings.room import HIDDEN_ITEM_TITLE
from deliberation.models import Attendance, CheckIn, Meeting, MeetingEvent, Minutes, Poll
from deliberation.rules import gate as gates
from deliberation.services.common import require_signed_in
from deliberation.text import MAX_MARKDOWN_CHARS, markdown_literal, render_markdown


def _side_label(side: str) -> str:
    """A speaker's side in words (the room's own words for 正方 / 反方 / 中立)."""
    labels = {order.PRO: _("In favour"), order.CON: _("Against"), order.NEUTRAL: _("Neutral")}
    return labels.get(side, side)


def _who(user, badges) -> str:
    """A person in the minutes: their name as literal text, then their verified role badges as
    code spans, which no name can produce (it is escaped) and the page styles as badges."""
    return " ".join(
        [markdown_literal(str(user)), *(f"`{b.label}`" for b in badges.get(user.pk, []))]
    )


def _span(stay) -> str:
    """One stay in the room as "09:00–09:40" ("—" for a stay still open)."""
    left = timezone.localtime(stay.left_at).strftime("%H:%M") if stay.left_at else "—"
    return f"{timezone.localtime(stay.joined_at).strftime('%H:%M')}–{left}"


def _minutes_text(meeting) -> str:
    """会议纪要 in Markdown, from the event log and the attendance register.

    Everything people typed (names, titles, the place, questions, choices) goes in through
    `markdown_literal`, so it reads as typed and makes no link or image. In a public meeting's
    minutes an item on a matter the public may not see has a placeholder for its title.
    """
    meeting = Meeting.objects.select_related("chair", "community").get(pk=meeting.pk)
    md = markdown_literal
    held_at = meeting.started_at or meeting.scheduled_at
    stays = list(
        Attendance.objects.filter(meeting=meeting).select_related("user").order_by("joined_at")
    )
    events = list(MeetingEvent.objects.filter(meeting=meeting, audience="all").order_by("seq"))
    speeches = order.speech_durations(
        (("granted" if e.kind == "floor.granted" else "ended"), e.data["user"], e.created_at)
        for e in events
        if e.kind in ("floor.granted", "floor.ended")
    )
    door = list(
        CheckIn.objects.filter(meeting=meeting, undone_at__isnull=True)
        .select_related("user")
        .order_by("checked_in_at")
    )
    people = {u.pk: u for u in get_user_model().objects.filter(pk__in=speeches)}
    people |= {s.user_id: s.user for s in stays}
    people |= {c.user_id: c.user for c in door}
    people[meeting.chair_id] = meeting.chair
    # The titles they held when the meeting sat.
    badges = badges_for(meeting.community_id, people, at=held_at)

    lines = [f"# {md(meeting.title)}", ""]
    lines.append(
        _("%(kind)s · chaired by %(chair)s · %(date)s")
        % {
            "kind": meeting.get_kind_display(),
            "chair": _who(meeting.chair, badges),
            "date": timezone.localtime(held_at).strftime("%Y-%m-%d %H:%M"),
        }
    )
    if meeting.place:
        lines.append(_("Place: %(place)s") % {"place": md(meeting.place)})
    lines += ["", "## " + _("Attendance"), ""]
    # One line per person, however often they joined and left (a dropped connection, a second
    # device): their stays, in order, after their name.
    # Those checked in at the door are in the hall too, online or not: still one line each.
    spans_of: dict[int, list[str]] = {}
    for stay in stays:
        spans_of.setdefault(stay.user_id, []).append(_span(stay))
    for check in door:
        spans_of.setdefault(check.user_id, []).append(
            _("checked in at the door %(time)s")
            % {"time": timezone.localtime(check.checked_in_at).strftime("%H:%M")}
        )
    for user_id, spans in spans_of.items():
        lines.append(f"- {_who(people[user_id], badges)} ({', '.join(spans)})")
    if not spans_of:
        lines.append(_("No attendance was recorded."))

    names = {pk: _who(user, badges) for pk, user in people.items()}
    # Minutes are one text for every reader: a public meeting's are read by the public.
    hidden = access.hidden_agenda_items(AnonymousUser(), meeting) if meeting.public else set()
    for item in meeting.items.select_related("matter").order_by("position", "id"):
        if item.pk in hidden:
            lines += ["", f"## {md(HIDDEN_ITEM_TITLE)}"]
        else:
            lines += ["", f"## {md(item.title)}"]
            if item.matter_id:
                lines.append(_("Matter: %(ref)s") % {"ref": item.matter.reference})
        item_speakers = [
            e.data for e in events if e.kind == "floor.granted" and e.data.get("item") == item.pk
        ]
        if item_speakers:
            lines += ["", "### " + _("Speakers"), ""]
            seen = {}
            for data in item_speakers:
                seen.setdefault(data["user"], data.get("side", ""))
            for user_id, side in seen.items():
                durations = speeches.get(user_id, [])
                total = sum(durations)
                lines.append(
                    _("- %(name)s (%(side)s): %(n)d speech(es), %(m)d:%(s)02d in total")
                    % {
                        "name": names.get(user_id, md(user_id)),
                        "side": _side_label(side),
                        "n": len(durations),
                        "m": total // 60,
                        "s": total % 60,
                    }
                )
        for poll in Poll.objects.filter(agenda_item=item, status=Poll.Status.CLOSED):
            result = poll.result
            counts = ", ".join(
                f"{md(c.display)} {result['counts'][c.code]['heads']}" for c in poll.choices.all()
            )
            lines += ["", "### " + _("Vote: %(q)s") % {"q": md(poll.question)}, ""]
            gate = gates.gate_of(result)
            if turnout.is_void(result):
                # Void: turnout first, and the ballots as counts that decide nothing.
                lines.append(
                    _("**Void**: %(n)d of %(base)d took part. %(short)s. The ballots (%(counts)s) "
                      "decide nothing under %(rule)s.")
                    % {
                        "n": result["participation"]["heads"],
                        "base": result["electorate"]["heads"],
                        "short": turnout.shortfall_text(gate) if gate else _("quorum not reached"),
                        "counts": counts,
                        "rule": poll.get_rule_display(),
                    }
                )  # fmt: skip
                continue
            verdict = _("passed") if result["passed"] else _("not passed")
            lines.append(
                _("%(counts)s; %(n)d of %(base)d took part; %(verdict)s under %(rule)s.")
                % {
                    "counts": counts,
                    "n": result["participation"]["heads"],
                    "base": result["electorate"]["heads"],
                    "verdict": verdict,
                    "rule": poll.get_rule_display(),
                }
            )
    return "\n".join(str(line) for line in lines) + "\n"


def _html(text: str) -> str:
    """The minutes as safe HTML, rendered once when the text is written (the page shows the
    first MAX_MARKDOWN_CHARS characters rendered; the Markdown download has all of it)."""
    return render_markdown(text[:MAX_MARKDOWN_CHARS])


def generate_minutes(actor, meeting) -> Minutes:
    """(Re)generate the draft minutes from the log; a published text is never overwritten."""
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
        if minutes is not None and minutes.status == Minutes.Status.PUBLISHED:
            return minutes
        text = _minutes_text(meeting)
        if minutes is None:
            minutes = Minutes.objects.create(meeting=meeting, text=text, text_html=_html(text))
        elif minutes.edited_at is None:
            minutes.text, minutes.text_html = text, _html(text)
            minutes.generated_at = timezone.now()
            minutes.save(update_fields=["text", "text_html", "generated_at"])
        audit.record(actor, "minutes.generated", minutes, community=meeting.community)
    return minutes


def _require_minutes_editor(actor, meeting):
    require_signed_in(actor)
    if not access.may_edit_minutes(actor, meeting):
        raise PermissionDenied(_("Only the residents' committee edits and publishes minutes."))


def _locked_minutes(meeting) -> Minutes:
    """The meeting's minutes, locked for a change; a clear refusal when none were generated."""
    minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    if minutes is None:
        raise ValidationError(
            _("There are no minutes yet: generate the draft from the meeting's log first.")
        )
    return minutes


def edit_minutes(actor, meeting, *, text: str) -> Minutes:
    """The residents' committee edits the draft minutes."""
    _require_minutes_editor(actor, meeting)
    text = (text or "").strip()
    if not text or len(text) > 50000:
        raise ValidationError(_("The minutes must have some text (at most 50000 characters)."))
    text_html = _html(text)
    with transaction.atomic():
        minutes = _locked_minutes(meeting)
        if minutes.status == Minutes.Status.PUBLISHED:
            raise ValidationError(_("Published minutes cannot be changed."))
        minutes.text, minutes.text_html = text, text_html
        minutes.edited_by, minutes.edited_at = actor, timezone.now()
        minutes.save(update_fields=["text", "text_html", "edited_by", "edited_at"])
        audit.record(actor, "minutes.edited", minutes, community=meeting.community)
    return minutes


def publish_minutes(actor, meeting) -> Minutes:
    """Publish the minutes; from now on they are fixed."""
    _require_minutes_editor(actor, meeting)
    with transaction.atomic():
        minutes = _locked_minutes(meeting)
        if minutes.status == Minutes.Status.PUBLISHED:
            raise ValidationError(_("The minutes are already published."))
        minutes.status, minutes.published_by = Minutes.Status.PUBLISHED, actor
        minutes.published_at = timezone.now()
        minutes.save(update_fields=["status", "published_by", "published_at"])
        audit.record(actor, "minutes.published", minutes, community=meeting.community)
    return minutes
