import csv
import io
import json

from dedup.management.output import group_lines, grouping_arguments_add, prefer_dirs, similar_lines
from dedup.reports import CSV_COLUMNS, report_as_dict, report_csv_rows, report_summary
from dedup.services.find import duplicates_find
from musicquality.commands import LibraryCommand, printable
from musicquality.progress import ProgressBar


class Command(LibraryCommand):
    help = (
        "List duplicate groups (read-only): exact copies (same content, confirmed by a "
        "full-content hash) and the same recording in several files (same artist/title, "
        "durations close), the copy to keep first."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        grouping_arguments_add(parser)
        parser.add_argument("--json", metavar="FILE", help="write the groups as JSON (- = stdout)")
        parser.add_argument(
            "--csv", metavar="FILE", help="write one row per file as CSV (- = stdout)"
        )
        parser.add_argument(
            "--no-confirm",
            action="store_true",
            help="skip the full-content reads; exact groups are then only suggestions",
        )

    def handle(self, *args, **options):
        progress = ProgressBar(self.stdout, label="Comparing", unit="full-content comparisons")
        report = duplicates_find(
            prefer=prefer_dirs(options),
            max_duration_delta=options["max_duration_delta"],
            confirm=not options["no_confirm"],
            on_compared=progress.advance,
        )
        progress.close()
        exported_to_stdout = "-" in (options["json"], options["csv"])
        if options["json"]:
            self.export_write(options["json"], json.dumps(report_as_dict(report), indent=2) + "\n")
        if options["csv"]:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(report_csv_rows(report))
            self.export_write(options["csv"], buffer.getvalue())
        if exported_to_stdout:
            return
        for group in report.groups:
            for line in group_lines(group):
                self.stdout.write(line)
        for line in similar_lines(report):
            self.stdout.write(line)
        for candidate in report.unconfirmed:
            self.stdout.write(
                self.style.WARNING(
                    f"not an exact duplicate after all (sampled hash matched, content differs "
                    f"or unreadable): {printable(candidate.file_path)}"
                )
            )
        self.stdout.write(self.style.SUCCESS(report_summary(report)))
