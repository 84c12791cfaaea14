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
    path("imports/vet/", views.vet_import_start, name="job_vet_import_start"),
    path("imports/apply/", views.import_apply_plan, name="job_import_apply_plan"),
    path("imports/apply/start/", views.import_apply_start, name="job_import_apply_start"),
]
