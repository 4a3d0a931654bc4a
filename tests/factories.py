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
    """Staff with an authenticator app set up, as the admin requires; `totp=False` for one without.

    The object made stands for the staff member in a session that passed the second step, as a
    view hands `request.user` to a service: it has staff rights (hubsite.access). The same account
    read again from the database is a user with no session, and has none."""

    is_staff = True
    is_superuser = True

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

            from hubsite.access import note_session

            authenticator = TOTP.activate(obj, generate_totp_secret()).instance
            note_session(obj, authenticators_used={authenticator.pk})


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


# --- projects ------------------------------------------------------------------------------
from projects.models import Project, ProjectMember, ProjectOutput, ProjectPartner  # noqa: E402


class ProjectFactory(factory.django.DjangoModelFactory):
    """An active public project whose lead (a hub member) is also its member with the role lead."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    lead = factory.SubFactory(ResearcherFactory, is_hub_member=True)
    status = Project.Status.ACTIVE
    is_public = True
    start_date = dt.date(2025, 1, 1)

    @factory.post_generation
    def lead_membership(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ProjectMember.objects.create(project=obj, researcher=obj.lead, role=ProjectMember.Role.LEAD)


class ProjectMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectMember

    project = factory.SubFactory(ProjectFactory)
    researcher = factory.SubFactory(ResearcherFactory)
    role = ProjectMember.Role.MEMBER


class ProjectPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectPartner

    project = factory.SubFactory(ProjectFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = ProjectPartner.Role.PARTNER


class ProjectOutputFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectOutput

    project = factory.SubFactory(ProjectFactory)
    kind = ProjectOutput.Kind.PAPER
    title = factory.Sequence(lambda n: f"Output {n}")
    authors = "Doe, J."
    year = 2025


class SeriesSubscriptionFactory(factory.django.DjangoModelFactory):
    """A confirmed subscription to a public series' announcements."""

    class Meta:
        model = "events.SeriesSubscription"

    series = factory.SubFactory(SeriesFactory)
    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    confirmations_sent = 1
    confirmed_at = factory.LazyFunction(timezone.now)


# --- visits -------------------------------------------------------------------------------

from visits.models import Visit, Workspace  # noqa: E402


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    desks = 3
    floor = "Floor 2"


class MemberFactory(ResearcherFactory):
    """A hub member with an account: can host visitors."""

    is_hub_member = True
    user = factory.SubFactory(UserFactory)


class VisitorFactory(ResearcherFactory):
    user = factory.SubFactory(UserFactory)


class VisitFactory(factory.django.DjangoModelFactory):
    """A submitted two-week stay starting in two weeks, needing a desk."""

    class Meta:
        model = Visit

    researcher = factory.SubFactory(VisitorFactory)
    host = factory.SubFactory(MemberFactory)
    institution = factory.LazyAttribute(lambda o: o.researcher.institution)
    institution_name = factory.LazyAttribute(
        lambda o: o.researcher.institution.name if o.researcher.institution else ""
    )
    first_day = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
    last_day = factory.LazyAttribute(lambda o: o.first_day + dt.timedelta(days=13))
    purpose = "Joint work on scaling laws."


class DraftEventFactory(EventFactory):
    """A draft seminar, not yet published."""

    status = Event.Status.DRAFT
    published_at = None


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
