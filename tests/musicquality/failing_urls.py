"""The site's URLconf plus one view that fails, for the test that 500s are logged."""

from django.urls import path

from musicquality.urls import handler500 as site_handler500
from musicquality.urls import urlpatterns as site_urlpatterns


def failing_view(request):
    raise RuntimeError("a failure for the logging test")


urlpatterns = [path("failing/", failing_view), *site_urlpatterns]

handler500 = site_handler500
