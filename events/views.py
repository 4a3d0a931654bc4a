from django.shortcuts import render

from researchers.models import Institution, Theme

from .models import Event


def home(request):
    upcoming = (
        Event.objects.visible_to(request.user)
        .upcoming()
        .select_related("series", "room")
        .prefetch_related("speaker_links__researcher__institution")[:6]
    )
    context = {
        "upcoming": upcoming,
        "themes": Theme.objects.all(),
        "partners": Institution.objects.active_partners().exclude(logo="")[:12],
    }
    return render(request, "events/home.html", context)
