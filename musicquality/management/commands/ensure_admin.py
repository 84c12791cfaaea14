from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from musicquality.services import admin_account_ensure, admin_password_load_or_create


class Command(BaseCommand):
    help = (
        "Create a local superuser for the web interface, or reset it, with the password kept "
        "in --password-file (generated on first use). Idempotent: used by `make demo`. "
        "For your own account, use `manage.py createsuperuser`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--password-file",
            type=Path,
            required=True,
            help="file holding the password; created (mode 600) with a random one if missing",
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="where to tell the user to log in"
        )

    def handle(self, *args, username, password_file, url, **options):
        if not username.strip():
            raise CommandError("--username is empty: give a user name, e.g. --username admin")
        try:
            password = admin_password_load_or_create(path=password_file)
        except OSError as error:
            raise CommandError(
                f"password file {password_file}: {error.strerror}; choose a writable path"
            ) from None
        account = admin_account_ensure(username=username, password=password)
        verb = "Created" if account.created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} the admin account {account.username!r}."))
        self.stdout.write(
            f"Log in at {url} with user {account.username!r} and password {account.password!r}"
            f" (kept in {password_file})."
        )
