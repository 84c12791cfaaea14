"""gunicorn settings and hooks: ``gunicorn -c python:musicquality.gunicorn_config ...``.

After a worker has loaded the application, the views are imported (through the URLconf) and
everything loaded so far is frozen out of the garbage collector: those objects live as long
as the process, and full collections would otherwise walk them all in the middle of a
request (bench/RESULTS.md, "Pages": the GC pauses before and after).

Full collections are also made rarer (:data:`FULL_COLLECTION_THRESHOLD`): a worker holds
what it found after the application loaded too (the duplicate groups of a large library:
some 190,000 objects at 500,000 files), and each full collection walks them, a few hundred
milliseconds in whichever request it falls. Request garbage is cyclic (Django's template
contexts) and reaches the oldest generation while the page renders, so full collections
cannot stop altogether; measured at a tenth of their default number, the peak memory was
the same (bench/RESULTS.md, "Pages at 500,000 files", third session).
"""

import gc

accesslog = "-"

#: Generation-1 collections between two full ones (CPython's default: 10).
FULL_COLLECTION_THRESHOLD = 100


def post_worker_init(worker) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the views now, not on the first request)
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
