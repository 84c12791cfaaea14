from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API under ``/api/`` (Django REST framework): jobs, files, duplicate groups,
    keep-both decisions, upgrade candidates and their triage. On top of every app: thin
    views over their selectors and services; nothing imports it."""

    name = "api"
    verbose_name = "JSON API"
