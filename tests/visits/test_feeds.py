import datetime as dt

import pytest
from icalendar import Calendar

from tests.factories import MemberFactory, UserFactory
from visits import services
from visits.feeds import stay_ics, stay_vevents_for_user

from .conftest import days

pytestmark = pytest.mark.django_db


def test_stay_ics_is_one_all_day_event_with_an_exclusive_end(approved, today):
    visit = approved(**days(today, 10, 3))
    calendar = Calendar.from_ical(stay_ics(visit))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == today + dt.timedelta(days=10)
    assert event.decoded("dtend") == today + dt.timedelta(days=13)
    assert str(event["uid"]) == f"visit-{visit.calendar_uid}@127.0.0.1"
    assert (event["sequence"], str(event["status"])) == (0, "CONFIRMED")
    assert str(event["summary"]) == "Stay at Seoul AI Research Hub"


def test_the_uid_stays_and_the_sequence_rises_when_the_dates_change(approved, staff, today):
    visit = approved(**days(today, 1, 20))
    before = Calendar.from_ical(stay_ics(visit)).walk("VEVENT")[0]
    extension = services.extension_request(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=2), reason="x", by=visit.researcher.user
    )
    services.extension_approve(extension=extension, by=staff)
    visit.refresh_from_db()
    after = Calendar.from_ical(stay_ics(visit)).walk("VEVENT")[0]
    assert after["uid"] == before["uid"]
    assert (before["sequence"], after["sequence"]) == (0, 1)
    assert after.decoded("dtend") == today + dt.timedelta(days=23)


def test_personal_feed_vevents_hold_own_stays_and_hosted_visitors(approved, today):
    host = MemberFactory()
    own = approved(researcher=host, **days(today, 1, 3))
    hosted = approved(host=host, **days(today, 5, 3))
    approved(**days(today, 9, 3))  # someone else's
    events = stay_vevents_for_user(host.user)
    assert [str(e["uid"]) for e in events] == [
        f"visit-{own.calendar_uid}@127.0.0.1",
        f"visit-{hosted.calendar_uid}@127.0.0.1",
    ]
    assert str(events[1]["summary"]) == f"Visitor at the hub: {hosted.researcher.name}"
    assert stay_vevents_for_user(UserFactory()) == []


def test_a_withdrawn_stay_stays_in_the_feed_as_cancelled_with_a_higher_sequence(approved, today):
    visit = approved(**days(today, 3, 3))
    services.visit_withdraw(visit=visit, by=visit.researcher.user)
    [event] = stay_vevents_for_user(visit.researcher.user)
    assert (str(event["status"]), event["sequence"]) == ("CANCELLED", 1)
