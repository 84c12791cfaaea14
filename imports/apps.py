from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Import folders vetted against the library and applied (docs/imports.md): new
    recordings moved in, upgrades replacing the library's copy through the deletion protocol.
    It sits above ``quality``, ``dedup`` and ``upgrades`` and uses each through its public
    surface; its own tables (the vettings and their files) live in the app database."""

    name = "imports"
    verbose_name = "Imports"
