import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hubsite.text import render_markdown
from researchers.forms import ProfileForm
from researchers.models import Institution, Researcher
from researchers.validators import MAX_IMAGE_BYTES, validate_safe_markdown
from tests.factories import InstitutionFactory, ResearcherFactory

pytestmark = pytest.mark.django_db


def png_bytes(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, "PNG")
    return buffer.getvalue()


def profile_form(**data):
    return ProfileForm(data={"name": "Sarah Chen", "preferred_language": "en", **data})


@pytest.mark.parametrize(
    ("orcid", "message"),
    [
        ("0000-0002-1825-0098", "This ORCID iD's check digit is wrong; please copy it again from orcid.org."),
        (
            "0000-0002-1825-009",
            "An ORCID iD looks like 0000-0002-1825-0097 (four groups of four characters).",
        ),
        (
            "https://orcid.org/0000-0002-1825",
            "An ORCID iD looks like 0000-0002-1825-0097 (four groups of four characters).",
        ),
    ],
)
def test_profile_form_refuses_an_invalid_orcid(orcid, message):
    form = profile_form(orcid=orcid)
    assert form.errors == {"orcid": [message]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0000-0002-1694-233x", "0000-0002-1694-233X"),
        (" https://orcid.org/0000-0002-1825-0097 ", "0000-0002-1825-0097"),
    ],
)
def test_profile_form_accepts_and_normalises_a_valid_orcid(typed, stored):
    form = profile_form(orcid=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["orcid"] == stored


def test_profile_form_refuses_an_orcid_another_researcher_has():
    ResearcherFactory(orcid="0000-0002-1825-0097")
    assert profile_form(orcid="0000-0002-1825-0097").errors == {
        "__all__": ["Another researcher already has this ORCID iD."]
    }


def test_duplicate_email_in_another_letter_case_is_refused():
    ResearcherFactory(email="Sarah.Chen@MIT.edu")
    duplicate = Researcher(name="Sarah C.", slug="sarah-c", email="sarah.chen@mit.EDU")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.messages == ["Another researcher already has this e-mail address."]


def test_duplicate_email_is_refused_by_the_database_too():
    from django.db import IntegrityError

    ResearcherFactory(email="a@example.org")
    with pytest.raises(IntegrityError):
        ResearcherFactory(email="A@EXAMPLE.ORG")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Hello <script>alert(1)</script>",
            "Scripts, frames and style blocks are not allowed here; write plain Markdown.",
        ),
        (
            '<img src=x onerror="alert(1)">',
            "HTML event handlers (such as onclick) are not allowed here; write plain Markdown.",
        ),
        (
            "[click](javascript:alert(1))",
            "Links must start with http://, https:// or mailto:; “javascript:” links are not allowed.",
        ),
        (
            "[click](JaVaScRiPt:alert(1))",
            "Links must start with http://, https:// or mailto:; “javascript:” links are not allowed.",
        ),
    ],
)
def test_markdown_carrying_scripts_is_refused_with_a_clear_message(text, message):
    assert profile_form(bio=text).errors == {"bio": [message]}
    with pytest.raises(ValidationError) as error:
        validate_safe_markdown(text)
    assert error.value.messages == [message]


def test_markdown_that_slipped_in_is_still_sanitised_when_rendered():
    html = str(render_markdown('Hi <script>x()</script> [a](javascript:alert(1)) <b onclick="x()">b</b>'))
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html


def test_ordinary_markdown_with_links_is_accepted():
    form = profile_form(bio="I work on [scaling](https://example.org) and *robots*.")
    assert form.is_valid(), form.errors


def test_profile_form_refuses_a_photo_that_is_not_an_image():
    fake = SimpleUploadedFile("photo.png", b"not an image at all", content_type="image/png")
    form = ProfileForm(data={"name": "A", "preferred_language": "en"}, files={"photo": fake})
    assert form.errors == {
        "photo": ["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]
    }


def test_logo_that_is_too_large_is_refused():
    institution = InstitutionFactory()
    big = SimpleUploadedFile(
        "logo.png", png_bytes() + b"\0" * (MAX_IMAGE_BYTES + 1024 * 1024), content_type="image/png"
    )
    institution.logo = big
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert error.value.message_dict == {
        "logo": ["This image is 3.0\xa0MB; the largest accepted is 2.0\xa0MB."]
    }


def test_logo_with_a_non_image_extension_is_refused():
    institution = InstitutionFactory()
    institution.logo = SimpleUploadedFile("logo.svg", b"<svg/>", content_type="image/svg+xml")
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert error.value.message_dict["logo"][0] == (
        "Upload a PNG, JPEG, GIF or WebP image; “svg” files are not accepted."
    )


def test_a_clashing_slug_is_refused_with_a_clear_message():
    InstitutionFactory(slug="kaist")
    clash = Institution(name="KAIST again", slug="kaist", country="KR")
    with pytest.raises(ValidationError) as error:
        clash.full_clean()
    assert error.value.message_dict == {
        "slug": ["Another institution already uses this slug; choose another."]
    }


def test_an_unknown_country_code_is_refused():
    institution = Institution(name="Nowhere U", slug="nowhere", country="ZZ")
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert error.value.message_dict == {"country": ["Value 'ZZ' is not a valid choice."]}
