import pytest

from hubsite.text import markdown_to_plain, render_markdown

HOSTILE = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src=x onerror="alert(1)">', "onerror"),
    ("[click](javascript:alert(1))", "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript"),
    ("<svg/onload=alert(1)>", "<svg"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "style="),
]


@pytest.mark.parametrize(("payload", "forbidden"), HOSTILE)
def test_markdown_drops_scripts_handlers_and_javascript_links(payload, forbidden):
    html = str(render_markdown(payload)).lower()
    assert forbidden.lower() not in html


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = str(render_markdown("**Bold** and [a paper](https://arxiv.org/abs/2001.08361)"))
    assert html == (
        '<p><strong>Bold</strong> and <a href="https://arxiv.org/abs/2001.08361" '
        'rel="noopener noreferrer nofollow">a paper</a></p>'
    )


def test_markdown_of_nothing_is_empty():
    assert render_markdown(None) == ""
    assert render_markdown("") == ""


def test_plain_text_has_no_markup_and_no_control_characters():
    assert markdown_to_plain("# Title\x07\n\nSome *emphasis* & <b>bold</b>") == "Title\nSome emphasis & bold"
