"""Monitoring: what is measured, where it is kept, how the alerts are decided.

The report's key metrics and alerts (docs/report.md, §10.3; docs/monitoring.md) are measured
where they happen, here in the base so that the base itself (``migrate``) and every app can
record them: library query timings (:mod:`.timing`, :mod:`.middleware`), migration outcomes
and run throughput (:mod:`.services`, :mod:`.runs`), library size and backlog samples. They
are kept in the app database (the ``default`` alias, models in :mod:`musicquality.models`),
never in the user's music database. :mod:`.rules` holds the alert rules and the quantile
arithmetic as pure functions; :mod:`.selectors` reads the series back; :mod:`.exposition`
writes them in Prometheus' text format.
"""
