"""In-app notifications and their e-mail copies, worded in the reader's language at read time."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from communities.models import Position
from deliberation.models import Notification

# kind -> message template; data keys fill it. Translated when shown, not when stored.
TEMPLATES = {
    "proposed": "{ref} was proposed: {title}",
    "stage": "{ref} moved to the stage: {stage}",
    "closed": "{ref} was closed as {status}",
    "comment": "New comment on {ref}",
    "reply": "Someone replied to your comment on {ref}",
    "objection": "An objection was raised on {ref} and needs an answer",
    "objection_answered": "Your objection on {ref} was answered",
    "stance": "{org} stated its position on {ref}",
    "poll_opened": "Voting opened on {ref}: {question}",
    "poll_closed": "Voting closed on {ref}: {question}",
    "resolution": "Resolution {number} was published for {ref}",
    "update": "New implementation update on {ref}",
    "escalated": "{ref} was escalated to {to}",
    "escalation_answered": "The escalation of {ref} was answered",
    "overdue": "{ref} is overdue",
    "extended": "The deadline of {ref} was extended",
}


def _marker():
    # Each template above, marked for translation so makemessages picks them up.
    return [
        _("{ref} was proposed: {title}"),
        _("{ref} moved to the stage: {stage}"),
        _("{ref} was closed as {status}"),
        _("New comment on {ref}"),
        _("Someone replied to your comment on {ref}"),
        _("An objection was raised on {ref} and needs an answer"),
        _("Your objection on {ref} was answered"),
        _("{org} stated its position on {ref}"),
        _("Voting opened on {ref}: {question}"),
        _("Voting closed on {ref}: {question}"),
        _("Resolution {number} was published for {ref}"),
        _("New implementation update on {ref}"),
        _("{ref} was escalated to {to}"),
        _("The escalation of {ref} was answered"),
        _("{ref} is overdue"),
        _("The deadline of {ref} was extended"),
    ]


def message(notification) -> str:
    """The notification's sentence in the active language."""
    template = TEMPLATES.get(notification.kind, "{ref}")
    data = dict(notification.data)
    data.setdefault("ref", "")
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


def _email(rows) -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=[r.recipient_id for r in rows]).exclude(email="")
    emails = {u.pk: u.email for u in users}
    if not emails:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject_prefix = _("Gongzhi")
        messages = [
            (f"[{subject_prefix}] {message(row)}", message(row), None, [emails[row.recipient_id]])
            for row in rows
            if row.recipient_id in emails
        ]
    # The notice is already stored in the app; a mail server outage must not break the action.
    send_mass_mail(messages, fail_silently=True)
