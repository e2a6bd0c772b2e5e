"""core/owner_records.py: the profile as a new invoice's seller and payment, and the patch
that saves an invoice's seller to the profile."""

from __future__ import annotations

from core.owner_records import profile_payment, profile_seller, seller_patch, with_profile


def test_profile_seller():
    assert profile_seller(None) is None and profile_seller({"seller": {}}) is None
    assert profile_seller({"seller": {"company": "Doe Ltd", "tax_id": "GB1"}}) == {
        "name": "Doe Ltd",
        "tax_id": "GB1",
    }
    assert profile_seller({"seller": {"name": "Jane", "company": "Doe Ltd", "phone": ""}}) == {
        "name": "Jane",
        "company": "Doe Ltd",
    }


def test_the_profile_seller_brings_its_contact_and_electronic_address():
    contact = {"name": "Anna Schmidt", "phone": "+49 30 1234567", "email": "a@s.example"}
    address = {"scheme": "9930", "value": "DE811907980"}
    seller = {"name": "Anna", "contact": contact, "electronic_address": address}
    assert profile_seller({"seller": seller}) == seller
    assert profile_seller({"seller": {"name": "Anna", "contact": {}}}) == {"name": "Anna"}
    assert with_profile({"items": []}, {"seller": seller})["seller"] == seller


def test_profile_payment():
    assert profile_payment({"payment": {}}) is None
    assert profile_payment({"payment": {"iban": "DE89", "bic": None}}) == {"iban": "DE89"}


def test_with_profile_fills_only_what_is_missing():
    profile = {"seller": {"name": "Jane"}, "payment": {"iban": "DE89"}}
    assert with_profile({"items": []}, profile) == {
        "items": [],
        "seller": {"name": "Jane"},
        "payment": {"iban": "DE89"},
    }
    own = {"seller": {"name": "Pixel"}, "payment": {"iban": "NL91"}}
    assert with_profile(own, profile) == own
    assert with_profile({"items": []}, {}) == {"items": []}


def test_seller_patch_sets_every_field():
    invoice = {
        "seller": {"name": "Pixel", "tax_id": "DE9", "contact": {"name": "x"}},
        "payment": {"iban": "DE89", "reference": "INV-1", "means_code": "58"},
    }
    assert seller_patch(invoice) == {
        "seller": {"name": "Pixel", "company": None, "email": None, "phone": None,
                   "address": None, "tax_id": "DE9", "contact": {"name": "x"},
                   "electronic_address": None},
        "payment": {"means_code": "58", "iban": "DE89"},
    }  # fmt: skip
    assert seller_patch({"seller": None}) is None and seller_patch(None) is None
