from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
from musicquality.monitoring.rules import RunKind
from musicquality.monitoring.runs import run_measured
from musicquality.progress import ProgressBar
from quality.services.verification import audio_verify_all
from quality.versions import VERIFIER_VERSION


class Command(LibraryCommand):
    help = (
        "Decode every active library file once and check what its audio really is: intact or "
        "damaged (decode errors, truncation, FLAC MD5), made from a lossy source (spectral "
        "wall), upsampled, padded to more bits. Writes audio_verification rows and the "
        "effective score. A file is verified again when it changed or the verifier changed; "
        "Ctrl-C stops cleanly, the next run resumes."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers", type=int, default=None, help="processes decoding (default: all cores)"
        )
        parser.add_argument("--force", action="store_true", help="verify every file again")
        parser.add_argument(
            "--path", dest="path_prefix", default=None, metavar="PREFIX",
            help="only files whose path starts with PREFIX",
        )  # fmt: skip
        parser.add_argument("--limit", type=int, default=None, help="verify at most N files")

    def handle(self, *args, **options):
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        bar = ProgressBar(self.stdout, label="Verifying")
        with run_measured(kind=RunKind.VERIFY) as run:
            result = audio_verify_all(
                workers=options["workers"],
                force=options["force"],
                path_prefix=options["path_prefix"],
                limit=options["limit"],
                progress=bar.update,
            )
            run.files = result.files_handled
        bar.close()
        per_core = result.audio_seconds_per_second / max(result.workers, 1)
        self.stdout.write(
            f"{result.summary}; {result.files_per_second:,.1f} files/s, "
            f"{result.audio_seconds_per_second:,.0f} s "
            f"of audio per second ({per_core:,.0f} per core) in {result.seconds:.1f} s "
            f"[verifier {VERIFIER_VERSION}]"
        )
        if result.interrupted:
            raise CommandError(
                f"interrupted: {result.verified} verified files were committed; run the "
                "command again to carry on where it stopped",
                returncode=130,
            )
        self.stdout.write(self.style.SUCCESS("Done."))
