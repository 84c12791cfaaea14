from django.urls import path

from overview import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("metrics", views.metrics, name="metrics"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("files/<int:file_id>/", views.file_detail, name="file_detail"),
    path("files/<int:file_id>/spectrogram.png", views.file_spectrogram, name="file_spectrogram"),
]
