"""WSGI entry point: ``gunicorn -c python:musicquality.gunicorn_config musicquality.wsgi``.

``runserver`` loads it too (``WSGI_APPLICATION``). A server whose pages would all fail for
want of collected static files does not start (``musicquality.staticfiles``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicquality.settings")
application = get_wsgi_application()

from musicquality.staticfiles import static_files_check  # noqa: E402 (needs Django set up)

static_files_check()
