from django.urls import path

from dedup import views

urlpatterns = [
    path("", views.dashboard, name="dedup_dashboard"),
]
