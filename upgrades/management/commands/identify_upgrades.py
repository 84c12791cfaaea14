from pathlib import Path

from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.runs import run_measured
from musicquality.progress import ProgressBar
from upgrades.rules import DEFAULT_THRESHOLD, RECOMMENDED_FORMATS
from upgrades.services import upgrade_candidates_identify
from upgrades.streaming import StreamingDatabaseError, streaming_db_path


class Command(LibraryCommand):
    help = (
        "Find the analysed lossy files scoring below --threshold and rank them for upgrade: "
        "priority from the score gap, availability in the streaming database "
        "(MUSICQUALITY_STREAMING_DB, matched by ISRC, else artist + title + duration) and "
        "playlist use. Re-runs refresh scores but keep your decisions; candidates whose file "
        "is now lossless or above the threshold are completed."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help=f"files scoring below this are candidates (default {DEFAULT_THRESHOLD:g})",
        )
        parser.add_argument(
            "--format",
            dest="format_override",
            metavar="FORMAT",
            help=(
                f"recommend this format ({', '.join(RECOMMENDED_FORMATS)}) instead of FLAC, "
                "or ALAC when most of your lossless files are ALAC"
            ),
        )
        parser.add_argument(
            "--streaming-db",
            type=Path,
            metavar="FILE",
            help="music_tools.db to check availability in (default MUSICQUALITY_STREAMING_DB)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help="processes reading tags (default: one per core)",
        )

    def handle(self, *args, **options):
        streaming_db = options["streaming_db"] or streaming_db_path()
        progress = ProgressBar(self.stdout, label="Identifying")
        try:
            with run_measured(kind=RunKind.IDENTIFY) as run:
                summary = upgrade_candidates_identify(
                    threshold=options["threshold"],
                    format_override=options["format_override"],
                    streaming_db=streaming_db,
                    workers=options["workers"],
                    on_progress=progress.update,
                )
                run.files = summary.files_handled
        except (ValueError, StreamingDatabaseError) as error:
            raise CommandError(str(error)) from None
        finally:
            progress.close()
        out = self.stdout
        if streaming_db:
            out.write(
                f"Streaming database: {streaming_db} ({summary.streaming_tracks} tracks); "
                f"matched {summary.matched_by_isrc} by ISRC, {summary.matched_by_name} by name"
            )
        else:
            out.write("Streaming database: none (availability unknown for every candidate)")
        out.write(
            f"Candidates below {summary.threshold:g}: {summary.candidates} "
            f"({summary.new} new, {summary.refreshed} refreshed); tags read from "
            f"{summary.tags_read} files; recommended format {summary.recommended_format}"
        )
        out.write(f"Completed (file upgraded since): {summary.completed}")
        if summary.by_availability:
            out.write("By availability:")
            for service, count in summary.by_availability.most_common():
                out.write(f"  {service:<16} {count}")
        out.write(self.style.SUCCESS("Done. Triage them in the admin: /admin/upgrades/"))
