"""E-invoice profiles: EN 16931 itself and the two CIUS a recipient is most likely to ask for.

    name       BT-24 CustomizationID                                      BT-23     syntaxes
    en16931    urn:cen.eu:en16931:2017                                    —         UBL, CII
    xrechnung  urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:   billing   UBL, CII
               xrechnung_3.0  (XRechnung 3.0.x, KoSIT)
    peppol     urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:  billing   UBL
               poacc:billing:3.0  (Peppol BIS Billing 3.0)

    billing = urn:fdc:peppol.eu:2017:poacc:billing:01:1.0 (Peppol's billing process)

XRechnung 3.0 takes Peppol's rule PEPPOL-EN16931-R001 (a business process must be given), so
its files carry the same ProfileID as Peppol's, urn:fdc:peppol.eu:2017:poacc:billing:01:1.0.
Factur-X keeps the EN 16931 profile.
"""

from __future__ import annotations

from dataclasses import dataclass

EN16931, XRECHNUNG, PEPPOL = "en16931", "xrechnung", "peppol"
EN16931_ID = "urn:cen.eu:en16931:2017"
XRECHNUNG_ID = f"{EN16931_ID}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING_ID = f"{EN16931_ID}#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    customization_id: str  # BT-24
    process_id: str | None  # BT-23
    syntaxes: tuple[str, ...]


PROFILES = {
    EN16931: Profile(EN16931, "EN 16931", EN16931_ID, None, ("ubl", "cii")),
    XRECHNUNG: Profile(
        XRECHNUNG, "XRechnung 3.0", XRECHNUNG_ID, PEPPOL_BILLING_PROCESS, ("ubl", "cii")
    ),
    PEPPOL: Profile(
        PEPPOL, "Peppol BIS Billing 3.0", PEPPOL_BILLING_ID, PEPPOL_BILLING_PROCESS, ("ubl",)
    ),
}


def profiles_for(syntax: str) -> tuple[str, ...]:
    """The profile names a syntax can be exported in: ('en16931', 'xrechnung', 'peppol')."""
    return tuple(name for name, profile in PROFILES.items() if syntax in profile.syntaxes)


def profile_for(name: str, syntax: str) -> Profile:
    """Raises ValueError for a profile unknown, or not offered in that syntax."""
    if name not in PROFILES or syntax not in PROFILES[name].syntaxes:
        offered = ", ".join(profiles_for(syntax))
        raise ValueError(f"unknown profile {name!r} for {syntax.upper()}: use one of {offered}")
    return PROFILES[name]
