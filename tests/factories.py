"""factory_boy factories shared by every test folder."""

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from events.models import Event, EventSpeaker, Room, Series
from researchers.models import Institution, Researcher, Theme

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)
        if create:
            obj.save()


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"University {n}")
    slug = factory.Sequence(lambda n: f"university-{n}")
    country = "US"
    kind = Institution.Kind.UNIVERSITY
    partnership_status = Institution.PartnershipStatus.ACTIVE


class ResearcherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Researcher

    name = factory.Sequence(lambda n: f"Researcher {n}")
    slug = factory.Sequence(lambda n: f"researcher-{n}")
    email = factory.Sequence(lambda n: f"researcher{n}@example.org")
    institution = factory.SubFactory(InstitutionFactory)
    listed_publicly = True


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 40


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    title = factory.Sequence(lambda n: f"Seminar series {n}")
    slug = factory.Sequence(lambda n: f"series-{n}")
    default_weekday = Series.Weekday.TUESDAY
    default_start_time = dt.time(16, 0)
    default_room = factory.SubFactory(RoomFactory)


class EventFactory(factory.django.DjangoModelFactory):
    """A published public in-person seminar next week, one hour long, in its own room."""

    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Seminar {n}")
    slug = factory.Sequence(lambda n: f"seminar-{n}")
    start = factory.LazyFunction(lambda: (timezone.now() + dt.timedelta(days=7)).replace(microsecond=0))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))
    room = factory.SubFactory(RoomFactory)
    status = Event.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class EventSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventSpeaker

    event = factory.SubFactory(EventFactory)
    researcher = factory.SubFactory(ResearcherFactory)


# --- Registration (regfeeds) ---


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A confirmed in-person seat. Use the services for anything with rules; this is for fixtures."""

    class Meta:
        model = "events.Registration"

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Attendee {n}")
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    status = "confirmed"
    confirmed_at = factory.LazyFunction(timezone.now)
