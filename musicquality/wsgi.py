"""WSGI entry point: ``gunicorn -c python:musicquality.gunicorn_config musicquality.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicquality.settings")
application = get_wsgi_application()
