"""Formatted text from admin keeps its headings, lists and links, and loses anything that runs."""

from agenda.formatted_text import clean_html

WRITTEN_IN_ADMIN = """
<h2 onclick="steal()">Agreements</h2>
<script>alert("x")</script>
<p style="color:red">The organisations agreed <strong>three</strong> actions:</p>
<ul><li>Interoperability</li><li><a href="https://www.comunidadandina.org/" onmouseover="x()">CAN</a></li></ul>
<ol><li>First</li></ol>
<a href="javascript:alert(1)">click</a>
<img src="x" onerror="alert(1)">
<iframe src="https://evil.example"></iframe>
<h1>Title</h1>
"""


def test_scripts_and_event_handlers_are_removed():
    html = clean_html(WRITTEN_IN_ADMIN)
    assert "<script" not in html
    assert "alert" not in html
    assert "onclick" not in html
    assert "onmouseover" not in html
    assert "onerror" not in html
    assert "style=" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "javascript:" not in html


def test_headings_lists_emphasis_and_links_are_kept():
    html = clean_html(WRITTEN_IN_ADMIN)
    assert "<h2>Agreements</h2>" in html
    assert "<p>The organisations agreed <strong>three</strong> actions:</p>" in html
    assert "<ul><li>Interoperability</li>" in html
    assert "<ol><li>First</li></ol>" in html
    assert '<a href="https://www.comunidadandina.org/" rel="noopener noreferrer">CAN</a>' in html


def test_a_top_level_heading_keeps_its_text_but_not_its_level():
    # The page's own <h1> is the meeting's title.
    html = clean_html("<h1>Title</h1>")
    assert html == "Title"


def test_empty_text_stays_empty():
    assert clean_html("") == ""
    assert clean_html(None) == ""
