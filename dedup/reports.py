"""Duplicate reports as plain data for ``--json`` and ``--csv`` (no I/O here)."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat

from dedup.rules import Candidate, DuplicateGroup, DuplicateReport, group_keeper_rule

CSV_COLUMNS = (
    "group",
    "matched_by",
    "confirmed",
    "role",
    "library_id",
    "file_path",
    "file_format",
    "file_size",
    "quality_score",
    "reason",
    "confidence",
)


def _file_dict(candidate: Candidate) -> dict:
    return {
        "library_id": candidate.id,
        "file_path": candidate.file_path,
        "file_format": candidate.file_format,
        "file_size": candidate.file_size,
        "quality_score": candidate.quality_score,
        "duration": candidate.duration,
    }


def group_as_dict(group: DuplicateGroup) -> dict:
    return {
        "group": group.number,
        "matched_by": str(group.matched_by),
        "confirmed": group.confirmed,
        "confidence": group.confidence,
        "bytes_reclaimable": group.bytes_reclaimable,
        "keeper": _file_dict(group.keeper),
        "keeper_rule": group_keeper_rule(group),
        "others": [
            {
                **_file_dict(removal.candidate),
                "reason": str(removal.reason),
                "confidence": removal.confidence,
                "matched_by": str(removal.matched_by or group.matched_by),
            }
            for removal in group.removals
        ],
        "kept": [_file_dict(candidate) for candidate in group.kept],
    }


def size_text(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")


def report_summary(report: DuplicateReport) -> str:
    """The line ``find_duplicates`` and a find-duplicates job end with."""
    return (
        f"{len(report.groups)} duplicate groups, {report.files} files that could go, "
        f"{size_text(report.bytes_reclaimable)} reclaimable"
        + (
            f"; {report.kept_by_decision} kept by keep-both decisions"
            if report.kept_by_decision
            else ""
        )
    )


def report_as_dict(report: DuplicateReport) -> dict:
    return {
        "totals": {
            "groups": len(report.groups),
            "files": report.files,
            "bytes_reclaimable": report.bytes_reclaimable,
            "kept_by_decision": report.kept_by_decision,
        },
        "groups": [group_as_dict(group) for group in report.groups],
        "unconfirmed": [candidate.file_path for candidate in report.unconfirmed],
        "similar": [
            {"files": [first.file_path, second.file_path], "similarity": round(score, 4)}
            for first, second, score in report.similar
        ],
    }


def report_csv_rows(report: DuplicateReport) -> list[dict]:
    """One row per file: the keeper of each group first, then the files it would replace."""
    rows = []
    for group in report.groups:
        common = {
            "group": group.number,
            "matched_by": str(group.matched_by),
            "confirmed": int(group.confirmed),
        }
        keeper = _file_dict(group.keeper)
        keeper.pop("duration")
        rows.append({**common, "role": "keep", **keeper, "reason": "", "confidence": ""})
        for removal in group.removals:
            other = _file_dict(removal.candidate)
            other.pop("duration")
            rows.append(
                {
                    **common,
                    "matched_by": str(removal.matched_by or group.matched_by),
                    "role": "remove",
                    **other,
                    "reason": str(removal.reason),
                    "confidence": removal.confidence,
                }
            )
    return rows
