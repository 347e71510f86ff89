"""Printable records: the owners' notice (业主大会公告), the resolution notice (决议公开) and the
minutes (会议纪要), as A4 documents for the browser's print and as PDF made by WeasyPrint.

Reads only; nothing here changes state. The views fetch each document's object through the same
access helpers as the page it comes from (`access.get_matter_for`, `get_meeting_for`,
`get_minutes_for`) and hand it here.

WeasyPrint never reaches the network: `StaticOnlyFetcher` serves our own static files (the
stylesheet) from disk and refuses every other address, and the QR code is drawn inline as SVG.
Chinese text is set in Noto CJK, which the print stylesheet names and fontconfig finds locally.
"""

import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from deliberation import access, procedures, rules
from deliberation.models import Electorate, Matter, Meeting, Minutes, Poll, Resolution

OWNERS_PROCEDURE = "owners_joint_decision"
# Art. 278 items 6–8 are special matters (3/4 to pass); the others ordinary (> 1/2).
SPECIAL_ITEMS = {6, 7, 8}
PDF = "application/pdf"


@dataclass(frozen=True)
class Fact:
    """One line of a document's head: a label and its value (a reference, a date)."""

    label: str
    value: str


def when(value) -> str:
    """A date and time in the community's zone, as printed on a notice."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline SVG markup (no file, no fetch, no image source for the
    page's Content-Security-Policy to allow); titled for screen readers."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(omitsize=True, border=2, title=_("QR code: %(url)s") % {"url": url})
    svg = svg.replace("<svg ", '<svg role="img" class="print-qr__code" ', 1)
    return mark_safe(svg)  # noqa: S308 - segno writes the markup and escapes the title


# ---------------------------------------------------------------------------------------------
# The owners' notice


def _notice_transitions(matter):
    """The matter's moves into the owners' notice stage, oldest first: the first notice and
    each fresh one after a void vote (`rerun_vote`)."""
    return list(matter.transitions.filter(to_stage="notice").order_by("created_at", "id"))


def notice_published(matter, transitions) -> bool:
    """Whether the matter has an owners' notice to print (its moves, as the page has them)."""
    return matter.procedure == OWNERS_PROCEDURE and any(t.to_stage == "notice" for t in transitions)


def _notice_end(matter, published_at):
    """When the notice period ends (voting may start no earlier): the matter's own clock while it
    is in the notice stage, else the community's notice period counted from publication."""
    if matter.stage == "notice" and matter.deadline:
        return matter.deadline
    days = rules.setting(matter.community.settings, "owners.notice_days")
    return rules.deadline_for(timezone.localtime(published_at), days)


def _law_item_text(item: int | None) -> str:
    if not item:
        return ""
    kind = _("special matter") if item in SPECIAL_ITEMS else _("ordinary matter")
    return _("Civil Code Art. 278, item %(n)d (%(kind)s)") % {"n": item, "kind": kind}


def owners_notice(matter: Matter) -> dict:
    """业主大会公告: the latest notice the owners' joint decision published, with its agenda (the
    items it froze), its dates and who issued it. 404 before the notice is published."""
    if matter.procedure != OWNERS_PROCEDURE:
        raise Http404("Only an owners' joint decision publishes an owners' notice.")
    moves = _notice_transitions(matter)
    if not moves:
        raise Http404("The notice is not published yet.")
    latest = moves[-1]
    previous_at = moves[-2].created_at if len(moves) > 1 else None
    spec = matter.procedure_spec
    defining = procedures.poll_definition(spec, spec.stage("voting"))
    agenda = matter.polls.filter(stage=defining.code, created_at__lte=latest.created_at)
    if previous_at is not None:
        agenda = agenda.filter(created_at__gt=previous_at)
    items = [
        {
            "question": poll.question,
            "law": _law_item_text(poll.law_item),
            "rule": poll.get_rule_display(),
            "choices": [c.display for c in poll.choices.all()],
            "closes_at": when(poll.closes_at) if poll.closes_at else "",
            "extension_days": poll.extension_days,
            "secret": poll.secret,
        }
        for poll in agenda.prefetch_related("choices").order_by("created_at", "id")
    ]
    notice_end = _notice_end(matter, latest.created_at)
    body = access.owners_committee(matter)
    return {
        "kind": _("Notice to the owners (业主大会公告)"),
        "title": matter.title,
        "issuer": body.name if body else access.actor_label(matter, procedures.OWNERS_CHAIR),
        "facts": [
            Fact(_("Community"), matter.community.name),
            Fact(_("Estate"), matter.estate.name if matter.estate else "—"),
            Fact(_("Reference"), matter.reference),
            Fact(_("Published"), when(latest.created_at)),
            Fact(_("Notice period ends (voting opens no earlier)"), when(notice_end)),
        ],
        "fresh_notice": latest.action == "rerun",
        "body_html": mark_safe(matter.body_html),  # noqa: S308 - sanitised by nh3 when written
        "agenda": items,
        "deadline_label": _("Voting opens no earlier than"),
        "deadline": when(notice_end),
        "filename": f"{matter.reference}-notice",
    }


# ---------------------------------------------------------------------------------------------
# The resolution notice


def _objection_deadline(matter: Matter):
    """The end of the public notice (公示) in which objections to the resolution are raised, or
    None where the procedure publishes it without one (an owners' decision)."""
    spec = matter.procedure_spec
    stage = next(
        (s for s in spec.stages if s.public_notice and procedures.PUBLISH_RESOLUTION in s.actions),
        None,
    )
    if stage is None:
        return None
    if matter.stage == stage.code and matter.deadline:
        return matter.deadline
    entered = matter.transitions.filter(to_stage=stage.code).order_by("-created_at", "-id").first()
    if entered is None or stage.deadline is None:
        return None
    days = rules.setting(matter.community.settings, stage.deadline.setting)
    return rules.deadline_for(timezone.localtime(entered.created_at), days)


def _result_lines(poll: Poll | None) -> list[str]:
    """The vote a resolution rests on, in a line or two: who took part and what it decided."""
    if poll is None or not poll.is_closed or not poll.result:
        return []
    result = poll.result
    took_part = result["participation"]
    base = result["electorate"]
    lines = [_("%(n)s of %(base)s took part") % {"n": took_part["heads"], "base": base["heads"]}]
    if poll.electorate == Electorate.OWNERS:
        lines[0] += _(", holding %(area)s of %(total)s m²") % {
            "area": took_part.get("area", "—"),
            "total": base.get("area", "—"),
        }
    counts = " / ".join(
        f"{c.display} {result['counts'].get(c.code, {}).get('heads', 0)}"
        for c in poll.choices.all()
    )
    verdict = _("passed") if result.get("passed") else _("not passed")
    lines.append(f"{counts} · {verdict} · {poll.get_rule_display()}")
    return lines


def resolution_notice(resolution: Resolution) -> dict:
    """决议公开: a published resolution with its number, its matter, its dates and the vote it
    rests on; the objection deadline where the procedure holds a public notice."""
    matter = resolution.matter
    objection_deadline = _objection_deadline(matter)
    facts = [
        Fact(_("Community"), matter.community.name),
        Fact(_("Resolution number"), resolution.reference),
        Fact(_("Matter"), matter.reference),
        Fact(_("Issued by"), resolution.issuing_body.name),
        Fact(_("Published"), when(resolution.published_at)),
    ]
    if objection_deadline is not None:
        facts.append(Fact(_("Objections until"), when(objection_deadline)))
    owners = matter.procedure == OWNERS_PROCEDURE
    return {
        "kind": _("Public notice of a resolution (决议公开)"),
        "title": matter.title,
        "issuer": resolution.issuing_body.name,
        "facts": facts,
        "body_html": mark_safe(resolution.text_html),  # noqa: S308 - sanitised by nh3 when written
        "vote": resolution.poll.question if resolution.poll else "",
        "result_lines": _result_lines(resolution.poll),
        "revocation_note": _(
            "An owner whose rights this decision infringes may ask a court to revoke it within "
            "one year of learning of it (SPC interpretation on building co-ownership, Art. 12)."
        )
        if owners
        else "",
        "deadline_label": _("Objections until") if objection_deadline else "",
        "deadline": when(objection_deadline) if objection_deadline else "",
        "filename": resolution.reference,
    }


# ---------------------------------------------------------------------------------------------
# The minutes


def minutes_document(user, meeting: Meeting, minutes: Minutes) -> dict:
    """会议纪要: the minutes' text as published (or, for its editors, the draft, marked so),
    headed by the meeting's date, place and the references of the matters it took up that
    `user` may see."""
    hidden = access.hidden_agenda_items(user, meeting)
    references = [
        item.matter.reference
        for item in meeting.items.select_related("matter").order_by("position", "id")
        if item.matter_id and item.pk not in hidden
    ]
    held_at = meeting.started_at or meeting.scheduled_at
    facts = [
        Fact(_("Community"), meeting.community.name),
        Fact(_("Meeting"), f"{meeting.get_kind_display()} · {meeting.title}"),
        Fact(_("Meeting date"), when(held_at)),
    ]
    if meeting.place:
        facts.append(Fact(_("Place"), meeting.place))
    if references:
        facts.append(Fact(_("Matters"), ", ".join(dict.fromkeys(references))))
    published = minutes.status == Minutes.Status.PUBLISHED
    facts.append(Fact(_("Published"), when(minutes.published_at) if published else _("draft")))
    return {
        "kind": _("Minutes (会议纪要)"),
        "title": meeting.title,
        "issuer": meeting.community.name,
        "facts": facts,
        "draft": not published,
        "body_html": mark_safe(minutes.text_html),  # noqa: S308 - sanitised by nh3 when written
        "deadline_label": "",
        "deadline": "",
        "filename": f"meeting-{meeting.pk}-minutes",
    }


# ---------------------------------------------------------------------------------------------
# PDF


class StaticOnlyFetcher:
    """WeasyPrint's url_fetcher: our own static files from disk, nothing else.

    An address is served only when it lies under STATIC_URL on the page's own origin; it is
    read from STATIC_ROOT (production, hashed names) or from the static finders (development).
    Every other address (another host, another path, file:, data:, ftp:) is refused, so making a
    PDF never opens a connection.
    """

    # WeasyPrint calls the fetcher and reads this flag (weasyprint.urls.fetch): a refusal is a
    # warning in its log, not a failed document. A duck-typed class, not a URLFetcher subclass,
    # so that importing this module does not load WeasyPrint and Pango.
    _fail_on_errors = False

    def __init__(self, origin: str):
        parts = urlsplit(origin)
        self._origin = (parts.scheme, parts.netloc)
        self._prefix = "/" + settings.STATIC_URL.lstrip("/")

    def static_path(self, url: str) -> Path | None:
        """The file on disk this address names, or None when it is not one of ours."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin or not parts.path.startswith(self._prefix):
            return None
        name = unquote(parts.path[len(self._prefix) :])
        normal = posixpath.normpath(name)
        if not name or normal != name or normal.startswith(("/", "..")) or "\\" in name:
            return None
        if settings.STATIC_ROOT and staticfiles_storage.exists(name):
            return Path(staticfiles_storage.path(name))
        found = finders.find(name)
        return Path(found) if isinstance(found, str) else None

    def fetch(self, url, headers=None):
        from weasyprint.urls import URLFetcherResponse

        path = self.static_path(url)
        if path is None or not path.is_file():
            raise ValueError(f"Printing fetches only our own static files, not {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    __call__ = fetch


def write_pdf(html: str, base_url: str) -> bytes:
    """The document's HTML as an A4 PDF (the page size and margins are the stylesheet's)."""
    import weasyprint  # imported on first use: it loads Pango, which pages never need

    fetcher = StaticOnlyFetcher(base_url)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
