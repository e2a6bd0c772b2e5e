"""The CII Schematron runs with its code lists passed in once per process instead of read from
disk by every transformation (core/exports/validation.py): the same rules, the same report."""

from __future__ import annotations

import pytest
from lxml import etree

from core.exports import validation
from core.exports.einvoice import cii_xml
from tests.support.samples import sample_invoice

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def with_text(xml: bytes, element: str, text: str) -> bytes:
    """`xml` with the text of every ram:`element` replaced."""
    root = etree.fromstring(xml)
    nodes = root.findall(f".//{{{RAM}}}{element}")
    assert nodes, element
    for node in nodes:
        node.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def as_published():
    """The CII stylesheet compiled from the file as published, reading its code lists itself."""
    validation.warm_up(("cii",))
    _, xslt = validation._saxon()
    path = validation.artefact_path(validation._ARTEFACTS["cii"][1])
    return xslt.compile_stylesheet(stylesheet_file=str(path))


def svrl(stylesheet, xml: bytes) -> str:
    processor, _ = validation._saxon()
    with validation._saxon_lock:
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        return stylesheet.transform_to_string(xdm_node=node)


VALID = cii_xml(sample_invoice(6))
DOCUMENTS = {
    "valid": VALID,
    "unknown currency": with_text(VALID, "InvoiceCurrencyCode", "ZZZ"),
    "unknown country": with_text(VALID, "CountryID", "QQ"),
    "unknown unit": VALID.replace(b'unitCode="DAY"', b'unitCode="Q9Q"'),
}


@pytest.mark.parametrize("xml", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_the_report_is_the_published_stylesheets_byte_for_byte(as_published, xml):
    ours = validation._schematron("cii")
    assert svrl(ours, xml) == svrl(as_published, xml)


@pytest.mark.parametrize(
    ("document", "refused"),
    [
        ("unknown currency", "'ram:InvoiceCurrencyCode' is not allowed"),
        ("unknown country", "'ram:CountryID' is not allowed"),
        ("unknown unit", "'@unitCode' is not allowed"),
    ],
)
def test_code_lists_are_still_consulted(document, refused):
    assert validation.validate(DOCUMENTS["valid"], "cii").valid
    report = validation.validate(DOCUMENTS[document], "cii")
    assert any(refused in violation.message for violation in report.errors), report.errors


def test_only_the_stylesheets_instructions_change():
    lookups = {"codes.xml": "codes"}
    stylesheet = (
        '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="2.0">'
        "{}</xsl:stylesheet>"
    )
    reads = (
        "<xsl:if test=\"document('codes.xml')/a\"><r test=\"document('codes.xml')/a\"/></xsl:if>"
    )

    patched = validation.with_lookups_as_parameters(stylesheet.format(reads), lookups)

    assert '<xsl:param name="codes"/>' in patched
    assert '<xsl:if test="$codes/a"><r test="document(\'codes.xml\')/a"/>' in patched
    with pytest.raises(ValueError, match="no longer reads codes.xml"):
        validation.with_lookups_as_parameters(stylesheet.format(""), lookups)
    more = "<xsl:value-of select=\"document('codes.xml'), document('more.xml')\"/>"
    with pytest.raises(ValueError, match="does not pass in"):
        validation.with_lookups_as_parameters(stylesheet.format(more), lookups)
