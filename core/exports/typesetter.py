"""WeasyPrint as the invoice documents use it: nothing is ever fetched, fonts come from
fontconfig, one document is typeset at a time per process.

    stylesheet(text) -> CSS              parse a stylesheet (callers parse theirs once, and keep it)
    own_markup(xhtml) -> HTML            the invoice template's output, ready to typeset
    any_markup(html) -> HTML             any HTML, through WeasyPrint's own HTML5 parser
    write_pdf(document, stylesheets)     PDF/A-3b bytes

Why `own_markup` exists: WeasyPrint's time grows with every box, and two of its costs are
fixed per document whatever the markup says. It parses HTML with tinyhtml5, a pure-Python
HTML5 parser (about a tenth of an invoice's PDF time), and it matches every element against its
whole HTML user-agent stylesheet: forms, lists, quotes, ruby, bidi (another tenth). Our
template writes well-formed XHTML-compatible markup from a dozen elements, so expat (C) builds
the same ElementTree in a fraction of a millisecond (XML reads a tab or newline inside an
attribute as a space, so the template puts none there), and templates/ua.css gives those dozen
elements WeasyPrint's own defaults. Both go past WeasyPrint's public API (the attributes
`HTML.__init__` sets, and its `_ua_stylesheets` hook), so weasyprint is pinned to one major
version and tests/core/test_exports_typesetter.py checks that invoices typeset this way are laid
out box for box, and written byte for byte, as WeasyPrint's own path does it.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ElementTree
from functools import cache
from pathlib import Path
from typing import Any

import cssselect2
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

PDF_VARIANT = "pdf/a-3b"
USER_AGENT_STYLESHEET = Path(__file__).parent / "templates" / "ua.css"

log = logging.getLogger(__name__)

# One rendering at a time per process: fontconfig and Pango are not safe to drive from several
# threads (the API runs gthread workers), and rendering holds the GIL almost throughout anyway.
_render_lock = threading.Lock()


class RefusingFetcher(URLFetcher):
    """Refuses every URL: an invoice never loads anything from outside."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False)

    def fetch(self, url: str, headers: Any = None):
        log.warning("refused to fetch %.100s while rendering an invoice", url)
        raise ValueError("invoices load no external resources")


class OwnMarkup(weasyprint.HTML):
    """A document of our own template: parsed by expat, cascaded against templates/ua.css."""

    def __init__(self, xhtml: str) -> None:
        # What weasyprint.HTML.__init__ sets, from a tree expat built (see the module docstring).
        # S314: this is our template's output; user text in it is escaped, so it cannot hold a
        # DTD or an entity declaration.
        root = ElementTree.fromstring(xhtml)  # noqa: S314
        self.base_url = None
        self.url_fetcher = RefusingFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[weasyprint.CSS]:
        return [_user_agent_stylesheet()]


def own_markup(xhtml: str) -> weasyprint.HTML:
    """Our template's output, ready to typeset. Raises xml.etree.ElementTree.ParseError if it
    is not well-formed (a template bug: user text is escaped and stripped of what XML refuses)."""
    return OwnMarkup(xhtml)


def any_markup(html: str) -> weasyprint.HTML:
    """Any HTML, parsed as a browser would; every URL in it is refused when typeset."""
    return weasyprint.HTML(string=html, url_fetcher=RefusingFetcher(), base_url=None)


def stylesheet(text: str) -> weasyprint.CSS:
    """A parsed stylesheet; any URL in it is refused."""
    return weasyprint.CSS(string=text, url_fetcher=RefusingFetcher(), font_config=font_config())


def write_pdf(document: weasyprint.HTML, stylesheets: tuple[weasyprint.CSS, ...] = ()) -> bytes:
    """Typeset `document` as PDF/A-3b."""
    with _render_lock:
        return document.write_pdf(
            stylesheets=list(stylesheets), pdf_variant=PDF_VARIANT, font_config=font_config()
        )


@cache
def font_config() -> FontConfiguration:
    """One per process: fonts are found and loaded once."""
    return FontConfiguration()


@cache
def _user_agent_stylesheet() -> weasyprint.CSS:
    return stylesheet(USER_AGENT_STYLESHEET.read_text(encoding="utf-8"))
