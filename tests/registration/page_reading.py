"""Reading rendered pages the way an assistive technology would: headings, inputs, labels, links."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

LABELLED_ELSEWHERE = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Page:
    title: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    label_targets: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)
    inline_styles: list[str] = field(default_factory=list)
    inline_scripts: int = 0
    hidden_containers: list[dict] = field(default_factory=list)

    def fields_without_label(self):
        return [
            attrs.get("name")
            for attrs in self.inputs
            if attrs.get("type", "text") not in LABELLED_ELSEWHERE
            and attrs.get("id") not in self.label_targets
            and not attrs.get("aria-label")
        ]

    def skipped_heading_levels(self):
        """Headings that jump down more than one level (h1 → h3), or a page not starting at h1."""
        levels = [level for level, _text in self.headings]
        problems = [] if levels[:1] == [1] else [("first", levels[:1])]
        problems += [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        return problems

    def h1(self):
        return [text for level, text in self.headings if level == 1]

    def input_named(self, name):
        return next(attrs for attrs in self.inputs if attrs.get("name") == name)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._capture = None
        self._text = []
        self._open = []

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if "style" in attrs:
            self.page.inline_styles.append(f"<{tag} style={attrs['style']!r}>")
        if tag == "script" and "src" not in attrs:
            self.page.inline_scripts += 1
        if attrs.get("aria-hidden") == "true":
            attrs = {**attrs, "_inputs": []}
            self.page.hidden_containers.append(attrs)
        if tag in {"input", "select", "textarea"}:
            self.page.inputs.append(attrs)
            for container in self._open:
                if container is not None and "_inputs" in container:
                    container["_inputs"].append(attrs)
        if tag == "label" and attrs.get("for"):
            self.page.label_targets.add(attrs["for"])
        if tag in {"title", "h1", "h2", "h3", "h4", "h5", "h6", "a"}:
            self._capture = (tag, attrs)
            self._text = []
        if tag not in {"input", "br", "hr", "img", "meta", "link"}:
            self._open.append(attrs if "_inputs" in attrs else None)

    def handle_endtag(self, tag):
        if tag not in {"input", "br", "hr", "img", "meta", "link"} and self._open:
            self._open.pop()
        if self._capture and self._capture[0] == tag:
            text = " ".join("".join(self._text).split())
            if tag == "title":
                self.page.title = text
            elif tag == "a":
                self.page.links.append((self._capture[1].get("href", ""), text))
            else:
                self.page.headings.append((int(tag[1]), text))
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)


def read(response):
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader.page
