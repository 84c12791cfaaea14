from pathlib import Path

from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand, printable
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.runs import run_measured
from musicquality.progress import ProgressBar
from quality.selectors import analysis_backlog_if_known
from quality.services.scanning import library_scan, scan_roots_check

PROBLEMS_LISTED = 50


class Command(LibraryCommand):
    help = (
        "Index the audio files under PATH... into library_index, in the Music Tools format. "
        "Incremental: unchanged files (same size and mtime) are skipped, changed ones updated "
        "in place, vanished ones marked inactive (never deleted). Writes a library_stats row."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="music folder")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes reading files (default: all cores)",
        )

    def handle(self, *args, **options):
        roots = [path.expanduser() for path in options["paths"]]
        try:
            scan_roots_check(roots)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        bar = ProgressBar(self.stdout, label="Scanning")
        with run_measured(kind=RunKind.SCAN) as run:
            result = library_scan(roots=roots, workers=options["workers"], progress=bar.update)
            run.files = result.files_handled
            run.backlog = analysis_backlog_if_known()
        bar.close()
        out = self.stdout
        for problem in result.problems[:PROBLEMS_LISTED]:
            out.write(f"  {problem.kind}: {printable(problem.path)} ({printable(problem.message)})")
        if len(result.problems) > PROBLEMS_LISTED:
            out.write(f"  ... and {len(result.problems) - PROBLEMS_LISTED} more")
        kinds: dict[str, int] = {}
        for problem in result.problems:
            kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
        out.write(result.summary)
        if kinds:
            out.write("Problems: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
        stats = result.stats
        out.write(
            self.style.SUCCESS(
                f"Library: {stats.total_files} active files, {stats.total_size / 1e9:.2f} GB. "
                f"Scan took {result.seconds:.1f} s ({result.files_per_second:,.0f} files/s)."
            )
        )
