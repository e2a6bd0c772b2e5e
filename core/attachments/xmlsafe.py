"""Parsing XML from strangers: nothing is fetched, no entity is expanded, no DTD is accepted.

lxml (libxml2) is asked for no network, no entity resolution, no DTD loading and no "huge
tree"; and any document that carries a DOCTYPE at all is refused, because an e-invoice never
needs one and every entity attack (XXE, billion laughs) needs one. The same holds for the
validator that runs afterwards: Saxon never sees a document with a DTD.
"""

from __future__ import annotations

from lxml import etree

from core.errors import AttachmentUnreadable


def hardened_parser() -> etree.XMLParser:
    """A new parser (lxml parsers are not thread-safe) that fetches and expands nothing."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """The root element of `data`.

    Raises AttachmentUnreadable (reason "dtd") for a document with a DOCTYPE, and (reason
    "corrupt") for one that is not well-formed.
    """
    if _declares_dtd(data):
        raise _dtd_refused()
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise AttachmentUnreadable(
            f"This XML file is not well-formed ({_short(str(exc))}).", reason="corrupt"
        ) from None
    if root is None:
        raise AttachmentUnreadable("This XML file is empty.", reason="corrupt")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _dtd_refused()
    return root


_DOCTYPE = "<!DOCTYPE"
_DOCTYPE_FORMS = tuple(
    _DOCTYPE.encode(encoding) for encoding in ("ascii", "utf-16-le", "utf-16-be")
)


def _declares_dtd(data: bytes) -> bool:
    """A DOCTYPE before the parser sees it (libxml2 may fail on a hostile DTD with some other
    complaint first). It can only stand in the prolog, so the start of the file is enough."""
    head = data[:65536]
    return any(form in head for form in _DOCTYPE_FORMS)


def _dtd_refused() -> AttachmentUnreadable:
    return AttachmentUnreadable(
        "This XML file declares a DTD (<!DOCTYPE …>), which e-invoices never need and which can "
        "hide entity attacks; it was not read.",
        reason="dtd",
    )


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
