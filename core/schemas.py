"""Marshmallow schemas for the invoice: the one source of truth for the API, Redis and the LLM.

`InvoiceDraftSchema` loads what a provider (or a client) states into an `InvoiceDraft`; it
ignores unknown keys, so a total the model states is dropped rather than trusted.
`InvoiceSchema` dumps a priced `Invoice` with every amount as a decimal string carrying exactly
the currency's minor digits; that JSON is what Redis stores and the API returns unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, post_load, validate

from core.invoice import Discount, InvoiceDraft, LineItem, Party
from core.money import DEFAULT_CURRENCY, is_known_currency, minor_digits, plain
from core.text import visible_text

MAX_QUANTITY = Decimal("1000000000")
MAX_AMOUNT = Decimal("1000000000000")
MAX_ITEMS = 1000


class DecimalText(fields.Decimal):
    """A Decimal read from a JSON string or number; written as plain fixed-point text."""

    def __init__(self, *, max_places: int | None = None, **kwargs: Any):
        super().__init__(as_string=True, **kwargs)
        self.max_places = max_places

    def _validated(self, value: Any) -> Decimal:
        number = super()._validated(value)
        exponent = number.normalize().as_tuple().exponent
        if (
            self.max_places is not None
            and isinstance(exponent, int)
            and -exponent > self.max_places
        ):
            raise ValidationError(f"Use at most {self.max_places} decimal places.")
        return number

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return plain(self._validated(value))


class Text(fields.String):
    """A string that is valid Unicode: lone surrogates (which JSON can carry as "\\ud800")
    cannot be stored, rendered or exported, so they are refused at the door; bidi overrides
    and zero-width spaces, which change what a reader sees, are dropped (core/text.py)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Contains characters that are not valid Unicode.") from None
        return visible_text(text)


class Money(fields.Decimal):
    """A computed amount: already rounded by the core, written with its minor digits kept."""

    def __init__(self, **kwargs: Any):
        super().__init__(as_string=True, dump_only=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format(self._validated(value), "f")


def _percent(**kwargs: Any) -> DecimalText:
    return DecimalText(
        max_places=4, validate=validate.Range(min=0, max=100), load_default=Decimal(0), **kwargs
    )


def _text(max_length: int, **kwargs: Any) -> Text:
    return Text(validate=validate.Length(max=max_length), allow_none=True, **kwargs)


class PartySchema(Schema):
    """A seller or buyer; only the name is required."""

    class Meta:
        unknown = EXCLUDE

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    company = _text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = _text(50)
    address = _text(500)
    tax_id = _text(50)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Party:
        return Party(**data)


class LineItemSchema(Schema):
    """One line as stated: description, quantity, unit, unit price, tax rate, line discount."""

    class Meta:
        unknown = EXCLUDE

    description = Text(required=True, validate=validate.Length(min=1, max=500))
    quantity = DecimalText(
        max_places=6,
        load_default=Decimal(1),
        validate=validate.Range(min=0, max=MAX_QUANTITY, min_inclusive=False),
    )
    unit = _text(30)
    unit_price = DecimalText(
        required=True, max_places=6, validate=validate.Range(min=0, max=MAX_AMOUNT)
    )
    tax_rate = _percent(metadata={"description": "tax rate in percent, e.g. 8 for 8%"})
    discount_percent = _percent()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LineItem:
        return LineItem(**data)


class PricedLineSchema(LineItemSchema):
    """A line with the net amount the server computed."""

    net_amount = Money()


class DiscountSchema(Schema):
    """Invoice-level discount before tax: a percent of the subtotal, or an amount."""

    class Meta:
        unknown = EXCLUDE

    kind = fields.String(required=True, validate=validate.OneOf(["percent", "amount"]))
    value = DecimalText(required=True, max_places=6, validate=validate.Range(min=0, max=MAX_AMOUNT))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Discount:
        if data["kind"] == "percent" and data["value"] > 100:
            raise ValidationError({"value": ["A percent discount cannot exceed 100."]})
        return Discount(**data)


def _validate_currency(code: str) -> None:
    if not is_known_currency(code):
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code with a minor unit.")


class _InvoiceFactsSchema(Schema):
    """The fields shared by a draft and a priced invoice."""

    class Meta:
        unknown = EXCLUDE
        ordered = True

    currency = fields.String(
        load_default=DEFAULT_CURRENCY,
        validate=[validate.Regexp(r"\A[A-Za-z]{3}\Z"), _validate_currency],
        metadata={"description": "ISO 4217 code"},
    )
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    seller = fields.Nested(PartySchema, allow_none=True)
    buyer = fields.Nested(PartySchema, allow_none=True)
    discount = fields.Nested(DiscountSchema, allow_none=True)
    notes = _text(2000)
    payment_terms = _text(500)


class InvoiceDraftSchema(_InvoiceFactsSchema):
    """What a provider may state about an invoice. Totals and unknown keys are ignored."""

    items = fields.List(
        fields.Nested(LineItemSchema), load_default=list, validate=validate.Length(max=MAX_ITEMS)
    )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> InvoiceDraft:
        data["currency"] = data["currency"].upper()
        data["items"] = tuple(data["items"])
        return InvoiceDraft(**data)


class TaxBreakdownSchema(Schema):
    rate = DecimalText()
    base = Money()
    tax = Money()


class InvoiceSchema(_InvoiceFactsSchema):
    """A priced invoice, as the API returns it and Redis stores it."""

    number = fields.String(dump_only=True, metadata={"example": "INV-0001"})
    items = fields.List(fields.Nested(PricedLineSchema))
    subtotal = Money()
    discount_total = Money()
    tax_total = Money()
    total = Money()
    tax_breakdown = fields.List(fields.Nested(TaxBreakdownSchema), dump_only=True)

    @post_dump
    def unit_prices_in_currency(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Show unit prices with at least the currency's minor digits: '150' -> '150.00'."""
        digits = minor_digits(data["currency"])
        for item in data.get("items") or ():
            price = Decimal(item["unit_price"])
            exponent = price.as_tuple().exponent
            if isinstance(exponent, int) and -exponent < digits:
                item["unit_price"] = format(price.quantize(Decimal(1).scaleb(-digits)), "f")
        return data


invoice_schema = InvoiceSchema()
invoice_draft_schema = InvoiceDraftSchema()


def dump_invoice(invoice: Any) -> dict[str, Any]:
    """An `Invoice` as a JSON-ready dict."""
    return invoice_schema.dump(invoice)


def load_draft(data: Any) -> InvoiceDraft:
    """Validate provider output into an InvoiceDraft. Raises marshmallow.ValidationError."""
    return invoice_draft_schema.load(data)
