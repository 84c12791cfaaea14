"""The layers run one way (docs/architecture.md, "Layers"), read from the import statements.

    musicquality/   the base: settings, router, library connection, schema, shared helpers
    quality/        library files, analysis, score            (uses the base)
    dedup/          duplicates, quarantine, recovery          (uses quality)
    upgrades/       upgrade candidates, triage                (uses quality)
    imports/        import folders vetted and applied         (uses quality, dedup, upgrades)
    overview/       pages across the apps                     (uses the music apps)
    jobs/           background jobs, their pages              (uses the music apps)
    api/            the JSON API                              (uses all; nothing uses it)

An app uses another only through its public surface: ``models`` (relations, choices),
``selectors`` (reads), ``services`` (writes) and its pure rule modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BASE = "musicquality"
APPS = ("quality", "dedup", "upgrades", "imports", "overview", "jobs", "api")
#: Which apps each may import (the base is open to all).
MAY_USE = {
    "quality": set(),
    "dedup": {"quality"},
    "upgrades": {"quality"},
    "imports": {"quality", "dedup", "upgrades"},
    "overview": {"quality", "dedup", "upgrades", "imports"},
    "jobs": {"quality", "dedup", "upgrades", "imports"},
    "api": {"quality", "dedup", "upgrades", "imports", "overview", "jobs"},
}
PUBLIC = {
    "quality": {
        "models",
        "selectors",
        "services",
        "score",
        "hashing",
        "distribution",
        "versions",
        "filters",
        "recordings",
        "summary",
        "badges",
    },
    "dedup": {"models", "selectors", "services", "rules", "reports"},
    "upgrades": {"models", "selectors", "services", "rules", "filters"},
    "imports": {"models", "selectors", "services", "rules"},
    "overview": {"selectors"},
    "jobs": {"models", "selectors", "services", "rules"},
    "api": set(),
}


def imports_of(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
            elif isinstance(node, ast.Import):
                found.extend((path, alias.name) for alias in node.names)
    return found


def test_the_base_imports_no_app():
    leaks = [
        f"{path.relative_to(REPO_ROOT)}: {module}"
        for path, module in imports_of(BASE)
        if module.split(".")[0] in APPS
    ]
    assert leaks == []


@pytest.mark.parametrize("app", APPS)
def test_apps_use_each_other_one_way_through_their_public_surface(app):
    wrong = []
    for path, module in imports_of(app):
        parts = module.split(".")
        other = parts[0]
        if other not in APPS or other == app:
            continue
        where = f"{path.relative_to(REPO_ROOT)}: {module}"
        if other not in MAY_USE[app]:
            wrong.append(f"{where} ({app} may not use {other})")
        elif len(parts) < 2 or parts[1] not in PUBLIC[other]:
            wrong.append(f"{where} (not {other}'s public surface)")
    assert wrong == []


def test_bench_imports_no_test_helpers():
    assert [m for _, m in imports_of("bench") if m.split(".")[0] == "tests"] == []


def _alias_spellings(path: Path) -> list[str]:
    """Where a module names a database alias by its text: a ``using=``/``database=``
    argument, a subscript (``connections[...]``, ``DATABASES[...]``), a comparison or a
    module-level constant holding ``"library"`` or ``"default"``."""
    aliases = {"library", "default"}
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def is_alias(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and node.value in aliases

    found = []
    for node in ast.walk(tree):
        spelled = None
        if isinstance(node, ast.keyword) and node.arg in {"using", "database"}:
            spelled = node.value if is_alias(node.value) else None
        elif isinstance(node, ast.Subscript) and is_alias(node.slice):
            spelled = node.slice
        elif isinstance(node, ast.Compare):
            spelled = next((c for c in [node.left, *node.comparators] if is_alias(c)), None)
        elif isinstance(node, ast.Assign) and node in tree.body and is_alias(node.value):
            spelled = node.value
        if spelled is not None:
            found.append(f"{path.relative_to(REPO_ROOT)}:{spelled.lineno}")
    return found


def test_the_database_aliases_are_spelled_once():
    """``musicquality.routers`` names them (LIBRARY_DB_ALIAS, APP_DB_ALIAS); every app
    module imports those, so renaming an alias is one edit."""
    spelled = [
        where
        for package in (BASE, *APPS)
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if path != REPO_ROOT / BASE / "routers.py" and "migrations" not in path.parts
        for where in _alias_spellings(path)
    ]
    assert spelled == []
