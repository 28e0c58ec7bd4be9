"""Uploaded files: images checked by decoding and re-encoded by Pillow; PDF receipts.

Nothing a user uploads is stored as sent, except a PDF (recognised by its header and trailer): images
are decoded (JPEG, PNG or WebP only, whatever the file is called), turned upright by their
EXIF orientation, re-encoded without any metadata, and get a small thumbnail.
Files get random names in a storage (`market.storage`: a folder, or an S3-compatible bucket
shared by every server), e.g. `ab/cdef0123….jpg`; the paths returned are its keys (serve
photos with `catalog.media`, receipts with `send_document`). `root` is a Storage, or a folder
as a Path for tests and tools.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from market.storage import as_storage

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# Memory, not file size, is what a picture costs: decoded, each pixel takes 3–4 bytes, and
# re-encoding holds a copy. A JPEG (what phones send) is decoded straight at 1/2, 1/4 or 1/8 of
# its size (Pillow's draft), so a 64-megapixel photo costs what a 4-megapixel one does; PNG and
# WebP decode whole. Together the two limits keep one upload under ~150 MB (`make bench
# BENCH=uploads` measures it); a 154 KB PNG of 39.7 MP once cost 600 MB.
MAX_PIXELS = 64_000_000  # in the file: larger is refused before decoding
MAX_DECODED_PIXELS = 12_000_000  # held in memory (4 bytes each), after a JPEG's reduced decode
MAX_SIDE = 2048  # the stored image's longer side
THUMB_SIDE = 480  # the thumbnail's longer side
JPEG_QUALITY = 85
THUMB_QUALITY = 80
PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
PDF_TAIL = 1024  # readers look for the end-of-file marker this far from the end, as Acrobat does


class UploadError(ValueError):
    """An upload we refuse; str(error) is a translated message for the user."""


@dataclass(frozen=True)
class StoredImage:
    path: str  # relative to root
    thumb_path: str  # relative to root
    width: int
    height: int


@dataclass(frozen=True)
class StoredDocument:
    """A stored receipt: a PDF as sent, or an image re-encoded like a photo."""

    path: str  # relative to root
    content_type: str  # "application/pdf" or "image/jpeg"
    size: int  # bytes stored
    thumb_path: str | None = None  # images only
    width: int | None = None
    height: int | None = None

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


def _read_limited(stream, max_bytes: int) -> bytes:
    """Read at most max_bytes (+1 to detect more) from a file-like object or FileStorage."""
    if stream is None:
        raise UploadError(_("Please choose a file."))
    if isinstance(stream, bytes | bytearray):
        data = bytes(stream)
    else:
        reader = getattr(stream, "stream", stream)
        data = reader.read(max_bytes + 1)
    if not data:
        raise UploadError(_("The file is empty. Please choose another one."))
    if len(data) > max_bytes:
        raise UploadError(
            _("The file is too large: at most %(mb)s MB, please.", mb=_megabytes(max_bytes))
        )
    return data


def _megabytes(count: int) -> str:
    value = count / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _decode(data: bytes) -> Image.Image:
    """Decode fully, refusing other formats, corrupt files and decompression bombs."""
    not_an_image = _("This file is not a JPEG, PNG or WebP picture.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadError(not_an_image) from None
        except (OSError, SyntaxError, ValueError):
            raise UploadError(not_an_image) from None
        if image.format not in ALLOWED_FORMATS:
            raise UploadError(not_an_image)
        if image.width < 1 or image.height < 1 or image.width * image.height > MAX_PIXELS:
            raise UploadError(_("This picture has too many pixels. Please send a smaller one."))
        if image.format == "JPEG":
            image.draft(None, _draft_size(image.size))
        if image.width * image.height > MAX_DECODED_PIXELS:
            raise UploadError(_("This picture has too many pixels. Please send a smaller one."))
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadError(_("This picture has too many pixels. Please send a smaller one.")) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise UploadError(_("This picture is damaged or incomplete.")) from None
    return image


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """What to ask a JPEG's reduced decode for: 1/2, 1/4 or 1/8 of the size when a MAX_SIDE
    picture still comes out of it, and at least as small as the memory budget needs."""
    width, height = size
    for_quality = max((s for s in (1, 2, 4, 8) if max(width, height) // s >= MAX_SIDE), default=1)
    for_memory = next((s for s in (1, 2, 4, 8) if width * height // (s * s) <= MAX_DECODED_PIXELS), 8)
    scale = max(for_quality, for_memory)
    return (max(1, width // scale), max(1, height // scale))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation in place (no second copy of a large picture)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        pass  # a broken EXIF block: keep the pixels as they are
    return image


def _flat_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid onto white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode != "RGB":
        return image.convert("RGB")
    return image


def _new_name(suffix: str) -> tuple[str, str]:
    token = secrets.token_hex(16)
    base = f"{token[:2]}/{token[2:]}"
    return f"{base}{suffix}", f"{base}_t{suffix}"


def _jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif= and no icc_profile=: the stored file carries no metadata at all.
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _store_decoded(image: Image.Image, storage) -> tuple[StoredImage, int]:
    """Store the picture and its thumbnail; returns them and the picture's size in bytes."""
    image = _upright(image)
    if image.mode in ("1", "P"):  # resizing a palette would pick pixels instead of blending them
        image = _flat_rgb(image)
    if max(image.size) > MAX_SIDE:  # shrink before any conversion copies the full-size pixels
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    image = _flat_rgb(image)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    main_bytes = _jpeg_bytes(image, JPEG_QUALITY)
    thumb_bytes = _jpeg_bytes(thumb, THUMB_QUALITY)
    path, thumb_path = _new_name(".jpg")
    storage.write(path, main_bytes, "image/jpeg")
    try:
        storage.write(thumb_path, thumb_bytes, "image/jpeg")
    except BaseException:
        storage.delete(path)
        raise
    stored = StoredImage(path=path, thumb_path=thumb_path, width=image.width, height=image.height)
    return stored, len(main_bytes)


def store_image(stream, *, root, max_bytes: int) -> StoredImage:
    """Check, re-encode and store an uploaded picture plus a thumbnail.

    `stream` is a file-like object (a werkzeug FileStorage works). Raises UploadError with a
    translated message for anything but a JPEG/PNG/WebP of at most `max_bytes`.
    """
    data = _read_limited(stream, max_bytes)
    image = _decode(data)
    try:
        return _store_decoded(image, as_storage(root))[0]
    finally:
        image.close()


def _is_pdf(data: bytes) -> bool:
    """A PDF starts with `%PDF-1.x` (or 2.x) and ends with `%%EOF` (give or take whitespace)."""
    return (data.startswith(PDF_MAGIC) and data[5:6] in (b"1", b"2")
            and PDF_END in data[-PDF_TAIL:])


def store_document(stream, *, root, max_bytes: int) -> StoredDocument:
    """Store a receipt: a PDF (by its `%PDF-` header and `%%EOF` trailer) as sent, or a picture
    re-encoded. Anything else (a renamed program, an HTML page, a truncated PDF) is refused."""
    data = _read_limited(stream, max_bytes)
    storage = as_storage(root)
    if _is_pdf(data):
        path, _thumb = _new_name(".pdf")
        storage.write(path, data, "application/pdf")
        return StoredDocument(path=path, content_type="application/pdf", size=len(data))
    try:
        image = _decode(data)
    except UploadError:
        raise UploadError(_("This file is not a PDF or a JPEG, PNG or WebP picture.")) from None
    try:
        stored, size = _store_decoded(image, storage)
    finally:
        image.close()
    return StoredDocument(path=stored.path, content_type="image/jpeg", size=size,
                          thumb_path=stored.thumb_path, width=stored.width, height=stored.height)


SERVED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg"}  # all that store_document keeps


def send_document(root, path: str, content_type: str | None, name: str, *, max_age: int):
    """Serve a stored receipt so that it can never run as a page on our origin: the content type
    is one we stored (a PDF or a re-encoded JPEG) or a download, and browsers must not sniff.
    `max_age=0`: a private file, kept by no shared cache. `root`: a Storage (or a folder)."""
    suffix = SERVED_TYPES.get(content_type or "")
    response = as_storage(root).serve(path, max_age=max_age,
                                      mimetype=content_type if suffix else "application/octet-stream",
                                      as_attachment=suffix is None, download_name=f"{name}{suffix or ''}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, a PDF could still run script or submit forms on our origin: sandbox it.
    response.headers["Content-Security-Policy"] = "sandbox"
    if not max_age:
        response.cache_control.public = False
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def remove_stored(root, *paths: str | None) -> None:
    """Delete stored files (after the database row is gone); missing files are fine, and keys
    that would leave the storage (`../x`) are ignored."""
    as_storage(root).delete(*paths)
