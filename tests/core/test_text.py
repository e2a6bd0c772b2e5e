"""Invisible controls never change what a reader sees; right-to-left text stays readable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.exports.document import xml_text
from core.schemas import load_draft
from core.text import INVISIBLE_CONTROLS, visible_text

SPOOF = "\u202egnp.exe"  # shows as "exe.png" where overrides are honoured


def test_a_right_to_left_override_is_removed():
    assert visible_text(SPOOF) == "gnp.exe"
    assert visible_text("Acme\u200b Corp\u2066 Ltd\u2069\ufeff") == "Acme Corp Ltd"


@pytest.mark.parametrize(
    "text",
    [
        "شركة النور للتجارة",  # Arabic
        "חברת אלפא בע״מ",  # Hebrew
        "می\u200cخواهم",  # Persian with ZWNJ
        "Family \U0001f468\u200d\U0001f469\u200d\U0001f467",  # an emoji ZWJ sequence
        "Order (\u200f123\u200f)",  # RLM only sets how neutrals lean: kept
    ],
)
def test_legitimate_text_is_kept_as_typed(text):
    assert visible_text(text) == text


@given(st.text())
def test_nothing_invisible_survives_and_everything_else_does(text):
    cleaned = visible_text(text)
    assert not INVISIBLE_CONTROLS.search(cleaned)
    assert cleaned == "".join(ch for ch in text if not INVISIBLE_CONTROLS.match(ch))


def test_the_invoice_schema_drops_them_on_the_way_in():
    draft = load_draft(
        {
            "buyer": {"name": "\u202eAcme\u200b Corp"},
            "items": [{"description": SPOOF, "quantity": "1", "unit_price": "10"}],
            "notes": "pay\u2067 now",
        }
    )
    assert draft.buyer.name == "Acme Corp"
    assert draft.items[0].description == "gnp.exe"
    assert draft.notes == "pay now"


def test_every_export_drops_them_on_the_way_out():
    # an invoice stored before the rule (or written by hand) still renders safely
    assert xml_text(SPOOF) == "gnp.exe"
    assert xml_text("\u202a1\u202c2\u202d3") == "123"


def test_a_length_limit_counts_what_was_sent_not_what_is_kept():
    """The schema promises maxLength to clients: a longer value is refused even when dropping
    its invisible characters would bring it under (found by the negative OpenAPI fuzz)."""
    from marshmallow import Schema, ValidationError, validate

    from core.schemas import Text

    class Query(Schema):
        q = Text(validate=validate.Length(max=5))

    assert Query().load({"q": "ab\u200bcd"}) == {"q": "abcd"}
    with pytest.raises(ValidationError):
        Query().load({"q": "abc\u200bde"})  # six sent, five kept
