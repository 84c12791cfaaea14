"""The cross-cutting pages: overview, file page, ``/health``, ``/metrics``, Monitoring.
Thin: read, then render."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required, user_passes_test
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musicquality.charts import bar_chart
from musicquality.monitoring.access import MetricsAccess, metrics_access
from musicquality.monitoring.exposition import METRICS_CONTENT_TYPE
from musicquality.monitoring.middleware import monitoring_view
from overview.monitoring import metrics_exposition_get, monitoring_page_get
from overview.selectors import (
    file_detail_get,
    file_spectrogram_get,
    health_get,
    library_overview_get,
    next_steps_get,
)
from quality.distribution import score_bin_filter
from quality.score import reference_scores


def home(request):
    overview = library_overview_get()
    bin_urls = [
        f"/files/?{urlencode(score_bin_filter(index))}" for index in range(len(overview.score_bins))
    ]
    context = {
        "overview": overview,
        "next_steps": next_steps_get(overview=overview),
        "codecs_by_container": overview.codecs_by_container,
        "score_chart": bar_chart(
            items=overview.score_bins, title="Files per quality score", urls=bin_urls
        ),
        "reference_scores": reference_scores(),
    }
    return render(request, "overview/home.html", context)


def file_detail(request, file_id: int):
    detail = file_detail_get(file_id=file_id)
    if detail is None:
        raise Http404(f"no library file with id {file_id}")
    return render(request, "overview/file_detail.html", {"detail": detail})


@require_GET
def file_spectrogram(request, file_id: int):
    """The file's spectrogram as a PNG, the verifier's wall marked (decoded on request)."""
    image = file_spectrogram_get(file_id=file_id)
    if image is None:
        raise Http404(f"no spectrogram for library file {file_id}")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_not_required
@require_GET
@never_cache
@monitoring_view
def health(request):
    try:
        return JsonResponse(health_get())
    except DatabaseError:
        return JsonResponse(
            {"status": "error", "error": "library database unavailable"}, status=503
        )


@login_not_required
@require_GET
@never_cache
@monitoring_view
def metrics(request):
    """Prometheus' text format, for a staff session, the bearer token or an allowed address."""
    access = metrics_access(request)
    if access is MetricsAccess.FORBIDDEN:
        raise PermissionDenied("/metrics is for staff, the metrics token or allowed addresses")
    if access is MetricsAccess.UNAUTHENTICATED:
        response = HttpResponse("give the metrics token: Authorization: Bearer TOKEN\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    return HttpResponse(metrics_exposition_get(), content_type=METRICS_CONTENT_TYPE)


def _is_staff(user) -> bool:
    if user.is_authenticated and not user.is_staff:
        raise PermissionDenied("the Monitoring page is for staff")
    return user.is_active and user.is_staff


@user_passes_test(_is_staff)
@never_cache
@monitoring_view
def monitoring(request):
    return render(request, "overview/monitoring.html", {"page": monitoring_page_get()})
