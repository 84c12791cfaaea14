"""Database router: the music apps live in the user's library file, Django's state apart.

The three music apps (``quality``, ``dedup``, ``upgrades``) read and write the ``library``
database (:data:`LIBRARY_DB_ALIAS`). Everything else (auth, sessions, admin log, contenttypes,
jobs) stays in ``default`` (:data:`APP_DB_ALIAS`), so the user's music database never collects
web-app state (docs/architecture.md, "Databases").
The Music Tools ``music_tools.db`` is not a Django database: ``upgrades.streaming`` reads it
with a read-only SQLite connection of its own.
"""

#: The database aliases (``settings.DATABASES``): the user's music database and the app's own.
#: Every ``using=`` and ``connections[...]`` names one of these.
LIBRARY_DB_ALIAS = "library"
APP_DB_ALIAS = "default"

LIBRARY_APPS = frozenset({"quality", "dedup", "upgrades"})
#: Models of the music apps that hold the app's own derived data or state, not the user's:
#: they live in the app database (``app_label.model_name``): the fingerprint matches, and the
#: user's keep-both decisions about duplicate groups, the Music Tools decisions imported
#: (the library schema is fixed).
APP_DB_MODELS = frozenset(
    {
        "quality.audiomatch",
        "quality.audiomatchrun",
        "dedup.duplicatedecision",
        "dedup.duplicatedecisionfile",
        "upgrades.importeddecision",
    }
)


def database_for_model(app_label: str, model_name: str | None = None) -> str:
    if model_name and f"{app_label}.{model_name}" in APP_DB_MODELS:
        return APP_DB_ALIAS
    return LIBRARY_DB_ALIAS if app_label in LIBRARY_APPS else APP_DB_ALIAS


class LibraryRouter:
    def db_for_read(self, model, **hints):
        return database_for_model(model._meta.app_label, model._meta.model_name)

    def db_for_write(self, model, **hints):
        return database_for_model(model._meta.app_label, model._meta.model_name)

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == database_for_model(app_label, model_name)
