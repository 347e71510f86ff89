"""Names that cannot pass for others' (communities.names): the fields' checks, and display
names saved before them normalised (NFKC) with invisible and control characters dropped.
Usernames are left as they are: changing a login is not for a migration to do."""

import communities.names
import django.contrib.auth.validators
from django.db import migrations, models


def scrub_display_names(apps, schema_editor):
    User = apps.get_model("communities", "User")
    users = User.objects.using(schema_editor.connection.alias)
    for pk, name in users.exclude(display_name="").values_list("pk", "display_name"):
        clean = communities.names.scrub_display_name(name)
        if clean != name:
            users.filter(pk=pk).update(display_name=clean)


class Migration(migrations.Migration):

    dependencies = [
        ('communities', '0005_flush_flag_and_audit_no_delete'),
    ]

    operations = [
        migrations.AlterField(
            model_name='user',
            name='display_name',
            field=models.CharField(blank=True, max_length=64, validators=[communities.names.validate_display_name], verbose_name='full name'),
        ),
        migrations.AlterField(
            model_name='user',
            name='username',
            field=models.CharField(error_messages={'unique': 'A user with that username already exists.'}, help_text='Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only; letters of one script (Chinese characters may go with Latin letters).', max_length=150, unique=True, validators=[django.contrib.auth.validators.UnicodeUsernameValidator(), communities.names.UsernameScriptValidator()], verbose_name='username'),
        ),
        migrations.RunPython(scrub_display_names, migrations.RunPython.noop),
    ]
