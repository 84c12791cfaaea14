"""Times the library queries of every request, under the name of the view that ran them."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connections

from musicquality.monitoring.rules import QueryOrigin
from musicquality.monitoring.timing import QueryTimer, query_timer_save
from musicquality.routers import LIBRARY_DB_ALIAS

UNRESOLVED = "unresolved"


def monitoring_view(view: Callable) -> Callable:
    """Mark a view as the monitoring's own (``/health``, ``/metrics``, the Monitoring page):
    its library queries (whole-library counts) are timed under
    :attr:`QueryOrigin.MONITORING` and do not count for the query-time alert."""
    view.query_origin = QueryOrigin.MONITORING  # type: ignore[attr-defined]
    return view


def request_query_name(request) -> tuple[str, QueryOrigin]:
    """The URL name of the view that answered (``file_list``, ``admin:index``), known once
    the URL was resolved; a request that never resolved is ``unresolved``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED, QueryOrigin.PAGE
    origin = getattr(match.func, "query_origin", QueryOrigin.PAGE)
    return match.view_name, origin


class LibraryQueryTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timer = QueryTimer()
        try:
            with connections[LIBRARY_DB_ALIAS].execute_wrapper(timer):
                return self.get_response(request)
        finally:
            if timer.count:
                name, origin = request_query_name(request)
                query_timer_save(timer, query_name=name, origin=origin)
