"""The URLconf: each app's pages under its prefix. Apps are named, never imported, here."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from musicquality.views import favicon

handler500 = "musicquality.views.server_error"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("files/", include("quality.urls")),
    path("dedup/", include("dedup.urls")),
    path("upgrades/", include("upgrades.urls")),
    path("imports/", include("imports.urls")),
    path("jobs/", include("jobs.urls")),
    path("api/", include("api.urls")),
    path("", include("overview.urls")),
]
