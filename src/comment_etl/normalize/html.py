"""Comment HTML to plain text, for the sources that only give us rendered HTML.

YouTube's ``textDisplay`` and Hacker News ``text`` are small HTML fragments: ``<br>`` line breaks,
``<p>`` paragraphs (HN opens them and never closes them), ``<a>`` links, ``<b>``/``<i>``, and
entities (``&#x27;``, ``&amp;``). We keep the words and the paragraph structure and drop the
markup. Whitespace inside text is left as the source has it: `normalize.text` cleans it later.

Exports that may or may not hold HTML (a CSV of YouTube's ``textDisplay``, a crawler's JSON) go
through `plain_text`: only a text with an HTML tag or a character reference is treated as HTML,
any other stays exactly as written. A ``<word>`` that is no HTML tag (``<grin>``) is the user's
text and kept in both.

The stdlib parser is enough for fragments this simple and much faster than building a tree;
strings without ``<`` or ``&`` (most comments) skip it entirely.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {"div", "li", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}
_SKIP = {"script", "style"}
#: The tags that are markup; any other ``<word>`` is text.
_TAGS = _BLOCK | _SKIP | {
    "a", "abbr", "b", "br", "cite", "code", "del", "em", "font", "hr", "i", "img", "ins",
    "mark", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "td",
    "th", "table", "tbody", "thead", "tt", "u", "wbr",
}  # fmt: skip
#: An HTML tag or a character reference (``&amp;``, ``&#39;``, ``&#x27;``): the sign of HTML.
_MARKUP = re.compile(
    r"</?(?:" + "|".join(sorted(_TAGS)) + r")(?:\s[^<>]*)?/?>|&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}"
    r"|[a-z][a-z0-9]{1,31});",
    re.IGNORECASE,
)


class _TextExtractor(HTMLParser):
    def __init__(self, link_urls: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.link_urls = link_urls
        self.parts: list[str] = []
        #: Newlines owed before the next text: 1 after a block, 2 after a paragraph. Applied
        #: lazily, so a trailing or doubled block tag adds no empty lines.
        self.pending = 0
        self.skip_depth = 0
        self.href: str | None = None
        self.link_start: int | None = None  # index in parts of a link's first text

    def _block(self, newlines: int) -> None:
        self.pending = max(self.pending, newlines)

    def _emit(self, text: str) -> None:
        if self.pending:
            if not text.strip():
                return  # whitespace between blocks is layout, not content
            if self.parts:
                last = self.parts[-1]
                owed = self.pending - (len(last) - len(last.rstrip("\n")))
                if owed > 0:
                    self.parts.append("\n" * owed)
            self.pending = 0
        if self.href is not None and self.link_start is None:
            self.link_start = len(self.parts)
        self.parts.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.handle_data(self.get_starttag_text() or "")  # "<grin>": text, not markup
        elif tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self._emit("\n")
        elif tag in ("p", "pre"):
            self._block(2)
        elif tag in _BLOCK:
            self._block(1)
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_start = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _TAGS:
            self.handle_data(f"</{tag}>")
        elif tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in ("p", "pre"):
            self._block(2)
        elif tag in _BLOCK:
            self._block(1)
        elif tag == "a":
            self._end_link()

    def _end_link(self) -> None:
        href, start = self.href, self.link_start
        self.href = self.link_start = None
        if not self.link_urls or not href:
            return
        shown = "" if start is None else "".join(self.parts[start:]).strip()
        if not shown or start is None:
            self._emit(href)
        elif shown == href or (shown.endswith("...") and href.startswith(shown[:-3])):
            # The label is the address itself, possibly shortened ("https://example.com/lo..."):
            # keep the full address once.
            self.parts[start:] = [href]
        else:
            self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self._emit(data)

    def text(self) -> str:
        if self.href is not None:  # an <a> never closed
            self._end_link()
        return "".join(self.parts).strip("\n")


def html_to_text(s: str, *, link_urls: bool = False) -> str:
    """Plain text of an HTML fragment: ``<br>`` -> newline, ``<p>`` -> blank line, entities
    unescaped, tags dropped, link text kept.

    With ``link_urls`` a link also keeps its address: ``label (href)``, or just the address when
    the label is the address (HN shows long URLs shortened with "...").
    """
    if "<" not in s and "&" not in s:
        return s
    parser = _TextExtractor(link_urls)
    parser.feed(s)
    parser.close()
    return parser.text()


def plain_text(s: str) -> str:
    """`html_to_text` for a text that holds HTML (a tag or a character reference); any other
    text is returned exactly as written (``I <3 this``, ``AT&T``, ``a < b``)."""
    return html_to_text(s) if _MARKUP.search(s) else s
