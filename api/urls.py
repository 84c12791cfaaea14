"""``/api/``: every view is public to the login middleware; REST framework authenticates
(session with CSRF, or ``Authorization: Token ...``) and checks permissions."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from api import views

app_name = "api"


def _view(view_class):
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("jobs/", _view(views.JobList), name="job-list"),
    path("jobs/<int:pk>/", _view(views.JobDetail), name="job-detail"),
    path("jobs/<int:pk>/cancel/", _view(views.JobCancel), name="job-cancel"),
    path("files/", _view(views.FileList), name="file-list"),
    path("files/<int:pk>/", _view(views.FileDetail), name="file-detail"),
    path("duplicates/", _view(views.DuplicateGroups), name="duplicate-groups"),
    path("decisions/", _view(views.DecisionList), name="decision-list"),
    path("decisions/<int:pk>/undo/", _view(views.DecisionUndo), name="decision-undo"),
    path("upgrades/candidates/", _view(views.CandidateList), name="candidate-list"),
    path("upgrades/candidates/triage/", _view(views.CandidateTriage), name="candidate-triage"),
]
