"""normalize.html: comment HTML fragments to plain text."""

from __future__ import annotations

import pytest

from comment_etl.normalize.html import html_to_text, plain_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain text, no markup", "plain text, no markup"),
        ("line one<br>line two<br/>line three", "line one\nline two\nline three"),
        ("first<p>second<p>third", "first\n\nsecond\n\nthird"),  # HN: <p> opens, never closes
        ("<p>one</p>\n<p>two</p>", "one\n\ntwo"),
        ("a<br><p>b", "a\n\nb"),
        (
            "Tom &amp; Jerry &#x27;quoted&#x27; &quot;x&quot; &gt; &lt;3 &#128024;",
            "Tom & Jerry 'quoted' \"x\" > <3 🐘",
        ),
        ("AT&T and I <3 you", "AT&T and I <3 you"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        (
            'see <a href="https://www.youtube.com/watch?v=x&amp;t=73">1:13</a> here',
            "see 1:13 here",
        ),
        ("<script>alert(1)</script>kept", "kept"),
        ("<pre><code>  x = 1\n  y = 2\n</code></pre>after", "  x = 1\n  y = 2\n\nafter"),
        ("<p>", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            'see <a href="http://x.org/" rel="nofollow">this page</a>.',
            "see this page (http://x.org/).",
        ),
        (
            '<a href="https:&#x2F;&#x2F;example.com&#x2F;a&#x2F;very&#x2F;long&#x2F;path" '
            'rel="nofollow">https:&#x2F;&#x2F;example.com&#x2F;a&#x2F;very&#x2F;lo...</a>',
            "https://example.com/a/very/long/path",
        ),
        ('<a href="https://e.com/">https://e.com/</a>', "https://e.com/"),
        ('x<p><a href="https://e.com/">https://e.com/</a>', "x\n\nhttps://e.com/"),
        ('unclosed <a href="https://e.com/">label', "unclosed label (https://e.com/)"),
    ],
)
def test_html_to_text_keeps_link_addresses_when_asked(html: str, text: str) -> None:
    assert html_to_text(html, link_urls=True) == text


def test_strings_without_markup_are_returned_as_they_are() -> None:
    text = "  spaces\tand\nnewlines stay  "
    assert html_to_text(text) is text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # HTML (a CSV export of YouTube's textDisplay): turned into text
        (
            "I always end up coming back to this song<br />",
            "I always end up coming back to this song",
        ),
        (
            '<a href="http://www.youtube.com/watch?v=KQ6zr6kCPj8&amp;t=2m19s">2:19</a> best part',
            "2:19 best part",
        ),
        ("It&#39;s great &gt;.&lt;", "It's great >.<"),
        ("It&#39;s <b>bold</b> <grin>", "It's bold <grin>"),  # <grin> is no tag: kept
        # no HTML: kept exactly as written, entities-looking text included
        ("AT&T &nothing & <3 <grin> a < b > c", "AT&T &nothing & <3 <grin> a < b > c"),
        ("Tom&Jerry  spaced\r\n", "Tom&Jerry  spaced\r\n"),
    ],
)
def test_plain_text_only_converts_text_that_holds_html(text: str, expected: str) -> None:
    assert plain_text(text) == expected
