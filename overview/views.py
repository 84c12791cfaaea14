"""The cross-cutting pages: overview, file page, ``/health``. Thin: read, then render."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musicquality.charts import bar_chart
from overview.selectors import (
    file_detail_get,
    file_spectrogram_get,
    health_get,
    library_overview_get,
)
from quality.score import reference_scores


def home(request):
    overview = library_overview_get()
    context = {
        "overview": overview,
        "score_chart": bar_chart(items=overview.score_bins, title="Files per quality score"),
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
def health(request):
    try:
        return JsonResponse(health_get())
    except DatabaseError:
        return JsonResponse(
            {"status": "error", "error": "library database unavailable"}, status=503
        )
