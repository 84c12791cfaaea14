from django.urls import path

from dedup import views

urlpatterns = [
    path("", views.dashboard, name="dedup_dashboard"),
    path("pairs/", views.pairs, name="dedup_pairs"),
    path("review/", views.review, name="dedup_review"),
    path("decisions/", views.decisions, name="dedup_decisions"),
    path("decisions/add/", views.decision_add, name="dedup_decision_add"),
    path("decisions/<int:decision_id>/undo/", views.decision_undo, name="dedup_decision_undo"),
]
