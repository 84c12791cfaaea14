from upgrades.models.acquisition import (
    JobStatus,
    StreamingMatch,
    UpgradeJob,
    validate_job_status,
)
from upgrades.models.candidate import UpgradeCandidate, UserAction, validate_user_action
from upgrades.models.imported import ImportedDecision

__all__ = [
    "ImportedDecision",
    "JobStatus",
    "StreamingMatch",
    "UpgradeCandidate",
    "UpgradeJob",
    "UserAction",
    "validate_job_status",
    "validate_user_action",
]
