"""Marshmallow schemas for the invoice: the one source of truth for the API, Redis and the LLM.

`InvoiceDraftSchema` loads what a provider (or a client) states into an `InvoiceDraft`; it
ignores unknown keys, so a total the model states is dropped rather than trusted.
`InvoiceSchema` dumps a priced `Invoice` with every amount as a decimal string carrying exactly
the currency's minor digits; that JSON is what Redis stores and the API returns unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    validate,
    validates_schema,
)

from core import identifiers
from core.invoice import (
    STATUSES,
    TAX_CATEGORIES,
    TYPES,
    Contact,
    Discount,
    ElectronicAddress,
    ExemptionReason,
    InvoiceDraft,
    InvoiceRuleError,
    LineItem,
    Party,
    Payment,
    PrecedingInvoice,
    resolve_category,
    stated_category,
)
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
        for rule in self.validators:  # a length limit holds for what was sent, not what is kept
            if isinstance(rule, validate.Length):
                rule(text)
        return visible_text(text)


class Money(fields.Decimal):
    """A computed amount: already rounded by the core, written with its minor digits kept."""

    def __init__(self, **kwargs: Any):
        super().__init__(as_string=True, dump_only=True, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return format(self._validated(value), "f")


class Code(fields.String):
    """A code from a code list: stripped and upper-cased ('s' -> 'S', ' em' -> 'EM')."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class CompactCode(fields.String):
    """An identifier written in groups ('DE89 3704 0044…'): kept without spaces, upper-cased."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return identifiers.compact(super()._deserialize(value, attr, data, **kwargs))


def _in_code_list(codes, words: str):
    """A validator that names the code list when a code is not in it."""

    def check(value: str) -> None:
        if value not in codes():
            raise ValidationError(f"{value!r} is not {words}.")

    return check


def _no_problem(problem):
    """A validator from a function that says what is wrong with a value, or None."""

    def check(value: str) -> None:
        if reason := problem(value):
            raise ValidationError(f"{value!r} is {reason}." if reason.startswith("not") else reason)

    return check


# UNTDID 4461 payment means the e-invoice can carry whole: cash, cheque, credit transfers (an
# IBAN to pay to), standing agreements, online payment services, clearing. Cards (BG-18) and
# direct debits (BG-19) need details this invoice does not hold, so they are not offered.
PAYMENT_MEANS = {
    "1": "not defined",
    "10": "cash",
    "20": "cheque",
    "30": "credit transfer",
    "31": "debit transfer",
    "42": "payment to bank account",
    "57": "standing agreement",
    "58": "SEPA credit transfer",
    "68": "online payment service",
    "97": "clearing between partners",
}


def _percent(**kwargs: Any) -> DecimalText:
    return DecimalText(
        max_places=4, validate=validate.Range(min=0, max=100), load_default=Decimal(0), **kwargs
    )


def _text(max_length: int, **kwargs: Any) -> Text:
    return Text(validate=validate.Length(max=max_length), allow_none=True, **kwargs)


class ContactSchema(Schema):
    """A contact person: the seller's is BT-41..43 (XRechnung wants all three)."""

    class Meta:
        unknown = EXCLUDE

    name = _text(200, metadata={"description": "contact person or department"})
    phone = _text(50)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Contact:
        return Contact(**data)


class ElectronicAddressSchema(Schema):
    """Where e-invoices are delivered (BT-34 / BT-49)."""

    class Meta:
        unknown = EXCLUDE

    scheme = Code(
        required=True,
        validate=_in_code_list(
            identifiers.eas_schemes,
            "a scheme of the EAS code list (for example 0208 Belgian enterprise number, "
            "0106 Dutch KvK, 0190 Dutch OIN, 0204 German Leitweg-ID, 0088 GLN, 0009 SIRET, "
            "9930 German VAT number, EM e-mail)",
        ),
        metadata={
            "description": "EAS scheme code: 0208 Belgian enterprise number, 9925 Belgian VAT, "
            "0106 Dutch KvK, 0190 Dutch OIN, 9944 Dutch VAT, 0204 German Leitweg-ID, 9930 "
            "German VAT, 0009 French SIRET, 0002 SIREN, 9957 French VAT, 0088 GLN, 0184 "
            "Danish CVR, EM e-mail (not accepted by Peppol)"
        },
    )
    value = Text(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the identifier in that scheme, e.g. 0403019261 for 0208"},
    )

    @validates_schema
    def value_fits_the_scheme(self, data: dict[str, Any], **_: Any) -> None:
        problem = identifiers.electronic_address_problem(data["scheme"], data["value"])
        if problem:
            name = identifiers.scheme_name(data["scheme"])
            raise ValidationError(
                {"value": [f"{data['value']!r} is not a valid {name}: {problem}."]}
            )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> ElectronicAddress:
        return ElectronicAddress(scheme=data["scheme"], value=data["value"].strip())


class PartySchema(Schema):
    """A seller or buyer; only the name is required."""

    class Meta:
        unknown = EXCLUDE

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    company = _text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = _text(50)
    address = _text(
        500, metadata={"description": "postal address ending with the country, one string"}
    )
    tax_id = _text(
        50,
        metadata={
            "description": "VAT number with its country prefix (DE811907980, FR40303265045), "
            "or a local tax number without one"
        },
    )
    contact = fields.Nested(
        ContactSchema,
        allow_none=True,
        metadata={"description": "contact point when it differs from name, phone and email"},
    )
    electronic_address = fields.Nested(
        ElectronicAddressSchema,
        allow_none=True,
        metadata={"description": "e-invoicing address (Peppol ID, Leitweg-ID, …)"},
    )

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Party:
        return Party(**data)


class ExemptionReasonSchema(Schema):
    """Why a line carries no VAT (BT-120 text, BT-121 VATEX code)."""

    class Meta:
        unknown = EXCLUDE

    code = Code(
        allow_none=True,
        validate=_in_code_list(identifiers.vatex_codes, "a VATEX exemption reason code"),
        metadata={
            "description": "VATEX code: VATEX-EU-AE reverse charge, VATEX-EU-IC intra-community "
            "supply, VATEX-EU-G export, VATEX-EU-O not subject, VATEX-EU-132-1x / 135-1 / 143 "
            "… exemptions by article of the VAT Directive, VATEX-FR-FRANCHISE French franchise"
        },
    )
    text = _text(300, metadata={"description": "the reason in words"})

    @validates_schema
    def code_or_text(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("code") or (data.get("text") or "").strip()):
            raise ValidationError({"code": ["Give a VATEX code or the reason in words."]})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> ExemptionReason:
        return ExemptionReason(**data)


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
    tax_category = Code(
        allow_none=True,
        validate=validate.OneOf(TAX_CATEGORIES),
        metadata={
            "description": "VAT category: S standard (rate > 0), Z zero rated, E exempt (needs "
            "exemption_reason), AE reverse charge, K intra-community supply of goods, G export "
            "outside the EU, O outside the scope of VAT. E, AE, K, G and O have tax_rate 0. "
            "Omit for S/Z: the rate decides."
        },
    )
    exemption_reason = fields.Nested(
        ExemptionReasonSchema,
        allow_none=True,
        metadata={"description": "why there is no VAT; required for E, standard for AE/K/G/O"},
    )

    @validates_schema
    def category_fits_rate_and_reason(self, data: dict[str, Any], **_: Any) -> None:
        if "unit_price" not in data or "tax_rate" not in data:
            return  # already refused field by field
        try:
            resolve_category(LineItem(**{k: v for k, v in data.items()}))
        except InvoiceRuleError as exc:
            raise ValidationError({exc.field: [exc.message]}) from None

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LineItem:
        data["tax_category"] = stated_category(data.get("tax_category"))
        return LineItem(**data)


class PaymentSchema(Schema):
    """Payment instructions (BG-16)."""

    class Meta:
        unknown = EXCLUDE

    means_code = fields.String(
        allow_none=True,
        validate=validate.OneOf(list(PAYMENT_MEANS)),
        metadata={
            "description": "UNTDID 4461: 58 SEPA credit transfer, 30 credit transfer, 10 cash, "
            "20 cheque, 42 payment to bank account, 68 online payment service (default: 58 "
            "for an IBAN in EUR, 30 for an IBAN in another currency)"
        },
    )
    iban = CompactCode(
        allow_none=True,
        validate=[validate.Length(max=34), _no_problem(identifiers.iban_problem)],
        metadata={"description": "IBAN to pay to, e.g. DE89370400440532013000"},
    )
    bic = CompactCode(
        allow_none=True,
        validate=[validate.Length(max=11), _no_problem(identifiers.bic_problem)],
    )
    account_name = _text(200, metadata={"description": "account holder"})
    reference = _text(140, metadata={"description": "payment reference the payer quotes"})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Payment:
        return Payment(**data)


class PrecedingInvoiceSchema(Schema):
    """The invoice a credit note refers to (BT-25, BT-26)."""

    class Meta:
        unknown = EXCLUDE

    number = Text(required=True, validate=validate.Length(min=1, max=100))
    issue_date = fields.Date(allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> PrecedingInvoice:
        return PrecedingInvoice(**data)


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
    buyer_reference = _text(
        200,
        metadata={
            "description": "the buyer's reference for routing the invoice (BT-10), e.g. a "
            "German Leitweg-ID like 991-33333TEST-33; XRechnung requires it"
        },
    )
    purchase_order = _text(200, metadata={"description": "the buyer's purchase order number"})
    delivery_date = fields.Date(
        allow_none=True, metadata={"description": "when the goods or service were delivered"}
    )
    prepaid_amount = DecimalText(
        allow_none=True,
        max_places=6,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "already paid in advance; the amount due is total minus this"},
    )
    payment = fields.Nested(
        PaymentSchema, allow_none=True, metadata={"description": "how and where to pay"}
    )
    preceding_invoice = fields.Nested(
        PrecedingInvoiceSchema,
        allow_none=True,
        metadata={"description": "the earlier invoice this one corrects or credits"},
    )


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
    class Meta:
        ordered = True

    tax_category = fields.String()
    rate = DecimalText()
    base = Money()
    tax = Money()
    exemption_reason = fields.Nested(ExemptionReasonSchema, allow_none=True)


class InvoiceSchema(_InvoiceFactsSchema):
    """A priced invoice, as the API returns it and Redis stores it."""

    number = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"example": "INV-0001", "description": "null while the invoice is a draft"},
    )
    status = fields.String(dump_only=True, validate=validate.OneOf(STATUSES))
    type = fields.String(dump_only=True, validate=validate.OneOf(TYPES))
    items = fields.List(fields.Nested(PricedLineSchema))
    subtotal = Money()
    discount_total = Money()
    tax_total = Money()
    total = Money()
    tax_breakdown = fields.List(fields.Nested(TaxBreakdownSchema), dump_only=True)
    prepaid_amount = Money(allow_none=True)
    amount_due = Money(metadata={"description": "total − prepaid_amount (BT-115)"})

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
