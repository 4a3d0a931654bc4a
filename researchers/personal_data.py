"""The person's account and researcher record, for "My data" (hubsite/personal_data.py).

The account side (Django's user, allauth's addresses, social accounts and authenticators, the
admin's record of a staff member's own actions) lives here, with the people it belongs to.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from hubsite.personal_data import Part, Section

from .models import Institution, Researcher

User = get_user_model()
ResearcherThemes = Researcher.themes.through
InstitutionContacts = Institution.contacts.through
UserGroups = User.groups.through
UserPermissions = User.user_permissions.through

SECTIONS = [
    Section(
        "account",
        Part(
            "auth.User",
            fields=(
                "id",
                "username",
                "email",
                "first_name",
                "last_name",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
                "last_login",
            ),
        ),
        lambda person: User.objects.filter(pk=person.user.pk),
    ),
    Section(
        "groups",
        Part("auth.User_groups", names={"group": lambda row: row.group.name}),
        lambda person: UserGroups.objects.filter(user=person.user).select_related("group").order_by("pk"),
    ),
    Section(
        "permissions",
        Part("auth.User_user_permissions", names={"permission": lambda row: row.permission.codename}),
        lambda person: (
            UserPermissions.objects.filter(user=person.user).select_related("permission").order_by("pk")
        ),
    ),
    Section(
        "email_addresses",
        Part("account.EmailAddress", fields=("id", "email", "verified", "primary")),
        lambda person: EmailAddress.objects.filter(user=person.user).order_by("pk"),
    ),
    Section(
        "social_accounts",
        Part(
            "socialaccount.SocialAccount",
            fields=("id", "provider", "uid", "last_login", "date_joined", "extra_data"),
        ),
        lambda person: SocialAccount.objects.filter(user=person.user).order_by("pk"),
    ),
    Section(
        "two_factor_methods",
        Part("mfa.Authenticator", fields=("id", "type", "created_at", "last_used_at")),
        lambda person: Authenticator.objects.filter(user=person.user).order_by("pk"),
    ),
    Section(
        "admin_actions",
        Part(
            "admin.LogEntry",
            fields=("id", "action_time", "action_flag"),
            names={"content_type": lambda row: row.content_type.model if row.content_type else ""},
        ),
        lambda person: (
            LogEntry.objects.filter(user=person.user).select_related("content_type").order_by("pk")
        ),
    ),
    Section(
        "researcher",
        Part(
            "researchers.Researcher",
            fields=(
                "id",
                "name",
                "name_ko",
                "slug",
                "position",
                "country",
                "email",
                "website",
                "orcid",
                "bio",
                "photo",
                "listed_publicly",
                "is_hub_member",
                "is_visiting",
                "is_speaker",
                "preferred_language",
                "anonymised_at",
                "created",
                "updated",
            ),
            names={"institution": lambda r: r.institution.name if r.institution else ""},
        ),
        lambda person: Researcher.objects.filter(user=person.user).select_related("institution"),
    ),
    Section(
        "themes",
        Part("researchers.Researcher_themes", names={"theme": lambda row: row.theme.name}),
        lambda person: (
            ResearcherThemes.objects.filter(researcher__user=person.user)
            .select_related("theme")
            .order_by("pk")
        ),
    ),
    Section(
        "contact_for_institutions",
        Part("researchers.Institution_contacts", names={"institution": lambda row: row.institution.name}),
        lambda person: (
            InstitutionContacts.objects.filter(researcher__user=person.user)
            .select_related("institution")
            .order_by("pk")
        ),
    ),
]

SELF = "the person themself"
ROW = "the number of a link row"

WITHHELD = {
    "auth.User": {"password": "a hash of the password: a secret"},
    "auth.User_groups": {"id": ROW, "user": SELF},
    "auth.User_user_permissions": {"id": ROW, "user": SELF},
    "account.EmailAddress": {"user": SELF},
    "socialaccount.SocialAccount": {"user": SELF},
    "mfa.Authenticator": {"user": SELF, "data": "the authenticator's secret key and recovery codes"},
    "admin.LogEntry": {
        "user": SELF,
        "object_id": "the row changed: often another person's",
        "object_repr": "names the row changed: often another person",
        "change_message": "describes another person's row",
    },
    "researchers.Researcher": {"user": SELF},
    "researchers.Researcher_themes": {"id": ROW, "researcher": SELF},
    "researchers.Institution_contacts": {"id": ROW, "researcher": SELF},
}
