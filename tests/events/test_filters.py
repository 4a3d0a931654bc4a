import datetime as dt

import pytest
from django.http import QueryDict
from django.utils import timezone

from events.filters import EventFilterForm
from events.models import Event
from tests.factories import EventFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def test_event_filter_form_filter_narrows_any_queryset_as_the_events_page_does():
    theme = ThemeFactory(slug="safety")
    online = EventFactory(format=Event.Format.ONLINE, online_url="https://meet.example.org/a", room=None)
    online.themes.add(theme)
    EventFactory(format=Event.Format.IN_PERSON).themes.add(theme)
    form = EventFilterForm(QueryDict("theme=safety&format=online"))
    assert list(form.filter(Event.objects.all())) == [online]


def test_event_filter_form_when_past_is_newest_first_and_bad_values_are_dropped():
    now = timezone.now()
    older = EventFactory(start=now - dt.timedelta(days=9), end=now - dt.timedelta(days=9, hours=-1))
    newer = EventFactory(start=now - dt.timedelta(days=2), end=now - dt.timedelta(days=2, hours=-1))
    EventFactory()
    form = EventFilterForm(QueryDict("when=past&kind=party&date_to=31-31-2020"))
    assert list(form.filter(Event.objects.all())) == [newer, older]
    assert form.values == {"when": "past"}


def test_event_filter_form_without_data_is_upcoming_in_start_order():
    later = EventFactory()
    sooner = EventFactory(start=later.start - dt.timedelta(days=1), end=later.start - dt.timedelta(hours=20))
    assert list(EventFilterForm().filter(Event.objects.all())) == [sooner, later]
