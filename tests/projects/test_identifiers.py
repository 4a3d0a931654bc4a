import pytest
from django.core.exceptions import ValidationError

from projects.identifiers import normalise_arxiv_id, normalise_doi, validate_arxiv_id, validate_doi


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1000/ABC.123", "10.1000/abc.123"),
        ("https://doi.org/10.1000/ABC.123", "10.1000/abc.123"),
        ("http://dx.doi.org/10.1000/abc", "10.1000/abc"),
        ("doi:10.1000/abc", "10.1000/abc"),
        ("DOI: 10.1000/abc ", "10.1000/abc"),
        ("", ""),
    ],
)
def test_normalise_doi_strips_resolver_prefixes_and_lower_cases(raw, expected):
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    "value", ["10.1000/abc", "10.1038/nphys1170", "10.1000.10/123", "10.12345678/x-y_z(1)"]
)
def test_validate_doi_accepts_the_registered_form(value):
    validate_doi(value)


@pytest.mark.parametrize(
    "value", ["10.10/abc", "11.1000/abc", "10.1000", "10.1000/", "10.abcd/x", "10.1000/a b"]
)
def test_validate_doi_rejects_other_forms_with_a_clear_message(value):
    with pytest.raises(ValidationError) as error:
        validate_doi(value)
    assert error.value.code == "doi_form"
    assert error.value.messages == [
        "A DOI looks like 10.1234/abc.5678: “10.”, the registrant number, a slash and a suffix."
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("arXiv:2101.00001", "2101.00001"),
        ("https://arxiv.org/abs/2101.00001v2", "2101.00001v2"),
        ("https://arxiv.org/pdf/2101.00001.pdf", "2101.00001"),
        (" hep-th/9901001 ", "hep-th/9901001"),
    ],
)
def test_normalise_arxiv_id_strips_prefixes(raw, expected):
    assert normalise_arxiv_id(raw) == expected


@pytest.mark.parametrize(
    "value", ["2101.00001", "2101.00001v2", "0704.0001", "1412.9999", "hep-th/9901001", "math.GT/0309136v3"]
)
def test_validate_arxiv_id_accepts_new_and_old_forms(value):
    validate_arxiv_id(value)


@pytest.mark.parametrize(
    "value",
    ["2101.0001", "1412.00001", "2113.00001", "2101.00001v", "hep-th/99010011", "hep-th/9913001", "foo"],
)
def test_validate_arxiv_id_rejects_other_forms_with_a_clear_message(value):
    with pytest.raises(ValidationError) as error:
        validate_arxiv_id(value)
    assert error.value.code == "arxiv_form"
    assert error.value.messages == [
        "An arXiv id looks like 2101.00001 (optionally with a version, 2101.00001v2) or hep-th/9901001."
    ]
