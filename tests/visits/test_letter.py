"""The visa invitation letter: the host named with their own title and institution, the hub's
signatory, and the same letter as a print page and as a PDF (text read back with pypdf)."""

import html
import io
import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from pypdf import PdfReader

from hubsite import limits
from tests.factories import InstitutionFactory, MemberFactory, UserFactory, VisitFactory, VisitorFactory
from tests.signin import force_login_with_mfa
from visits.models import Visit

from .conftest import days

pytestmark = pytest.mark.django_db

LETTER_URLS = ("visits:letter", "visits:letter_pdf")


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Text without any whitespace: lines wrap in different places on the page and in the PDF."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def letter_visit(approved, today):
    """An approved stay needing a letter; visitor and host named in Hangul and accented Latin."""
    host = MemberFactory(
        name="이민준 (Min-jun Lee)",
        position="Principal Researcher",
        institution=InstitutionFactory(name="Korea Advanced Institute of Science and Technology"),
    )
    visitor = VisitorFactory(
        name="Seán Ó Briain",
        position="Chercheuse associée",
        institution=InstitutionFactory(name="Université Laval"),
    )
    return approved(
        researcher=visitor,
        host=host,
        needs_visa_letter=True,
        nationality="IE",
        passport_name="SEÁN Ó BRIAIN-ŁUKASZÉWICZ 김서연",
        purpose="Étude des lois d'échelle (한국어 언어 모델).",
        funding=Visit.Funding.PARTNER,
        funding_note="Bourse FRQNT — 2026",
        **days(today, 20, 30),
    )


def test_the_letter_names_the_host_with_their_own_title_and_institution_and_is_signed_by_the_hub(
    client, letter_visit, settings
):
    settings.HUB_SIGNATORY_NAME = "Dr. Hye-jin Park"
    settings.HUB_SIGNATORY_TITLE = "Director General"
    client.force_login(letter_visit.researcher.user)
    page = html_text(client.get(reverse("visits:letter", args=[letter_visit.pk])))
    pdf = pdf_text(client.get(reverse("visits:letter_pdf", args=[letter_visit.pk])))
    for text in (page, pdf):
        flat = squeezed(text)
        assert (
            squeezed(
                "Host at the hub 이민준 (Min-jun Lee), Principal Researcher, "
                "Korea Advanced Institute of Science and Technology"
            )
            in flat
        )
        assert squeezed("Dr. Hye-jin Park Director General, Seoul AI Research Hub") in flat
        assert flat.count(squeezed("Seoul AI Research Hub")) == 3  # letterhead, first sentence, signature
        assert "Director," not in text


def test_a_host_without_a_title_on_their_profile_is_called_a_hub_member(client, approved, today):
    host = MemberFactory(name="Bo Kim", position="", institution=None)
    visit = approved(
        host=host, needs_visa_letter=True, nationality="FR", passport_name="X", **days(today, 5, 3)
    )
    client.force_login(visit.researcher.user)
    for name in LETTER_URLS:
        response = client.get(reverse(name, args=[visit.pk]))
        text = pdf_text(response) if name.endswith("pdf") else html_text(response)
        assert squeezed("Host at the hub Bo Kim, Hub member") in squeezed(text), name


def html_text(response) -> str:
    """The letter's words on the print page: the article, without tags."""
    page = response.content.decode()
    article = re.search(r'<article class="letter".*?</article>', page, re.S).group(0)
    return html.unescape(strip_tags(article.replace("<br>", "\n"))).replace("\xa0", " ")


def test_the_pdf_says_what_the_print_page_says(client, letter_visit):
    client.force_login(letter_visit.researcher.user)
    page = html_text(client.get(reverse("visits:letter", args=[letter_visit.pk])))
    pdf = squeezed(pdf_text(client.get(reverse("visits:letter_pdf", args=[letter_visit.pk]))))
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    assert len(lines) >= 20
    for line in lines:
        assert squeezed(line) in pdf, line
    first, last = letter_visit.first_day, letter_visit.last_day
    assert f"{first:%-d %B %Y} to {last:%-d %B %Y} (30 days)" in page


def test_the_pdf_shows_hangul_and_accents_with_embedded_fonts(client, letter_visit):
    client.force_login(letter_visit.researcher.user)
    response = client.get(reverse("visits:letter_pdf", args=[letter_visit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="invitation-letter-{letter_visit.pk}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response)
    for name in (
        "SEÁN Ó BRIAIN-ŁUKASZÉWICZ 김서연",
        "이민준 (Min-jun Lee)",
        "Chercheuse associée",
        "Université Laval",
    ):
        assert name in text
    assert "(한국어 언어 모델)" in text and "Bourse FRQNT — 2026" in text
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {
        font["/BaseFont"].split("+", 1)[1]
        for page in reader.pages
        for font in (f.get_object() for f in page["/Resources"]["/Font"].values())
        if "/DescendantFonts" in font
        and "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    }
    assert fonts == {"DejaVuSansBook", "DejaVuSansBold", "NanumGothic"}  # each embedded (FontFile2)
    assert reader.metadata.title == "Letter of invitation: SEÁN Ó BRIAIN-ŁUKASZÉWICZ 김서연"


def test_the_letter_stays_in_english_on_korean_pages(client, letter_visit):
    client.force_login(letter_visit.researcher.user)
    client.cookies["django_language"] = "ko"
    response = client.get(reverse("visits:letter", args=[letter_visit.pk]), HTTP_ACCEPT_LANGUAGE="ko")
    page = response.content.decode()
    assert "초청장 PDF 내려받기" in page and "또는 브라우저의 인쇄 기능으로" in page
    first = letter_visit.first_day
    assert f"{first:%-d %B %Y} to" in html_text(response)
    assert "Ireland" in html_text(response)
    assert squeezed("Seoul AI Research Hub is pleased to invite") in squeezed(html_text(response))
    assert "서울 AI 연구 허브" not in html_text(response)
    pdf = pdf_text(client.get(reverse("visits:letter_pdf", args=[letter_visit.pk])))
    assert f"{first:%-d %B %Y} to" in pdf and "Ireland" in pdf


def test_the_letter_and_its_pdf_open_to_the_visitor_and_staff_only(client, letter_visit, staff):
    expected = [
        (letter_visit.researcher.user, 200),
        (staff, 200),
        (letter_visit.host.user, 404),
        (UserFactory(), 404),
        (VisitorFactory().user, 404),
    ]
    for name in LETTER_URLS:
        url = reverse(name, args=[letter_visit.pk])
        client.logout()
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
        for user, status in expected:
            force_login_with_mfa(client, user)
            assert client.get(url).status_code == status, (name, user, status)


def test_no_letter_or_pdf_for_a_stay_that_did_not_ask_or_is_not_approved(client, approved, today, staff):
    without = approved(**days(today, 20, 3))
    pending = VisitFactory(needs_visa_letter=True, nationality="FR", passport_name="X")
    declined = VisitFactory(
        needs_visa_letter=True, nationality="FR", passport_name="X", status=Visit.Status.DECLINED
    )
    for visit in (without, pending, declined):
        for user in (visit.researcher.user, staff):
            force_login_with_mfa(client, user)
            for name in LETTER_URLS:
                assert client.get(reverse(name, args=[visit.pk])).status_code == 404, (name, visit.status)


def test_the_stay_page_and_the_print_page_link_the_pdf_for_those_it_opens_to(client, letter_visit, staff):
    pdf_url = reverse("visits:letter_pdf", args=[letter_visit.pk])
    for user in (letter_visit.researcher.user, staff):
        force_login_with_mfa(client, user)
        assert (
            f'href="{pdf_url}"'
            in client.get(reverse("visits:detail", args=[letter_visit.pk])).content.decode()
        )
        assert (
            f'href="{pdf_url}"'
            in client.get(reverse("visits:letter", args=[letter_visit.pk])).content.decode()
        )
    client.force_login(letter_visit.host.user)
    assert pdf_url not in client.get(reverse("visits:detail", args=[letter_visit.pk])).content.decode()


def test_a_long_purpose_flows_onto_more_pages(client, approved, today):
    visit = approved(
        needs_visa_letter=True,
        nationality="KR",
        passport_name="KIM SEO-YEON",
        # The longest purpose a stay may have (hubsite.limits.PURPOSE): more than one page.
        purpose=("Scaling laws for Korean language models. " * 200)[: limits.PURPOSE],
        **days(today, 5, 3),
    )
    client.force_login(visit.researcher.user)
    response = client.get(reverse("visits:letter_pdf", args=[visit.pk]))
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 1
    assert "Yours sincerely," in reader.pages[-1].extract_text()


def test_a_letter_in_latin_letters_only_embeds_no_hangul_font(client, approved, today):
    visit = approved(
        needs_visa_letter=True, nationality="PL", passport_name="ŁUKASZ WÓJCIK", **days(today, 5, 3)
    )
    client.force_login(visit.researcher.user)
    response = client.get(reverse("visits:letter_pdf", args=[visit.pk]))
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {
        font.get_object()["/BaseFont"].split("+", 1)[1]
        for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts == {"DejaVuSansBook", "DejaVuSansBold"}
    assert "ŁUKASZ WÓJCIK" in pdf_text(response)
