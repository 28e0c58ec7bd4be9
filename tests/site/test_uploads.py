"""Uploads: only real JPEG/PNG/WebP pictures, re-encoded without metadata, with a thumbnail."""

import io

import pytest
from PIL import Image

from market.uploads import (
    MAX_DECODED_PIXELS,
    MAX_PIXELS,
    StoredDocument,
    StoredImage,
    UploadError,
    remove_stored,
    store_document,
    store_image,
)

MB = 1024 * 1024


def _image_bytes(fmt="JPEG", size=(800, 600), mode="RGB", exif=None, color=(10, 120, 40)) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size, color if mode == "RGB" else color + (128,))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def _files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepts_jpeg_png_webp_and_makes_a_thumbnail(tmp_path, fmt):
    stored = store_image(io.BytesIO(_image_bytes(fmt, (1600, 1200))), root=tmp_path, max_bytes=8 * MB)
    assert isinstance(stored, StoredImage)
    assert (stored.width, stored.height) == (1600, 1200)
    main, thumb = Image.open(tmp_path / stored.path), Image.open(tmp_path / stored.thumb_path)
    assert main.format == "JPEG" and main.size == (1600, 1200)
    assert max(thumb.size) == 480 and thumb.size == (480, 360)
    assert stored.path.endswith(".jpg") and "/" in stored.path and not stored.path.startswith("/")


def test_names_are_random(tmp_path):
    data = _image_bytes()
    first = store_image(io.BytesIO(data), root=tmp_path, max_bytes=8 * MB)
    second = store_image(io.BytesIO(data), root=tmp_path, max_bytes=8 * MB)
    assert first.path != second.path and len(first.path) > 30


def test_exif_is_stripped_and_orientation_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # camera make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    data = _image_bytes("JPEG", (400, 200), exif=exif)
    assert b"SecretCam" in data
    stored = store_image(io.BytesIO(data), root=tmp_path, max_bytes=8 * MB)
    assert (stored.width, stored.height) == (200, 400)  # turned upright
    raw = (tmp_path / stored.path).read_bytes()
    assert b"SecretCam" not in raw and b"Exif" not in raw
    assert not Image.open(tmp_path / stored.path).getexif()


def test_transparent_png_is_flattened(tmp_path):
    stored = store_image(io.BytesIO(_image_bytes("PNG", (100, 100), mode="RGBA")), root=tmp_path,
                         max_bytes=8 * MB)
    assert Image.open(tmp_path / stored.path).mode == "RGB"


@pytest.mark.parametrize("payload", [
    b"plain text, not a picture at all",
    b"GIF89a" + b"\0" * 100,
    b"%PDF-1.4 not an image",
    b"\x89PNG\r\n\x1a\n" + b"broken" * 50,
    b"\xff\xd8\xff\xe0" + b"\0" * 200,
    b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
])
def test_non_images_are_refused(tmp_path, payload):
    with pytest.raises(UploadError):
        store_image(io.BytesIO(payload), root=tmp_path, max_bytes=8 * MB)
    assert _files(tmp_path) == []


def test_gif_is_refused_even_though_pillow_reads_it(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(UploadError):
        store_image(io.BytesIO(out.getvalue()), root=tmp_path, max_bytes=8 * MB)


def test_truncated_jpeg_is_refused(tmp_path):
    data = _image_bytes("JPEG", (1200, 900))
    with pytest.raises(UploadError):
        store_image(io.BytesIO(data[: len(data) // 2]), root=tmp_path, max_bytes=8 * MB)
    assert _files(tmp_path) == []


def test_too_large_file_is_refused_before_decoding(tmp_path):
    payload = b"\xff\xd8\xff" + b"\0" * (20 * MB)
    with pytest.raises(UploadError) as caught:
        store_image(io.BytesIO(payload), root=tmp_path, max_bytes=8 * MB)
    assert "8" in str(caught.value)
    assert _files(tmp_path) == []


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(UploadError):
        store_image(io.BytesIO(b""), root=tmp_path, max_bytes=8 * MB)


def test_decompression_bomb_is_refused(tmp_path):
    # A small file that decodes to far more pixels than allowed.
    side = int(MAX_PIXELS ** 0.5) + 100
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 8 * MB
    with pytest.raises(UploadError):
        store_image(io.BytesIO(out.getvalue()), root=tmp_path, max_bytes=8 * MB)
    assert _files(tmp_path) == []


def _flat_bytes(fmt: str, mode: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt, **({"quality": 50} if fmt == "JPEG" else {}))
    return out.getvalue()


def test_the_reported_39_megapixel_png_is_refused_before_decoding(tmp_path):
    """A 154 KB PNG of 39.7 MP once took 600 MB and 4.6 s to refuse (#13)."""
    data = _flat_bytes("PNG", "1", (6300, 6300))
    assert len(data) < 1 * MB
    with pytest.raises(UploadError, match="too many pixels"):
        store_image(io.BytesIO(data), root=tmp_path, max_bytes=8 * MB)
    assert _files(tmp_path) == []


def test_a_png_over_the_memory_budget_is_refused(tmp_path):
    side = int(MAX_DECODED_PIXELS ** 0.5) + 10  # PNG decodes whole: no reduced decode
    with pytest.raises(UploadError, match="too many pixels"):
        store_image(io.BytesIO(_flat_bytes("PNG", "L", (side, side))), root=tmp_path, max_bytes=8 * MB)


@pytest.mark.parametrize("size", [(8000, 6000), (8000, 8000), (12000, 2000)])
def test_a_large_phone_photo_is_decoded_reduced_and_kept(tmp_path, size):
    """A JPEG far over the in-memory budget is read at 1/2–1/8 scale, not refused."""
    assert size[0] * size[1] > MAX_DECODED_PIXELS
    stored = store_image(io.BytesIO(_flat_bytes("JPEG", "L", size)), root=tmp_path, max_bytes=8 * MB)
    assert 1900 <= max(stored.width, stored.height) <= 2048
    assert abs(stored.width / stored.height - size[0] / size[1]) < 0.01


def test_big_pictures_are_scaled_down(tmp_path):
    stored = store_image(io.BytesIO(_image_bytes("JPEG", (4000, 3000))), root=tmp_path, max_bytes=8 * MB)
    assert max(stored.width, stored.height) == 2048


def test_store_document_keeps_pdf_as_sent(tmp_path):
    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    stored = store_document(io.BytesIO(pdf), root=tmp_path, max_bytes=8 * MB)
    assert isinstance(stored, StoredDocument) and stored.is_pdf
    assert stored.path.endswith(".pdf") and (tmp_path / stored.path).read_bytes() == pdf
    assert stored.thumb_path is None


def test_store_document_reencodes_an_image_receipt(tmp_path):
    stored = store_document(io.BytesIO(_image_bytes("PNG")), root=tmp_path, max_bytes=8 * MB)
    assert stored.content_type == "image/jpeg" and not stored.is_pdf
    assert stored.thumb_path and (tmp_path / stored.thumb_path).exists()


@pytest.mark.parametrize("payload", [b"hello", b"PK\x03\x04zipfile", b" %PDF-1.4 leading space"])
def test_store_document_refuses_other_files(tmp_path, payload):
    with pytest.raises(UploadError):
        store_document(io.BytesIO(payload), root=tmp_path, max_bytes=8 * MB)
    assert _files(tmp_path) == []


def test_store_document_size_limit(tmp_path):
    with pytest.raises(UploadError):
        store_document(io.BytesIO(b"%PDF-" + b"0" * (9 * MB)), root=tmp_path, max_bytes=8 * MB)


def test_remove_stored_stays_inside_root(tmp_path):
    root = tmp_path / "uploads"
    stored = store_image(io.BytesIO(_image_bytes()), root=root, max_bytes=8 * MB)
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    remove_stored(root, stored.path, stored.thumb_path, "../keep.txt", None)
    assert _files(root) == [] and outside.exists()


def test_upload_error_message_is_translated(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        with pytest.raises(UploadError) as caught:
            store_image(io.BytesIO(b"text"), root=app.config["UPLOAD_ROOT"], max_bytes=MB)
        assert "JPEG, PNG or WebP" in str(caught.value)
