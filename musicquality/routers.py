"""Database router: the music apps live in the user's library file, Django's state apart.

The three music apps (``quality``, ``dedup``, ``upgrades``) read and write the ``library``
database, except the Music Tools streaming models, which read ``streaming``. Everything else
(auth, sessions, admin log, contenttypes) stays in ``default``, so the user's music database
never collects web-app state (DESIGN.md §2).
"""

LIBRARY_APPS = frozenset({"quality", "dedup", "upgrades"})
STREAMING_MODELS = frozenset({"playlist", "track", "playlisttrack", "streamingsetting"})


def database_for_model(app_label: str, model_name: str) -> str:
    if app_label == "upgrades" and model_name in STREAMING_MODELS:
        return "streaming"
    if app_label in LIBRARY_APPS:
        return "library"
    return "default"


class LibraryRouter:
    def db_for_read(self, model, **hints):
        return database_for_model(model._meta.app_label, model._meta.model_name)

    def db_for_write(self, model, **hints):
        return database_for_model(model._meta.app_label, model._meta.model_name)

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == "streaming":
            return False
        if app_label in LIBRARY_APPS:
            return db == "library"
        return db == "default"
