"""The visa invitation letter: who may have it, whom it names, and its PDF.

The letter goes to a Korean consulate abroad, so it is written in English whatever the reader's
language; the print page (templates/visits/letter.html) and the PDF say the same words (a test
reads both). The PDF embeds DejaVu Sans for Latin (every accent), Greek and Cyrillic and falls
back to Nanum Gothic, glyph by glyph, for Hangul, Hanja and kana (visits/fonts/README.md), so a
visitor's or host's name prints as written on any machine.
"""

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from hubsite import dates
from hubsite.access import has_staff_rights

from .models import Visit

LETTER_STATUSES = (Visit.Status.APPROVED, Visit.Status.CHECKED_IN, Visit.Status.COMPLETED)
FONT_DIR = Path(__file__).resolve().parent / "fonts"

# The letter's fixed sentences, shared word for word by the print page and the PDF.
RECIPIENT = "To the Consular Section, Embassy or Consulate of the Republic of Korea"
TITLE = "Letter of invitation"
HUB_PLACE = "Seoul, Republic of Korea"


def letter_open_to(visit: Visit, user) -> bool:
    """Who may have a stay's visa letter, on every surface (the stay page's links, the print page,
    the PDF): the visitor and staff, once the stay is approved, if the visitor asked for one."""
    if not user.is_authenticated:
        return False
    allowed = visit.researcher.user_id == user.pk or has_staff_rights(user)
    return allowed and visit.needs_visa_letter and visit.status in LETTER_STATUSES


@dataclass(frozen=True)
class Signatory:
    name: str
    title: str


def signatory() -> Signatory:
    """Who signs every letter for the hub (settings HUB_SIGNATORY_NAME, HUB_SIGNATORY_TITLE)."""
    return Signatory(name=settings.HUB_SIGNATORY_NAME, title=settings.HUB_SIGNATORY_TITLE)


def host_description(visit: Visit) -> str:
    """The host as the letter names them: their name, their own title and institution from their
    profile. With no title on the profile the letter says what is true of every host (hosts are
    hub members) rather than inventing one."""
    host = visit.host
    institution = host.institution.name if host.institution_id else ""
    return ", ".join(part for part in (host.name, host.position or "Hub member", institution) if part)


def letter_context(visit: Visit) -> dict:
    """What the print page needs beyond the stay itself (the hub's English name: the page's own
    HUB_NAME follows the reader's language, the letter does not)."""
    return {
        "host_description": host_description(visit),
        "signatory": signatory(),
        "hub_name": settings.HUB_NAME,
    }


def _letter_date(day) -> str:
    # The letter is in English: the formal date of the one rule (hubsite.dates), as on the print page.
    return dates.fmt(day, "day_full", lang="en")


def _text(value: object) -> str:
    # Composed form: a name typed with combining accents prints as one letter, as on the page.
    return unicodedata.normalize("NFC", str(value))


def _details(visit: Visit) -> list[tuple[str, str]]:
    rows = [("Name (as in passport)", visit.passport_name or visit.researcher.name)]
    if visit.nationality:
        rows.append(("Nationality", visit.nationality.name))
    if visit.researcher.position:
        rows.append(("Position", visit.researcher.position))
    if visit.institution_display:
        rows.append(("Home institution", visit.institution_display))
    rows += [
        (
            "Dates of the stay",
            f"{_letter_date(visit.first_day)} to {_letter_date(visit.last_day)} ({visit.days} days)",
        ),
        ("Host at the hub", host_description(visit)),
        ("Purpose", visit.purpose),
        (
            "Funding",
            visit.get_funding_display() + (f": {visit.funding_note}" if visit.funding_note else ""),
        ),
    ]
    return rows


class _LetterPDF(FPDF):
    reference = ""

    def footer(self):
        self.set_y(-15)
        self.set_font(FONT, size=8)
        self.cell(0, 5, f"{self.reference} · {self.page_no()}/{{nb}}", align="C")


FONT = "DejaVuSans"
HANGUL = "NanumGothic"
LINE = 5.5  # mm, for 11 pt text


@functools.cache
def _main_font_characters() -> frozenset[str]:
    return frozenset(chr(point) for point in TTFont(FONT_DIR / "DejaVuSans.ttf", lazy=True).getBestCmap())


def letter_pdf(visit: Visit) -> bytes:
    """The letter as an A4 PDF, with the fonts it uses embedded (subset)."""
    with translation.override("en"):
        return _build(visit)


def _build(visit: Visit) -> bytes:
    hub, sign = settings.HUB_NAME, signatory()
    pdf = _LetterPDF(format="A4", unit="mm")
    pdf.reference = f"Reference: VISIT-{visit.pk}"
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    words = [hub, settings.SITE_URL, sign.name, sign.title, *(value for _label, value in _details(visit))]
    if not set("".join(_text(word) for word in words)) <= _main_font_characters():
        # Reading Nanum Gothic takes most of the time a letter takes: only for letters that need it.
        pdf.add_font(HANGUL, "", FONT_DIR / "NanumGothic.ttf")
        pdf.set_fallback_fonts([HANGUL], exact_match=False)
    pdf.set_lang("en")
    pdf.set_title(_text(f"{TITLE}: {visit.passport_name or visit.researcher.name}"))
    pdf.set_author(_text(hub))
    pdf.set_creator(_text(hub))
    pdf.add_page()
    width = pdf.epw

    # Letterhead: the hub on the left, place and date on the right, a rule below.
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width * 0.6, 6, _text(hub), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    for line in (HUB_PLACE, settings.SITE_URL):
        pdf.multi_cell(width * 0.6, 5, _text(line), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.6, top)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(width * 0.4, 6, f"Seoul, {_letter_date(timezone.localdate())}", align="R")
    pdf.set_y(max(bottom, pdf.get_y()) + 2)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(8)

    def paragraph(text: str, *, size: float = 11, style: str = "", after: float = 3) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, LINE if size <= 11 else size * 0.5, _text(text), align="L")
        pdf.ln(after)

    paragraph(RECIPIENT)
    paragraph(TITLE, size=16, style="B", after=4)
    paragraph(
        f"{hub} is pleased to invite the researcher named below for a research stay at the hub in Seoul."
    )

    # The details as two columns; a long value (the purpose) flows on to the next page.
    label_width = 54
    for label, value in _details(visit):
        if pdf.will_page_break(LINE * 2):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(label_width - 3, LINE, label, align="L")
        label_end = pdf.get_y()
        pdf.set_xy(pdf.l_margin + label_width, y)
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(
            width - label_width, LINE, _text(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if pdf.get_y() > y:  # still on the same page
            pdf.set_y(max(pdf.get_y(), label_end))
        pdf.ln(2)
    pdf.ln(3)

    paragraph(
        "During the stay the visitor will have a workspace at the hub and take part in its research and "
        "seminars. The hub does not employ the visitor. We kindly ask you to grant the visa needed for "
        "this stay."
    )
    paragraph(f"Reference: VISIT-{visit.pk}", after=8)

    # The signature block stays together.
    if pdf.will_page_break(LINE * 7):
        pdf.add_page()
    paragraph("Yours sincerely,", after=18)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 70, pdf.get_y())
    pdf.ln(2)
    paragraph(sign.name, style="B", after=0)
    paragraph(f"{sign.title}, {hub}", after=0)
    return bytes(pdf.output())
