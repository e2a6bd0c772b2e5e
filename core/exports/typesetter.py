"""Typst as the invoice PDF uses it: one compiler per template and process, our fonts only,
PDF/A-3b out, one document at a time.

    typeset_pdf(template, inputs) -> bytes     `inputs` reach the template as sys.inputs

Typst (the `typst` package: the compiled typesetter, no browser, no subprocess) lays out an
8-line invoice in about 15 ms. Data goes in as strings through sys.inputs and never into
the template's source, so nothing in an invoice can become Typst code; the templates read no
file and import no package, and the compiler is given no system fonts, only the font folders
below (Debian packages, installed by scripts/ensure-system-packages.sh and the Dockerfile).
"""

from __future__ import annotations

import logging
import os
import threading
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import typst

# Typst spreads some of its work over a rayon thread pool. For one invoice that costs more than
# it gains (measured: 18 ms of CPU single-threaded, 24-27 ms with the default pool, and more
# wall time on a busy machine), and a server has other requests for its other cores. Set
# before Typst's first document, when rayon reads it; an operator's own setting wins.
os.environ.setdefault("RAYON_NUM_THREADS", "1")

TEMPLATES = Path(__file__).parent / "templates"
PDF_STANDARD = "a-3b"
# Debian's font folders: fonts-dejavu-core (Latin, Greek, Cyrillic, Hebrew), fonts-noto-core
# (Arabic and most other scripts) and fonts-noto-cjk (Chinese, Japanese, Korean).
FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
)
FONT_FAMILIES = ("DejaVu Sans", "Noto Sans Arabic", "Noto Sans CJK SC")
FONT_PACKAGES = "fonts-dejavu-core fonts-noto-core fonts-noto-cjk"
FONT_FILES = (".ttf", ".otf", ".ttc")
# What a character no invoice font can draw is printed as: PDF/A forbids the empty ".notdef"
# glyph, so Typst refuses a document with such a character rather than draw a box.
REPLACEMENT = "\ufffd"

log = logging.getLogger(__name__)

# A compiler is not safe to share between threads, and its caches make the next document of
# the same template faster: each document takes a compiler from this pool and gives it back.
# How many documents are typeset at once is `_parallel` (one, unless run_compiles_with says).
_idle: dict[str, list[typst.Compiler]] = {}
_idle_lock = threading.Lock()
_parallel = threading.BoundedSemaphore(1)


def _call_here(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


# How the compile itself is called. Directly by default; the API's gevent workers hand it to
# a native thread (`run_compiles_with`, api/app.py), so that the event loop keeps serving the
# other requests while Typst works (a 500-line invoice takes it about 0.2-0.3 s). Only the
# compile goes there: it is one call into Typst's compiled code, which takes no Python lock
# (under gevent, Python's locks are gevent locks, and native threads cannot share those).
_call_compile: Callable[..., Any] = _call_here


def compile_on_native_threads(parallel: int, *, niceness: int = 0) -> None:
    """Under gevent: run each compile on one of gevent's native threads while the calling
    greenlet waits, up to `parallel` at once, so the event loop keeps serving meanwhile.

    `niceness` (Linux: per thread) lowers those threads' CPU priority: a worker making a
    thousand PDFs for a ZIP then leaves the CPU to the API's requests when they need it.
    """
    from gevent import get_hub

    def niced(function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        if niceness and hasattr(os, "setpriority"):
            # the calling thread only (a Linux thread id); raising niceness needs no privilege
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        return function(*args, **kwargs)

    def in_native_thread(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return get_hub().threadpool.apply(niced, (function, args, kwargs))

    run_compiles_with(in_native_thread, parallel=parallel)


def run_compiles_with(call: Callable[..., Any], *, parallel: int = 1) -> None:
    """Run Typst's compile through `call(function, *args, **kwargs)` from now on, with up to
    `parallel` documents at once (each with a compiler of its own)."""
    global _call_compile, _parallel
    _call_compile = call
    _parallel = threading.BoundedSemaphore(parallel)


class MissingFonts(RuntimeError):
    """The invoice fonts are not installed: PDFs would show empty boxes instead of text."""


class TypesetFailed(RuntimeError):
    """Typst refused the document (a template bug: the data is only ever text)."""


class Undisplayable(TypesetFailed):
    """A text has characters that no one font draws together (see `displayable`)."""


@cache
def fonts() -> typst.Fonts:
    """The invoice fonts, searched once per process (about 0.1 s). Raises MissingFonts."""
    found = typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=False,
        font_paths=[str(folder) for folder in FONT_FOLDERS if folder.is_dir()],
    )
    families = {family.casefold() for family in found.families()}
    missing = [family for family in FONT_FAMILIES if family.casefold() not in families]
    if missing:
        raise MissingFonts(
            f"fonts {', '.join(missing)} not found in {', '.join(map(str, FONT_FOLDERS))}: "
            f"install the Debian packages {FONT_PACKAGES} (scripts/ensure-system-packages.sh)"
        )
    return found


def displayable(text: str, *, common_only: bool = False) -> str:
    """`text` with every character no invoice font has a glyph for replaced by U+FFFD ('�').

    Characters that are never drawn (format controls such as U+200D, variation selectors) stay.
    `common_only` keeps only what DejaVu Sans draws: for the rare text whose characters each
    have a font but not together (a Sinhala vowel sign on a Latin digit), which Typst refuses.
    """
    if text.isascii():
        return text
    common = _coverage(FONT_FOLDERS[0])  # DejaVu: Latin, Greek, Cyrillic, Hebrew, Arabic, symbols
    if all(ord(character) in common for character in text):
        return text
    drawn = common if common_only else _coverage(*FONT_FOLDERS)
    return "".join(
        character if ord(character) in drawn or _never_drawn(character) else REPLACEMENT
        for character in text
    )


def _never_drawn(character: str) -> bool:
    code = ord(character)
    return (
        unicodedata.category(character) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x180B <= code <= 0x180F
    )


@cache
def _coverage(*folders: Path) -> frozenset[int]:
    """The code points the fonts in `folders` have glyphs for (all of them: about 0.8 s)."""
    from fontTools.ttLib import TTCollection, TTFont

    points: set[int] = set()
    for folder in folders:
        paths = sorted(folder.iterdir()) if folder.is_dir() else []
        for path in (path for path in paths if path.suffix.lower() in FONT_FILES):
            if path.suffix.lower() == ".ttc":
                faces = TTCollection(str(path), lazy=True).fonts
            else:
                faces = [TTFont(str(path), lazy=True)]
            for face in faces:
                points.update(face.getBestCmap() or {})
    return frozenset(points)


def compiler(template: str) -> typst.Compiler:
    """A new compiler of `templates/<template>`, on our fonts only."""
    return typst.Compiler(
        TEMPLATES / template,
        root=TEMPLATES,  # the only folder Typst could read from, and the templates read nothing
        font_paths=fonts(),
        ignore_system_fonts=True,
    )


def _take_compiler(template: str) -> typst.Compiler:
    with _idle_lock:
        idle = _idle.setdefault(template, [])
        if idle:
            return idle.pop()
    return compiler(template)


def _give_back(template: str, typst_compiler: typst.Compiler) -> None:
    with _idle_lock:
        _idle[template].append(typst_compiler)


def forget_compilers() -> None:
    """Drop the idle compilers (a test that changes TEMPLATES needs new ones)."""
    with _idle_lock:
        _idle.clear()


def typeset_pdf(template: str, inputs: dict[str, str]) -> bytes:
    """`templates/<template>` typeset as PDF/A-3b with `inputs` as sys.inputs.

    Raises TypesetFailed when Typst refuses the document or misses a font, MissingFonts when the
    invoice fonts are not installed.
    """
    with _parallel:
        typst_compiler = _take_compiler(template)
        try:
            document, warnings = _call_compile(
                typst_compiler.compile_with_warnings,
                format="pdf",
                sys_inputs=inputs,
                pdf_standards=[PDF_STANDARD],
                pdf_tags=False,  # as before: tags would triple the time to attach the Factur-X XML
            )
        except typst.TypstError as error:
            failure = Undisplayable if "could not be displayed" in error.message else TypesetFailed
            raise failure(f"{template}: {error.message}") from None
        finally:
            _give_back(template, typst_compiler)
    for warning in warnings:
        if "font" in warning.message:  # text would be missing from the page
            raise TypesetFailed(f"{template}: {warning.message}")
        log.warning("typesetting %s: %s", template, warning.message)
    return document
