import csv
import io
import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper

from dedup.models import DeletedBy
from dedup.services.dedupe import ResumeResult
from imports.rules import REJECTED_VERDICTS, TemplateError, Verdict, template_check
from imports.services.apply import (
    ApplyOutcome,
    ApplyRefused,
    ApplyResult,
    apply_targets_check,
    import_apply,
)
from imports.services.vetting import (
    VettingRefused,
    VettingReport,
    import_vet,
    import_vetting_save,
)
from musicquality.commands import LibraryCommand, printable
from musicquality.progress import ProgressBar

CSV_COLUMNS = (
    "path",
    "verdict",
    "library_match",
    "incoming_score",
    "library_score",
    "matched_by",
    "confidence",
    "replaces",
    "candidate_id",
    "duplicate_of",
    "file_format",
    "codec",
    "bitrate",
    "audio_verdict",
    "reason",
)


def score_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


class Command(LibraryCommand):
    help = (
        "Vet an import folder against the library: each audio file is new, a duplicate, an "
        "upgrade of the library's copy, or uncertain (read-only). With --apply --into DIR: new "
        "files move into DIR, upgrades beside the file they replace (which goes into "
        "quarantine, recoverable), duplicates and uncertain files stay (or go to --reject-dir)."
    )
    requires_schema_v2 = True
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("folder", metavar="FOLDER", help="the folder to vet")
        parser.add_argument(
            "--json", metavar="FILE", help="write the verdicts as JSON (- = stdout)"
        )
        parser.add_argument(
            "--csv", metavar="FILE", help="write one row per file as CSV (- = stdout)"
        )
        parser.add_argument(
            "--apply", action="store_true", help="really move files (default: read-only)"
        )
        parser.add_argument(
            "--into",
            metavar="DIR",
            help="where new files go (inside MUSICQUALITY_LIBRARY_ROOTS), at --template",
        )
        parser.add_argument(
            "--reject-dir",
            metavar="DIR",
            help="move duplicate and uncertain files to DIR/<verdict>/ (default: leave them)",
        )
        parser.add_argument(
            "--template",
            default=settings.IMPORT_PATH_TEMPLATE,
            help="sub-path of a new file under --into (default: %(default)s; fields {artist} "
            "{album} {title} {year} {filename} {ext})",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--workers", type=int, default=None, help="decoding processes (default: all cores)"
        )

    def handle(self, *args, **options):
        stdin = options.get("stdin") or sys.stdin
        folder = Path(options["folder"])
        into = Path(options["into"]) if options["into"] else None
        reject_dir = Path(options["reject_dir"]) if options["reject_dir"] else None
        try:
            template_check(options["template"])
        except TemplateError as error:
            raise CommandError(str(error)) from None
        if options["apply"]:
            if not options["yes"] and not stdin.isatty():
                raise CommandError(
                    "vet_import --apply asks for confirmation on a terminal: add --yes to "
                    "confirm without one"
                )
            self._targets(
                folder, into, reject_dir, options["template"], needs_into=into is not None
            )
        # with --json - or --csv -, stdout is the export: the rest goes elsewhere or nowhere
        exported = "-" in (options["json"], options["csv"])
        progress = ProgressBar(self.stdout, label="Vetting")
        try:
            report = import_vet(folder=folder, workers=options["workers"], progress=progress.update)
        except VettingRefused as error:
            raise CommandError(str(error)) from None
        finally:
            progress.close()
        self._exports(report, options)
        if not exported:
            self._table(report)
        if not options["apply"]:
            if not exported:
                self.stdout.write(
                    self.style.NOTICE(
                        "Read-only: nothing moved. Add --apply --into DIR to import (new files "
                        "into DIR, upgrades beside the files they replace)."
                    )
                )
            return
        needs_into = bool(report.of_verdict(Verdict.NEW))
        into, reject_dir = self._targets(
            folder, into, reject_dir, options["template"], needs_into=needs_into
        )
        if not options["yes"]:
            self._confirm(report, reject_dir=reject_dir, stdin=stdin)
        vetting = import_vetting_save(report=report, started_by="vet_import")
        moving = ProgressBar(self.stdout, label="Applying", total=len(report.files))
        try:
            result = import_apply(
                vetting_id=vetting.pk,
                into=into,
                reject_dir=reject_dir,
                template=options["template"],
                verifications={
                    file.path: file.incoming.verified
                    for file in report.files
                    if file.incoming.verified is not None
                },
                deleted_by=DeletedBy.SYSTEM,
                on_file=moving.advance,
            )
        except ApplyRefused as error:
            raise CommandError(str(error)) from None
        finally:
            moving.close()
        self._applied(result, out=self.stderr if exported else self.stdout)

    def _targets(self, folder, into, reject_dir, template, *, needs_into):
        try:
            return apply_targets_check(
                folder=folder,
                into=into,
                reject_dir=reject_dir,
                needs_into=needs_into,
                template=template,
            )
        except ApplyRefused as error:
            raise CommandError(str(error)) from None

    def _exports(self, report: VettingReport, options) -> None:
        data = report.as_dict()
        if options["json"]:
            self.export_write(options["json"], json.dumps(data, indent=2) + "\n")
        if options["csv"]:
            buffer = io.StringIO()
            writer = csv.DictWriter(
                buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(data["files"])
            self.export_write(options["csv"], buffer.getvalue())

    def _table(self, report: VettingReport) -> None:
        out = self.stdout
        width = max((len(printable(Path(f.path).name)) for f in report.files), default=10)
        width = min(max(width, 10), 50)
        out.write(f"{'verdict':<10} {'file':<{width}} {'score':>6} {'library':>7}  library copy")
        for file in report.files:
            name = printable(Path(file.path).name)
            name = name if len(name) <= width else name[: width - 1] + "…"
            style = {
                Verdict.NEW: self.style.SUCCESS,
                Verdict.UPGRADE: self.style.SUCCESS,
                Verdict.UNCERTAIN: self.style.WARNING,
            }.get(Verdict(file.verdict), str)
            out.write(
                style(
                    f"{file.verdict:<10} {name:<{width}} {score_text(file.incoming_score):>6} "
                    f"{score_text(file.library_score):>7}  {printable(file.library_match or '')}"
                )
            )
            out.write(f"           {printable(file.reason)}")
        for path, problem in report.problems:
            out.write(self.style.WARNING(f"  not vetted: {printable(path)}: {printable(problem)}"))
        if report.fingerprints_unavailable:
            out.write(self.style.WARNING(f"no fingerprints: {report.fingerprints_unavailable}"))
        if report.library_unverified:
            out.write(
                self.style.WARNING(
                    f"{report.library_unverified} library files are not verified yet: their "
                    "matches rest on tags alone (run verify_audio)"
                )
            )
        totals = report.totals
        out.write(
            self.style.SUCCESS(
                f"{totals.files} files vetted in {report.seconds:.1f} s: {totals.new} new, "
                f"{totals.duplicate} duplicate, {totals.upgrade} upgrade, {totals.uncertain} "
                f"uncertain" + (f"; {len(report.problems)} not audio" if report.problems else "")
            )
        )

    def _confirm(self, report: VettingReport, *, reject_dir, stdin) -> None:
        totals = report.totals
        rejected = sum(len(report.of_verdict(v)) for v in REJECTED_VERDICTS)
        where = f", {rejected} to {reject_dir}" if reject_dir else ""
        self.confirm_or_stop(
            f"Import {totals.new} new files, replace {totals.upgrade} library files (moved into "
            f"quarantine){where}?",
            stdin=stdin,
        )

    def _resumed(
        self, history: ResumeResult, imports: list[ApplyOutcome], *, out: OutputWrapper
    ) -> None:
        for row, settled in history.settled:
            out.write(f"interrupted run: {printable(row.file_path)}: {settled}")
        for outcome in imports:
            out.write(
                f"interrupted import: {printable(outcome.path)}: {outcome.action}: "
                f"{printable(outcome.detail)}"
            )

    def _applied(self, result: ApplyResult, *, out: OutputWrapper) -> None:
        self._resumed(result.resumed_history, result.resumed, out=out)
        for outcome in result.outcomes:
            line = f"{outcome.action:<9} {printable(outcome.path)}: {printable(outcome.detail)}"
            bad = outcome.action in ("skipped", "failed")
            out.write(self.style.WARNING(line) if bad else line)
        counts = ", ".join(
            f"{result.count(action)} {action}"
            for action in ("imported", "replaced", "rejected", "left", "skipped", "failed")
            if result.count(action)
        )
        out.write(
            self.style.SUCCESS(
                f"applied ({counts or 'nothing to do'}); session {result.session_id}. Replaced "
                f"files are in quarantine: `manage.py recover --session {result.session_id}` "
                "undoes that."
            )
        )
