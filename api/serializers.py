"""The JSON shapes of the API. Read-only field lists: the writes go through the services."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from dedup.models import DedupHistory, DuplicateDecision
from jobs.models import Job
from quality.models import FileQuality, LibraryFile
from upgrades.models import UpgradeCandidate


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    page = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id", "kind", "status", "done", "total", "message", "arguments", "result",
            "log_tail", "cancel_requested", "created_by", "requested_via", "created_at",
            "started_at", "finished_at", "updated_at", "page",
        ]  # fmt: skip
        read_only_fields = fields

    def get_page(self, job: Job) -> str:
        return reverse("job_detail", args=[job.pk])


class FileQualitySerializer(serializers.ModelSerializer):
    class Meta:
        model = FileQuality
        fields = [
            "codec", "bitrate", "sample_rate", "bit_depth", "channels", "bitrate_mode",
            "quality_score", "is_lossless", "is_hires", "analyzed_at", "analyzer_version",
        ]  # fmt: skip
        read_only_fields = fields


class LibraryFileSerializer(serializers.ModelSerializer):
    quality = serializers.SerializerMethodField()

    class Meta:
        model = LibraryFile
        fields = [
            "id", "file_path", "filename", "artist", "title", "album", "year", "duration",
            "file_format", "file_size", "metadata_hash", "file_content_hash", "indexed_at",
            "file_mtime", "is_active", "quality",
        ]  # fmt: skip
        read_only_fields = fields

    def get_quality(self, library_file: LibraryFile) -> dict | None:
        quality = getattr(library_file, "quality", None)
        return FileQualitySerializer(quality).data if quality is not None else None


class DedupHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = DedupHistory
        fields = [
            "id", "deletion_session_id", "deleted_at", "file_path", "file_size",
            "deletion_reason", "kept_file_path", "kept_file_id", "confidence_score",
            "matched_by", "can_recover", "recovery_path", "deleted_by", "notes",
        ]  # fmt: skip
        read_only_fields = fields


class UpgradeCandidateSerializer(serializers.ModelSerializer):
    library_file_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = UpgradeCandidate
        fields = [
            "id", "library_file_id", "file_path", "artist", "title", "album", "isrc",
            "current_format", "current_bitrate", "current_quality_score",
            "recommended_format", "potential_quality_gain", "priority_score",
            "available_on_service", "service_quality", "user_action", "action_at", "notes",
            "identified_at", "last_updated",
        ]  # fmt: skip
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    undone_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = DuplicateDecision
        fields = [
            "id",
            "kind",
            "note",
            "files",
            "created_by",
            "created_at",
            "undone_at",
            "undone_by",
        ]
        read_only_fields = fields

    def get_files(self, decision: DuplicateDecision) -> list[dict]:
        return [
            {
                "library_id": f.library_file_id,
                "file_path": f.file_path,
                "file_content_hash": f.file_content_hash,
            }
            for f in decision.files.all()
        ]
