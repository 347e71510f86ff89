"""Markdown is rendered once, when it is written: a matter's body (its safe HTML and the plain
excerpt the ledger's CSV carries) and a meeting's minutes are stored rendered, like comments,
resolutions and implementation updates already were. Existing rows are rendered here, in
batches, with the same renderer the services use (deliberation.text).
"""

from django.db import migrations, models

BATCH = 500


def _batches(queryset):
    """The rows in pk order, BATCH at a time (keyset pages: no cursor open while writing)."""
    last = 0
    while batch := list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH]):
        yield batch
        last = batch[-1].pk


def render_existing(apps, schema_editor):
    from deliberation.text import MAX_MARKDOWN_CHARS, excerpt_of_html, render_markdown

    Matter = apps.get_model("deliberation", "Matter")
    Minutes = apps.get_model("deliberation", "Minutes")
    excerpt_chars = Matter._meta.get_field("excerpt").max_length
    for batch in _batches(Matter.objects.only("pk", "body")):
        for matter in batch:
            matter.body_html = render_markdown(matter.body[:MAX_MARKDOWN_CHARS])
            matter.excerpt = excerpt_of_html(matter.body_html, excerpt_chars)
        Matter.objects.bulk_update(batch, ["body_html", "excerpt"])
    for batch in _batches(Minutes.objects.only("pk", "text")):
        for minutes in batch:
            minutes.text_html = render_markdown(minutes.text[:MAX_MARKDOWN_CHARS])
        Minutes.objects.bulk_update(batch, ["text_html"])


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0005_secret_ballots_in_one_urn"),
    ]

    operations = [
        migrations.AddField(
            model_name="matter",
            name="body_html",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="matter",
            name="excerpt",
            field=models.CharField(default="", editable=False, max_length=200),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="minutes",
            name="text_html",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop, elidable=True),
    ]
