import json

from django.core.management.base import CommandError

from jobs.models import FILE_MOVING_KINDS, JobKind, JobStatus, RequestedVia
from jobs.selectors import job_get
from jobs.services.kinds import JobRefused, job_arguments_clean
from jobs.services.queue import job_create
from jobs.services.run import job_execute
from musicquality.commands import LibraryCommand, printable
from musicquality.progress import ProgressBar


class Command(LibraryCommand):
    help = (
        "Run a background job now, in this process, exactly as the worker would (it shows on "
        "the Jobs page), or hand it to the worker with --queue. Kinds that move files "
        "(dedupe, recover) are a dry run without --apply."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=JobKind.values, help="what to do")
        parser.add_argument(
            "--json",
            dest="arguments",
            default="{}",
            metavar="OBJECT",
            help="the job's arguments, as the API takes them: '{\"min_confidence\": 1.0}'",
        )
        parser.add_argument(
            "--apply", action="store_true", help="really move files (dedupe, recover)"
        )
        parser.add_argument(
            "--queue", action="store_true", help="queue it for the worker instead of running it"
        )

    def handle(self, *args, **options):
        kind = options["kind"]
        try:
            arguments = json.loads(options["arguments"])
        except json.JSONDecodeError as error:
            raise CommandError(f"--json {options['arguments']!r}: not JSON ({error})") from None
        moves_files = kind in FILE_MOVING_KINDS
        try:
            if moves_files and not options["apply"]:
                # Checked as if for real, then nothing is made.
                cleaned = job_arguments_clean(kind=kind, arguments=arguments)
                self.stdout.write(
                    self.style.NOTICE(
                        f"Dry run: nothing changed. A {kind} job with {json.dumps(cleaned)} "
                        f"would move files: add --apply (`manage.py {kind}` shows the plan)."
                    )
                )
                return
            job = job_create(
                kind=kind, arguments=arguments, via=RequestedVia.COMMAND, enqueue=options["queue"]
            )
        except JobRefused as error:
            raise CommandError(str(error)) from None
        if options["queue"]:
            self.stdout.write(f"job #{job.pk} queued: the worker (manage.py run_huey) runs it")
            return
        bar = ProgressBar(self.stdout, label=f"Job #{job.pk} {kind}")
        job_execute(job_id=job.pk, listener=bar.update)
        bar.close()
        job = job_get(job_id=job.pk)
        assert job is not None
        text = f"job #{job.pk} {kind}: {job.status}: {printable(job.message)}"
        if job.status != JobStatus.DONE:
            raise CommandError(text)
        self.stdout.write(self.style.SUCCESS(text))
