"""Reading what a received email says: the HTML part as text and its links."""

import html
from html.parser import HTMLParser


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(value or "" for name, value in attrs if name == "href")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def html_text(source: str) -> tuple[str, list[str]]:
    """(visible text with whitespace collapsed, hrefs) of an HTML part."""
    parser = _HtmlText()
    parser.feed(source)
    return " ".join(html.unescape("".join(parser.chunks)).split()), parser.links


def flat(text: str) -> str:
    return " ".join(text.split())
