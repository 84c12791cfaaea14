"""Version stamps written into the rows our analysers make, so a change re-does the work.

``file_quality.analyzer_version`` is the package version plus the scoring revision
(:data:`quality.score.SCORING_REVISION`): a new formula makes every row out of date, and
``analyze_quality`` (and the analysis backlog on every page) picks them up.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

from quality.score import SCORING_REVISION


def package_version() -> str:
    """The installed distribution's version, or pyproject's in a plain checkout."""
    try:
        return importlib.metadata.version("musicquality")
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        with pyproject.open("rb") as handle:
            return tomllib.load(handle)["project"]["version"]


ANALYZER_VERSION = f"{package_version()}+score.{SCORING_REVISION}"

#: ``audio_verification.verifier_version``: bump with any change of the decode pass or the
#: verdict rule (``quality.services.decoding``, ``quality.spectrum``, ``quality.verdicts``), and
#: every file is verified again.
VERIFIER_VERSION = f"{package_version()}+verify.3"
