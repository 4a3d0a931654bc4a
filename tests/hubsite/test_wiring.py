"""How the rooms meet: dependencies point one way, and the shared layout links every room."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import SeriesFactory

ROOMS = ["hubsite", "researchers", "projects", "events", "visits"]  # lowest first


def upward_imports(room: str) -> list[str]:
    """Every `import` in `room` of a room above it, as "file: module"."""
    higher = set(ROOMS[ROOMS.index(room) + 1 :])
    found = []
    for path in sorted((Path(settings.BASE_DIR) / room).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            found += [f"{path.name}: {m}" for m in modules if m.split(".")[0] in higher]
    return found


@pytest.mark.parametrize("room", ROOMS[:-1])
def test_a_lower_room_never_imports_a_higher_one(room):
    assert upward_imports(room) == []


@pytest.mark.django_db
def test_main_navigation_links_projects_and_marks_the_current_page(client):
    html = client.get("/projects/").content.decode()
    assert '<li><a href="/projects/" aria-current="page">Projects</a></li>' in html
    html = client.get("/partners/").content.decode()
    assert '<li><a href="/projects/">Projects</a></li>' in html


@pytest.mark.django_db
def test_series_page_links_to_the_email_subscription(client):
    series = SeriesFactory(slug="scaling")
    html = client.get(series.get_absolute_url()).content.decode()
    assert (
        '<p><a class="button secondary" href="/subscriptions/series/scaling/">Subscribe by e-mail</a></p>'
        in html
    )
