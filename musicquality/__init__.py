"""musicquality: a Django application over a Music Tools library database."""

from musicquality.forking import fork_gc_guard_install

__version__ = "0.1.0"

fork_gc_guard_install()
