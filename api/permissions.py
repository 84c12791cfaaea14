"""Who may do what through the API: reads for anyone logged in (as the pages), anything that
changes files or decisions (starting a job, cancelling one, keep-both, triage) for staff."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class StaffForChanges(BasePermission):
    message = "staff only: reading is open to every user, changing files or decisions is not"

    def has_permission(self, request, view):
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or user.is_staff
