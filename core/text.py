"""Text safe to show: no invisible characters that change what a reader sees.

Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) can
make "\\u202egnp.exe" display as "exe.png", or reorder the digits of an amount; zero-width
spaces and joiners-of-nothing (U+200B, U+2060, U+FEFF) hide text inside names and numbers.
They are removed wherever text comes in (the invoice and message schemas) and again wherever
it goes out (PDF, HTML, XML exports; the UI strips them too), so an invoice made before
this rule still renders safely.

Right-to-left text needs none of them: the Unicode bidi algorithm orders Arabic or Hebrew
by itself, and the marks that only set the direction of neutral characters (LRM, RLM, ALM)
are kept, as are ZWNJ and ZWJ, which Persian, Indic scripts and emoji sequences rely on.
"""

from __future__ import annotations

import re

INVISIBLE_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")


def visible_text(text: str) -> str:
    """`text` without bidi embeddings, overrides, isolates and zero-width spaces."""
    return INVISIBLE_CONTROLS.sub("", text)
