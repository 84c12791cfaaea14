import sys

from django.core.management.base import CommandError

from dedup.management.output import group_lines, grouping_arguments_add, prefer_dirs
from dedup.reports import size_text
from dedup.rules import DEFAULT_MIN_CONFIDENCE
from dedup.services.dedupe import (
    DedupePlan,
    ResumeResult,
    Settled,
    dedupe_apply,
    dedupe_plan,
    dedupe_resume,
)
from dedup.services.files import DedupRefused, library_roots, quarantine_dir
from musicquality.commands import LibraryCommand, printable
from musicquality.progress import ProgressBar


def confidence(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(LibraryCommand):
    help = (
        "Move duplicates into the quarantine directory, keeping the best copy of each group. "
        "A dry run unless --apply; every move is recorded in dedup_history first and can be "
        "undone with `recover`."
    )
    requires_schema_v2 = True
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="really move files (default: dry run)"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--resume",
            action="store_true",
            help="only finish (or undo) what an interrupted run left, then stop",
        )
        parser.add_argument(
            "--min-confidence",
            type=confidence,
            default=DEFAULT_MIN_CONFIDENCE,
            metavar="0..1",
            help="act only on matches at least this sure (default: %(default)s: exact copies "
            "only; same-recording matches score 0.5-0.85)",
        )
        grouping_arguments_add(parser)

    def handle(self, *args, **options):
        stdin = options.get("stdin") or sys.stdin
        if options["resume"]:
            self._resume_only()
            return
        if options["apply"]:
            self._check_apply_allowed(yes=options["yes"], stdin=stdin)
        plan = self._plan(options)
        if not options["apply"]:
            self.stdout.write(
                self.style.NOTICE("Dry run: nothing changed. Add --apply to move these files.")
            )
            return
        if not plan.files and not plan.pending:
            self.stdout.write("Nothing to do.")
            return
        if not options["yes"]:
            self._confirm(plan, stdin=stdin)
        self._apply(plan)

    def _resume_only(self) -> None:
        resumed = self._run(dedupe_resume)
        self._resume_report(resumed)
        if not resumed.settled:
            self.stdout.write("no interrupted run to finish")

    def _check_apply_allowed(self, *, yes: bool, stdin) -> None:
        if not library_roots():
            raise CommandError(
                "dedupe --apply needs MUSICQUALITY_LIBRARY_ROOTS (your music folders, "
                "separated by ':'): no file outside them is ever moved"
            )
        if not yes and not stdin.isatty():
            raise CommandError(
                "dedupe --apply asks for confirmation on a terminal: add --yes to confirm "
                "without one"
            )

    def _plan(self, options) -> DedupePlan:
        """Find the groups (a progress bar over the full-content comparisons) and list them."""
        hashing = ProgressBar(self.stdout, label="Comparing", unit="full-content comparisons")
        plan = self._run(
            dedupe_plan,
            min_confidence=options["min_confidence"],
            prefer=prefer_dirs(options),
            max_duration_delta=options["max_duration_delta"],
            on_compared=hashing.advance,
        )
        hashing.close()
        for group in plan.groups:
            for line in group_lines(group):
                self.stdout.write(line)
        below = plan.report.files - plan.files
        self.stdout.write(
            f"{len(plan.groups)} groups, {plan.files} files to move into quarantine, "
            f"{size_text(plan.bytes_reclaimable)}"
            + (
                f" ({below} more below confidence {plan.min_confidence:g}: see find_duplicates)"
                if below
                else ""
            )
        )
        if plan.pending:
            self.stdout.write(
                self.style.WARNING(
                    f"{plan.pending} files of an interrupted run are pending: --apply (or "
                    "--resume) finishes them first"
                )
            )
        return plan

    def _confirm(self, plan: DedupePlan, *, stdin) -> None:
        self.confirm_or_stop(
            f"Move {plan.files} files ({size_text(plan.bytes_reclaimable)}) into "
            f"{quarantine_dir()}?",
            stdin=stdin,
        )

    def _apply(self, plan: DedupePlan) -> None:
        progress = ProgressBar(self.stdout, label="Quarantining", total=plan.files)
        result = self._run(dedupe_apply, groups=plan.groups, on_file=progress.advance)
        progress.close()
        self._resume_report(result.resumed)
        for outcome in result.skipped:
            self.stdout.write(
                self.style.WARNING(
                    f"skipped {printable(outcome.removal.candidate.file_path)}: "
                    f"{printable(outcome.detail)}"
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"session {result.session_id}: {len(result.quarantined)} files moved into "
                f"{quarantine_dir()} ({size_text(result.bytes_freed)} freed), "
                f"{len(result.skipped)} skipped. Undo with "
                f"`manage.py recover --session {result.session_id}`."
            )
        )

    def _run(self, service, **kwargs):
        try:
            return service(**kwargs)
        except DedupRefused as error:
            raise CommandError(str(error)) from None

    def _resume_report(self, resumed: ResumeResult) -> None:
        for history, settled in resumed.settled:
            self.stdout.write(f"interrupted run: {printable(history.file_path)}: {settled}")
        if resumed.settled:
            counts = ", ".join(
                f"{resumed.count(outcome)} {outcome}"
                for outcome in Settled
                if resumed.count(outcome)
            )
            self.stdout.write(self.style.SUCCESS(f"interrupted run settled: {counts}"))
