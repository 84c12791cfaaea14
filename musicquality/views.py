from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musicquality.charts import bar_chart
from musicquality.selectors import health_get, library_overview_get


def home(request):
    overview = library_overview_get()
    context = {
        "overview": overview,
        "score_chart": bar_chart(items=overview.score_bins, title="Files per quality score"),
    }
    return render(request, "home.html", context)


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
