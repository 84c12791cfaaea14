"""The API's views: thin, each reads through a selector or calls one service.

Every view is marked ``login_not_required``: Django's ``LoginRequiredMiddleware`` would send
a script with a token to the login page before REST framework had read the token; REST
framework's own authentication and :class:`~api.permissions.StaffForChanges` decide instead
(anonymous: 401; non-staff asking for a change: 403). Session requests are CSRF-checked by
REST framework's ``SessionAuthentication``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import API_PER_PAGE, ApiPagination
from api.permissions import StaffForChanges
from api.serializers import (
    DecisionSerializer,
    DedupHistorySerializer,
    FileQualitySerializer,
    JobSerializer,
    LibraryFileSerializer,
    UpgradeCandidateSerializer,
)
from dedup.reports import group_as_dict
from dedup.selectors import duplicate_decisions_list, duplicate_groups_suggested
from dedup.services.decisions import (
    DecisionRefused,
    duplicate_decision_create,
    duplicate_decision_undo,
)
from jobs.models import RequestedVia
from jobs.selectors import job_get, jobs_list
from jobs.services.kinds import JobRefused
from jobs.services.queue import job_cancel, job_create
from musicquality.tables import AppPaginator
from overview.selectors import file_detail_get
from quality.filters import LibraryFileFilter
from quality.models import LibraryFile, active_q
from upgrades.filters import UpgradeCandidateFilter
from upgrades.models import UpgradeCandidate
from upgrades.services import upgrade_candidates_act


def _refused(message: str, code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": message}, status=code)


class ApiView(APIView):
    permission_classes = [StaffForChanges]


# --- jobs ------------------------------------------------------------------------------------


class JobList(generics.ListAPIView):
    """``GET``: every job, newest first. ``POST {"kind": "scan", "paths": [...]}``: ask for a
    job (every key but ``kind`` is an argument of that kind) → 202 with the job."""

    permission_classes = [StaffForChanges]
    serializer_class = JobSerializer

    def get_queryset(self):
        return jobs_list()

    def post(self, request):
        if not isinstance(request.data, dict):
            return _refused('send a JSON object: {"kind": "scan", "paths": ["/music"]}')
        arguments = dict(request.data)
        kind = arguments.pop("kind", None)
        if not isinstance(kind, str):
            return _refused('kind is required: {"kind": "scan", ...}')
        try:
            job = job_create(
                kind=kind, arguments=arguments, user=request.user, via=RequestedVia.API
            )
        except JobRefused as error:
            return _refused(str(error))
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class JobDetail(ApiView):
    def get(self, request, pk: int):
        job = job_get(job_id=pk)
        if job is None:
            raise NotFound(f"no job #{pk}")
        return Response(JobSerializer(job).data)


class JobCancel(ApiView):
    """``POST``: cancel a queued job now, a running one at its next batch → 202."""

    def post(self, request, pk: int):
        if job_get(job_id=pk) is None:
            raise NotFound(f"no job #{pk}")
        try:
            job = job_cancel(job_id=pk)
        except JobRefused as error:
            return _refused(str(error), status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


# --- files -----------------------------------------------------------------------------------


class FileList(generics.ListAPIView):
    """Active files, with the ``/files/`` filters (``q``, ``file_format``, ``lossless``,
    ``hires``, ``score_min``, ``score_max``), sorted by artist and title."""

    permission_classes = [StaffForChanges]
    serializer_class = LibraryFileSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LibraryFileFilter

    def get_queryset(self):
        return (
            LibraryFile.objects.filter(active_q())
            .select_related("quality")
            .order_by("artist", "title", "id")
        )


class FileDetail(ApiView):
    """A file's row, its analysis, its duplicate groups, its deletion history, its candidate."""

    def get(self, request, pk: int):
        detail = file_detail_get(file_id=pk)
        if detail is None:
            raise NotFound(f"no library file with id {pk}")
        data = LibraryFileSerializer(detail.library_file).data
        data["quality"] = FileQualitySerializer(detail.quality).data if detail.quality else None
        data["duplicate_groups"] = [group_as_dict(group) for group in detail.duplicate_groups]
        data["dedup_history"] = DedupHistorySerializer(detail.history, many=True).data
        data["upgrade_candidate"] = (
            UpgradeCandidateSerializer(detail.candidate).data if detail.candidate else None
        )
        return Response(data)


# --- duplicates and keep-both decisions ------------------------------------------------------


class DuplicateGroups(ApiView):
    """The duplicate groups (keep-both decisions applied), as ``find_duplicates --json``
    writes them, 50 a page (``?page=N``, ``?per_page=`` up to 100); exact groups are not yet
    confirmed byte for byte."""

    def get(self, request):
        report = duplicate_groups_suggested()
        page = AppPaginator(
            report.groups,
            ApiPagination().get_page_size(request),
            default_per_page=API_PER_PAGE,
        ).get_page(request.query_params.get("page"))
        return Response(
            {
                "count": len(report.groups),
                "page": page.number,
                "pages": page.paginator.num_pages,
                "files": report.files,
                "bytes_reclaimable": report.bytes_reclaimable,
                "kept_by_decision": report.kept_by_decision,
                "results": [group_as_dict(group) for group in page.object_list],
            }
        )


class DecisionList(ApiView):
    """``GET``: the keep-both decisions in force (``?undone=1``: those undone).
    ``POST {"file_ids": [1, 2], "kind": "keep_both", "note": "..."}``: make one → 201."""

    def get(self, request):
        undone = request.query_params.get("undone") in {"1", "true", "yes"}
        return Response(DecisionSerializer(duplicate_decisions_list(undone=undone), many=True).data)

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        file_ids = data.get("file_ids")
        if not isinstance(file_ids, list) or not all(isinstance(i, int) for i in file_ids):
            return _refused("file_ids must be a list of library ids (two or more)")
        try:
            decision = duplicate_decision_create(
                file_ids=file_ids,
                kind=data.get("kind") or "keep_both",
                note=str(data.get("note") or ""),
                user=request.user,
            )
        except DecisionRefused as error:
            return _refused(str(error))
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class DecisionUndo(ApiView):
    def post(self, request, pk: int):
        try:
            decision = duplicate_decision_undo(decision_id=pk, user=request.user)
        except DecisionRefused as error:
            return _refused(str(error), status.HTTP_409_CONFLICT)
        return Response(DecisionSerializer(decision).data)


# --- upgrade candidates ---------------------------------------------------------------------


class CandidateList(generics.ListAPIView):
    """Upgrade candidates by priority, with the ``/upgrades/candidates/`` filters (``format``,
    ``user_action``, ``service``, ``score_from``, ``score_below``), none applied by default."""

    permission_classes = [StaffForChanges]
    serializer_class = UpgradeCandidateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = UpgradeCandidateFilter

    def get_queryset(self):
        return UpgradeCandidate.objects.order_by("-priority_score", "id")


class CandidateTriage(ApiView):
    """``POST {"ids": [..], "action": "approved", "note": "..."}``: the admin's triage."""

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        ids = data.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            return _refused("ids must be a list of upgrade candidate ids")
        action = data.get("action")
        if not isinstance(action, str):
            return _refused("action is required: pending, approved, rejected, completed or ignored")
        try:
            result = upgrade_candidates_act(
                candidate_ids=ids, action=action, note=data.get("note") or None
            )
        except ValidationError as error:
            return _refused(" ".join(error.messages))
        return Response(
            {"action": result.action, "changed": result.changed, "unchanged": result.unchanged}
        )
