"""Rules on the written document: what the profile's Schematron checks of the XML itself.

These hold by construction (the mapping writes them so); they are checked on every document
before it is served all the same, so that a change in the mapping or in the factur-x library
cannot send out a file the recipient's validator rejects.

    BR-01, BR-DE-21, PEPPOL-EN16931-R004   BT-24 is the profile's specification identifier
    PEPPOL-EN16931-R001, R007              BT-23 is a Peppol billing process (XRechnung, Peppol)
    PEPPOL-EN16931-R008                    no empty elements (XRechnung, Peppol)
    PEPPOL-EN16931-R053                    one tax total with subtotals (XRechnung, Peppol)
    PEPPOL-EN16931-R002                    at most one note (Peppol, unless both parties German)
    BR-DE-14                               every VAT breakdown has its rate (XRechnung)
    PEPPOL-EN16931-R120                    line net amount = quantity × net price (±0.02)
    PEPPOL-EN16931-R046                    net price = gross price − price discount
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from core.exports.profiles import EN16931, PEPPOL, PROFILES, XRECHNUNG
from core.exports.rules.facts import InvoiceFacts
from core.exports.rules.registry import MissingTerm

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_PROCESS = re.compile(r"^urn:fdc:peppol\.eu:2017:poacc:billing:([0-9]{2}):1\.0$")
_SPECIFICATION_RULE = {EN16931: "BR-01", XRECHNUNG: "BR-DE-21", PEPPOL: "PEPPOL-EN16931-R004"}
_CII_CONTEXT = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/"


def _one(root, path: str) -> str:
    found = root.xpath(path, namespaces=NS)
    return (found[0].text or "").strip() if found else ""


def check(xml: bytes, facts: InvoiceFacts) -> list[MissingTerm]:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    root = etree.fromstring(xml, parser)
    profile = PROFILES[facts.profile]
    ubl = facts.syntax == "ubl"
    found: list[MissingTerm] = []

    def broken(rule_id: str, term: str, message: str) -> None:
        found.append(MissingTerm("invoice", term, message, rule_id))

    specification = (
        _one(root, "/*/cbc:CustomizationID")
        if ubl
        else _one(root, _CII_CONTEXT + "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    )
    if specification != profile.customization_id:
        broken(_SPECIFICATION_RULE[profile.name], "BT-24", f"the {profile.title} identifier")
    if profile.process_id:
        process = (
            _one(root, "/*/cbc:ProfileID")
            if ubl
            else _one(
                root, _CII_CONTEXT + "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"
            )
        )
        if not _PROCESS.match(process):
            broken("PEPPOL-EN16931-R007", "BT-23", "a Peppol business process identifier")
    if profile.name == EN16931:
        return found

    for element in root.iter(etree.Element):
        if len(element) == 0 and not (element.text or "").strip():
            name = etree.QName(element).localname
            broken("PEPPOL-EN16931-R008", "-", f"no empty element ({name})")
            break
    if ubl:
        _ubl_checks(root, facts, broken)
    elif profile.name == XRECHNUNG:
        rates = root.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS
        )
        if any(not r.xpath("ram:RateApplicablePercent", namespaces=NS) for r in rates):
            broken("BR-DE-14", "BT-119", "a VAT rate in every VAT breakdown")
    return found


def _ubl_checks(root, facts: InvoiceFacts, broken) -> None:
    totals = root.xpath("/*/cac:TaxTotal[cac:TaxSubtotal]", namespaces=NS)
    if len(totals) != 1:
        broken("PEPPOL-EN16931-R053", "BT-110", "one tax total with its breakdown")
    if facts.profile == XRECHNUNG:
        subtotals = root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS)
        if any(not s.xpath("cac:TaxCategory/cbc:Percent", namespaces=NS) for s in subtotals):
            broken("BR-DE-14", "BT-119", "a VAT rate in every VAT breakdown")
    if facts.profile == PEPPOL:
        german = {facts.seller.country, facts.buyer.country} == {"DE"}
        if len(root.xpath("/*/cbc:Note", namespaces=NS)) > 1 and not german:
            broken("PEPPOL-EN16931-R002", "BT-22", "at most one invoice note")
    for line in root.xpath("/*/cac:InvoiceLine | /*/cac:CreditNoteLine", namespaces=NS):
        net = Decimal(_one(line, "cbc:LineExtensionAmount") or 0)
        quantity = Decimal(_one(line, "cbc:InvoicedQuantity | cbc:CreditedQuantity") or 1)
        price = Decimal(_one(line, "cac:Price/cbc:PriceAmount") or 0)
        slack = "0.5" if facts.profile == XRECHNUNG and facts.data["currency"] == "HUF" else "0.02"
        if abs(net - quantity * price) > Decimal(slack):
            broken("PEPPOL-EN16931-R120", "BT-131", "a line net amount of quantity × price")
        gross = _one(line, "cac:Price/cac:AllowanceCharge/cbc:BaseAmount")
        discount = _one(line, "cac:Price/cac:AllowanceCharge/cbc:Amount")
        if gross and Decimal(gross) - Decimal(discount or 0) != price:
            broken("PEPPOL-EN16931-R046", "BT-146", "a net price of gross price − discount")
