"""The personal calendar (/calendar/<token>.ics) shows seminars and, through visits, stays."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from events import services as event_services
from tests.factories import ResearcherFactory, UserFactory, VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def feed_of(client, user):
    token = event_services.personal_calendar_get(user=user).token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def test_personal_feed_shows_the_persons_approved_stay_as_an_all_day_event(client):
    user = UserFactory()
    researcher = ResearcherFactory(user=user)
    first = dt.date.today() + dt.timedelta(days=20)
    visit = VisitFactory(researcher=researcher, first_day=first, last_day=first + dt.timedelta(days=9))
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.APPROVED)
    (stay,) = feed_of(client, user).walk("VEVENT")
    assert stay.decoded("dtstart") == first
    assert stay.decoded("dtend") == first + dt.timedelta(days=10)


def test_personal_feed_changes_its_etag_when_a_stay_changes(client):
    user = UserFactory()
    researcher = ResearcherFactory(user=user)
    first = dt.date.today() + dt.timedelta(days=20)
    visit = VisitFactory(researcher=researcher, first_day=first, last_day=first + dt.timedelta(days=9))
    # As the services leave it: approved and announced (SEQUENCE 1), then withdrawn (SEQUENCE 2).
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.APPROVED, sequence=1)
    token = event_services.personal_calendar_get(user=user).token
    etag = client.get(f"/calendar/{token}.ics")["ETag"]
    Visit.objects.filter(pk=visit.pk).update(
        status=Visit.Status.WITHDRAWN, sequence=2, updated=timezone.now() + dt.timedelta(seconds=1)
    )
    response = client.get(f"/calendar/{token}.ics", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    (stay,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(stay["STATUS"]) == "CANCELLED"
