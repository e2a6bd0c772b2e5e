"""Marshmallow schemas of the records: the profile and a client's details.

The API validates requests with these same schemas (api/schemas.py), and the service
validates again with them, so nothing reaches the database unchecked whoever calls it.
Unknown fields are refused: a typo in a PATCH must not be silently dropped.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.exports.formatting import is_known_locale
from core.identifiers import bic_problem, iban_problem
from core.money import is_known_currency
from core.records.numbering import PatternError, check_pattern
from core.schemas import ContactSchema, DecimalText, ElectronicAddressSchema, Text

# UNTDID 4461 payment means: a code of one to three digits (30 credit transfer, 58 SEPA
# credit transfer, 59 SEPA direct debit, 48 card…) or ZZZ (mutually defined)
_MEANS_CODE = re.compile(r"\A(?:[0-9]{1,3}|ZZZ)\Z")


def _text(max_length: int, **kwargs: Any) -> Text:
    return Text(validate=validate.Length(max=max_length), allow_none=True, **kwargs)


def _iban(value: str | None) -> None:
    problem = iban_problem(value) if value is not None else None
    if problem:
        raise ValidationError(f"This is {problem}.")


def _bic(value: str | None) -> None:
    problem = bic_problem(value) if value is not None else None
    if problem:
        raise ValidationError(f"This is {problem}; a BIC has 8 or 11 characters, e.g. DEUTDEFF.")


def _currency(value: str | None) -> None:
    if value is not None and not is_known_currency(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code with a minor unit.")


def _locale(value: str | None) -> None:
    if value is not None and not is_known_locale(value):
        raise ValidationError("Not a known locale; use one like en_US, en_GB, de_DE or fr_FR.")


def _pattern(value: str | None) -> None:
    if value is not None:
        try:
            check_pattern(value)
        except PatternError as exc:
            raise ValidationError(str(exc)) from None


class _Strict(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class _JsonNested(fields.Nested):
    """A nested invoice schema whose loaded value is JSON, not the invoice's dataclass: what
    the records store, and what the API layer hands the service to load again. Empty fields
    are left out; an object with none left is null (it clears)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        kept = {k: v for k, v in self.schema.dump(loaded).items() if v not in (None, "")}
        return kept or None


class PartyDetailsSchema(_Strict):
    """A party whose every field is optional (a profile's seller, a client being edited)."""

    name = Text(allow_none=True, validate=validate.Length(min=1, max=200))
    company = _text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = _text(50)
    address = _text(500)
    tax_id = _text(50, metadata={"description": "VAT ID (BT-31 for a seller, BT-48 for a buyer)"})
    # the invoice party's own nested schemas (core/schemas.py), so a profile or a client holds
    # nothing an invoice would refuse; each is replaced as a whole in a PATCH
    contact = _JsonNested(
        ContactSchema,
        allow_none=True,
        unknown=RAISE,
        metadata={"description": "contact point (BT-41..43 for a seller): name, phone, email"},
    )
    electronic_address = _JsonNested(
        ElectronicAddressSchema,
        allow_none=True,
        unknown=RAISE,
        metadata={"description": "e-invoicing address with its EAS scheme (BT-34 / BT-49)"},
    )


class ProfilePaymentSchema(_Strict):
    """How the seller is paid (BG-16), as the profile keeps it."""

    means_code = fields.String(
        allow_none=True,
        validate=validate.Regexp(_MEANS_CODE, error="A UNTDID 4461 code, e.g. 58 (SEPA transfer)."),
        metadata={"description": "UNTDID 4461 payment means, e.g. 30 or 58", "example": "58"},
    )
    iban = fields.String(
        allow_none=True, validate=_iban, metadata={"example": "DE89370400440532013000"}
    )
    bic = fields.String(allow_none=True, validate=_bic, metadata={"example": "COBADEFFXXX"})
    account_name = _text(200, metadata={"description": "account holder"})


class ProfileDefaultsSchema(_Strict):
    """What a new invoice starts with."""

    currency = fields.String(allow_none=True, validate=_currency, metadata={"example": "EUR"})
    payment_terms_days = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=365), metadata={"example": 30}
    )
    tax_rate = DecimalText(
        allow_none=True,
        max_places=4,
        validate=validate.Range(min=Decimal(0), max=Decimal(100)),
        metadata={"description": "percent, e.g. 19 for 19%"},
    )
    locale = fields.String(
        allow_none=True, validate=[validate.Length(max=35), _locale], metadata={"example": "de_DE"}
    )


class NumberingSchema(_Strict):
    """Number patterns: {year}, and {seq} or {seq:0N} exactly once."""

    invoice_pattern = fields.String(
        allow_none=True, validate=_pattern, metadata={"example": "{year}-{seq:04}"}
    )
    credit_note_pattern = fields.String(
        allow_none=True, validate=_pattern, metadata={"example": "CN-{year}-{seq:04}"}
    )

    @validates_schema
    def different_series(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("invoice_pattern") and data.get("invoice_pattern") == data.get(
            "credit_note_pattern"
        ):
            raise ValidationError(
                "Invoices and credit notes need different patterns.", "credit_note_pattern"
            )


class ProfileSchema(_Strict):
    """Your business: every section and field optional; in a PATCH, null clears it."""

    seller = fields.Nested(PartyDetailsSchema, allow_none=True)
    payment = fields.Nested(ProfilePaymentSchema, allow_none=True)
    defaults = fields.Nested(ProfileDefaultsSchema, allow_none=True)
    numbering = fields.Nested(NumberingSchema, allow_none=True)


PROFILE_SECTIONS = ("seller", "payment", "defaults", "numbering")
profile_schema = ProfileSchema()
party_details_schema = PartyDetailsSchema()


def load_profile_patch(data: Any) -> dict[str, Any]:
    """A PATCH body validated and made JSON-ready (IBAN and BIC compact, rates as text).

    Raises marshmallow.ValidationError with one message list per field.
    """
    loaded = profile_schema.load(data)
    payment = loaded.get("payment")
    if payment:
        for name in ("iban", "bic"):
            if payment.get(name):
                payment[name] = "".join(payment[name].split()).upper()
    dumped = profile_schema.dump(loaded)
    # dump drops nothing we loaded, and keeps explicit nulls: they clear a field
    return {k: v for k, v in dumped.items() if k in loaded}


def load_client_patch(data: Any) -> dict[str, Any]:
    """A client's changed details, validated. Raises marshmallow.ValidationError."""
    loaded = party_details_schema.load(data)
    if "name" in loaded and not (loaded["name"] or "").strip():
        raise ValidationError({"name": ["A client needs a name."]})
    return loaded
