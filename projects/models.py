from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hubsite import fields, limits
from hubsite.access import has_staff_rights
from hubsite.i18n import ReaderLanguageName
from hubsite.validators import http_url_validator
from researchers.models import Institution, Researcher, Theme

from .identifiers import validate_arxiv_id, validate_doi

OUTPUT_YEAR_MIN = 1950
OUTPUT_YEAR_MAX = 2100  # the forms narrow this to "no later than next year"


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.filter(is_public=True)

    def active(self):
        return self.filter(status=Project.Status.ACTIVE)

    def for_member(self, researcher: Researcher):
        """Projects `researcher` belongs to, in any role (the lead is always a member too)."""
        return self.filter(Q(lead=researcher) | Q(memberships__researcher=researcher)).distinct()

    def for_researcher(self, researcher: Researcher):
        """Alias of for_member for profile pages: `Project.objects.public().for_researcher(r)`."""
        return self.for_member(researcher)

    def for_institution(self, institution: Institution):
        """Projects where `institution` is a partner (any role)."""
        return self.filter(partner_links__institution=institution).distinct()

    def for_theme(self, theme: Theme):
        return self.filter(themes=theme).distinct()

    def visible_to(self, user):
        """Public projects, plus private ones the user belongs to or manages."""
        if has_staff_rights(user):
            return self
        researcher = getattr(user, "researcher", None) if user.is_authenticated else None
        if researcher is None:
            return self.public()
        return self.filter(
            Q(is_public=True) | Q(lead=researcher) | Q(memberships__researcher=researcher)
        ).distinct()

    def editable_by(self, user):
        """Projects `user` may edit from the site: staff all, a lead (or co-lead) their own."""
        if not user.is_authenticated:
            return self.none()
        if has_staff_rights(user):
            return self
        researcher = getattr(user, "researcher", None)
        if researcher is None:
            return self.none()
        return self.filter(
            Q(lead=researcher)
            | Q(memberships__researcher=researcher, memberships__role=ProjectMember.Role.LEAD)
        ).distinct()

    def ordered_for_listing(self):
        return self.order_by(F("start_date").desc(nulls_last=True), "title", "pk")

    def with_listing_data(self):
        """Everything a list of project cards shows, in a constant number of queries."""
        return self.select_related("lead").prefetch_related(
            "themes",
            models.Prefetch(
                "partner_links",
                queryset=ProjectPartner.objects.select_related("institution").order_by(
                    "role", "institution__name"
                ),
            ),
        )


class Project(ReaderLanguageName, models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("project status", "Proposed")
        ACTIVE = "active", pgettext_lazy("project status", "Active")
        COMPLETED = "completed", pgettext_lazy("project status", "Completed")

    title = models.CharField(_("title"), max_length=250)
    title_ko = models.CharField(_("Korean title"), max_length=250, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    summary = fields.TextField(_("summary (Markdown)"), max_length=limits.LONG_TEXT, blank=True)
    themes = fields.ManyToManyField(Theme, blank=True, related_name="projects", verbose_name=_("themes"))
    lead = models.ForeignKey(
        Researcher,
        on_delete=models.PROTECT,
        related_name="led_projects",
        verbose_name=_("lead"),
        help_text=_("A hub member."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    start_date = fields.DateField(_("start date"), null=True, blank=True)
    end_date = fields.DateField(_("end date"), null=True, blank=True)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Show this project on the public pages of the hub.")
    )
    website = models.URLField(
        _("website"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    repository_url = models.URLField(
        _("code repository"), max_length=limits.URL, blank=True, validators=[http_url_validator]
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [models.Index(fields=["is_public", "status"])]
        constraints = [
            limits.length_check("summary", limits.LONG_TEXT),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="project_ends_after_it_starts",
                violation_error_message=_("A project cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.title

    NAME_FIELD = "title"  # display_name and display_title: the title in the reader's language

    @property
    def display_title(self) -> str:
        return self.display_name


class ProjectMember(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("Lead")
        MEMBER = "member", _("Member")
        VISITING_MEMBER = "visiting", _("Visiting member")
        INDUSTRY_LIAISON = "industry", _("Industry liaison")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    researcher = models.ForeignKey(
        Researcher, on_delete=models.CASCADE, related_name="project_memberships", verbose_name=_("researcher")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "role", "researcher__name", "pk"]
        verbose_name = _("project member")
        verbose_name_plural = _("project members")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "researcher"],
                name="projectmember_once_per_project",
                violation_error_message=_("This researcher is already a member of this project."),
            )
        ]

    def __str__(self):
        return f"{self.researcher} ({self.get_role_display()})"


class ProjectPartner(models.Model):
    class Role(models.TextChoices):
        PARTNER = "partner", _("Partner")
        FUNDER = "funder", _("Funder")
        INDUSTRY_PARTNER = "industry", _("Industry partner")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="partner_links")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="project_links", verbose_name=_("institution")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PARTNER)

    class Meta:
        ordering = ["project", "role", "institution__name", "pk"]
        verbose_name = _("project partner")
        verbose_name_plural = _("project partners")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "institution"],
                name="projectpartner_once_per_project",
                violation_error_message=_("This institution is already a partner of this project."),
            )
        ]

    def __str__(self):
        return f"{self.institution} ({self.get_role_display()})"


class ProjectOutput(models.Model):
    class Kind(models.TextChoices):
        PAPER = "paper", _("Paper")
        PREPRINT = "preprint", _("Preprint")
        DATASET = "dataset", _("Dataset")
        SOFTWARE = "software", _("Software")
        PATENT = "patent", _("Patent")
        TALK = "talk", _("Talk")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outputs")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PAPER)
    title = models.CharField(_("title"), max_length=400)
    authors = models.CharField(
        _("authors"), max_length=1000, blank=True, help_text=_("As written in the output.")
    )
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(OUTPUT_YEAR_MIN), MaxValueValidator(OUTPUT_YEAR_MAX)]
    )
    doi = models.CharField(
        _("DOI"),
        max_length=255,
        blank=True,
        validators=[validate_doi],
        help_text=_("For example 10.1234/abc.5678 (a https://doi.org/ link is fine too)."),
    )
    arxiv_id = models.CharField(
        _("arXiv id"),
        max_length=40,
        blank=True,
        validators=[validate_arxiv_id],
        help_text=_("For example 2101.00001 or hep-th/9901001."),
    )
    url = models.URLField(_("link"), max_length=limits.URL, blank=True, validators=[http_url_validator])
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("project output")
        verbose_name_plural = _("project outputs")
        constraints = [
            # The same DOI is recorded once on the whole site, whatever its spelling or case.
            models.UniqueConstraint(
                Lower("doi"),
                condition=~Q(doi=""),
                name="projectoutput_doi_unique_ci",
                violation_error_message=_("This DOI is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=OUTPUT_YEAR_MIN) & Q(year__lte=OUTPUT_YEAR_MAX),
                name="projectoutput_year_sane",
                violation_error_message=_("Enter a year between 1950 and 2100."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""
