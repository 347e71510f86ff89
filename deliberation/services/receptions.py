"""Reception sessions (接访) and residents' ratings of them."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities import audit
from deliberation.models import ReceptionRating, ReceptionSession
from deliberation.services.common import clean_text, require


def hold_reception(actor, community, *, held_on, place: str, hosts: str, topic: str = ""):
    """Record a reception session so residents can rate it."""
    require(
        actor,
        "communities.host_reception",
        community,
        _("Only community officials may record reception sessions."),
    )
    place = clean_text(place, _("place"), limit=120)
    hosts = clean_text(hosts, _("hosts"), limit=300)
    if held_on is None or held_on > timezone.localdate():
        raise ValidationError(_("Give the date the session was held (not in the future)."))
    with transaction.atomic():
        session = ReceptionSession.objects.create(
            community=community,
            held_on=held_on,
            place=place,
            hosts=hosts,
            topic=(topic or "").strip()[:200],
            created_by=actor,
        )
        audit.record(actor, "reception.held", session, community=community)
    return session


def rate_reception(actor, session, *, score: int, comment: str = "") -> ReceptionRating:
    """A verified resident rates a reception session, once."""
    require(
        actor,
        "communities.vote",
        session.community,
        _("Only verified residents may rate reception sessions."),
    )
    if score not in (1, 2, 3, 4, 5):
        raise ValidationError(_("Give a score from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError(_("The comment is too long (at most 500 characters)."))
    try:
        with transaction.atomic():
            rating = ReceptionRating.objects.create(
                session=session, resident=actor, score=score, comment=comment
            )
            audit.record(
                actor,
                "reception.rated",
                session,
                community=session.community,
                data={"score": score},
            )
    except IntegrityError:
        raise ValidationError(_("You have already rated this session.")) from None
    return rating
