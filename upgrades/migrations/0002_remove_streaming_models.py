"""Forget the unmanaged streaming models: nothing read through them (state only, no SQL).

``music_tools.db`` is read by ``upgrades.streaming`` with its own read-only connection.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("upgrades", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(
            name="Playlist",
        ),
        migrations.DeleteModel(
            name="PlaylistTrack",
        ),
        migrations.DeleteModel(
            name="Track",
        ),
    ]
