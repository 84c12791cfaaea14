from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs: the work of the commands (scan, analyse, find duplicates, dedupe,
    recover, identify upgrades) started from the browser or the API and run by a Huey worker
    (``manage.py run_huey``), with live progress. It sits on top, like ``overview``: a job
    calls the apps' services; no app imports it."""

    name = "jobs"
    verbose_name = "Background jobs"
