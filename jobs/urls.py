from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.jobs_page, name="jobs"),
    path("start/", views.job_start, name="job_start"),
    path("<int:job_id>/", views.job_detail, name="job_detail"),
    path("<int:job_id>/cancel/", views.job_cancel_view, name="job_cancel"),
    path("dedupe/", views.dedupe_plan, name="job_dedupe_plan"),
    path("dedupe/start/", views.dedupe_start, name="job_dedupe_start"),
    path("recover/", views.recover_plan, name="job_recover_plan"),
    path("recover/start/", views.recover_start, name="job_recover_start"),
]
