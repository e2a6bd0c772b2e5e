"""Images with Pillow: opened within the pixel limits, prepared for OCR, re-encoded to fit Bedrock.

Pillow's `Image.open` reads only the header, so the pixel count is checked (`sniff`, and again
in `open_image`) before any pixel is decoded. Pillow's own guard, `Image.MAX_IMAGE_PIXELS`
(89 M pixels, an error from twice that), is left in place behind ours; both come out as
AttachmentTooLarge.

OCR preparation (`prepare_for_ocr`) is what measurably helped on the benchmark's documents
(bench/attachments.py, see docs/attachments.md for the figures): grey levels, small images
enlarged, a deskew for pages photographed or scanned askew (the angle found from the
sharpness of the row profile, which needs no numpy: Pillow averages each row when it resizes
to one column), and a black-and-white threshold chosen by Otsu's method, which took the noisy
pages from 25% to 79% fully right and made Tesseract faster on them.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageOps, UnidentifiedImageError

from core.attachments.limits import AttachmentLimits, check_pixels
from core.errors import AttachmentTooLarge, AttachmentUnreadable

_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


def image_size(data: bytes) -> tuple[int, int, str | None]:
    """(width, height, Pillow format) from the header only; nothing is decoded."""
    try:
        # (between 89 M and 179 M pixels Pillow warns instead: the caller's limit refuses it)
        with Image.open(io.BytesIO(data)) as image:
            return image.width, image.height, image.format
    except Image.DecompressionBombError:
        raise AttachmentTooLarge(
            "This image has more pixels than we decode.", reason="pixels"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise AttachmentUnreadable("This image is damaged.", reason="corrupt") from None


def open_image(data: bytes, limits: AttachmentLimits) -> Image.Image:
    """The decoded image, upright (EXIF orientation applied), within the pixel limits.

    Raises AttachmentTooLarge or AttachmentUnreadable.
    """
    width, height, _ = image_size(data)
    check_pixels(width, height, limits)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise AttachmentTooLarge(
            "This image has more pixels than we decode.", reason="pixels"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise AttachmentUnreadable(
            "This image is damaged or cut short.", reason="corrupt"
        ) from None
    return upright if upright is not None else image


def grey(image: Image.Image) -> Image.Image:
    """Grey levels, with any transparency laid on white (a screenshot's alpha is not ink)."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("L")


# --- OCR preparation ---------------------------------------------------------------------------

MIN_OCR_WIDTH = 1000  # narrower images (a receipt photo, a screenshot) are enlarged
MAX_OCR_SIDE = 4000  # larger ones are reduced: Tesseract gains nothing and takes longer


def prepare_for_ocr(image: Image.Image, *, deskew: bool = True) -> tuple[Image.Image, float]:
    """(the image to OCR, the rotation applied in degrees)."""
    page = grey(image)
    longest = max(page.size)
    if longest > MAX_OCR_SIDE:
        page.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.LANCZOS)
    elif page.width < MIN_OCR_WIDTH:
        factor = min(2.0, MAX_OCR_SIDE / longest)
        page = page.resize(
            (round(page.width * factor), round(page.height * factor)), Image.Resampling.LANCZOS
        )
    angle = skew_angle(page) if deskew else 0.0
    if abs(angle) >= 0.3:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return binarized(page), angle


def otsu_threshold(page: Image.Image) -> int:
    """The grey level that best separates ink from paper (Otsu's method, on the histogram)."""
    histogram = page.histogram()[:256]
    total = sum(histogram)
    weighted_all = sum(level * count for level, count in enumerate(histogram))
    background = weighted_background = 0
    best_level, best_spread = 127, -1.0
    for level, count in enumerate(histogram):
        background += count
        if background == 0:
            continue
        foreground = total - background
        if foreground == 0:
            break
        weighted_background += level * count
        mean_background = weighted_background / background
        mean_foreground = (weighted_all - weighted_background) / foreground
        spread = background * foreground * (mean_background - mean_foreground) ** 2
        if spread > best_spread:
            best_level, best_spread = level, spread
    return best_level


def binarized(page: Image.Image) -> Image.Image:
    """Black ink on white paper: grain and a grey background gone before Tesseract sees them."""
    threshold = otsu_threshold(page)
    return page.point(lambda level: 255 if level > threshold else 0)


def skew_angle(page: Image.Image, *, limit: float = 5.0, step: float = 0.25) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal.

    Text rows are sharpest when level: each candidate rotation of a small black-and-white copy
    is squeezed to one column (Pillow averages every row), and the angle whose row profile
    varies most wins. Whole degrees first, then quarter degrees around the best: 18 rotations
    of a 600-pixel copy, about 0.1 s for a page on an idle core.
    """
    small = page.copy()
    small.thumbnail((600, 600), Image.Resampling.BILINEAR)
    ink = ImageOps.invert(ImageOps.autocontrast(small)).point(lambda v: 255 if v > 100 else 0)
    scores: dict[float, float] = {}

    def sharpness(angle: float) -> float:
        if angle not in scores:
            turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False)
            profile = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
            mean = sum(profile) / len(profile)
            scores[angle] = sum((v - mean) ** 2 for v in profile)
        return scores[angle]

    def best_of(candidates: list[float]) -> float:
        return max(candidates, key=lambda a: (sharpness(a), -abs(a)))

    coarse = best_of([float(a) for a in range(-round(limit), round(limit) + 1)])
    fine = [coarse + i * step for i in range(-3, 4) if abs(coarse + i * step) <= limit]
    best = best_of(fine)
    # keep a level page level: rotate only when clearly sharper than upright
    if sharpness(best) <= sharpness(0.0) * 1.05:
        return 0.0
    return best


# --- Bedrock: each image at most max_bytes and max_side pixels a side --------------------------


def fit_image(
    data: bytes, image_format: str, *, max_bytes: int, max_side: int
) -> tuple[bytes, str, int, int]:
    """(bytes, format, width, height) of the image, downscaled and re-encoded until it fits.

    An image that already fits is returned untouched. Photos become JPEG (quality 85, then
    lower), pages and screenshots PNG while PNG fits, then JPEG.
    """
    with Image.open(io.BytesIO(data)) as opened:
        width, height = opened.size
        if len(data) <= max_bytes and max(width, height) <= max_side:
            return data, image_format, width, height
        image = ImageOps.exif_transpose(opened) or opened
        image.load()
    scale = min(1.0, max_side / max(image.size))
    while True:
        size = (max(1, math.floor(image.width * scale)), max(1, math.floor(image.height * scale)))
        resized = image.resize(size, Image.Resampling.LANCZOS) if scale < 1 else image
        # a page or screenshot stays PNG (sharp text) while that fits; then JPEG, less and less
        # fine, before the image is made smaller
        for fmt, quality in _ENCODINGS if image_format == "png" else _ENCODINGS[1:]:
            encoded = _encode(resized, fmt, quality)
            if len(encoded) <= max_bytes:
                return encoded, fmt, resized.width, resized.height
        scale *= 0.8


_ENCODINGS = (("png", 0), ("jpeg", 85), ("jpeg", 75), ("jpeg", 65))


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, "PNG", optimize=True)
    else:
        flat = grey(image) if image.mode in ("L", "LA", "1") else grey_or_rgb(image)
        flat.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def grey_or_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "P", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pillow_format(data: bytes) -> str:
    """'png', 'jpeg' or 'webp' for an image we accept."""
    _, _, found = image_size(data)
    return _FORMATS.get(found or "", "png")
