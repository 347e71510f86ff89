"""What a notice says: its sentence in the reader's language, rendered at read time from its kind
and data, and its one-line mail subject."""

import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# A subject is one line; past this length it is cut (a title may be long, a subject need not be).
SUBJECT_MAX_CHARS = 150

# kind -> message template; data keys fill it. Marked here, translated when shown.
TEMPLATES = {
    "proposed": gettext_noop("{ref} was proposed: {title}"),
    "stage": gettext_noop("{ref} moved to the stage: {stage}"),
    "closed": gettext_noop("{ref} was closed as {status}"),
    "comment": gettext_noop("New comment on {ref}"),
    "reply": gettext_noop("Someone replied to your comment on {ref}"),
    "objection": gettext_noop("An objection was raised on {ref} and needs an answer"),
    "objection_answered": gettext_noop("Your objection on {ref} was answered"),
    "stance": gettext_noop("{org} stated its position on {ref}"),
    "poll_opened": gettext_noop("Voting opened on {ref}: {question}"),
    "poll_closed": gettext_noop("Voting closed on {ref}: {question}"),
    "poll_extended": gettext_noop(
        "Voting on {ref} was extended, as its notice allowed: {question}"
    ),
    "resolution": gettext_noop("Resolution {number} was published for {ref}"),
    "update": gettext_noop("New implementation update on {ref}"),
    "escalated": gettext_noop("{ref} was escalated to {to}"),
    "escalation_answered": gettext_noop("The escalation of {ref} was answered"),
    "overdue": gettext_noop("{ref} is overdue"),
    "extended": gettext_noop("The deadline of {ref} was extended"),
    # Notices that reach the electorate (also by text message where a phone is known).
    "owners_notice": gettext_noop(
        "Owners' notice for {ref}: {title}. The owners will vote on: {agenda}"
    ),
    "poll_reminder": gettext_noop(
        "You have not voted yet on {ref}: {question}. Voting closes at {closes}."
    ),
    "meeting_poll_opened": gettext_noop("Voting opened in the meeting {meeting}: {question}"),
    "meeting_scheduled": gettext_noop("You are invited to the meeting {meeting} on {when}"),
    "membership_verified": gettext_noop("You are now a verified resident of {community}"),
    "membership_rejected": gettext_noop("Your request to join {community} was declined: {reason}"),
}


# What of a notice's data tells of the matter's content: replaced by a placeholder for a reader
# who may no longer see the matter (they left the community, or their position ended).
HIDDEN_TEXT_KEYS = ("title", "question", "agenda")


def message(notification, *, may_see_matter: bool = True) -> str:
    """The notification's sentence in the active language; without the matter's title and the
    poll's question for a reader who may not see the matter."""
    template = TEMPLATES.get(notification.kind, "{ref}")
    data = dict(notification.data)
    data.setdefault("ref", "")
    if not may_see_matter:
        for key in HIDDEN_TEXT_KEYS:
            if key in data:
                data[key] = _("(for members of the community only)")
    if "stage" in data:
        from deliberation import procedures

        try:
            spec = procedures.get(data.get("procedure", ""))
            data["stage"] = str(spec.stage(data["stage"]).name)
        except KeyError:
            pass
    if "status" in data:
        from deliberation.models import Matter

        data["status"] = str(Matter.Status(data["status"]).label)
    try:
        return _(template).format(**data)
    except (KeyError, IndexError, ValueError):
        return _(template)


def subject_line(text: str, limit: int = SUBJECT_MAX_CHARS) -> str:
    """`text` as a mail subject: line breaks and control characters become spaces, runs of
    space one, and a long text is cut with an ellipsis (a header with a newline is refused)."""
    spaced = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text
    )
    line = " ".join(spaced.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
