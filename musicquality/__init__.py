"""musicquality: a Django application over a Music Tools library database."""

__version__ = "0.1.0"
