import json

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from hubsite.access import has_staff_rights
from hubsite.pagecache import page_query, public_page, store_query

from .forms import AccountDeleteForm, PartnerFilterForm, ProfileForm, ResearcherFilterForm
from .models import Institution, Researcher, Theme, public_projects, public_talks_prefetch
from .privacy import people_shown
from .services import (
    researcher_account_delete,
    researcher_export,
    researcher_link_verified_account,
    researcher_profile_create,
    researcher_profile_update,
)

RESEARCHERS_PER_PAGE = 48


def _distinct_countries(queryset, field: str = "country") -> list[str]:
    return list(queryset.order_by().values_list(field, flat=True).distinct())


@require_GET
@public_page(query=PartnerFilterForm.base_fields)
def partner_list(request):
    active = Institution.objects.active_partners()
    form = PartnerFilterForm(request.GET or None, country_codes=_distinct_countries(active))
    store_query(request, page_query(form))
    partners = active.with_public_seminar_count().with_stay_count()
    if form.is_bound:
        form.is_valid()
        if kind := form.cleaned_data.get("kind"):
            partners = partners.filter(kind=kind)
        if country := form.cleaned_data.get("country"):
            partners = partners.filter(country=country)
    groups: dict[str, dict] = {}
    for partner in sorted(partners, key=lambda p: (p.country.name, p.display_name.casefold())):
        groups.setdefault(partner.country.code, {"country": partner.country, "partners": []})
        groups[partner.country.code]["partners"].append(partner)
    return render(
        request,
        "researchers/partner_list.html",
        {
            "form": form,
            "groups": list(groups.values()),
            "filtered": bool(form.is_bound and form.has_changed()),
        },
    )


@require_GET
@public_page
def partner_detail(request, slug):
    staff = has_staff_rights(request.user)
    visible = Institution.objects.all() if staff else Institution.objects.public()
    institution = get_object_or_404(visible, slug=slug)
    if institution.partnership_status == Institution.PartnershipStatus.PROSPECTIVE and not staff:
        raise Http404
    people = list(
        Researcher.objects.listed()
        .filter(institution=institution)
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("ordering", "name")))
        .order_by("name")
    )
    # Talks by every person of the institution: speakers are public on the seminar pages anyway,
    # but only opted-in researchers get a link to a profile.
    talks = (
        public_talks_prefetch()
        .queryset.filter(researcher__institution=institution)
        .select_related("researcher")
    )
    return render(
        request,
        "researchers/partner_detail.html",
        {
            "institution": institution,
            "people": people,
            "talks": list(talks),
            **_partner_stays(institution),
            "projects": public_projects().for_institution(institution),
        },
    )


def _partner_stays(institution: Institution) -> dict:
    """Stays of visitors who came from `institution`, now and before (two queries): how many, and
    who under the privacy rule (opt-in researchers named, the others counted)."""
    stays = institution.visits.confirmed().select_related("researcher").order_by("-first_day", "pk")
    current = list(stays.current())
    past = list(stays.past())
    return {
        "stays_now": current,
        "stays_before": past,
        "visitors_now": people_shown([stay.researcher for stay in current]),
        "visitors_before": people_shown([stay.researcher for stay in past]),
    }


@require_GET
@public_page(query=[*ResearcherFilterForm.base_fields, "page"])
def researcher_list(request):
    listed = Researcher.objects.listed()
    themes = list(Theme.objects.all())
    institutions = Institution.objects.filter(pk__in=listed.values("institution")).order_by("name")
    form = ResearcherFilterForm(
        request.GET or None,
        themes=themes,
        institutions=list(institutions),
        country_codes=_distinct_countries(listed),
    )
    researchers = listed
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        researchers = researchers.search(data.get("q") or "")
        if data.get("theme"):
            researchers = researchers.filter(themes__slug=data["theme"])
        if data.get("institution"):
            researchers = researchers.filter(institution__slug=data["institution"])
        if data.get("country"):
            researchers = researchers.filter(country=data["country"])
    researchers = (
        researchers.select_related("institution")
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.order_by("ordering", "name")))
        .order_by("name", "pk")
        .distinct()
    )
    page = Paginator(researchers, RESEARCHERS_PER_PAGE).get_page(request.GET.get("page"))
    store_query(request, page_query(form, unbounded=["q"], page=page.number))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "researchers/researcher_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@public_page
def researcher_detail(request, slug):
    researcher = get_object_or_404(
        Researcher.objects.select_related("institution").prefetch_related(
            Prefetch("themes", queryset=Theme.objects.order_by("ordering", "name")), public_talks_prefetch()
        ),
        slug=slug,
    )
    is_self = request.user.is_authenticated and researcher.user_id == request.user.pk
    if not researcher.listed_publicly and not (is_self or has_staff_rights(request.user)):
        raise Http404
    now = timezone.now()
    return render(
        request,
        "researchers/researcher_detail.html",
        {
            "researcher": researcher,
            "is_self": is_self,
            "upcoming_talks": [t for t in researcher.public_talks if t.event.end >= now][::-1],
            "past_talks": [t for t in researcher.public_talks if t.event.end < now],
            # Under way or over: a public page never tells when someone will be away from home.
            "stays": researcher.visits.confirmed().started().order_by("-first_day", "pk"),
            "today": timezone.localdate(),
            "projects": public_projects().for_researcher(researcher),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    researcher = researcher_link_verified_account(user=request.user)
    posted = request.method == "POST"
    form = ProfileForm(
        request.POST if posted else None, request.FILES if posted else None, instance=researcher
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "themes"}
        try:
            if researcher is None:
                researcher_profile_create(
                    user=request.user, fields=fields, themes=form.cleaned_data["themes"]
                )
                messages.success(request, _("Your profile is saved. Welcome to the hub!"))
            else:
                researcher_profile_update(
                    researcher=researcher, fields=fields, themes=form.cleaned_data["themes"]
                )
                messages.success(request, _("Your profile is saved."))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("researchers:profile")
    return render(request, "researchers/profile.html", {"researcher": researcher, "form": form})


@login_required
@require_GET
def profile_export(request):
    data = researcher_export(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"hub-my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def profile_delete(request):
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        researcher_account_delete(user=user)
        messages.success(request, _("Your account is deleted. Thank you for having been part of the hub."))
        return redirect("/")
    return render(request, "researchers/profile_delete.html", {"form": form})
