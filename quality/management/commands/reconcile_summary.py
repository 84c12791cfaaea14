from musicquality.commands import LibraryCommand
from quality.services.summary import library_summary_differences, library_summary_reconcile


class Command(LibraryCommand):
    help = (
        "Compare the library summary (the counts, sorts and search index the pages read, "
        "docs/summary.md) with the library, and say how many files differ: changed by the "
        "Music Tools CLI or another program since the last comparison. A dry run; --apply "
        "brings the summary up to date (rebuilding it when it is missing or was built by "
        "another version). The library itself is never changed."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply",
            action="store_true",
            help="bring the summary up to date (default: only count)",
        )

    def handle(self, *args, **options):
        differences = library_summary_differences()
        if not options["apply"]:
            if differences.rebuild:
                self.stdout.write(
                    "The summary is missing or was built by another version: it would be "
                    "rebuilt. Run again with --apply."
                )
            else:
                self.stdout.write(
                    f"{differences.files:,} files differ from their summary. Dry run: nothing "
                    "changed. Run again with --apply to bring the summary up to date."
                )
            return
        result = library_summary_reconcile()
        done = "rebuilt from" if result.rebuilt else "brought up to date for"
        self.stdout.write(
            self.style.SUCCESS(
                f"Summary {done} {result.changed:,} files in {result.seconds:.1f} s."
            )
        )
