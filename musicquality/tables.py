"""The base of every table in the app: django-tables2, with the body rendered in Python.

django-tables2's template renders each cell through the template engine (the cell's ``td``
attributes are rebuilt and its localisation tested for every cell) and inspects the signature
of the column's render function for every cell. Together that cost more than the page's
queries (bench/RESULTS.md, "Pages"). ``AppTable`` keeps everything else from
django-tables2 (columns, accessors, ``render_*`` methods, ``linkify``, sorting, headers,
pagination) and writes the ``<tbody>`` in one loop, building each column's ``td`` attributes
once and reading each render function's parameters once. ``tests/musicquality/test_tables.py``
checks that every table of the app renders the same body both ways.

A column's ``td`` attributes must therefore not be callables of the record.
"""

from __future__ import annotations

from collections.abc import Callable

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.data import TableData, TableListData
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.utils import signature

# Render function -> the parameters it takes, or None when it takes **kwargs.
_render_parameters: dict[Callable, tuple[str, ...] | None] = {}


def _parameters(render: Callable) -> tuple[str, ...] | None:
    key = getattr(render, "__func__", render)
    if key not in _render_parameters:
        names, catch_all = signature(render)
        _render_parameters[key] = None if catch_all else names
    return _render_parameters[key]


class _Row(BoundRow):
    """django-tables2's row, calling render functions as it does (only the arguments they
    name, or none of them when one is missing) without inspecting them for every cell."""

    def _call_render(self, bound_column, value=None):
        render_kwargs = self._optional_cell_arguments(bound_column, value)
        wanted = _parameters(bound_column.render)
        if wanted is None:
            content = bound_column.render(**render_kwargs)
        elif all(name in render_kwargs for name in wanted):
            content = bound_column.render(**{name: render_kwargs[name] for name in wanted})
        else:
            content = None
        return bound_column.link(content, **render_kwargs) if bound_column.link else content


#: The page sizes a list offers (the first is the default).
PAGE_SIZES = (50, 100)
DEFAULT_PER_PAGE = PAGE_SIZES[0]
MAX_PER_PAGE = PAGE_SIZES[-1]
"""The largest page a list shows, whatever ``?per_page=`` asks for."""


def per_page_from(value: str | None) -> int:
    """``?per_page=``: 1 to :data:`MAX_PER_PAGE`, the default for anything else."""
    try:
        number = int(value or "")
    except ValueError:
        return DEFAULT_PER_PAGE
    return min(number, MAX_PER_PAGE) if number >= 1 else DEFAULT_PER_PAGE


COUNT_CAP = 5000
"""Rows a list counts at most before it says "more than" (plus those up to the page after
the one asked for): counting every row of a filter that no index answers grows with the
library (bench/RESULTS.md, "Pages at 500,000 files")."""


#: The largest LIMIT a count may ask SQLite for (its integers are 64-bit).
SQLITE_LIMIT_MAX = 2**62


class AppPaginator(Paginator):
    """A paginator that takes any page size and page number from a query string without
    failing: a size below 1 is the table's default, one above :data:`MAX_PER_PAGE` is cut
    to it, and a page past either end is the nearest page.

    A queryset (or anything with ``count_upto(limit)``) is counted no further than
    :data:`COUNT_CAP` rows or the page after the one asked for, whichever is more:
    :attr:`count_capped` then says the count is a lower bound (:attr:`count_text`: "more
    than 5,000"), and the last page number offered is the next page, so *Next* always
    leads on."""

    def __init__(self, object_list, per_page, *args, default_per_page: int = 25, **kwargs):
        size = per_page if per_page and per_page >= 1 else default_per_page
        super().__init__(object_list, min(size, MAX_PER_PAGE), *args, **kwargs)
        self.count_capped = False
        self._asked = 1

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            number = 1
        self._asked = max(number, 1)
        return min(max(number, 1), self.num_pages)

    @cached_property
    def count(self) -> int:
        source = self.object_list
        if isinstance(source, BoundRows):  # a table's rows: what they are made of
            source = source.data
        if isinstance(source, TableData):
            source = source.data
        counter = getattr(source, "count_upto", None)
        if counter is None and isinstance(source, QuerySet):
            queryset = source
            counter = lambda limit: queryset[:limit].count()  # noqa: E731
        if counter is None:
            return super().count
        # a page number past SQLite's integers (a hostile query string) counts everything
        bound = max(COUNT_CAP, min((self._asked + 1) * self.per_page, SQLITE_LIMIT_MAX))
        found = counter(bound + 1)
        self.count_capped = found > bound
        return found

    @property
    def count_text(self) -> str:
        """The count as a page shows it."""
        if self.count_capped:
            return f"more than {self.count - 1:,}"
        return f"{self.count:,}"


class AppTable(tables.Table):
    class Meta:
        template_name = "musicquality/table.html"

    def paginate(self, paginator_class=AppPaginator, per_page=None, page=1, *args, **kwargs):
        """django-tables2's pagination, always through :class:`AppPaginator`."""
        if not issubclass(paginator_class, AppPaginator):
            paginator_class = AppPaginator
        kwargs.setdefault("default_per_page", self._meta.per_page)
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def tbody_rows_html(self) -> SafeString:
        """The ``<tr>`` rows of the current page, or the empty text as django-tables2 has it."""
        columns = list(self.columns)
        context = Context(autoescape=True)
        td_attrs = [column.attrs["td"].as_html() for column in columns]
        rows = []
        for record in self.paginated_rows.data:
            row = _Row(record, table=self)
            cells = "".join(
                f"<td {attrs}>{render_value_in_context(row.get_cell(column.name), context)}</td>"
                for column, attrs in zip(columns, td_attrs, strict=True)
            )
            rows.append(f"<tr {row.attrs.as_html()}>{cells}</tr>")
        if not rows and self.empty_text:
            return format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), self.empty_text)
        return mark_safe("\n".join(rows))


class PresortedListData(TableListData):
    """Rows already in the requested order (a selector sorted them, through an index).

    django-tables2 would sort them again with its generic key, slowly (bench/RESULTS.md),
    and a page of a keyset walk (``musicquality.keyset``) must stay in the walk's order.
    """

    def order_by(self, aliases):
        pass
