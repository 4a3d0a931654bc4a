"""The outbox in the admin: list, filters, the rendered message shown safely, the retry action."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hubsite.admin import outbox_changelist_url
from hubsite.models import OutboxMessage
from hubsite.services import outbox_counts_for, outbox_write
from tests.factories import EventFactory, StaffFactory, ThemeFactory, UserFactory
from tests.signin import force_login_with_mfa

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
CHANGELIST = "/admin/hubsite/outboxmessage/"


def write(about, recipient, *, kind="notice", status=Status.SENT, html="", last_error=""):
    with transaction.atomic():  # its dispatch waits for a commit that never comes in these tests
        row = outbox_write(
            kind=kind, about=about, recipient=recipient, subject="Hi", body_text="Hello\n", body_html=html
        )
    OutboxMessage.objects.filter(pk=row.pk).update(status=status, last_error=last_error)
    row.refresh_from_db()
    return row


@pytest.fixture
def staff_client(client):
    force_login_with_mfa(client, StaffFactory())
    return client


@pytest.mark.parametrize("rows", [1, 25])
def test_changelist_query_count_is_constant(staff_client, django_assert_num_queries, rows):
    event, theme, user = EventFactory(), ThemeFactory(), UserFactory()
    for n in range(rows):
        write([event, theme, user][n % 3], f"r{n}@example.org", kind=f"kind{n % 4}", last_error="x" * 100)
    # session, user, staff MFA check, count, filtered count, rows (with their content types)
    with django_assert_num_queries(6):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


def test_changelist_filters_by_status_kind_type_and_object(staff_client):
    event, other_event, theme = EventFactory(), EventFactory(), ThemeFactory()
    invitation = write(event, "a@example.org", kind="invitation")
    failed = write(event, "b@example.org", kind="reminder", status=Status.FAILED)
    elsewhere = write(other_event, "c@example.org", kind="invitation")
    about_theme = write(theme, "d@example.org", kind="invitation")

    def listed(query):
        response = staff_client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200
        return sorted(row.pk for row in response.context["cl"].result_list)

    event_type = ContentType.objects.get_for_model(event)
    assert listed("status__exact=failed") == [failed.pk]
    assert listed("kind=invitation") == sorted([invitation.pk, elsewhere.pk, about_theme.pk])
    assert listed(f"content_type__id__exact={event_type.pk}") == sorted(
        [invitation.pk, failed.pk, elsewhere.pk]
    )
    assert listed(f"about={event_type.pk}:{event.pk}") == sorted([invitation.pk, failed.pk])
    assert listed(f"about={event_type.pk}:{event.pk}&status__exact=sent") == [invitation.pk]
    assert listed("about=nonsense") == []


def test_changelist_url_for_an_object_lists_its_mail_and_names_it(staff_client):
    event = EventFactory(title="Scaling laws")
    row = write(event, "a@example.org")
    write(ThemeFactory(), "b@example.org")
    url = outbox_changelist_url(event, status__exact="sent")
    response = staff_client.get(url)
    assert [m.pk for m in response.context["cl"].result_list] == [row.pk]
    assert "event: Scaling laws" in response.content.decode()


def test_change_page_shows_the_html_as_text_never_as_markup(staff_client):
    row = write(ThemeFactory(), "a@example.org", html='<p>Hi</p><script>alert("x")</script>')
    response = staff_client.get(f"{CHANGELIST}{row.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script>alert("x")</script>' not in html
    assert (
        '<pre class="outbox-body" tabindex="0" aria-label="HTML (source)">'
        "&lt;p&gt;Hi&lt;/p&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</pre>"
    ) in html
    # A keyboard scrolls the long bodies too (axe: scrollable-region-focusable).
    assert '<pre class="outbox-body" tabindex="0" aria-label="plain text">' in html
    preview = reverse("admin:hubsite_outboxmessage_preview", args=[row.pk])
    assert f'<iframe sandbox src="{preview}"' in html


def test_html_preview_is_sandboxed(staff_client):
    row = write(ThemeFactory(), "a@example.org", html="<p>Hi</p><script>alert(1)</script>")
    response = staff_client.get(reverse("admin:hubsite_outboxmessage_preview", args=[row.pk]))
    assert response.status_code == 200
    assert response.content == b"<p>Hi</p><script>alert(1)</script>"
    assert response["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_html_preview_needs_staff(client):
    row = write(ThemeFactory(), "a@example.org", html="<p>Hi</p>")
    client.force_login(UserFactory())
    response = client.get(reverse("admin:hubsite_outboxmessage_preview", args=[row.pk]))
    assert response.status_code == 302


def test_retry_action_requeues_failed_rows_and_sends_them(staff_client, django_capture_on_commit_callbacks):
    failed = write(ThemeFactory(), "a@example.org", status=Status.FAILED, last_error="550 No such user")
    OutboxMessage.objects.filter(pk=failed.pk).update(attempts=3, failed_at=timezone.now())
    sent = write(ThemeFactory(), "b@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST, {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )
    assert [str(m) for m in response.context["messages"]] == [
        "1 failed message was queued to be sent again.",
        "1 selected message had not failed and was left as it is.",
    ]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.failed_at) == (Status.SENT, 1, None)
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


def test_retry_action_a_message_sent_on_the_retry_shows_the_old_error_only_as_history(
    staff_client, django_capture_on_commit_callbacks
):
    """As seen: "Last error: Gave up after 1 attempts" stayed on a message resent successfully."""
    failed = write(
        ThemeFactory(),
        "a@example.org",
        status=Status.FAILED,
        last_error="Gave up after 1 attempt. Last error: 421 4.3.2 Busy",
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(attempts=1, failed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(CHANGELIST, {"action": "retry_failed", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert (failed.status, failed.failed_at) == (Status.SENT, None)
    listed = staff_client.get(f"{CHANGELIST}?status__exact=sent")
    assert [row.pk for row in listed.context["cl"].result_list] == [failed.pk]
    assert "Gave up" not in listed.content.decode()
    page = staff_client.get(f"{CHANGELIST}{failed.pk}/change/")
    fields = {
        field.field["name"]: field.contents()
        for fieldset in page.context["adminform"]
        for line in fieldset
        for field in line
    }
    assert fields["errors"] == (
        "None: sent on attempt 1. An earlier attempt failed: "
        "Gave up after 1 attempt. Last error: 421 4.3.2 Busy"
    )


def test_the_outbox_cannot_be_added_to_by_hand(staff_client):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403


def test_the_outbox_cannot_be_deleted_from(staff_client):
    """A row is the record of a message (and of who was invited) and what keeps it from going twice."""
    row = write(ThemeFactory(), "a@example.org")
    assert staff_client.post(f"{CHANGELIST}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    response = staff_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["No action selected."]
    assert OutboxMessage.objects.filter(pk=row.pk).exists()


def test_outbox_counts_for_an_object():
    event = EventFactory()
    write(event, "a@example.org")
    write(event, "b@example.org")
    write(event, "c@example.org", status=Status.FAILED)
    write(EventFactory(), "d@example.org", status=Status.FAILED)
    assert outbox_counts_for(event) == {"queued": 0, "sending": 0, "sent": 2, "failed": 1}
