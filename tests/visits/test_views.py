import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hubsite.access import note_session
from hubsite.models import OutboxMessage
from researchers.models import Researcher
from tests.factories import (
    InstitutionFactory,
    MemberFactory,
    ResearcherFactory,
    ThemeFactory,
    UserFactory,
    VisitFactory,
    VisitorFactory,
    WorkspaceFactory,
)
from tests.signin import force_login_with_mfa
from visits import services
from visits.models import ArrivalsFeedToken, Extension, Visit

from .conftest import days

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def form_data(host, first_day, last_day, **overrides):
    return {
        "host": host.pk,
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "purpose": "Work on scaling laws with the host's group.",
        "funding": "self",
        "needs_desk": "on",
        **overrides,
    }


# --- index --------------------------------------------------------------------------------------


def test_index_introduces_visiting_to_anonymous_people_with_a_sign_in_link(client):
    response = client.get(reverse("visits:index"))
    assert response.status_code == 200
    page = html(response)
    assert "<h1>Visit the hub</h1>" in page
    assert 'href="/accounts/login/?next=/visits/"' in page
    assert '<a href="/visits/" aria-current="page">Visit the hub</a>' in page


def test_index_lists_my_stays_and_the_stays_i_host(client):
    member = MemberFactory()
    mine = VisitFactory(researcher=member, host=MemberFactory(name="Dr Host"))
    hosted = VisitFactory(host=member, researcher=VisitorFactory(name="Ms Visitor"))
    VisitFactory()  # someone else's
    client.force_login(member.user)
    response = client.get(reverse("visits:index"))
    assert [v.pk for v in response.context["own"]] == [mine.pk]
    assert [v.pk for v in response.context["hosted"]] == [hosted.pk]
    assert "Dr Host" in html(response) and "Ms Visitor" in html(response)


@pytest.mark.parametrize("count", [1, 6])
def test_index_query_count_is_the_same_for_one_and_many_stays(client, django_assert_num_queries, count):
    member = MemberFactory()
    for n in range(count):
        VisitFactory(researcher=member, **days(dt.date.today(), 10 + n * 20, 5))
        VisitFactory(host=member)
    client.force_login(member.user)
    with django_assert_num_queries(4):
        assert client.get(reverse("visits:index")).status_code == 200


# --- registering --------------------------------------------------------------------------------


def test_registering_needs_sign_in(client):
    response = client.get(reverse("visits:new"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/visits/new/"


def test_registering_a_stay_submits_it_and_shows_it(client, today):
    visitor = VisitorFactory()
    host = MemberFactory(name="Dr Host")
    theme = ThemeFactory()
    client.force_login(visitor.user)
    data = form_data(host, today + dt.timedelta(days=10), today + dt.timedelta(days=20), themes=[theme.pk])
    response = client.post(reverse("visits:new"), data)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.researcher, visit.host, visit.status) == (visitor, host, Visit.Status.SUBMITTED)
    assert list(visit.themes.all()) == [theme]
    page = html(client.get(response["Location"]))
    assert "Your stay is registered. We have asked Dr Host to endorse it." in page


def test_registering_without_a_profile_creates_one_linked_to_the_account(client, today):
    user = UserFactory(email="new@example.org")
    institution = InstitutionFactory()
    client.force_login(user)
    assert 'name="name"' in html(client.get(reverse("visits:new")))
    data = form_data(MemberFactory(), today + dt.timedelta(days=3), today + dt.timedelta(days=5))
    response = client.post(
        reverse("visits:new"), {**data, "name": "New Person", "home_institution": institution.pk}
    )
    assert response.status_code == 302
    researcher = Researcher.objects.get(user=user)
    assert (researcher.name, researcher.email, researcher.institution) == (
        "New Person",
        "new@example.org",
        institution,
    )
    assert Visit.objects.get().institution_name == institution.name


def test_registering_links_an_existing_researcher_through_a_verified_address(client, today):
    existing = ResearcherFactory(email="Known@Example.org")
    user = UserFactory(email="known@example.org")
    client.force_login(user)
    data = form_data(
        MemberFactory(), today + dt.timedelta(days=3), today + dt.timedelta(days=5), name="Known"
    )
    client.post(reverse("visits:new"), data)
    existing.refresh_from_db()
    assert existing.user == user
    assert Visit.objects.get().researcher == existing


@pytest.mark.parametrize(
    ("start", "length", "message"),
    [
        (-2, 3, "The stay cannot start in the past: the first day can be today at the earliest."),
        (5, -1, "The last day cannot be before the first day."),
    ],
)
def test_registering_bad_dates_shows_the_message(client, today, start, length, message):
    visitor = VisitorFactory()
    client.force_login(visitor.user)
    first = today + dt.timedelta(days=start)
    response = client.post(
        reverse("visits:new"), form_data(MemberFactory(), first, first + dt.timedelta(days=length))
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [message]
    assert Visit.objects.count() == 0


def test_registering_with_a_host_who_is_not_a_member_shows_the_message(client, today):
    visitor = VisitorFactory()
    outsider = ResearcherFactory(is_hub_member=False)
    client.force_login(visitor.user)
    data = form_data(outsider, today + dt.timedelta(days=3), today + dt.timedelta(days=5))
    response = client.post(reverse("visits:new"), data)
    assert response.context["form"].errors["host"] == [
        "Choose a hub member as your host: only hub members can host a stay."
    ]


def test_registering_an_overlapping_stay_shows_the_message(client, today):
    visit = VisitFactory()
    client.force_login(visit.researcher.user)
    data = form_data(MemberFactory(), visit.first_day, visit.first_day + dt.timedelta(days=2))
    response = client.post(reverse("visits:new"), data)
    assert response.context["form"].non_field_errors() == [
        f"You already have a stay from {visit.first_day:%-d %b %Y} to {visit.last_day:%-d %b %Y} "
        "that overlaps these dates."
    ]


def test_a_refused_first_stay_leaves_no_profile_link_behind(client, today):
    """One user action is one transaction: the service links the account to the record staff made
    for this address, then refuses the stay (it overlaps a stay of that record); the link goes too."""
    existing = ResearcherFactory(email="known@example.org")
    earlier = VisitFactory(researcher=existing)
    user = UserFactory(email="known@example.org")
    client.force_login(user)
    data = form_data(MemberFactory(), earlier.first_day, earlier.last_day, name="Known")
    response = client.post(reverse("visits:new"), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"You already have a stay from {earlier.first_day:%-d %b %Y} to {earlier.last_day:%-d %b %Y} "
        "that overlaps these dates."
    ]
    existing.refresh_from_db()
    assert existing.user is None
    assert Researcher.objects.filter(user=user).exists() is False
    assert Visit.objects.count() == 1


def test_a_refused_first_stay_leaves_no_new_profile_behind(today):
    user = UserFactory()
    outsider = ResearcherFactory(is_hub_member=False, name="Not A Member")
    with pytest.raises(ValidationError) as error:
        services.visit_submit(
            by=user,
            name="New Person",
            host=outsider,
            purpose="x",
            **days(today, 3, 3),
        )
    assert error.value.messages == ["Not A Member is not a hub member, so they cannot host a stay."]
    assert Researcher.objects.filter(user=user).exists() is False


PENDING_REFUSAL = (
    "You already have 3 stays waiting for an answer from your host or the hub staff, the most one "
    "person can have at once. Withdraw one, or wait for an answer, before you register another."
)


def test_registering_more_stays_than_may_wait_at_once_is_refused_on_the_form(client, today):
    visitor = VisitorFactory()
    for n, status in enumerate([Visit.Status.SUBMITTED, Visit.Status.ENDORSED, Visit.Status.SUBMITTED]):
        VisitFactory(researcher=visitor, status=status, **days(today, 10 + 10 * n, 2))
    client.force_login(visitor.user)
    response = client.post(reverse("visits:new"), form_data(MemberFactory(), **days(today, 60, 2)))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [PENDING_REFUSAL]
    assert PENDING_REFUSAL in html(response)
    assert Visit.objects.filter(researcher=visitor).count() == 3


def test_the_service_keeps_the_bound_on_pending_stays_too(settings, today):
    settings.VISIT_MAX_PENDING_PER_PERSON = 1
    visitor = VisitorFactory()
    VisitFactory(researcher=visitor, **days(today, 10, 2))
    with pytest.raises(ValidationError) as error:
        services.visit_register(
            researcher=visitor, by=visitor.user, host=MemberFactory(), purpose="x", **days(today, 30, 2)
        )
    assert error.value.messages == [
        "You already have 1 stay waiting for an answer from your host or the hub staff, the most one "
        "person can have at once. Withdraw it, or wait for the answer, before you register another."
    ]


def test_answered_stays_do_not_count_against_the_bound_on_pending_stays(client, today):
    visitor = VisitorFactory()
    statuses = [
        Visit.Status.SUBMITTED,
        Visit.Status.ENDORSED,
        Visit.Status.APPROVED,
        Visit.Status.DECLINED,
        Visit.Status.WITHDRAWN,
        Visit.Status.CANCELLED,
        Visit.Status.COMPLETED,
    ]
    for n, status in enumerate(statuses):
        VisitFactory(researcher=visitor, status=status, **days(today, 10 + 10 * n, 2))
    client.force_login(visitor.user)
    response = client.post(reverse("visits:new"), form_data(MemberFactory(), **days(today, 100, 2)))
    assert response.status_code == 302
    assert Visit.objects.filter(researcher=visitor).pending().count() == 3


def test_a_stay_is_registered_only_for_the_acting_person(today):
    visitor, someone_else = VisitorFactory(), UserFactory()
    with pytest.raises(ValidationError) as error:
        services.visit_register(
            researcher=visitor, by=someone_else, host=MemberFactory(), purpose="x", **days(today, 3, 2)
        )
    assert error.value.messages == ["You can register stays only for yourself."]
    assert Visit.objects.count() == 0


def test_visa_letter_needs_nationality_and_passport_name(client, today):
    client.force_login(VisitorFactory().user)
    data = form_data(
        MemberFactory(), today + dt.timedelta(days=3), today + dt.timedelta(days=5), needs_visa_letter="on"
    )
    errors = client.post(reverse("visits:new"), data).context["form"].errors
    assert errors["nationality"] == ["The invitation letter needs your nationality."]
    assert errors["passport_name"] == ["The invitation letter needs your name as in your passport."]


def test_check_desks_button_rerenders_the_form_with_the_short_days(client, approved, today, workspace):
    for _ in range(3):
        approved(**days(today, 10, 2))
    client.force_login(VisitorFactory().user)
    first, last = today + dt.timedelta(days=9), today + dt.timedelta(days=12)
    data = form_data(MemberFactory(), first, last, purpose="Half typed", check="1")
    response = client.post(reverse("visits:new"), data)
    assert response.status_code == 200
    assert Visit.objects.count() == 3
    assert response.context["availability"]["short_days"] == [
        today + dt.timedelta(days=10),
        today + dt.timedelta(days=11),
    ]
    page = html(response)
    assert "No desk is free on 2 days:" in page
    assert "Half typed" in page
    assert 'class="errorlist"' not in page


def test_check_desks_says_when_every_day_is_free(client, today, workspace):
    client.force_login(VisitorFactory().user)
    data = form_data(MemberFactory(), today + dt.timedelta(days=9), today + dt.timedelta(days=12), check="1")
    assert "Desks are free on every day of these dates." in html(client.post(reverse("visits:new"), data))


def test_availability_json_lists_free_desks_per_day(client, approved, today, workspace):
    approved(**days(today, 10, 1))
    client.force_login(VisitorFactory().user)
    day = today + dt.timedelta(days=10)
    response = client.get(
        reverse("visits:availability"), {"first_day": day.isoformat(), "last_day": day.isoformat()}
    )
    assert response.json() == {
        "days": [{"day": day.isoformat(), "free": 2}],
        "short_days": [],
        "short_days_text": [],
        "all_free": True,
    }
    bad = client.get(reverse("visits:availability"), {"first_day": day.isoformat(), "last_day": "2000-01-01"})
    assert (bad.status_code, bad.json()) == (
        400,
        {"errors": ["The last day cannot be before the first day."]},
    )


# --- one stay -----------------------------------------------------------------------------------


def test_a_stay_is_visible_to_the_visitor_the_host_and_staff_only(client, staff):
    visit = VisitFactory()
    url = reverse("visits:detail", args=[visit.pk])
    for user in (visit.researcher.user, visit.host.user):
        client.force_login(user)
        assert client.get(url).status_code == 200
    force_login_with_mfa(client, staff)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(MemberFactory().user)
    for name in ("detail", "letter", "ics", "extend"):
        assert client.get(reverse(f"visits:{name}", args=[visit.pk])).status_code == 404
    assert client.post(reverse("visits:withdraw", args=[visit.pk])).status_code == 404


@pytest.mark.parametrize("count", [1, 5])
def test_detail_query_count_is_the_same_for_short_and_long_histories(
    client, approved, staff, today, count, django_assert_num_queries
):
    visit = approved(**days(today, 1, 30))
    for n in range(count):
        Extension.objects.create(
            visit=visit, new_last_day=visit.last_day + dt.timedelta(days=n + 1), reason="x", status="declined"
        )
        visit.history.create(from_status="approved", to_status="approved", note=f"note {n}")
    client.force_login(visit.researcher.user)
    with django_assert_num_queries(5):
        assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 200


def test_visitor_withdraws_from_the_stay_page(client):
    visit = VisitFactory()
    client.force_login(visit.researcher.user)
    assert "Withdraw this stay" in html(client.get(reverse("visits:detail", args=[visit.pk])))
    response = client.post(reverse("visits:withdraw", args=[visit.pk]), {"note": "Sorry"}, follow=True)
    assert "Your stay is withdrawn. Your host and the hub staff have been told." in html(response)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.WITHDRAWN
    response = client.post(reverse("visits:withdraw", args=[visit.pk]), follow=True)
    assert "This stay is “Withdrawn”, so it cannot be withdrawn." in html(response)


def test_visitor_asks_for_an_extension(client, approved, today):
    visit = approved(**days(today, 1, 30))
    client.force_login(visit.researcher.user)
    url = reverse("visits:extend", args=[visit.pk])
    response = client.post(url, {"new_last_day": visit.last_day.isoformat(), "reason": "More"})
    assert response.context["form"].non_field_errors() == [
        "The new last day must be after the current last day."
    ]
    new_last = visit.last_day + dt.timedelta(days=10)
    response = client.post(url, {"new_last_day": new_last.isoformat(), "reason": "More experiments"})
    assert response.status_code == 302
    assert Extension.objects.get().new_last_day == new_last
    assert OutboxMessage.objects.filter(kind="visits.staff_extension").count() == 1


def test_letter_page_prints_the_invitation_for_the_visitor(client, approved, today, staff):
    visit = approved(
        needs_visa_letter=True, nationality="FR", passport_name="MARTIN LOUIS", **days(today, 20, 30)
    )
    client.force_login(visit.researcher.user)
    response = client.get(reverse("visits:letter", args=[visit.pk]))
    page = html(response)
    assert response.status_code == 200
    assert "Letter of invitation" in page
    assert "MARTIN LOUIS" in page and "France" in page
    assert f"{visit.first_day:%-d %B %Y} to {visit.last_day:%-d %B %Y}" in page
    assert 'class="signature"' in page
    force_login_with_mfa(client, staff)
    assert client.get(reverse("visits:letter", args=[visit.pk])).status_code == 200
    client.force_login(visit.host.user)
    assert client.get(reverse("visits:letter", args=[visit.pk])).status_code == 404


def test_letter_page_is_404_when_not_asked_for_or_not_approved(client, approved, today):
    without = approved(**days(today, 20, 3))
    pending = VisitFactory(needs_visa_letter=True, nationality="FR", passport_name="X")
    for visit in (without, pending):
        client.force_login(visit.researcher.user)
        assert client.get(reverse("visits:letter", args=[visit.pk])).status_code == 404


def test_stay_ics_download(client, approved, today):
    visit = approved(**days(today, 20, 3))
    client.force_login(visit.researcher.user)
    response = client.get(reverse("visits:ics", args=[visit.pk]))
    assert response["Content-Type"] == "text/calendar"
    body = response.content.decode()
    assert f"UID:visit-{visit.calendar_uid}@127.0.0.1" in body
    assert f"DTEND;VALUE=DATE:{visit.last_day + dt.timedelta(days=1):%Y%m%d}" in body


# --- occupancy ----------------------------------------------------------------------------------


def test_occupancy_is_for_staff_only(client):
    url = reverse("visits:occupancy")
    assert client.get(url).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 403


def test_occupancy_chart_shows_the_desk_days_of_approved_stays(client, approved, staff, today, workspace):
    approved(**days(today, 0, 3))
    approved(**days(today, 1, 3))
    VisitFactory(**days(today, 0, 3))  # submitted: holds no desk
    force_login_with_mfa(client, staff)
    response = client.get(reverse("visits:occupancy"))
    bars = response.context["chart"].bars
    assert len(bars) == 90
    assert [(b.used, b.capacity) for b in bars[:5]] == [(1, 3), (2, 3), (2, 3), (1, 3), (0, 3)]
    page = html(response)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert f'<th scope="row"><time datetime="{today.isoformat()}">' in page
    assert "<script" not in page.split("<main")[1].split("</main>")[0]
    timeline = response.context["timelines"][0]
    assert (timeline.workspace, len(timeline.rows)) == (workspace, 2)


@pytest.mark.parametrize("count", [1, 6])
def test_occupancy_query_count_is_the_same_for_one_and_many_stays(
    client, approved, staff, today, count, django_assert_num_queries
):
    for n in range(count):
        approved(**days(today, n * 5, 3))
    force_login_with_mfa(client, staff)
    with django_assert_num_queries(7):  # including the staff MFA check
        assert client.get(reverse("visits:occupancy")).status_code == 200


# --- who is here --------------------------------------------------------------------------------


def test_here_shows_the_public_only_listed_researchers_and_members_everyone(client, approved, today):
    theme = ThemeFactory(name="Scaling")
    listed = approved(
        researcher=VisitorFactory(name="Listed Person", listed_publicly=True), **days(today, 0, 5)
    )
    listed.themes.set([theme])
    approved(researcher=VisitorFactory(name="Private Person", listed_publicly=False), **days(today, 0, 5))
    approved(researcher=VisitorFactory(name="Later Person"), **days(today, 30, 5))
    public = html(client.get(reverse("visits:here")))
    assert "Listed Person" in public and "Private Person" not in public and "Later Person" not in public
    assert "<h2>Scaling</h2>" in public
    client.force_login(MemberFactory().user)
    members = html(client.get(reverse("visits:here")))
    assert "Listed Person" in members and "Private Person" in members and "Later Person" not in members


@pytest.mark.parametrize("count", [1, 6])
def test_here_query_count_is_the_same_for_one_and_many(
    client, approved, today, count, django_assert_num_queries
):
    WorkspaceFactory(desks=10)
    for _ in range(count):
        approved(**days(today, 0, 5)).themes.set([ThemeFactory()])
    with django_assert_num_queries(3):
        assert client.get(reverse("visits:here")).status_code == 200


# --- staff arrivals feed ------------------------------------------------------------------------


def test_arrivals_feed_for_staff_by_session_and_by_token(client, approved, staff, today):
    visit = approved(researcher=VisitorFactory(name="Ana Arrives"), **days(today, 3, 4))
    url = reverse("visits:arrivals_feed")
    assert client.get(url).status_code == 302
    client.force_login(MemberFactory().user)
    assert client.get(url).status_code == 403
    force_login_with_mfa(client, staff)
    response = client.get(url)
    body = response.content.decode()
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"UID:visit-{visit.calendar_uid}-arrival@127.0.0.1" in body
    assert "SUMMARY:Arrival: Ana Arrives" in body and "SUMMARY:Departure: Ana Arrives" in body
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    client.post(reverse("visits:arrivals_token"))
    token = ArrivalsFeedToken.objects.get(user=staff).token
    client.logout()
    assert client.get(url, {"token": token}).status_code == 200
    assert client.get(url, {"token": "guess"}).status_code == 404


def test_a_new_arrivals_token_revokes_the_old_one(staff):
    # As the request's user of a staff session that passed MFA with the staff member's authenticator.
    note_session(staff, authenticators_used=staff.authenticator_set.values_list("pk", flat=True))
    old = services.arrivals_feed_token_reset(user=staff).token
    new = services.arrivals_feed_token_reset(user=staff).token
    assert old != new
    assert list(ArrivalsFeedToken.objects.values_list("token", flat=True)) == [new]
