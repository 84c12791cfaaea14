"""Writes (and filesystem work) for duplicates: find, dedupe/resume, recover, purge."""
