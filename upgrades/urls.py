from django.urls import path

from upgrades import views

app_name = "upgrades"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("candidates/", views.CandidateListView.as_view(), name="candidates"),
    path("albums/", views.albums, name="albums"),
    path("albums/approve/", views.album_approve, name="album_approve"),
]
