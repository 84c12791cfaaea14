"""The user's keep-both decisions: make one over files of a duplicate group, undo one.

A decision is about files the user saw together in a group, so it is only made over
current members of one group (``dedup.selectors.duplicate_groups_suggested``): the browser's
list of ids is checked, never trusted. The decision remembers each file by its library id,
path and sampled content hash, so that ``dedup.rules.decision_file_matches`` still knows it
after a rescan or a re-index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from dedup.models import DecisionKind, DuplicateDecision, DuplicateDecisionFile
from dedup.selectors import duplicate_groups_suggested
from musicquality.routers import APP_DB_ALIAS

logger = logging.getLogger(__name__)


class DecisionRefused(ValueError):
    """The decision cannot be made or undone; the message says why and what to do."""


def duplicate_decision_create(
    *,
    file_ids: Iterable[int],
    kind: str = DecisionKind.KEEP_BOTH,
    note: str = "",
    user=None,
) -> DuplicateDecision:
    """Record that the files ``file_ids`` (two or more members of one current duplicate
    group) are all to be kept. Raises :class:`DecisionRefused` otherwise."""
    if kind not in DecisionKind.values:
        raise DecisionRefused(
            f"kind {kind!r} is not allowed: use one of {', '.join(DecisionKind.values)}"
        )
    ids = list(dict.fromkeys(file_ids))
    if len(ids) < 2:
        raise DecisionRefused("choose at least two files of a duplicate group to keep together")
    report = duplicate_groups_suggested()
    for group in report.groups:
        members = {member.id: member for member in group.members}
        if ids[0] in members:
            break
    else:
        raise DecisionRefused(
            f"file {ids[0]} is in no duplicate group now (kept already, or changed): reload"
        )
    strangers = [file_id for file_id in ids if file_id not in members]
    if strangers:
        raise DecisionRefused(
            f"file {strangers[0]} is not in the same duplicate group as file {ids[0]}: reload"
        )
    with transaction.atomic(using=APP_DB_ALIAS):
        decision = DuplicateDecision.objects.create(kind=kind, note=note.strip(), created_by=user)
        DuplicateDecisionFile.objects.bulk_create(
            DuplicateDecisionFile(
                decision=decision,
                library_file_id=members[file_id].id,
                file_path=members[file_id].file_path,
                file_content_hash=members[file_id].file_content_hash,
            )
            for file_id in ids
        )
    logger.info("decision %s: %s over %d files", decision.pk, kind, len(ids))
    return decision


def duplicate_decision_undo(*, decision_id: int, user=None) -> DuplicateDecision:
    """Take a decision back: its files are proposed as duplicates again. The row stays, with
    who undid it and when, as a record."""
    decision = DuplicateDecision.objects.filter(pk=decision_id).first()
    if decision is None:
        raise DecisionRefused(f"no decision #{decision_id}")
    if decision.undone_at is not None:
        raise DecisionRefused(f"decision #{decision_id} was already undone")
    decision.undone_at = timezone.now()
    decision.undone_by = user
    decision.save(update_fields=["undone_at", "undone_by"])
    logger.info("decision %s undone", decision.pk)
    return decision
