"""What every URL pattern of the site answers to each kind of visitor: one table, one line a pattern.

The permission matrix (test_permission_matrix.py) walks the URL resolver, so a new URL cannot be
forgotten: a pattern with no line here fails the test with the line to add. Keys are the pattern
exactly as the resolver shows it (prefixes joined), e.g. "events/<slug:slug>/".

A line is an `Expect` with one status per role (roles.ROLES: anonymous, user, researcher,
registrant, visitor, host, lead, staff_without_mfa, staff), built with one of the helpers below:

    "partners/":             public(),
    "events/<slug:slug>/":   public(url=lambda route: f"/events/{EventFactory().slug}/"),
    "visits/new/":           signed_in(),                   # anonymous -> 302 to sign in
    "report/":               staff_rights(),                # staff with MFA 200, signed in 403
    "visits/<int:pk>/":      for_roles(VISITOR, HOST, STAFF, url=_visit_url),  # others 404
    "admin/login/":          answers(anonymous=302, signed_in=403, staff_without_mfa=302, staff=302),

Staff without two-factor authentication are ordinary signed-in people on the site's pages (so
`staff_rights()` and `for_roles(..., STAFF)` give them what other people get), and the admin sends
them to set up an authenticator (`staff_only()` gives them `others`, a 302).

`url` builds a real path for a pattern with parameters (it gets the route and may create rows with
the factories); without it the route itself is the path. Rows that belong to someone belong to the
cast (`roles.current_cast()`): the registrant, visitor, host and lead roles are those people.
Admin URLs are matched by the rules in ADMIN_RULES (changelist, add, change, ... of every
registered model), so registering a model in the admin needs no new line here, only, if the table
has no row yet, an entry in ADMIN_OBJECTS.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site

from tests.factories import UserFactory

from .roles import (
    ANONYMOUS,
    HOST,
    LEAD,
    REGISTRANT,
    RESEARCHER,
    ROLES,
    SIGNED_IN_ROLES,
    STAFF,
    STAFF_WITHOUT_MFA,
    USER,
    VISITOR,
    current_cast,
    make_staff_with_totp,
)

UrlBuilder = Callable[[str], str]


@dataclass(frozen=True, kw_only=True)
class Expect:
    anonymous: int
    user: int
    researcher: int
    registrant: int
    visitor: int
    host: int
    lead: int
    staff_without_mfa: int
    staff: int
    url: UrlBuilder | None = None
    # Why a POST without a CSRF token is acceptable here (empty: it must be refused with 403).
    csrf_exempt: str = ""

    def status_for(self, role: str) -> int:
        return getattr(self, role)


def answers(*, anonymous: int, signed_in: int, url=None, csrf_exempt: str = "", **by_role: int) -> Expect:
    """The general form: `anonymous` for visitors not signed in, `signed_in` for every signed-in
    role except those named (`host=200`, `staff=200`, ...)."""
    unknown = set(by_role) - set(SIGNED_IN_ROLES)
    assert not unknown, f"no such role: {sorted(unknown)}"
    statuses = {role: by_role.get(role, signed_in) for role in SIGNED_IN_ROLES}
    return Expect(anonymous=anonymous, **statuses, url=url, csrf_exempt=csrf_exempt)


def public(status: int = 200, **kwargs) -> Expect:
    """The same answer for everyone."""
    return answers(anonymous=status, signed_in=status, **kwargs)


def signed_in(status: int = 200, *, anonymous: int = 302, **kwargs) -> Expect:
    """Any signed-in person; anonymous visitors are sent to sign in."""
    return answers(anonymous=anonymous, signed_in=status, **kwargs)


def anonymous_only(status: int = 200, *, signed_in: int = 302, **kwargs) -> Expect:
    """Pages for visitors who are not signed in (sign-up, sign-in); others are redirected."""
    return answers(anonymous=status, signed_in=signed_in, **kwargs)


def staff_only(status: int = 200, *, others: int = 302, **kwargs) -> Expect:
    """The admin: staff with MFA only; everyone else is sent to (or told to use) the staff
    sign-in, and staff without MFA to the authenticator set-up (a 302 too)."""
    return answers(anonymous=others, signed_in=others, staff=status, **kwargs)


def staff_rights(status: int = 200, *, anonymous: int = 302, others: int = 403, **kwargs) -> Expect:
    """The site's staff pages: staff with MFA; anonymous visitors are sent to sign in, every other
    signed-in person (staff without MFA too) is refused."""
    return answers(anonymous=anonymous, signed_in=others, staff=status, **kwargs)


def for_roles(*roles: str, status: int = 200, anonymous: int = 302, others: int = 404, **kwargs) -> Expect:
    """Only the people a row belongs to (and staff, if named) get `status`; other signed-in people
    get `others` ("not found", so a private row's name does not leak)."""
    return answers(anonymous=anonymous, signed_in=others, **dict.fromkeys(roles, status), **kwargs)


# --- URL builders for patterns with parameters ---------------------------------------------


def _email_confirmation_url(route: str) -> str:
    user = UserFactory(verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/"


def _password_reset_key_url(route: str) -> str:
    user = UserFactory()
    token = default_token_generator.make_token(user)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{token}/"


def _view_on_site_url(route: str) -> str:
    site = Site.objects.get_current()
    return f"/admin/r/{ContentType.objects.get_for_model(Site).pk}/{site.pk}/"


# The site's own objects. Each builder makes the row that shows the rule of its line: a draft for
# "drafts are 404 to the public", a stay for "only the visitor, host and staff". Rows that belong to
# someone belong to the cast, so the registrant, visitor, host and lead roles are those people.


def _event_draft_url(route: str) -> str:
    from tests.factories import DraftEventFactory

    return f"/events/{DraftEventFactory().slug}/"


def _series_private_url(route: str) -> str:
    from tests.factories import SeriesFactory

    return f"/series/{SeriesFactory(is_public=False).slug}/"


def _series_public(route: str) -> str:
    from tests.factories import SeriesFactory

    return route.replace("<slug:slug>", SeriesFactory().slug)


def _subscription_token(route: str) -> str:
    from tests.factories import SeriesSubscriptionFactory

    return route.replace("<str:token>", SeriesSubscriptionFactory().token)


def _partner_prospective_url(route: str) -> str:
    from researchers.models import Institution
    from tests.factories import InstitutionFactory

    status = Institution.PartnershipStatus.PROSPECTIVE
    return f"/partners/{InstitutionFactory(partnership_status=status).slug}/"


def _researcher_unlisted_url(route: str) -> str:
    from tests.factories import ResearcherFactory

    return f"/researchers/{ResearcherFactory(listed_publicly=False).slug}/"


def _project_private_url(route: str) -> str:
    from tests.factories import ProjectFactory

    return f"/projects/{ProjectFactory(is_public=False, lead=current_cast().lead).slug}/"


def _project_edit_url(route: str) -> str:
    """A public project's edit pages: only its lead (the cast's) and staff may open them."""
    from tests.factories import ProjectFactory, ProjectMemberFactory, ProjectOutputFactory

    member = ProjectMemberFactory(project=ProjectFactory(lead=current_cast().lead))
    output = ProjectOutputFactory(project=member.project)
    pk = output.pk if "outputs/<int:pk>" in route else member.pk
    return "/" + route.replace("<slug:slug>", member.project.slug).replace("<int:pk>", str(pk))


def _theme_url(route: str) -> str:
    from tests.factories import ThemeFactory

    return f"/themes/{ThemeFactory().slug}/"


def _visit_url(route: str) -> str:
    """An approved stay needing a visa letter, of the cast's visitor and host."""
    from tests.factories import VisitFactory
    from visits.models import Visit

    cast = current_cast()
    visit = VisitFactory(
        status=Visit.Status.APPROVED, needs_visa_letter=True, researcher=cast.visitor, host=cast.host
    )
    return "/" + route.replace("<int:pk>", str(visit.pk))


def _endorse_url(route: str) -> str:
    from tests.factories import VisitFactory
    from visits.services import visit_endorsement_token

    return f"/visits/endorse/{visit_endorsement_token(VisitFactory())}/"


def _registered_event():
    """A published event with the cast's registrant in a confirmed seat."""
    from tests.factories import EventFactory, RegistrationFactory

    registrant = current_cast().registrant
    event = EventFactory()
    RegistrationFactory(event=event, user=registrant, email=registrant.email)
    return event


def _event_route(route: str) -> str:
    return "/" + route.replace("<slug:slug>", _registered_event().slug)


def _registration_token_url(salt_name: str) -> UrlBuilder:
    """A real signed link of a guest's registration (confirm, cancel or join)."""

    def build(route: str) -> str:
        from events import services
        from tests.factories import RegistrationFactory

        # A guest's registration awaiting the click on its e-mail link, as the links are used.
        registration = RegistrationFactory(status="pending")
        signer = {
            "confirm": services.registration_confirm_token,
            "cancel": services.registration_cancel_token,
            "join": services.registration_join_token,
        }[salt_name]
        return "/" + route.replace("<str:token>", signer(registration))

    return build


def _personal_calendar_url(route: str) -> str:
    from events.services import personal_calendar_get

    calendar = personal_calendar_get(user=UserFactory())
    return "/" + route.replace("<str:token>", calendar.token)


def _my_registration_url(route: str) -> str:
    registration = _registered_event().registrations.get()
    return "/" + route.replace("<int:pk>", str(registration.pk))


EXPECTATIONS: dict[str, Expect] = {
    # Health probes: answered by a middleware before CSRF, sessions and hosts; no state to protect.
    "healthz/live": public(csrf_exempt="probe answered before the CSRF middleware; changes nothing"),
    "healthz/ready": public(csrf_exempt="probe answered before the CSRF middleware; changes nothing"),
    # The language switcher takes POST only; a GET goes back where it came from.
    "i18n/setlang/": public(302),
    # allauth
    "accounts/login/": anonymous_only(),
    "accounts/logout/": signed_in(200),
    "accounts/inactive/": public(),
    "accounts/signup/": anonymous_only(),
    "accounts/reauthenticate/": signed_in(),
    "accounts/email/": signed_in(),
    "accounts/confirm-email/": public(),
    "accounts/password/change/": signed_in(),
    "accounts/password/set/": signed_in(302),
    "accounts/password/reset/": public(),
    "accounts/login/code/confirm/": public(302),
    r"accounts/^confirm-email/(?P<key>[-:\w]+)/$": public(url=_email_confirmation_url),
    "accounts/password/reset/key/done/": public(),
    r"accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": public(
        302, url=_password_reset_key_url
    ),
    "accounts/password/reset/done/": public(),
    "accounts/2fa/": signed_in(),
    "accounts/2fa/authenticate/": public(302),
    # The MFA pages: only staff have an authenticator (TOTP, no recovery codes) in the matrix; the
    # pages that change it first ask to re-authenticate (302).
    # pages that change it first ask to re-authenticate (302), unless the person has just signed in
    # with the password as staff have here (a sign-in counts as recent; researchers/adapters.py).
    "accounts/2fa/reauthenticate/": for_roles(STAFF, others=302),
    "accounts/2fa/totp/activate/": for_roles(STAFF_WITHOUT_MFA, others=302),
    "accounts/2fa/totp/deactivate/": for_roles(STAFF),
    "accounts/2fa/recovery-codes/": signed_in(404),
    "accounts/2fa/recovery-codes/generate/": for_roles(STAFF, STAFF_WITHOUT_MFA, others=302),
    "accounts/2fa/recovery-codes/download/": signed_in(404),
    "accounts/3rdparty/login/cancelled/": public(),
    "accounts/3rdparty/login/error/": public(401),
    "accounts/3rdparty/signup/": public(302),
    "accounts/3rdparty/": signed_in(),
    # allauth's old addresses, kept as redirects to the new ones.
    "accounts/social/login/cancelled/": public(301),
    "accounts/social/login/error/": public(301),
    "accounts/social/signup/": public(301),
    "accounts/social/connections/": public(301),
    # The site's own pages.
    "": public(),
    # events: drafts are for staff only; a private series likewise.
    "events/": public(),
    "events/feed.atom": public(),
    "events/<slug:slug>/": for_roles(STAFF, anonymous=404, url=_event_draft_url),
    "series/": public(),
    "series/<slug:slug>/": for_roles(STAFF, anonymous=404, url=_series_private_url),
    # Registration and calendar feeds (issue 5).
    "events/calendar.ics": public(),
    "events/<slug:slug>/event.ics": public(url=_event_route),
    "series/<slug:slug>/calendar.ics": public(url=lambda route: "/" + _series_public(route)),
    # The token is the key: anyone holding the address may read the feed (calendar apps do).
    "calendar/<str:token>.ics": public(url=_personal_calendar_url),
    "events/<slug:slug>/register/": public(url=_event_route),
    # Signed links from e-mails: a page asking for one click (a POST), for whoever holds the link.
    "registrations/confirm/<str:token>/": public(url=_registration_token_url("confirm")),
    "registrations/cancel/<str:token>/": public(url=_registration_token_url("cancel")),
    # Outside the hour before the start the join link answers 403 with when it will open.
    "registrations/join/<str:token>/": public(403, url=_registration_token_url("join")),
    "my/seminars/": signed_in(),
    "my/seminars/<int:pk>/cancel/": signed_in(405, url=_my_registration_url),  # POST only
    "my/calendar/replace/": signed_in(405),  # POST only
    # Series subscriptions: anyone may ask; the links in the mails work without signing in (a GET
    # only shows the button). One-click unsubscribe is a POST from the mail provider (RFC 8058).
    "subscriptions/series/<slug:slug>/": public(url=lambda route: "/" + _series_public(route)),
    "subscriptions/series/<slug:slug>/requested/": public(url=lambda route: "/" + _series_public(route)),
    "subscriptions/confirm/<str:token>/": public(url=lambda route: "/" + _subscription_token(route)),
    "subscriptions/unsubscribe/<str:token>/": public(
        url=lambda route: "/" + _subscription_token(route),
        csrf_exempt="RFC 8058 one-click unsubscribe: the mail provider POSTs with no session or token",
    ),
    # researchers: prospective partners and unlisted researchers are 404 except to staff (and self).
    "partners/": public(),
    "partners/<slug:slug>/": for_roles(STAFF, anonymous=404, url=_partner_prospective_url),
    "researchers/": public(),
    "researchers/<slug:slug>/": for_roles(STAFF, anonymous=404, url=_researcher_unlisted_url),
    "profile/": signed_in(),
    "profile/my-data.json": signed_in(),
    # Deleting the account asks to re-authenticate first, unless the person just signed in with
    # the password (both kinds of staff here).
    "profile/delete/": for_roles(STAFF, STAFF_WITHOUT_MFA, others=302),
    # projects: private ones only for members and staff; edit pages only for the lead and staff,
    # and "not found" for everyone else, so a private project's name does not leak.
    "projects/": public(),
    "projects/<slug:slug>/": for_roles(LEAD, STAFF, anonymous=404, url=_project_private_url),
    "projects/<slug:slug>/edit/": for_roles(LEAD, STAFF, url=_project_edit_url),
    "projects/<slug:slug>/edit/members/": for_roles(LEAD, STAFF, url=_project_edit_url),
    "projects/<slug:slug>/edit/members/<int:pk>/": signed_in(405, url=_project_edit_url),  # POST only
    "projects/<slug:slug>/edit/members/<int:pk>/remove/": signed_in(405, url=_project_edit_url),
    "projects/<slug:slug>/edit/outputs/": for_roles(LEAD, STAFF, url=_project_edit_url),
    "projects/<slug:slug>/edit/outputs/<int:pk>/": for_roles(LEAD, STAFF, url=_project_edit_url),
    "projects/<slug:slug>/edit/outputs/<int:pk>/delete/": for_roles(LEAD, STAFF, url=_project_edit_url),
    "themes/": public(),
    "themes/<slug:slug>/": public(url=_theme_url),
    # visits: a stay is seen by its visitor, its host and staff only; the rest get "not found".
    "visits/": public(),
    "visits/new/": signed_in(),
    "visits/availability.json": signed_in(400),  # without dates: a clear error in JSON
    "visits/here/": public(),
    "visits/occupancy/": staff_rights(),
    "visits/arrivals.ics": staff_rights(),
    "visits/arrivals/token/": public(405),  # POST only
    "visits/endorse/<str:token>/": public(url=_endorse_url),  # the signed link is the proof
    "visits/<int:pk>/": for_roles(VISITOR, HOST, STAFF, url=_visit_url),
    "visits/<int:pk>/withdraw/": signed_in(405, url=_visit_url),  # POST only
    "visits/<int:pk>/extend/": for_roles(VISITOR, url=_visit_url),  # the visitor only
    "visits/<int:pk>/letter/": for_roles(VISITOR, STAFF, url=_visit_url),  # not even the host
    "visits/<int:pk>/letter.pdf": for_roles(VISITOR, STAFF, url=_visit_url),  # as the print page
    "visits/<int:pk>/stay.ics": for_roles(VISITOR, HOST, STAFF, url=_visit_url),
    # The activity report (reports): staff only; anonymous -> sign in, signed-in non-staff -> 403.
    "report/": staff_rights(),
    "report/<slug:table>.csv": staff_rights(url=lambda route: "/report/attendance.csv"),
}


# --- The admin, by rule ---------------------------------------------------------------------


# Rows the admin's object URLs are built from, per model, when the table has none of its own.
# model label -> callable creating one row. Models not listed use their first existing row.
def _social_account():
    account = SocialAccount.objects.filter(provider="orcid").first()
    uid = "0000-0002-1825-0097"
    return account or SocialAccount.objects.create(user=UserFactory(), provider="orcid", uid=uid)


def _social_token():
    app = SocialApp.objects.create(provider="orcid", name="ORCID", client_id="id", secret="secret")
    return SocialToken.objects.create(app=app, account=_social_account(), token="token")


def _factories():
    import tests.factories

    return tests.factories


def _extension():
    from visits.models import Extension, Visit

    visit = _factories().VisitFactory(status=Visit.Status.APPROVED)
    return Extension.objects.create(
        visit=visit, new_last_day=visit.last_day + dt.timedelta(days=7), reason="More data to analyse."
    )


def _outbox_message():
    """The confirmation mail a subscription request writes to the outbox."""
    from events.services import series_subscription_request
    from hubsite.models import OutboxMessage

    series_subscription_request(
        series=_factories().SeriesFactory(), email="reader@example.org", language="en"
    )
    return OutboxMessage.objects.latest("pk")


ADMIN_OBJECTS: dict[str, Callable[[], object]] = {
    "auth.group": lambda: Group.objects.create(name="Editors"),
    "mfa.authenticator": lambda: Authenticator.objects.get(user=make_staff_with_totp()[0]),
    "socialaccount.socialapp": lambda: _social_token().app,
    "socialaccount.socialtoken": _social_token,
    "socialaccount.socialaccount": _social_account,
    # The site's own models, built with the shared factories.
    "researchers.theme": lambda: _factories().ThemeFactory(),
    "researchers.institution": lambda: _factories().InstitutionFactory(),
    "researchers.researcher": lambda: _factories().ResearcherFactory(),
    "events.room": lambda: _factories().RoomFactory(),
    "events.series": lambda: _factories().SeriesFactory(),
    "events.event": lambda: _factories().EventFactory(),
    "events.registration": lambda: _factories().RegistrationFactory(),
    "events.seriessubscription": lambda: _factories().SeriesSubscriptionFactory(),
    "projects.project": lambda: _factories().ProjectFactory(),
    "projects.projectoutput": lambda: _factories().ProjectOutputFactory(),
    "visits.workspace": lambda: _factories().WorkspaceFactory(),
    "visits.visit": lambda: _factories().VisitFactory(),
    "visits.extension": _extension,
    "hubsite.outboxmessage": _outbox_message,
}

_ADMIN_MODEL = re.compile(r"^admin/(?P<app>[a-z0-9_]+)/(?P<model>[a-z0-9_]+)/")


def admin_object_url(route: str) -> str:
    """Fill <path:object_id> or <id> of an admin route with a real row of its model."""
    match = _ADMIN_MODEL.match(route)
    model = apps.get_model(match["app"], match["model"])
    obj = model._default_manager.order_by("pk").first()
    if obj is None:
        factory = ADMIN_OBJECTS.get(model._meta.label_lower)
        assert factory is not None, (
            f"No {model._meta.label} row to build {route!r}: add "
            f"'{model._meta.label_lower}': lambda: <create one> to ADMIN_OBJECTS in {__name__}"
        )
        obj = factory()
    return "/" + re.sub(r"<(path:object_id|id|int:pk)>", str(obj.pk), route)


# Patterns that exist only in some configurations, so they are not reported as stale when absent.
OPTIONAL_EXPECTATIONS: dict[str, Expect] = {
    # Media files are served by the development server only (DEBUG); none exists under this name.
    "^media/(?P<path>.*)$": public(404, url=lambda route: "/media/no-such-file.png"),
}

# First matching rule wins. Every admin page is staff-only; others are sent to the sign-in.
ADMIN_RULES: list[tuple[str, Expect]] = [
    # Things only services create or remove: no "add" for mail, stays (a stay starts at
    # /visits/new/), registrations and subscriptions (people make those themselves, with their
    # confirmation), and nothing published is deleted (it is cancelled).
    (
        r"^admin/(hubsite/outboxmessage|visits/visit|visits/extension|events/registration|events/seriessubscription)/add/$",
        staff_only(403),
    ),
    # Nor deleted: they are cancelled, answered or unsubscribed through their services instead.
    (
        r"^admin/(hubsite/outboxmessage|visits/visit|visits/extension|events/registration|events/seriessubscription)/<path:object_id>/delete/$",
        staff_only(403, url=admin_object_url),
    ),
    # A published event's delete page sends staff back to it, saying to cancel it instead.
    (r"^admin/events/event/<path:object_id>/delete/$", staff_only(302, url=admin_object_url)),
    (r"^admin/$", staff_only()),
    # Staff sign in through allauth (and its MFA): the admin's own form only redirects there, and
    # refuses a signed-in person who is not staff.
    (r"^admin/login/$", answers(anonymous=302, signed_in=403, staff_without_mfa=302, staff=302)),
    (r"^admin/logout/$", staff_only(405)),  # POST only
    (r"^admin/password_change/(done/)?$", staff_only()),
    (r"^admin/autocomplete/$", staff_only(403, others=302)),
    (r"^admin/jsi18n/$", staff_only()),
    # Sites have no public page, so "view on site" answers 404 even to staff.
    (r"^admin/r/", staff_only(404, url=_view_on_site_url)),
    (r"^admin/\^\(\?P<app_label>", staff_only(url=lambda route: "/admin/auth/")),
    (r"^admin/\(\?P<url>", staff_only(404, url=lambda route: "/admin/no/such/page/")),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/$", staff_only()),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/add/$", staff_only()),
    (
        r"^admin/[a-z0-9_]+/[a-z0-9_]+/<path:object_id>/(change|history|delete)/$",
        staff_only(url=admin_object_url),
    ),
    (r"^admin/[a-z0-9_]+/[a-z0-9_]+/<path:object_id>/$", staff_only(302, url=admin_object_url)),
    (r"^admin/auth/user/<id>/password/$", staff_only(url=admin_object_url)),
    # The site's own admin pages: generating a series' sessions (a form), an e-mail's HTML preview.
    (r"^admin/events/series/<int:pk>/generate/$", staff_only(url=admin_object_url)),
    (r"^admin/hubsite/outboxmessage/<int:pk>/preview/$", staff_only(url=admin_object_url)),
    # django-import-export: the import and export forms; the last step takes the import's POST only.
    (r"^admin/researchers/[a-z]+/(import|export)/$", staff_only()),
    (r"^admin/researchers/[a-z]+/process_import/$", staff_only(405)),
]


def expectation_for(route: str) -> Expect | None:
    if route in EXPECTATIONS:
        return EXPECTATIONS[route]
    if route in OPTIONAL_EXPECTATIONS:
        return OPTIONAL_EXPECTATIONS[route]
    if route.startswith("admin/"):
        for pattern, expect in ADMIN_RULES:
            if re.match(pattern, route):
                return expect
    return None


def path_for(route: str, expect: Expect) -> str:
    if expect.url is not None:
        return expect.url(route)
    assert "<" not in route and "(?P" not in route, (
        f"{route!r} has parameters: give its line in {__name__} a url=lambda route: '/real/path/'"
    )
    return "/" + route.lstrip("^").rstrip("$")


def _event_invite_url(route: str) -> str:
    from tests.factories import EventFactory

    return f"/admin/events/event/{EventFactory().pk}/invite/"


# The invitation page of a published event (events.admin.EventAdmin.invite_view).
EXPECTATIONS["admin/events/event/<int:pk>/invite/"] = staff_only(url=_event_invite_url)


__all__ = [
    "ADMIN_OBJECTS",
    "ADMIN_RULES",
    "EXPECTATIONS",
    "ROLES",
    "Expect",
    "answers",
    "expectation_for",
    "for_roles",
    "path_for",
    "public",
    "signed_in",
    "staff_only",
    "staff_rights",
]
assert (ANONYMOUS, USER, RESEARCHER, REGISTRANT, VISITOR, HOST, LEAD, STAFF_WITHOUT_MFA, STAFF) == ROLES
assert tuple(field for field in Expect.__dataclass_fields__ if field not in ("url", "csrf_exempt")) == ROLES
