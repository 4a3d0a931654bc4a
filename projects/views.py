from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hubsite.pagecache import page_query, public_page, store_query
from researchers.models import Institution, Theme

from . import services
from .forms import MemberAddForm, MemberRoleForm, OutputForm, ProjectEditForm, ProjectFilterForm
from .models import Project, ProjectMember, ProjectOutput, ProjectPartner
from .privacy import people_shown
from .services import PROJECT_EDITABLE_FIELDS

PROJECTS_PER_PAGE = 24
UPCOMING_SEMINARS = 20
PAST_SEMINARS = 10
ROLE_ORDER = {role: index for index, role in enumerate(ProjectMember.Role.values)}


def theme_calendar_path(theme: Theme) -> str:
    """The theme's iCalendar feed, served by the events app (linked by path, not imported)."""
    return "/events/calendar.ics?" + urlencode({"theme": theme.slug})


def _seminars(manager, user):
    """Upcoming and past seminars through a reverse relation (project.events, theme.events)."""
    visible = (
        manager.visible_to(user)
        .select_related("series", "room")
        .prefetch_related("speaker_links__researcher")
    )
    return visible.upcoming()[:UPCOMING_SEMINARS], visible.past()[:PAST_SEMINARS]


@public_page(query=[*ProjectFilterForm.base_fields, "page"])
def project_list(request):
    form = ProjectFilterForm(request.GET or None)
    projects = form.filter(Project.objects.public()).ordered_for_listing().with_listing_data()
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    store_query(request, page_query(form, page=page.number))
    return render(request, "projects/project_list.html", {"form": form, "page": page, "projects": page})


def project_visitors(project: Project):
    """Visitors of the project at the hub now and before, under the privacy rule (people_shown):
    opt-in researchers named, the others counted. Two queries.

    The stays come through the reverse relation `project.visits` (visits.Visit.project), and the
    filters are the stay model's own QuerySet methods (`confirmed()`, `current()`, `past()`), so
    this app neither imports the visits app nor names a stay status.
    """
    stays = project.visits.confirmed().select_related("researcher__institution").order_by("-first_day", "pk")
    now = [stay.researcher for stay in stays.current()]
    before = [stay.researcher for stay in stays.past()]
    return people_shown(now), people_shown(before)


@public_page
def project_detail(request, slug):
    project = get_object_or_404(
        Project.objects.visible_to(request.user).select_related("lead__institution"), slug=slug
    )
    memberships = sorted(
        project.memberships.select_related("researcher__institution"),
        key=lambda m: (ROLE_ORDER[m.role], m.researcher.display_name.casefold()),
    )
    upcoming, past = _seminars(project.events, request.user)
    visitors_now, visitors_before = project_visitors(project)
    context = {
        "project": project,
        "themes": project.themes.all(),
        "members": people_shown(memberships, researcher=lambda m: m.researcher),
        "partners": project.partner_links.filter(institution__is_public=True).select_related("institution"),
        "outputs": project.outputs.all(),
        "upcoming": upcoming,
        "past": past,
        "visitors_now": visitors_now,
        "visitors_before": visitors_before,
        "can_edit": Project.objects.editable_by(request.user).filter(pk=project.pk).exists()
        if request.user.is_authenticated
        else False,
    }
    return render(request, "projects/project_detail.html", context)


@public_page
def theme_list(request):
    themes = Theme.objects.annotate(
        project_count=Count("projects", filter=Q(projects__is_public=True), distinct=True)
    )
    return render(request, "projects/theme_list.html", {"themes": themes})


@public_page
def theme_detail(request, slug):
    theme = get_object_or_404(Theme, slug=slug)
    projects = theme.projects.public().ordered_for_listing().with_listing_data()
    researchers = theme.researchers.listed().select_related("institution")
    partner_ids = ProjectPartner.objects.filter(project__in=theme.projects.public()).values("institution")
    researcher_institution_ids = theme.researchers.listed().values("institution")
    partners = Institution.objects.public().filter(
        Q(pk__in=partner_ids) | Q(pk__in=researcher_institution_ids)
    )
    upcoming, _past = _seminars(theme.events, request.user)
    context = {
        "theme": theme,
        "projects": projects,
        "upcoming": upcoming,
        "researchers": researchers,
        "partners": partners,
        "calendar_path": theme_calendar_path(theme),
    }
    return render(request, "projects/theme_detail.html", context)


# --- Editing by the project's leads -------------------------------------------------------
# Anyone who may not edit a project gets 404 on every edit page, whether or not the project is
# public, so that the answer never tells a private project exists. Its members already know it
# exists: a member who is not (or no longer) a lead is sent to the project's page and told so,
# with the words the services use when they refuse under the project lock, so a co-lead who lost
# a race (demoted by another co-lead a moment before) reads the same message either way.


def _not_a_lead(request, slug: str):
    researcher = getattr(request.user, "researcher", None)
    if researcher is None or not Project.objects.for_member(researcher).filter(slug=slug).exists():
        raise Http404
    messages.error(request, services.not_a_lead_message())
    return redirect("projects:detail", slug=slug)


def for_leads(view):
    """The project by slug if the person may edit it; everyone else as above. Under login_required."""

    @wraps(view)
    def wrapper(request, slug, **kwargs):
        project = Project.objects.editable_by(request.user).select_related("lead").filter(slug=slug).first()
        if project is None:
            return _not_a_lead(request, slug)
        return view(request, project, **kwargs)

    return wrapper


def _refused(request, project: Project, error: ValidationError, *, back: str):
    """The answer to a service's refusal that no form can show: the person is no longer a lead
    (to the project's page, or the list when they can no longer see it), or the row is gone (back
    to `back` with the message). None for the refusals a form shows next to its fields."""
    code = getattr(error, "code", None)
    if code == services.NOT_A_LEAD_CODE:
        messages.error(request, " ".join(error.messages))
        if Project.objects.visible_to(request.user).filter(pk=project.pk).exists():
            return redirect("projects:detail", slug=project.slug)
        return redirect("projects:list")
    if code == services.GONE_CODE:
        messages.error(request, " ".join(error.messages))
        return redirect(back, slug=project.slug)
    return None


@login_required
@for_leads
def project_edit(request, project):
    form = ProjectEditForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                project=project,
                by=request.user,
                changes={name: form.cleaned_data[name] for name in PROJECT_EDITABLE_FIELDS},
                themes=form.cleaned_data["themes"],
            )
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:edit")
            if refused:
                return refused
            form.add_error(None, error)
        else:
            messages.success(request, _("The project was saved."))
            return redirect("projects:edit", slug=project.slug)
    return render(
        request, "projects/edit_project.html", {"project": project, "form": form, "section": "summary"}
    )


def _members_page(request, project, *, add_form=None, role_form=None, status=200):
    memberships = sorted(
        project.memberships.select_related("researcher__institution"),
        key=lambda m: (ROLE_ORDER[m.role], m.researcher.display_name.casefold()),
    )
    rows = []
    for membership in memberships:
        membership.project = project
        form = role_form if role_form is not None and role_form.membership.pk == membership.pk else None
        if form is None:
            form = MemberRoleForm(
                membership=membership, prefix=f"member-{membership.pk}", initial={"role": membership.role}
            )
        rows.append((membership, form))
    context = {
        "project": project,
        "rows": rows,
        "add_form": add_form or MemberAddForm(project=project, prefix="add"),
        "section": "members",
    }
    return render(request, "projects/edit_members.html", context, status=status)


@login_required
@for_leads
def member_list(request, project):
    if request.method != "POST":
        return _members_page(request, project)
    form = MemberAddForm(request.POST, project=project, prefix="add")
    if form.is_valid():
        try:
            membership = services.project_member_add(
                project=project,
                by=request.user,
                researcher=form.cleaned_data["researcher"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:members")
            if refused:
                return refused
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s was added to the project.") % {"name": membership.researcher.display_name},
            )
            return redirect("projects:members", slug=project.slug)
    return _members_page(request, project, add_form=form)


def _membership_or_gone(request, project, pk):
    """The membership, or None after telling that it is gone (removed in another tab, say)."""
    membership = project.memberships.select_related("researcher").filter(pk=pk).first()
    if membership is None:
        messages.error(request, services.membership_gone_message())
        return None
    membership.project = project
    return membership


@login_required
@require_POST
@for_leads
def member_change(request, project, pk):
    membership = _membership_or_gone(request, project, pk)
    if membership is None:
        return redirect("projects:members", slug=project.slug)
    form = MemberRoleForm(request.POST, membership=membership, prefix=f"member-{membership.pk}")
    if form.is_valid():
        try:
            services.project_member_change_role(
                membership=membership, by=request.user, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:members")
            if refused:
                return refused
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The role of %(name)s was changed.") % {"name": membership.researcher.display_name}
            )
            return redirect("projects:members", slug=project.slug)
    return _members_page(request, project, role_form=form)


@login_required
@require_POST
@for_leads
def member_remove(request, project, pk):
    membership = _membership_or_gone(request, project, pk)
    if membership is None:
        return redirect("projects:members", slug=project.slug)
    try:
        services.project_member_remove(membership=membership, by=request.user)
    except ValidationError as error:
        refused = _refused(request, project, error, back="projects:members")
        if refused:
            return refused
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s was removed from the project.") % {"name": membership.researcher.display_name},
        )
    return redirect("projects:members", slug=project.slug)


def _output_values(form) -> dict:
    return {name: form.cleaned_data[name] for name in services.OUTPUT_FIELDS}


@login_required
@for_leads
def output_list(request, project):
    form = OutputForm(request.POST or None, instance=ProjectOutput(project=project))
    if request.method == "POST" and form.is_valid():
        try:
            services.project_output_add(project=project, by=request.user, **_output_values(form))
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:outputs")
            if refused:
                return refused
            form.add_error(None, error)
        else:
            messages.success(request, _("The output was added."))
            return redirect("projects:outputs", slug=project.slug)
    context = {"project": project, "outputs": project.outputs.all(), "form": form, "section": "outputs"}
    return render(request, "projects/edit_outputs.html", context)


def _output_or_gone(request, project, pk):
    """The output; a POST about one deleted in the meantime goes back to the list with a message."""
    output = project.outputs.filter(pk=pk).first()
    if output is None:
        if request.method != "POST":
            raise Http404
        messages.error(request, services.output_gone_message())
    return output


@login_required
@for_leads
def output_change(request, project, pk):
    output = _output_or_gone(request, project, pk)
    if output is None:
        return redirect("projects:outputs", slug=project.slug)
    form = OutputForm(request.POST or None, instance=output)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_output_update(output=output, by=request.user, **_output_values(form))
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:outputs")
            if refused:
                return refused
            form.add_error(None, error)
        else:
            messages.success(request, _("The output was saved."))
            return redirect("projects:outputs", slug=project.slug)
    context = {"project": project, "output": output, "form": form, "section": "outputs"}
    return render(request, "projects/edit_output.html", context)


@login_required
@for_leads
def output_delete(request, project, pk):
    output = _output_or_gone(request, project, pk)
    if output is None:
        return redirect("projects:outputs", slug=project.slug)
    if request.method == "POST":
        try:
            services.project_output_delete(output=output, by=request.user)
        except ValidationError as error:
            refused = _refused(request, project, error, back="projects:outputs")
            if refused:
                return refused
            for message in error.messages:
                messages.error(request, message)
            return redirect("projects:outputs", slug=project.slug)
        messages.success(request, _("The output “%(title)s” was deleted.") % {"title": output.title})
        return redirect("projects:outputs", slug=project.slug)
    return render(
        request,
        "projects/edit_output_delete.html",
        {"project": project, "output": output, "section": "outputs"},
    )
