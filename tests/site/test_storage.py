"""Stored files (market/storage.py): the same tests on local disk and on an S3-compatible store.

The S3 backend runs against moto's standalone server (tests/s3_server.py), started once for this
module on a free local port: no object store is installed here and nothing is downloaded."""

import io
import os
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from market import storage
from market.fund import disbursements
from market.ledger import fund_entries
from market.uploads import remove_stored, store_document, store_image
from models import Photo, db
from tests.conftest import login, post_form
from tests.s3_server import CREDENTIALS, MotoS3

MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _png(size=(60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def moto_s3():
    saved = {key: os.environ.get(key) for key in CREDENTIALS}
    os.environ.update(CREDENTIALS)  # boto3 in the app reads its credentials the usual way
    try:
        with MotoS3() as server:
            yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(params=["local", "s3"])
def backend(request, app):
    """The app's files on local disk (the default) or in a fresh bucket of the S3 stand-in."""
    if request.param == "s3":
        server = request.getfixturevalue("moto_s3")
        bucket = server.new_bucket()
        app.config.update(server.settings(bucket, "market"))
        return {"name": "s3", "server": server, "bucket": bucket}
    return {"name": "local"}


def _objects(backend) -> set[str]:
    if backend["name"] == "s3":
        listed = backend["server"].client().list_objects_v2(Bucket=backend["bucket"])
        return {item["Key"] for item in listed.get("Contents", [])}
    return set()


def test_the_backend_follows_the_settings(app, backend):
    kind = storage.S3Storage if backend["name"] == "s3" else storage.LocalStorage
    assert isinstance(storage.uploads(), kind) and isinstance(storage.receipts(), kind)
    app.config["STORAGE_URL"] = "ftp://somewhere"
    with pytest.raises(ValueError):
        storage.uploads()


def test_store_read_and_remove(app, backend):
    stored = store_image(io.BytesIO(_png()), root=storage.uploads(), max_bytes=8 * MB)
    main, thumb = storage.uploads().read(stored.path), storage.uploads().read(stored.thumb_path)
    assert main.startswith(b"\xff\xd8") and thumb.startswith(b"\xff\xd8")  # re-encoded JPEGs
    assert storage.receipts().read(stored.path) is None  # the areas are apart
    if backend["name"] == "s3":
        assert _objects(backend) == {f"market/uploads/{stored.path}", f"market/uploads/{stored.thumb_path}"}
        assert not app.config["UPLOAD_ROOT"].exists()  # nothing on this server's disk
    remove_stored(storage.uploads(), stored.path, stored.thumb_path, "../receipts/x", None)
    assert storage.uploads().read(stored.path) is None and storage.uploads().read(stored.thumb_path) is None
    assert _objects(backend) == set()


def test_a_document_keeps_its_size_and_type(app, backend):
    pdf = store_document(io.BytesIO(PDF), root=storage.receipts(), max_bytes=MB)
    assert pdf.is_pdf and pdf.size == len(PDF) and storage.receipts().read(pdf.path) == PDF
    image = store_document(io.BytesIO(_png()), root=storage.receipts(), max_bytes=MB)
    assert image.content_type == "image/jpeg" and image.size == len(storage.receipts().read(image.path))


@pytest.mark.parametrize("key", ["../receipts/ab/x.pdf", "/etc/passwd", "ab/../../x", "ab\\x", "", "ab//x"])
def test_keys_that_leave_the_area_are_refused(app, backend, key):
    area = storage.uploads()
    assert area.read(key) is None
    with pytest.raises(ValueError):
        area.write(key, b"x", "image/jpeg")
    with app.test_request_context("/"), pytest.raises(NotFound):
        area.serve(key, max_age=60)


def test_a_photo_uploaded_in_the_console_is_served_with_its_cache_headers(app, client, make, backend):
    home = make.home(slug="qiantun")
    listing = make.listing(home, "craft")
    login(client, make.member(home, "staff"))
    url = f"/manage/qiantun/listings/{listing.id}/photos"
    response = post_form(client, url, {"photo": (io.BytesIO(_png()), "paper.png"), "alt_zh": "宣纸"},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.scalar(select(Photo))
    path, thumb_path = photo.path, photo.thumb_path
    served = client.get(f"/media/{photo.path}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == storage.uploads().read(photo.path)
    assert served.cache_control.public and served.cache_control.max_age == 86400
    assert served.headers.get("ETag")
    again = client.get(f"/media/{photo.path}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    assert client.get("/media/ab/not-there.jpg").status_code == 404
    if backend["name"] == "s3":
        assert f"market/uploads/{photo.path}" in _objects(backend)
    post_form(client, f"/manage/qiantun/photos/{photo.id}/delete", {"confirmed": "yes"}, form_url=url)
    assert client.get(f"/media/{path}").status_code == 404
    assert storage.uploads().read(thumb_path) is None


def test_receipts_stay_private_until_approved_and_never_under_media(app, client, make, backend):
    home = make.home()
    staff, sup = make.member(home, "staff"), make.member(home, "supervisor")
    fund_entries.post_grant(home_id=home.id, amount_fen=500_00, grant_id=1, source="township", memo="g")
    db.session.commit()
    proposal = disbursements.Proposal("meals", 100, "Village shop", date(2026, 1, 1), "")
    d = disbursements.propose_disbursement(home.id, staff, proposal, io.BytesIO(PDF))
    public = f"/fund/{home.slug}/receipts/{d.id}"
    assert client.get(public).status_code == 404
    assert client.get(f"/media/%2E%2E/receipts/{d.receipt_path}").status_code == 404
    assert client.get(f"/media/../receipts/{d.receipt_path}").status_code == 404
    login(client, staff)
    private = client.get(f"/manage/{home.slug}/fund/disbursements/{d.id}/receipt")
    assert private.status_code == 200 and private.data == PDF and private.mimetype == "application/pdf"
    assert private.cache_control.no_store and private.cache_control.private
    assert not private.cache_control.public
    assert private.headers["X-Content-Type-Options"] == "nosniff"
    assert private.headers["Content-Security-Policy"] == "sandbox"
    disbursements.decide_disbursement(home.id, d.id, sup, approve=True, comment="ok")
    shown = client.get(public)
    assert shown.status_code == 200 and shown.data == PDF and shown.cache_control.max_age == 3600
    if backend["name"] == "s3":
        assert _objects(backend) == {f"market/receipts/{d.receipt_path}"}
