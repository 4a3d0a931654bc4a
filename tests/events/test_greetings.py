"""How every mail about a registration greets its person: by name when the site knows one, never by
their e-mail address (a member without a profile registers under their address)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Registration
from hubsite.models import OutboxMessage
from tests.factories import EventFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "hello"), [("en", "Hello,"), ("ko", "안녕하세요,")])
def test_a_member_known_only_by_their_address_is_greeted_without_it(client, language, hello):
    """ "minji@example.org 님께," opened every mail of a member who had not filled in a profile."""
    user = UserFactory(email="minji@example.org")
    start = (timezone.now() + dt.timedelta(days=10)).replace(microsecond=0)
    event = EventFactory(start=start, end=start + dt.timedelta(hours=1))
    client.force_login(user)
    url = reverse("events:register", kwargs={"slug": event.slug})
    response = client.post(url, {"attendance": "in_person"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    registration = Registration.objects.get(user=user)
    # Every message of the registration's life: confirmed, moved, reminded, cancelled.
    services.event_update(
        event=event, start=start + dt.timedelta(hours=1), end=event.end + dt.timedelta(hours=1)
    )
    due = timezone.now() + dt.timedelta(seconds=settings.EVENT_UPDATE_DELAY_SECONDS + 1)
    services.event_update_notices_send(event_id=event.pk, now=due)
    event.refresh_from_db()
    services.event_reminders_send(now=event.start - dt.timedelta(hours=24) + dt.timedelta(minutes=1))
    services.event_cancel(event=event, reason="Ill", by=StaffFactory())
    messages = OutboxMessage.objects.filter(recipient=user.email).order_by("pk")
    assert [message.kind for message in messages] == [
        "registration_confirmed",
        "event_update",
        "reminder-24h",
        "event_cancelled",
    ]
    for message in messages:
        assert message.body_text.splitlines()[0] == hello, message.kind
        assert f'<p style="margin:0 0 12px;">{hello}</p>' in message.body_html, message.kind
    assert registration.email == user.email
