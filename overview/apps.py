from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """The pages that look across the apps: the library overview, ``/health`` and a file's
    page (its analysis, duplicate groups, deletion history and upgrade candidate). It sits on
    top: it reads through the apps' selectors, and no app imports it."""

    name = "overview"
    verbose_name = "Overview"
