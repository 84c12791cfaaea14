"""Guard test: our plain row checkbox is the HTML Django's ``ModelAdmin.action_checkbox``
renders (Django pinned ``<5.3`` in pyproject.toml; a release that changes it fails here)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth.models import Group
from django.test.html import parse_html

from musicquality.admin_list import PlainActionCheckboxMixin


@dataclass
class Row:
    pk: int
    name: str

    def __str__(self) -> str:
        return self.name


class Plain(PlainActionCheckboxMixin, admin.ModelAdmin):
    pass


def test_the_plain_checkbox_is_django_s_html():
    site = admin.AdminSite()
    django_admin, ours = admin.ModelAdmin(Group, site), Plain(Group, site)
    for row in (Row(7, "Song"), Row(123456, 'AC/DC <live> & "friends" \'77'), Row(3, "日本")):
        expected = django_admin.action_checkbox(row)
        got = ours.action_checkbox(row)
        assert parse_html(got) == parse_html(expected), (got, expected)
        assert 'name="_selected_action"' in got and f'value="{row.pk}"' in got
