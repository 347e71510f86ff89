"""Secret ballots of open polls move into one sealed urn per poll; closed secret ballots lose
their weight (the area totals are already frozen in each result); a secret poll is hidden."""

import base64
import json
from decimal import Decimal

import django.db.models.deletion
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import migrations, models

from deliberation import sealing


def _open_v1(poll_id, token):
    """A ballot sealed one per row (the format before the urn)."""
    raw = base64.b64decode(token)
    nonce, sealed = raw[:12], raw[12:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gongzhi secret ballots v1"
        ).derive(secret.encode())
        try:
            return json.loads(AESGCM(key).decrypt(nonce, sealed, str(poll_id).encode()))
        except InvalidTag:
            continue
    raise ValueError(f"A sealed ballot of poll {poll_id} cannot be opened with the site's keys.")


def hide_secret_polls(apps, schema_editor):
    apps.get_model("deliberation", "Poll").objects.filter(secret=True).update(results_hidden=True)


def fill_urns(apps, schema_editor):
    SealedBallot = apps.get_model("deliberation", "SealedBallot")
    SealedUrn = apps.get_model("deliberation", "SealedUrn")
    Choice = apps.get_model("deliberation", "Choice")
    for poll_id in SealedBallot.objects.values_list("poll_id", flat=True).distinct():
        codes = list(
            Choice.objects.filter(poll_id=poll_id)
            .order_by("position", "id")
            .values_list("code", flat=True)
        )
        entries = []
        for token in SealedBallot.objects.filter(poll_id=poll_id).values_list("sealed", flat=True):
            content = _open_v1(poll_id, token)
            positions = [codes.index(code) for code in content["choices"]]
            entries.append(sealing.pack(positions, Decimal(content["weight"])))
        # Mixed: the old rows' storage order was the order they were cast.
        entries = sealing.mix_in([], entries)
        SealedUrn.objects.create(poll_id=poll_id, sealed=sealing.seal(poll_id, entries))
    SealedBallot.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0004_party_roll"),
        ("deliberation", "0004_polls_follow_procedure"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(hide_secret_polls, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="poll",
            constraint=models.CheckConstraint(
                condition=models.Q(("results_hidden", False), ("secret", True), _negated=True),
                name="poll_secret_is_hidden",
            ),
        ),
        migrations.CreateModel(
            name="SealedUrn",
            fields=[
                (
                    "poll",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="urn",
                        serialize=False,
                        to="deliberation.poll",
                    ),
                ),
                ("sealed", models.TextField()),
            ],
        ),
        migrations.RunPython(fill_urns, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="sealedballot", name="poll"),
        migrations.DeleteModel(name="SealedBallot"),
        migrations.RemoveField(model_name="secretballot", name="weight"),
    ]
