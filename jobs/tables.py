"""The history table of the Jobs page."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from jobs.models import Job, JobStatus
from musicquality.tables import AppTable

NUMERIC = {"th": {"class": "num"}, "td": {"class": "num"}}
STATUS_BADGES: dict[str, str] = {
    JobStatus.DONE: "good",
    JobStatus.CANCELLED: "warn",
    JobStatus.FAILED: "bad",
}


def status_badge(status: str) -> str:
    return format_html(
        '<span class="badge {} job-status">{}</span>', STATUS_BADGES.get(status, ""), status
    )


class JobTable(AppTable):
    id = tables.Column(
        verbose_name="Job", linkify=lambda record: reverse("job_detail", args=[record.pk])
    )
    kind = tables.Column()
    status = tables.Column()
    done = tables.Column(verbose_name="Done", attrs=NUMERIC, orderable=False)
    message = tables.Column(orderable=False, attrs={"td": {"class": "message"}})
    created_by = tables.Column(verbose_name="By", default="—")
    created_at = tables.Column(verbose_name="Asked")
    finished_at = tables.Column(verbose_name="Finished", default="—")

    class Meta(AppTable.Meta):
        model = Job
        fields = ()
        sequence = (
            "id",
            "kind",
            "status",
            "done",
            "message",
            "created_by",
            "created_at",
            "finished_at",
        )
        order_by = ("-id",)
        attrs = {"id": "jobs-table"}
        row_attrs = {
            "data-id": lambda record: record.pk,
            "data-status": lambda record: record.status,
        }
        empty_text = "No job has finished yet."

    def render_id(self, value):
        return f"#{value}"

    def render_kind(self, record):
        return record.get_kind_display()

    def render_status(self, value):
        return status_badge(value)

    def render_done(self, record):
        return f"{record.done:,}/{record.total:,}" if record.total else f"{record.done:,}"

    def render_created_at(self, value):
        return f"{value:%Y-%m-%d %H:%M:%S}"

    def render_finished_at(self, value):
        return f"{value:%Y-%m-%d %H:%M:%S}"
