"""Pages for who-is-who: home, community, joining, verification, profile, sign-up.

Views parse input, call a service or an access helper, and render; rules live in services.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import access, contact, services
from communities.forms import ContactForm, JoinForm, NameForm, ReasonForm, SignUpForm
from communities.models import Community, Membership, Ownership, PartyMember, Position, Unit

User = get_user_model()


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do that.")


def home(request):
    communities = Community.objects.annotate(
        residents=Count("memberships", filter=Q(memberships__status=Membership.Status.VERIFIED))
    )
    memberships = []
    if request.user.is_authenticated:
        memberships = request.user.memberships.select_related("community")
    return render(request, "home.html", {"communities": communities, "memberships": memberships})


def community_detail(request, slug):
    community = access.get_community_for(request.user, slug)
    current_positions = Position.objects.current().in_rank_order().select_related("user")
    organizations = (
        community.organizations.in_display_order()
        .select_related("estate")
        .prefetch_related(
            Prefetch("positions", queryset=current_positions, to_attr="current_positions")
        )
    )
    verified = community.memberships.verified()
    context = {
        "community": community,
        "organizations": organizations,
        "estates": community.estates.annotate(unit_count=Count("units")),
        "resident_count": verified.count(),
        "membership": None,
        "can_verify": False,
        "pending_count": 0,
        "residents": None,
    }
    if request.user.is_authenticated:
        context["membership"] = community.memberships.filter(user=request.user).first()
        context["can_verify"] = access.may(request.user, community, "verify")
        context["serves_at_workstation"] = context["can_verify"] and access.serves_at_workstation(
            request.user, community
        )
        if context["can_verify"]:
            context["pending_count"] = access.pending_count(community)
    context["party_roll"] = access.party_roll_for(request.user, community)
    if access.may(request.user, community, "view_residents"):
        context["residents"] = verified.select_related("user", "unit__estate").order_by(
            "user__display_name"
        )
    return render(request, "communities/community_detail.html", context)


@login_required
def join_community(request, slug):
    community = access.get_community_for(request.user, slug)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_membership(
                request.user, community, address=form.cleaned_data["address"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("Your request has been sent. Community staff will verify you shortly."),
            )
        return redirect("community", slug=community.slug)
    return render(request, "communities/join.html", {"community": community, "form": form})


@login_required
@require_POST
def leave_community(request, slug):
    community = access.get_community_for(request.user, slug)
    try:
        services.leave_community(request.user, community)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("You have left %(community)s.") % {"community": community})
    return redirect("community", slug=community.slug)


UNLINKED_SHOWN = 50  # verified residents without a unit listed at once for linking


@login_required
def verification_queue(request, slug):
    community = access.get_community_for(request.user, slug, action="verify")
    memberships = community.memberships.select_related("user", "decided_by", "unit__estate")
    pending = list(memberships.pending().order_by("requested_at"))
    duplicates = access.possible_duplicates(pending)
    verified_at = dict(
        memberships.verified()
        .filter(unit__in=[m.unit_id for m in pending if m.unit_id])
        .values_list("unit_id")
        .annotate(n=Count("pk"))
    )
    for membership in pending:
        membership.duplicates = duplicates.get(membership.pk, [])
        membership.others_at_unit = verified_at.get(membership.unit_id, 0)
    unlinked = memberships.verified().filter(unit__isnull=True)
    example = Unit.objects.filter(estate__community=community).select_related("estate").first()
    return render(
        request,
        "communities/verification_queue.html",
        {
            "community": community,
            "pending": pending,
            "has_register": example is not None,
            "example_unit": example.label if example else "",
            "unlinked": unlinked.order_by("decided_at")[:UNLINKED_SHOWN],
            "unlinked_count": unlinked.count(),
            "decided": memberships.exclude(status=Membership.Status.PENDING)
            .exclude(decided_at=None)
            .order_by("-decided_at")[:20],
        },
    )


def _unit_from(request, membership):
    """The unit the staff member typed for this resident; None if they left it blank. A text
    that names no single unit of the register is refused, so nothing is linked by guess."""
    text = request.POST.get("unit", "").strip()
    if not text:
        return None
    unit = access.find_unit(membership.community, text)
    if unit is None:
        example = Unit.objects.filter(estate__community=membership.community_id)
        example = example.select_related("estate").first()
        raise ValidationError(
            _(
                "No single unit of the register matches “%(text)s”. Write the estate, the "
                "building and the room, e.g. %(example)s."
            )
            % {"text": text, "example": example.label if example else "1-101"}
        )
    return unit


@login_required
@require_POST
def decide_membership(request, pk):
    membership = access.get_membership_for(request.user, pk, action="verify")
    decision = request.POST.get("decision")
    form = ReasonForm(request.POST)
    try:
        if decision == "verify":
            unit = _unit_from(request, membership)
            services.verify_membership(request.user, membership, unit=unit)
            messages.success(request, _("%(name)s is now verified.") % {"name": membership.user})
            if unit is None:
                messages.warning(
                    request,
                    _("%(name)s is linked to no unit, so has no household vote yet.")
                    % {"name": membership.user},
                )
        elif decision == "link":
            unit = _unit_from(request, membership)
            services.link_unit(request.user, membership, unit)
            messages.success(
                request,
                _("%(name)s is now linked to %(unit)s.")
                % {"name": membership.user, "unit": unit.label},
            )
        elif decision in ("reject", "revoke"):
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            if decision == "reject":
                services.reject_membership(request.user, membership, reason=reason)
            else:
                services.revoke_membership(request.user, membership, reason=reason)
            messages.success(
                request, _("The decision on %(name)s is recorded.") % {"name": membership.user}
            )
        else:
            messages.error(request, _("Choose a decision."))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return redirect("verification_queue", slug=membership.community.slug)


@login_required
def party_roll(request, slug):
    """The roll of party members (党员名册), kept by the party committee's secretaries."""
    party = access.get_party_roll_for(request.user, slug)
    if request.method == "POST":
        try:
            if "end" in request.POST:
                member = PartyMember.objects.filter(
                    organization=party, pk=request.POST.get("end") or 0
                ).first()
                if member is None:
                    raise ValidationError(_("No such person on the roll."))
                services.end_party_member(
                    request.user, member, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("%(name)s has left the roll.") % {"name": member.user})
            else:
                username = (request.POST.get("username") or "").strip()
                user = User.objects.filter(username=username).first()
                member = services.add_party_member(request.user, party, user)
                messages.success(request, _("%(name)s is on the roll.") % {"name": member.user})
            return redirect("party_roll", slug=slug)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
    members = party.party_members.current().select_related("user").order_by("started_at", "id")
    return render(
        request,
        "communities/party_roll.html",
        {
            "community": party.community,
            "party": party,
            "members": members,
            "username": request.POST.get("username", "") if request.method == "POST" else "",
        },
    )


def _change_contact(request, form):
    """The profile's contact form: through the service, with a message either way."""
    if not form.is_valid():
        return False
    try:
        changed = contact.change_contact(
            request.user,
            request.user,
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
        return False
    if changed:
        messages.success(request, _("Your contact details are saved."))
    else:
        messages.info(request, _("Your contact details are unchanged."))
    return True


@login_required
def profile(request):
    user = request.user
    posted = request.POST if request.method == "POST" else None
    editing_contact = posted is not None and "contact" in posted
    name_form = NameForm(
        None if editing_contact else posted, initial={"display_name": user.display_name}
    )
    contact_form = ContactForm(
        posted if editing_contact else None,
        initial={"email": user.email, "phone": contact.phone_of(user)},
    )
    if editing_contact:
        if _change_contact(request, contact_form):
            return redirect("profile")
    elif request.method == "POST":
        if name_form.is_valid():
            try:
                services.rename(user, user, name_form.cleaned_data["display_name"])
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(request, _("Your name is now %(name)s.") % {"name": user})
                return redirect("profile")
    memberships = list(user.memberships.select_related("community"))
    positions = user.positions.select_related("organization__community").order_by(
        "ended_at", "-started_at"
    )
    ownerships = (
        Ownership.objects.current().filter(owner=user).select_related("unit__estate__community")
    )
    rights = access.rights_of(user, memberships, positions, ownerships)
    return render(
        request,
        "communities/profile.html",
        {
            "memberships": memberships,
            "positions": positions,
            "ownerships": ownerships,
            "rights": rights,
            "name_form": name_form,
            "contact_form": contact_form,
        },
    )


def signup(request):
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as error:  # e.g. the username taken since the form's check
            form.add_error(None, error)
            return render(request, "registration/signup.html", {"form": form})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome! Now ask to join your community, so that staff can verify you.")
        )
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})
