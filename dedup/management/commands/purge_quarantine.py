import argparse
import datetime
import re

from django.core.management.base import CommandError

from dedup.reports import size_text
from dedup.services.files import DedupRefused
from dedup.services.purge import quarantine_purge
from musicquality.commands import LibraryCommand, printable

AGE_PATTERN = re.compile(r"^(\d+)\s*([hdw]?)$")
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks", "": "days"}


def age(value: str) -> datetime.timedelta:
    """``30d``, ``12h``, ``2w``: an age whose cut-off (now minus the age) is a real date."""
    match = AGE_PATTERN.match(value.strip().lower())
    if not match:
        raise ValueError(value)
    number, unit = match.groups()
    try:
        delta = datetime.timedelta(**{AGE_UNITS[unit]: int(number)})
        datetime.datetime.now(datetime.UTC) - delta
    except OverflowError:
        raise argparse.ArgumentTypeError(
            f"{value!r} reaches before year 1: give a shorter age, e.g. 3650d"
        ) from None
    return delta


class Command(LibraryCommand):
    help = (
        "Delete for good the quarantined files moved more than --older-than ago (a dry run "
        "unless --apply). Their dedup_history rows stay, with a note."
    )
    requires_schema_v2 = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=age,
            default="30d",
            metavar="AGE",
            help="e.g. 30d, 12h, 2w (default: %(default)s)",
        )
        parser.add_argument("--apply", action="store_true", help="really delete (default: dry run)")

    def handle(self, *args, **options):
        try:
            items = quarantine_purge(older_than=options["older_than"], apply=options["apply"])
        except DedupRefused as error:
            raise CommandError(str(error)) from None
        for item in items:
            self.stdout.write(
                f"#{item.history.id} {printable(item.path)} ({size_text(item.size)}): "
                f"{printable(item.detail)}"
            )
        deleting = [item for item in items if item.deletes]
        total = sum(item.size for item in deleting)
        if options["apply"]:
            purged = sum(1 for item in items if item.purged)
            self.stdout.write(
                self.style.SUCCESS(f"{purged} files purged, {size_text(total)} freed for good")
            )
        else:
            self.stdout.write(
                self.style.NOTICE(
                    f"Dry run: {len(deleting)} files ({size_text(total)}) would be deleted for "
                    "good. Add --apply to delete them."
                )
            )
