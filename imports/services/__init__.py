"""Writes of the imports app: vetting a folder (``vetting``) and applying a vetting (``apply``)."""
