"""Django strips only single-line {# #} comments: a multi-line one is printed on the page."""

import re
from pathlib import Path

from tests.dashboard.conftest import headers, url

ROOT = Path(__file__).resolve().parents[2]
MULTILINE_COMMENT = re.compile(r"\{#(?:(?!#\}).)*\n", re.S)


def test_no_template_has_a_multi_line_comment():
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("templates/**/*.html")
                 if MULTILINE_COMMENT.search(p.read_text())]
    assert offenders == []


def test_the_check_sees_one():
    assert MULTILINE_COMMENT.search("{# one\n two #}") and not MULTILINE_COMMENT.search("{# one #}\n")


def test_a_dashboard_page_shows_no_template_comment(alice, client):
    page = client.get(url(alice.company, "overview"), **headers(alice)).content.decode()
    assert "<h1" in page
    assert "{#" not in page and "defaultSettleDelay 0: swapped-in" not in page
