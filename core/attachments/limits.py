"""How much of an attached file we are willing to look at. Every number bounds memory or time."""

from __future__ import annotations

from dataclasses import dataclass, fields

from core.errors import AttachmentTooLarge, AttachmentUnreadable, ConfigurationError

MIB = 1 << 20


@dataclass(frozen=True)
class AttachmentLimits:
    """Limits for the files of one chat message; build it with `from_settings`.

    `max_files` and `max_bytes` come from MAX_ATTACHMENTS and MAX_ATTACHMENT_BYTES; the rest
    are fixed defaults a caller (or a test) may override.
    """

    max_files: int = 5
    max_bytes: int = 10 * MIB  # per file, as uploaded
    # Pixels of one image, read from its header before anything is decoded: a 48-megapixel
    # phone photo passes, a 40,000 × 40,000 "decompression bomb" does not. Pillow's own guard
    # (Image.MAX_IMAGE_PIXELS, 89 M) stays in place behind this one.
    max_pixels: int = 50_000_000
    max_side: int = 30_000  # pixels along one side (a 100,000 × 10 strip is not a document)
    max_pdf_pages: int = 20  # pages read (text, OCR, images); later pages are left out, said so
    max_rows: int = 5000  # rows of a CSV or sheet with content; more is refused, not cut
    max_columns: int = 50  # cells read per row
    max_unpacked_bytes: int = 100 * MIB  # all members of an XLSX (zip) together, unpacked
    max_zip_entries: int = 1000
    max_compression_ratio: int = 200  # unpacked / packed, per member over 1 MiB
    max_text_chars: int = 100_000  # text kept per document (for a model or the offline engine)
    ocr_seconds: int = 30  # per page, then the OCR process is stopped
    render_dpi: int = 200  # PDF pages rendered for OCR and for a vision model

    def __post_init__(self) -> None:
        for spec in fields(self):
            if getattr(self, spec.name) <= 0:
                raise ConfigurationError(f"attachment limit {spec.name} must be positive")

    @classmethod
    def from_settings(cls, settings: object, **overrides: int) -> AttachmentLimits:
        """The limits a `core.settings.Settings` asks for (MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES).

        Raises ConfigurationError when a limit is not positive.
        """
        values: dict[str, int] = {
            "max_files": settings.max_attachments,  # type: ignore[attr-defined]
            "max_bytes": settings.max_attachment_bytes,  # type: ignore[attr-defined]
        }
        values.update(overrides)
        return cls(**values)


DEFAULT_LIMITS = AttachmentLimits()


def check_pixels(width: int, height: int, limits: AttachmentLimits) -> None:
    """Raises AttachmentTooLarge when an image of width × height is over the pixel limits."""
    if width <= 0 or height <= 0:
        raise AttachmentUnreadable("This image has no pixels.", reason="corrupt")
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise AttachmentTooLarge(
            f"This image is {width:,} × {height:,} pixels; the limit is "
            f"{limits.max_pixels / 1e6:g} megapixels and {limits.max_side:,} pixels a side.",
            reason="pixels",
            details={"limit": limits.max_pixels, "width": width, "height": height},
        )
