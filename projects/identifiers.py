"""Scholarly identifiers: DOIs and arXiv ids, normalised to one spelling, then validated.

A DOI is case-insensitive (the DOI Handbook, 3.4), so the stored form is lower-case without any
resolver prefix; that stored form is what the unique constraint compares.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_DOI_PREFIXES = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
# 10.<registrant>/<suffix>: the registrant is digits, possibly subdivided by dots (10.1000.10).
_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")

_ARXIV_PREFIXES = re.compile(r"^(?:https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.IGNORECASE)
# New form since April 2007: YYMM.NNNN (to 2014) or YYMM.NNNNN (from 2015), optional version.
_ARXIV_NEW = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<number>\d{4,5})(?:v[1-9]\d*)?$")
# Old form before April 2007: archive(.SUBJECT-CLASS)/YYMMNNN, optional version.
_ARXIV_OLD = re.compile(
    r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z-]{2,8})?/\d{2}(?:0[1-9]|1[0-2])\d{3}(?:v[1-9]\d*)?$"
)


def normalise_doi(value: str) -> str:
    value = (value or "").strip()
    value = _DOI_PREFIXES.sub("", value).strip()
    return value.lower()


def validate_doi(value: str) -> None:
    if not _DOI.match(value):
        raise ValidationError(
            _("A DOI looks like 10.1234/abc.5678: “10.”, the registrant number, a slash and a suffix."),
            code="doi_form",
        )


def normalise_arxiv_id(value: str) -> str:
    value = (value or "").strip()
    value = _ARXIV_PREFIXES.sub("", value).strip()
    if value.lower().endswith(".pdf"):
        value = value[:-4]
    return value


def validate_arxiv_id(value: str) -> None:
    match = _ARXIV_NEW.match(value)
    if match:
        month = int(match["mm"])
        five_digits = len(match["number"]) == 5
        # Five-digit numbers started with 1501; four-digit ones ended with 1412.
        if 1 <= month <= 12 and five_digits == (match["yy"] + match["mm"] >= "1501"):
            return
    elif _ARXIV_OLD.match(value):
        return
    raise ValidationError(
        _("An arXiv id looks like 2101.00001 (optionally with a version, 2101.00001v2) or hep-th/9901001."),
        code="arxiv_form",
    )
