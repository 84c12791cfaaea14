"""Writes of the job queue: asking for jobs and cancelling them (``queue``), running them in
the worker (``run``), and what each kind of job does (``kinds``)."""
