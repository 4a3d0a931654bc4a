"""A stay can be part of one of its host's projects (visits.Visit.project, related_name "visits")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects.models import Project
from tests.factories import (
    MemberFactory,
    ProjectFactory,
    ProjectMemberFactory,
    VisitFactory,
    VisitorFactory,
)
from visits import services
from visits.forms import VisitForm
from visits.models import Visit

from .test_views import form_data, html

pytestmark = pytest.mark.django_db


def option_groups(form) -> list:
    """The project choices as (label, [titles]) for groups and (None, title) for plain options."""
    shown = []
    for value, label in form.fields["project"].widget.choices:
        if isinstance(label, list | tuple):
            shown.append((value, [title for _pk, title in label]))
        elif value != "":
            shown.append((None, label))
    return shown


@pytest.fixture
def hosts():
    ana = MemberFactory(name="Ana Host")
    ben = MemberFactory(name="Ben Host")
    ProjectFactory(title="Alpha", lead=ana)
    beta = ProjectFactory(title="Beta", lead=ben)
    ProjectMemberFactory(project=beta, researcher=ana)
    ProjectFactory(title="Gamma (done)", lead=ana, status=Project.Status.COMPLETED)
    ProjectFactory(title="Delta (private)", lead=ben, is_public=False)
    return ana, ben


def test_the_form_without_a_host_offers_active_projects_grouped_by_hub_member(hosts):
    visitor = VisitorFactory()
    form = VisitForm(researcher=visitor, user=visitor.user)
    assert option_groups(form) == [("Ana Host", ["Alpha", "Beta"]), ("Ben Host", ["Beta"])]
    assert form.fields["project"].widget.choices[0] == ("", "No project (or not listed)")


def test_grouped_project_options_say_whose_group_they_are_in_for_the_script(hosts):
    ana, ben = hosts
    visitor = VisitorFactory()
    rendered = str(VisitForm(researcher=visitor, user=visitor.user)["project"])
    alpha, beta = Project.objects.get(title="Alpha"), Project.objects.get(title="Beta")
    assert 'data-projects-by-host=""' in rendered
    assert '<optgroup label="Ana Host">' in rendered
    assert f'<option value="{alpha.pk}" data-host="{ana.pk}">Alpha</option>' in rendered
    assert f'<option value="{beta.pk}" data-host="{ana.pk}">Beta</option>' in rendered
    assert f'<option value="{beta.pk}" data-host="{ben.pk}">Beta</option>' in rendered


def test_after_check_desks_the_form_offers_only_the_chosen_hosts_projects(client, hosts, today):
    _ana, ben = hosts
    client.force_login(VisitorFactory().user)
    data = form_data(ben, today + dt.timedelta(days=9), today + dt.timedelta(days=12), check="1")
    response = client.post(reverse("visits:new"), data)
    assert option_groups(response.context["form"]) == [(None, "Beta")]
    page = html(response)
    assert "Alpha" not in page
    assert '<label for="id_project">Project</label>' in page


def test_a_private_project_is_offered_to_its_members_only(hosts):
    _ana, ben = hosts
    private_member = VisitorFactory()
    ProjectMemberFactory(project=Project.objects.get(title="Delta (private)"), researcher=private_member)
    form = VisitForm(researcher=private_member, user=private_member.user, initial={"host": str(ben.pk)})
    assert option_groups(form) == [(None, "Beta"), (None, "Delta (private)")]


def test_registering_a_stay_with_a_project_of_the_host(client, hosts, today):
    ana, _ben = hosts
    alpha = Project.objects.get(title="Alpha")
    visitor = VisitorFactory()
    client.force_login(visitor.user)
    data = form_data(ana, today + dt.timedelta(days=10), today + dt.timedelta(days=20), project=alpha.pk)
    response = client.post(reverse("visits:new"), data)
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.project == alpha
    page = html(client.get(response["Location"]))
    assert f'<dt>Project</dt><dd><a href="/projects/{alpha.slug}/">Alpha</a></dd>' in page


def test_registering_with_a_project_the_host_is_not_in_is_a_form_error(client, hosts, today):
    _ana, ben = hosts
    alpha = Project.objects.get(title="Alpha")
    client.force_login(VisitorFactory().user)
    data = form_data(ben, today + dt.timedelta(days=10), today + dt.timedelta(days=20), project=alpha.pk)
    response = client.post(reverse("visits:new"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["project"] == [
        "“Alpha” is not a project of Ben Host: choose one of your host's projects, or none."
    ]
    assert Visit.objects.count() == 0


def test_the_service_refuses_a_project_the_host_is_not_in(hosts, today):
    _ana, ben = hosts
    with pytest.raises(ValidationError) as error:
        services.visit_register(
            researcher=VisitorFactory(),
            host=ben,
            first_day=today + dt.timedelta(days=3),
            last_day=today + dt.timedelta(days=5),
            purpose="x",
            project=Project.objects.get(title="Alpha"),
        )
    assert error.value.messages == [
        "“Alpha” is not a project of Ben Host: choose one of your host's projects, or none."
    ]
    assert Visit.objects.count() == 0


def test_a_stay_without_a_project_is_fine(hosts, today):
    ana, _ben = hosts
    visit = services.visit_register(
        researcher=VisitorFactory(),
        host=ana,
        first_day=today + dt.timedelta(days=3),
        last_day=today + dt.timedelta(days=5),
        purpose="x",
    )
    assert visit.project is None


@pytest.mark.parametrize("count", [1, 12])
def test_the_stay_form_query_count_is_constant(client, django_assert_num_queries, count):
    visitor = VisitorFactory()
    for _ in range(count):
        ProjectMemberFactory(researcher=MemberFactory())
    client.force_login(visitor.user)
    client.get(reverse("visits:new"))
    # session, user, researcher, hosts, themes, projects grouped by hub member
    with django_assert_num_queries(6):
        assert client.get(reverse("visits:new")).status_code == 200


# --- admin ---------------------------------------------------------------------------------------


def test_the_stay_admin_lists_and_filters_by_project(admin_client, hosts):
    ana, _ben = hosts
    alpha = Project.objects.get(title="Alpha")
    VisitFactory(host=ana, project=alpha)
    VisitFactory(host=ana)
    response = admin_client.get(reverse("admin:visits_visit_changelist"), {"project__id__exact": alpha.pk})
    assert [v.project for v in response.context["cl"].result_list] == [alpha]


def test_the_stay_admin_refuses_a_project_the_host_is_not_in(admin_client, hosts):
    _ana, ben = hosts
    visit = VisitFactory(host=ben)
    url = reverse("admin:visits_visit_change", args=[visit.pk])
    form = admin_client.get(url).context["adminform"].form
    assert type(form.fields["project"].widget.widget).__name__ == "AutocompleteSelect"
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "project": Project.objects.get(title="Alpha").pk,
            "themes": [],
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
            "extensions-TOTAL_FORMS": "0",
            "extensions-INITIAL_FORMS": "0",
        }
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["project"] == [
        "“Alpha” is not a project of Ben Host: choose one of your host's projects, or none."
    ]
    visit.refresh_from_db()
    assert visit.project is None


# --- the seminar warning, one definition on the model -------------------------------------------


def test_seminar_outside_stay_warning_is_empty_within_the_stay_and_explains_otherwise(today):
    from tests.factories import EventFactory

    visit = VisitFactory(
        researcher__name="Vi Sitor",
        status=Visit.Status.APPROVED,
        first_day=dt.date(2031, 5, 1),
        last_day=dt.date(2031, 5, 10),
    )
    inside = EventFactory(
        start=dt.datetime(2031, 5, 5, 7, tzinfo=dt.UTC), end=dt.datetime(2031, 5, 5, 8, tzinfo=dt.UTC)
    )
    visit.seminar_event = inside
    assert visit.seminar_outside_stay_warning() == ""
    # 2031-05-10 16:00 UTC is 2031-05-11 01:00 in Seoul: the day after the stay.
    inside.start = dt.datetime(2031, 5, 10, 16, tzinfo=dt.UTC)
    inside.end = dt.datetime(2031, 5, 10, 17, tzinfo=dt.UTC)
    assert visit.seminar_outside_stay_warning(inside) == (
        "This seminar is on 11 May 2031, outside Vi Sitor's stay at the hub (1 May 2031 to 10 May 2031)."
    )
    visit.status = Visit.Status.WITHDRAWN
    assert visit.seminar_outside_stay_warning(inside) == (
        "Vi Sitor's stay is “Withdrawn”: they may not be at the hub for this seminar."
    )
    assert VisitFactory().seminar_outside_stay_warning() == ""
