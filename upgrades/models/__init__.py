from upgrades.models.candidate import UpgradeCandidate, UserAction, validate_user_action
from upgrades.models.streaming import Playlist, PlaylistTrack, Track

__all__ = [
    "Playlist",
    "PlaylistTrack",
    "Track",
    "UpgradeCandidate",
    "UserAction",
    "validate_user_action",
]
