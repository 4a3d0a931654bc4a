import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.factories import MemberFactory, StaffFactory, UserFactory, WorkspaceFactory
from tests.signin import force_login_with_mfa
from visits.models import DeskAllocation, Visit, Workspace

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_workspaces_and_stays_once(client):
    call_command("seed_demo")
    counts = (Workspace.objects.count(), Visit.objects.count(), DeskAllocation.objects.count())
    call_command("seed_demo")
    assert (Workspace.objects.count(), Visit.objects.count(), DeskAllocation.objects.count()) == counts
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert {"approved", "submitted", "checked_in"} <= statuses
    assert "Sarah Chen" in client.get(reverse("visits:here")).content.decode()


def test_a_visitor_registers_the_host_endorses_from_the_mail_and_staff_approve(
    client, today, django_capture_on_commit_callbacks
):
    import datetime as dt

    WorkspaceFactory(name="Open lab", desks=4)
    host = MemberFactory(name="Dr Host")
    visitor_user = UserFactory(email="visitor@example.org")
    client.force_login(visitor_user)
    first, last = today + dt.timedelta(days=20), today + dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("visits:new"),
            {
                "name": "Vera Visitor",
                "host": host.pk,
                "first_day": first.isoformat(),
                "last_day": last.isoformat(),
                "purpose": "Joint paper",
                "funding": "partner",
                "needs_desk": "on",
                "needs_visa_letter": "on",
                "nationality": "DE",
                "passport_name": "VERA VISITOR",
                "offers_seminar": "on",
                "seminar_title": "Scaling robots",
            },
        )
    assert response.status_code == 302
    endorse_mail = next(m for m in mail.outbox if m.to == [host.email])
    link = re.search(r"http://127\.0\.0\.1:8000(/visits/endorse/\S+/)", endorse_mail.body).group(1)
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"answer": "endorse", "note": "Welcome"})
    staff = StaffFactory()
    force_login_with_mfa(client, staff)
    visit = Visit.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:visits_visit_changelist"), {"action": "approve", "_selected_action": [visit.pk]}
        )
    visit.refresh_from_db()
    assert visit.status == Visit.Status.APPROVED
    approval = next(m for m in mail.outbox if m.to == ["visitor@example.org"])
    assert approval.subject == f"Your stay at the hub from {first:%-d %b %Y} is approved"
    part = approval.attachments[0]
    assert (part.get_filename(), part["Content-Type"]) == (
        "stay.ics",
        'text/calendar; charset="utf-8"; method="PUBLISH"',
    )
    content = part.get_content()
    assert f"DTSTART;VALUE=DATE:{first:%Y%m%d}" in content
    letter_url = re.search(r"http://127\.0\.0\.1:8000(/visits/\d+/letter/)", approval.body).group(1)
    client.force_login(visitor_user)
    letter = client.get(letter_url)
    assert letter.status_code == 200
    assert "VERA VISITOR" in letter.content.decode()
    # The letter is offered as a PDF too, in the mail as on the stay page.
    pdf_url = re.search(
        r"\nThe same letter as a PDF:\nhttp://127\.0\.0\.1:8000(/visits/\d+/letter\.pdf)\n", approval.body
    )
    assert client.get(pdf_url.group(1))["Content-Type"] == "application/pdf"
    assert f'<a href="http://127.0.0.1:8000{pdf_url.group(1)}"' in approval.alternatives[0].content
    assert visit.seminar_event.title == "Scaling robots"
