from django.urls import path

from upgrades import views

app_name = "upgrades"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("candidates/", views.CandidateListView.as_view(), name="candidates"),
]
