"""The work of the quality app: reading files (audio, tags), scanning, analysis, demo data."""
