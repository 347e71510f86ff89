"""`{% person user badges %}`: a person's name with their verified role badges beside it.

`badges` is what `communities.badges.badges_for` returned for the page's people, so a page of
comments costs one query for all their badges.
"""

from django import template

register = template.Library()


@register.inclusion_tag("includes/person.html")
def person(user, badges=None):
    """The name, then one badge per position the person holds (none for everyone else)."""
    found = (badges or {}).get(getattr(user, "pk", None), [])
    return {"name": str(user) if user is not None else "", "badges": found}


@register.inclusion_tag("includes/role_badges.html")
def role_badges(user, badges=None):
    """Only the badges, for a place that already names the person in its own words."""
    return {"badges": (badges or {}).get(getattr(user, "pk", None), [])}
