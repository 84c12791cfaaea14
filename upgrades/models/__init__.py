from upgrades.models.candidate import UpgradeCandidate, UserAction, validate_user_action

__all__ = ["UpgradeCandidate", "UserAction", "validate_user_action"]
