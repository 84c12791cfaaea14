import csv
from pathlib import Path

from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand, printable
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.runs import run_measured
from musicquality.progress import ProgressBar
from quality.selectors import analysis_backlog_count
from quality.services.analysis import ANALYZER_VERSION, file_quality_analyze_all

ERRORS_LISTED = 50


class Command(LibraryCommand):
    help = (
        "Analyse audio quality (codec, bitrate, sample rate, bit depth, channels, CBR/VBR/ABR, "
        "score) of every active library file that has no file_quality row, changed since it "
        "was analysed, or was analysed by an older analyser version. Ctrl-C stops cleanly; "
        "the next run resumes."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers", type=int, default=None, help="processes reading files (default: all cores)"
        )
        parser.add_argument("--force", action="store_true", help="re-analyse every file")
        parser.add_argument("--limit", type=int, default=None, help="analyse at most N files")
        parser.add_argument(
            "--path", dest="path_prefix", default=None, metavar="PREFIX",
            help="only files whose path starts with PREFIX",
        )  # fmt: skip
        parser.add_argument(
            "--errors-csv", type=Path, default=None, metavar="FILE",
            help="write every file that could not be analysed to FILE (path, kind, message)",
        )  # fmt: skip

    def handle(self, *args, **options):
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        errors_csv = options["errors_csv"]
        if errors_csv is not None and not errors_csv.parent.is_dir():
            raise CommandError(f"--errors-csv {errors_csv}: folder {errors_csv.parent} not found")
        bar = ProgressBar(self.stdout, label="Analysing")
        with run_measured(kind=RunKind.ANALYZE) as run:
            result = file_quality_analyze_all(
                workers=options["workers"],
                force=options["force"],
                path_prefix=options["path_prefix"],
                limit=options["limit"],
                progress=bar.update,
            )
            run.files = result.files_handled
            run.backlog = analysis_backlog_count()
        bar.close()
        out = self.stdout
        for error in result.errors[:ERRORS_LISTED]:
            out.write(f"  {error.kind}: {printable(error.path)} ({printable(error.message)})")
        if len(result.errors) > ERRORS_LISTED:
            out.write(f"  ... and {len(result.errors) - ERRORS_LISTED} more (see --errors-csv)")
        if errors_csv is not None:
            with errors_csv.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["path", "kind", "message"])
                writer.writerows((e.path, e.kind, e.message) for e in result.errors)
        out.write(
            f"{result.summary}; {result.files_per_second:,.0f} files/s in "
            f"{result.seconds:.1f} s [analyzer {ANALYZER_VERSION}]"
        )
        if result.interrupted:
            raise CommandError(
                f"interrupted: {result.analysed} analysed rows were committed; run the command "
                "again to carry on where it stopped",
                returncode=130,
            )
        out.write(self.style.SUCCESS("Done."))
