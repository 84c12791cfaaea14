import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from musicquality.commands import LibraryCommand
from upgrades.models import UserAction, validate_user_action
from upgrades.services import upgrade_candidates_export


class Command(LibraryCommand):
    help = (
        "Write the upgrade candidates with one decision (default approved) as CSV, highest "
        "priority first: artist, title, album, ISRC, service, current format and bitrate, "
        "priority. The shopping list."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--action",
            default=UserAction.APPROVED.value,
            help=f"which candidates: one of {', '.join(UserAction.values)} (default approved)",
        )
        parser.add_argument(
            "--csv",
            required=True,
            metavar="FILE",
            help="where to write the CSV (replaced if it exists); - for standard output",
        )

    def handle(self, *args, **options):
        action = options["action"]
        try:
            validate_user_action(action)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        if options["csv"] == "-":
            upgrade_candidates_export(user_action=action, out=self.stdout)
            return
        target = Path(options["csv"]).expanduser()
        if not target.parent.is_dir():
            raise CommandError(f"{target}: folder {target.parent} does not exist; create it first")
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                count = upgrade_candidates_export(user_action=action, out=handle)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} {action} candidates to {target}"))
