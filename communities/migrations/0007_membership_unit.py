"""Households come from the unit register: each membership links to the unit it lives in.

Existing memberships are linked where their typed address names exactly one unit of their
community's register (communities.addresses: NFKC, no spaces or case, 1栋101 = 1栋101室 =
1-101, leading zeros ignored); for verified residents the link counts as confirmed when they
were verified. Where a community has several estates, an address must name the estate (or
nothing before the building, and only one estate have that unit). Addresses that name no unit,
or several, stay unlinked: staff link them from the
verification queue, and until then those residents have no household vote.
"""

import django.db.models.deletion
from django.db import migrations, models

from communities import addresses


def link_typed_addresses(apps, schema_editor):
    db = schema_editor.connection.alias
    Unit = apps.get_model("communities", "Unit")
    Membership = apps.get_model("communities", "Membership")
    units_by_community = {}
    for row in Unit.objects.using(db).values_list(
        "estate__community_id", "pk", "estate__name", "building", "number", "estate__address"
    ):
        units_by_community.setdefault(row[0], []).append(addresses.RegisteredUnit(*row[1:]))
    memberships = Membership.objects.using(db).filter(unit__isnull=True).exclude(address="")
    for membership in memberships.iterator():
        unit_id = addresses.match(
            membership.address, units_by_community.get(membership.community_id, [])
        )
        if unit_id is None:
            continue
        since = None
        if membership.status == "verified":
            since = membership.decided_at or membership.requested_at
        Membership.objects.using(db).filter(pk=membership.pk).update(
            unit_id=unit_id, unit_since=since
        )


class Migration(migrations.Migration):

    dependencies = [
        ('communities', '0006_names_visible_and_in_one_script'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='residents', to='communities.unit', verbose_name='unit lived in'),
        ),
        migrations.AddField(
            model_name='membership',
            name='unit_since',
            field=models.DateTimeField(blank=True, null=True, verbose_name='unit confirmed'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.CheckConstraint(condition=models.Q(('unit_since__isnull', True), ('unit__isnull', False), _connector='OR'), name='membership_unit_since_needs_unit'),
        ),
        migrations.RunPython(link_typed_addresses, migrations.RunPython.noop),
    ]
