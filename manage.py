#!/usr/bin/env python
"""Django's command-line utility for musicquality."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicquality.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    settings_given = any(arg.split("=")[0] == "--settings" for arg in sys.argv[1:])
    if not settings_given:  # (with --settings, Django reads that module itself)
        try:
            settings.INSTALLED_APPS  # noqa: B018 (reads the settings: their errors name the fix)
        except ImproperlyConfigured as error:
            # Django would print a traceback (or, for `help`, list only its own commands).
            sys.stderr.write(f"{os.path.basename(sys.argv[0])}: {error}\n")
            sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
