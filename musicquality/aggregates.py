"""SQL aggregates shared by the apps."""

from django.db.models import Aggregate, FloatField


class Total(Aggregate):
    """SQLite's ``total()``: the sum as a float, 0.0 over no rows.

    ``SUM`` of integers raises "integer overflow" past 2**63 (one ``file_size`` of
    9223372036854775807 written by another tool is enough, and the page answers 500);
    ``total()`` never does. Sizes are shown rounded, so a float's 53 bits are plenty.
    """

    function = "TOTAL"
    output_field = FloatField()
