"""Django's SQLite backend for the library database, which never creates the file."""
