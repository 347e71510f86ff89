"""Template tags that let other apps' pages show deliberation content without importing it."""

from django import template

from deliberation.models import Matter, Resolution

register = template.Library()


@register.inclusion_tag("deliberation/includes/community_summary.html", takes_context=True)
def community_summary(context, community):
    """Open matters and the latest resolutions of a community, as the reader may see them."""
    user = context["request"].user
    visible = Matter.objects.visible_to(user, community)
    return {
        "open_matters": list(visible.open().order_by("-created_at")[:6]),
        "latest_resolutions": list(
            Resolution.objects.filter(community=community, matter__in=visible)
            .select_related("matter")
            .order_by("-published_at")[:4]
        ),
    }
