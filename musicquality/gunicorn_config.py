"""gunicorn settings and hooks: ``gunicorn -c python:musicquality.gunicorn_config ...``.

After a worker has loaded the application, the views are imported (through the URLconf) and
everything loaded so far is frozen out of the garbage collector: those objects live as long
as the process, and full collections would otherwise walk them all in the middle of a
request (bench/RESULTS.md, "Pages": the GC pauses before and after).
"""

import gc

accesslog = "-"


def post_worker_init(worker) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the views now, not on the first request)
    gc.freeze()
