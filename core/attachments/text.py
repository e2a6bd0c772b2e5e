"""Bytes to text: the encodings CSV files come in, decided from the bytes.

    BOM EF BB BF                       utf-8-sig
    BOM FF FE / FE FF                  utf-16 (little / big endian)
    no BOM, NUL in every other byte    utf-16-le / utf-16-be (Excel's "Unicode text")
    valid UTF-8                        utf-8
    otherwise                          cp1252 (Windows Western: Latin-1 plus € „ “ …), and
                                       latin-1 when cp1252 has no character for a byte

A Latin-1 file of umlauts is not valid UTF-8 (ü is the single byte FC), so it falls through to
cp1252, which agrees with Latin-1 on every letter; only the C1 control range differs, where
cp1252 has the euro sign and typographic quotes that Windows files actually contain.
"""

from __future__ import annotations

import codecs

# Controls that plain text may hold; any other (NUL above all) means binary data.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")


def decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for bytes that are text, None for binary data."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _checked(data, encoding)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _checked(data, utf16)
    for encoding in ("utf-8", "cp1252", "latin-1"):
        decoded = _checked(data, encoding)
        if decoded is not None:
            return decoded
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:400]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.9 * half and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > 0.9 * half and odd_nuls == 0:
        return "utf-16-be"
    return None


def _checked(data: bytes, encoding: str) -> tuple[str, str] | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if not looks_like_text(text):
        return None
    return text, encoding


def looks_like_text(text: str) -> bool:
    """No NUL and almost no control characters (latin-1 decodes any bytes, even a program)."""
    if "\x00" in text:
        return False
    sample = text[:20_000]
    controls = sum(
        1 for c in sample if (c < " " or "\x7f" <= c < "\xa0") and c not in _TEXT_CONTROLS
    )
    return controls <= len(sample) // 200
