"""In-app notifications and their e-mail copies, worded in the reader's language at read time."""

import logging
import unicodedata

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from communities.models import Position
from deliberation.models import Notification

log = logging.getLogger(__name__)

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
}


# What of a notice's data tells of the matter's content: replaced by a placeholder for a reader
# who may no longer see the matter (they left the community, or their position ended).
HIDDEN_TEXT_KEYS = ("title", "question")


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


def people_of(organizations) -> set[int]:
    """User ids holding a current position in any of these organisations."""
    ids = [org.pk for org in organizations if org is not None]
    if not ids:
        return set()
    return set(
        Position.objects.current().filter(organization_id__in=ids).values_list("user_id", flat=True)
    )


def notify(user_ids, kind: str, *, matter=None, data=None, exclude=None) -> int:
    """Create one notification per recipient (never the actor) and e-mail them on commit."""
    recipients = set(user_ids) - {getattr(exclude, "pk", exclude)} - {None}
    if not recipients:
        return 0
    data = dict(data or {})
    if matter is not None:
        data.setdefault("ref", matter.reference)
        data.setdefault("title", matter.title)
        data.setdefault("procedure", matter.procedure)
    rows = Notification.objects.bulk_create(
        [Notification(recipient_id=uid, matter=matter, kind=kind, data=data) for uid in recipients]
    )
    transaction.on_commit(lambda: _email(rows))
    return len(rows)


def subject_line(text: str, limit: int = SUBJECT_MAX_CHARS) -> str:
    """`text` as a mail subject: line breaks and control characters become spaces, runs of
    space one, and a long text is cut with an ellipsis (a header with a newline is refused)."""
    spaced = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text
    )
    line = " ".join(spaced.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _email(rows) -> None:
    """One e-mail per notification, each sent on its own: one that fails is logged and the
    others still go. The notice itself is already stored in the app."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=[r.recipient_id for r in rows]).exclude(email="")
    emails = {u.pk: u.email for u in users}
    if not emails:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject_prefix = _("Gongzhi")
        messages = [
            (
                row,
                EmailMessage(
                    subject_line(f"[{subject_prefix}] {message(row)}"),
                    message(row),
                    to=[emails[row.recipient_id]],
                ),
            )
            for row in rows
            if row.recipient_id in emails
        ]
    try:
        connection = get_connection()
        connection.open()
    except Exception:
        # A mail server outage must not break the action that notified.
        log.exception(
            "Notification e-mail: could not reach the mail server; %d not sent.", len(messages)
        )
        return
    try:
        for row, email in messages:
            try:
                connection.send_messages([email])
            except Exception:
                log.exception(
                    "Notification e-mail %s to user %s was not sent.", row.pk, row.recipient_id
                )
    finally:
        try:
            connection.close()
        except Exception:
            log.exception("Notification e-mail: closing the connection failed.")
