import pytest
from django.conf import settings
from django.test import Client

from tests.factories import MemberFactory, ProjectFactory, ProjectMemberFactory, VisitorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOWN = "els => els.filter(e => !e.hidden && !e.parentElement.hidden).map(e => e.textContent)"


@pytest.fixture
def page_data():
    ana, ben = MemberFactory(name="Ana Host"), MemberFactory(name="Ben Host")
    ProjectFactory(title="Alpha", lead=ana)
    ProjectMemberFactory(project=ProjectFactory(title="Beta", lead=ben), researcher=ana)
    client = Client()
    client.force_login(VisitorFactory().user)
    return {"ana": ana, "ben": ben, "session": client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_the_project_list_follows_the_chosen_host(live_server, page_data, make_page):
    page = make_page()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": page_data["session"], "url": live_server.url}]
    )
    page.goto(live_server.url + "/visits/new/")
    everyone = ["No project (or not listed)", "Alpha", "Beta", "Beta"]
    assert page.eval_on_selector_all("#id_project option", SHOWN) == everyone
    page.select_option("#id_host", str(page_data["ana"].pk))
    assert page.eval_on_selector_all("#id_project option", SHOWN) == [
        "No project (or not listed)",
        "Alpha",
        "Beta",
    ]
    page.select_option("#id_project", label="Alpha")
    page.select_option("#id_host", str(page_data["ben"].pk))
    assert page.eval_on_selector_all("#id_project option", SHOWN) == ["No project (or not listed)", "Beta"]
    assert page.input_value("#id_project") == ""
