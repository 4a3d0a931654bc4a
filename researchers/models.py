import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from hubsite import fields, limits
from hubsite.i18n import ReaderLanguageName
from hubsite.validators import http_url_validator, validate_orcid

from .validators import image_extension_validator, validate_image_size, validate_safe_markdown

AGREEMENT_WARNING_DAYS = 90
SLUG_HELP = _("Part of the page address: lower-case letters, digits and hyphens.")


def _speaker_link_model():
    """The events app's speaker link model, found through the reverse relation (no import)."""
    return Researcher._meta.get_field("speaker_links").related_model


def public_talks_prefetch(lookup: str = "speaker_links", to_attr: str = "public_talks") -> models.Prefetch:
    """Talks given at published, public seminars, newest first, each with its event."""
    links = _speaker_link_model()._default_manager.filter(
        event__status="published", event__visibility="public"
    )
    return models.Prefetch(
        lookup, queryset=links.select_related("event").order_by("-event__start", "pk"), to_attr=to_attr
    )


def _stay_model():
    """The visits app's stay model, found through the reverse relation (no import)."""
    return Institution._meta.get_field("visits").related_model


def counted_stay_statuses() -> list[str]:
    """Stored values of the stay statuses public pages count (approved, checked in, completed)."""
    return [str(status) for status in _stay_model().DESK_HOLDING]


def _project_model():
    """The projects app's Project model, found through the reverse relation (no import)."""
    return Researcher._meta.get_field("led_projects").related_model


def public_projects():
    """Public projects as cards show them (templates/projects/includes/project_list.html), in a
    constant number of queries; narrow with `.for_institution(i)` or `.for_researcher(r)`."""
    return _project_model().objects.public().ordered_for_listing().with_listing_data()


class Theme(ReaderLanguageName, models.Model):
    name = models.CharField(_("name"), max_length=120)
    name_ko = models.CharField(_("Korean name"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.CharField(_("short description"), max_length=300, blank=True)
    ordering = models.PositiveSmallIntegerField(_("ordering"), default=100)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("research theme")
        verbose_name_plural = _("research themes")

    def __str__(self):
        return self.name


class InstitutionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def active_partners(self):
        return self.public().filter(partnership_status=Institution.PartnershipStatus.ACTIVE)

    def with_public_seminar_count(self):
        """Annotate `seminar_count`: published public seminars given by the institution's people."""
        return self.annotate(
            seminar_count=models.Count(
                "researchers__speaker_links__event",
                filter=models.Q(
                    researchers__speaker_links__event__status="published",
                    researchers__speaker_links__event__visibility="public",
                ),
                distinct=True,
            )
        )

    def with_stay_count(self):
        """Annotate `stay_count`: stays that count (approved, checked in or completed) of visitors
        who came from the institution, by the institution they were at when they came (a person
        who moves on still counts for where they came from).

        String lookups over the reverse relation `visits` (visits.Visit.institution); the statuses
        are the stay model's own (`Visit.DESK_HOLDING`, reached through the relation), so there is
        one definition of what counts. The visits app calls this too.
        """
        return self.annotate(
            stay_count=models.Count(
                "visits", filter=models.Q(visits__status__in=counted_stay_statuses()), distinct=True
            )
        )


class Institution(ReaderLanguageName, models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        COMPANY = "company", _("Company")
        RESEARCH_INSTITUTE = "institute", _("Research institute")
        GOVERNMENT = "government", _("Government")
        NON_PROFIT = "nonprofit", _("Non-profit")

    class PartnershipStatus(models.TextChoices):
        PROSPECTIVE = "prospective", _("Prospective")
        ACTIVE = "active", _("Active")
        PAST = "past", _("Past")

    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=SLUG_HELP,
        error_messages={"unique": _("Another institution already uses this slug; choose another.")},
    )
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.UNIVERSITY)
    website = models.URLField(
        _("website"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    logo = models.ImageField(
        _("logo"),
        upload_to="institutions/",
        blank=True,
        validators=[image_extension_validator, validate_image_size],
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MB."),
    )
    description = fields.TextField(
        _("description (Markdown)"),
        max_length=limits.LONG_TEXT,
        blank=True,
        validators=[validate_safe_markdown],
    )
    partnership_status = models.CharField(
        _("partnership status"),
        max_length=20,
        choices=PartnershipStatus.choices,
        default=PartnershipStatus.PROSPECTIVE,
    )
    partnership_start = fields.DateField(_("partnership start"), null=True, blank=True)
    agreement_kind = models.CharField(_("agreement kind"), max_length=80, blank=True, help_text=_("e.g. MoU"))
    agreement_end = fields.DateField(_("agreement end"), null=True, blank=True)
    contacts = fields.ManyToManyField(
        "Researcher", blank=True, related_name="contact_for", verbose_name=_("contact people")
    )
    is_public = models.BooleanField(_("public"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            limits.length_check("description", limits.LONG_TEXT),
        ]

    def __str__(self):
        return self.name

    @property
    def agreement_ends_soon(self) -> bool:
        """The agreement ends within AGREEMENT_WARNING_DAYS (or has just ended): staff should act."""
        if self.agreement_end is None:
            return False
        today = timezone.localdate()
        return self.agreement_end <= today + dt.timedelta(days=AGREEMENT_WARNING_DAYS)


class ResearcherQuerySet(models.QuerySet):
    def listed(self):
        """Researchers who opted in to being shown publicly."""
        return self.filter(listed_publicly=True, anonymised_at__isnull=True)

    def search(self, text: str):
        """Name in English or Korean, any part, any letter case."""
        text = text.strip()
        if not text:
            return self
        return self.filter(models.Q(name__icontains=text) | models.Q(name_ko__icontains=text))

    def with_email(self, email: str):
        return self.filter(email__iexact=email.strip())


class Researcher(ReaderLanguageName, models.Model):
    """One person, with or without an account: speakers and visitors who never sign in too."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        KOREAN = "ko", _("Korean")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="researcher",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True)
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=SLUG_HELP,
        error_messages={"unique": _("Another researcher already uses this slug; choose another.")},
    )
    position = models.CharField(_("position or title"), max_length=200, blank=True)
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="researchers",
        verbose_name=_("current institution"),
    )
    country = CountryField(_("country"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Never shown publicly."))
    website = models.URLField(
        _("website"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid])
    themes = fields.ManyToManyField(Theme, blank=True, related_name="researchers", verbose_name=_("themes"))
    bio = fields.TextField(
        _("bio (Markdown)"), max_length=limits.LONG_TEXT, blank=True, validators=[validate_safe_markdown]
    )
    photo = models.ImageField(
        _("photo"),
        upload_to="researchers/",
        blank=True,
        validators=[image_extension_validator, validate_image_size],
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MB."),
    )
    listed_publicly = models.BooleanField(
        _("list me publicly"),
        default=False,
        help_text=_("Show this profile on the public pages of the hub."),
    )
    is_hub_member = models.BooleanField(_("hub member"), default=False, help_text=_("Can host visitors."))
    is_visiting = models.BooleanField(_("visiting researcher"), default=False)
    is_speaker = models.BooleanField(_("speaker"), default=False)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResearcherQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("researcher")
        verbose_name_plural = _("researchers")
        constraints = [
            limits.length_check("bio", limits.LONG_TEXT),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="researcher_email_unique_ci",
                violation_error_message=_("Another researcher already has this e-mail address."),
            ),
            models.UniqueConstraint(
                fields=["orcid"],
                condition=~models.Q(orcid=""),
                name="researcher_orcid_unique",
                violation_error_message=_("Another researcher already has this ORCID iD."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def orcid_url(self) -> str:
        return f"https://orcid.org/{self.orcid}" if self.orcid else ""

    @property
    def roles(self) -> list[str]:
        return [
            str(label)
            for flag, label in (
                (self.is_hub_member, _("Hub member")),
                (self.is_visiting, _("Visiting researcher")),
                (self.is_speaker, _("Speaker")),
            )
            if flag
        ]
