"""The API's pages: the same limits as every list of the app (``musicquality.tables``).

``?per_page=`` from 1 to :data:`~musicquality.tables.MAX_PER_PAGE` (anything else is the
default, 50), and ``?page=`` past either end (or not a number) is the nearest page, as on
the pages, instead of REST framework's 404.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

from musicquality.tables import MAX_PER_PAGE, AppPaginator

API_PER_PAGE = 50


class ApiPagination(PageNumberPagination):
    django_paginator_class = AppPaginator
    page_size = API_PER_PAGE
    page_size_query_param = "per_page"
    max_page_size = MAX_PER_PAGE
