"""Review photos: up to 3, checked and re-encoded (market/uploads.py), a bad file refused with a
translated message and nothing saved, shown with the review, hidden when the review is hidden."""

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select, update

from market import storage
from models import db
from models.impact import Review, ReviewPhoto
from tests.conftest import login, post_form
from tests.impact.test_reviews import _bought


def _png(colour="red", size=(60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_review_with_photos_is_shown_and_hidden_with_the_review(app, client, make, english):
    buyer = make.user(name="Ann Buyer")
    listing = make.listing(make.home(), "produce")
    _order, line = _bought(make, buyer, listing)
    login(client, buyer)
    url = f"/reviews/lines/{line.id}"
    response = post_form(client, url, {"stars": "5", "text": "Lovely",
                                       "photos": [(io.BytesIO(_png()), "a.png"),
                                                  (io.BytesIO(_png("blue")), "b.png")]},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    [review] = db.session.scalars(select(Review))
    assert [p.position for p in review.photos] == [1, 2]
    root = storage.review_photos().root
    assert len(_files(root)) == 4  # each photo and its thumbnail, outside the public uploads folder
    assert not _files(Path(app.config["UPLOAD_ROOT"]))
    page = client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    photo = review.photos[0]
    assert f"/reviews/photos/{photo.id}/small" in page
    shown = client.get(f"/reviews/photos/{photo.id}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"  # re-encoded
    assert client.get(f"/reviews/photos/{photo.id}/small").status_code == 200
    db.session.execute(update(Review).values(moderation="hidden"))
    db.session.commit()
    page = client.get(f"/listings/{listing.slug}").get_data(as_text=True)
    assert f"/reviews/photos/{photo.id}" not in page and "Lovely" not in page
    assert client.get(f"/reviews/photos/{photo.id}").status_code == 404
    assert client.get(f"/reviews/photos/{photo.id}/small").status_code == 404
    assert client.get("/reviews/photos/999999").status_code == 404


def test_a_bad_file_or_too_many_photos_save_nothing(app, client, make, english):
    buyer = make.user()
    _order, line = _bought(make, buyer)
    login(client, buyer)
    url = f"/reviews/lines/{line.id}"
    root = storage.review_photos().root
    response = post_form(client, url, {"stars": "4", "photos": [
        (io.BytesIO(_png()), "good.png"), (io.BytesIO(b"<html>not a picture</html>"), "evil.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "evil.jpg" in page and "JPEG" in page
    assert _count(Review) == 0 and _count(ReviewPhoto) == 0 and not _files(root)
    response = post_form(client, url, {"stars": "4", "photos": [
        (io.BytesIO(_png()), f"{n}.png") for n in range(4)]}, content_type="multipart/form-data")
    assert response.status_code == 400 and "at most 3 photos" in response.get_data(as_text=True)
    assert _count(Review) == 0 and _count(ReviewPhoto) == 0 and not _files(root)
    response = post_form(client, url, {"stars": "9", "photos": [(io.BytesIO(_png()), "a.png")]},
                         content_type="multipart/form-data")  # a bad star: the photo is not kept
    assert response.status_code == 400 and not _files(root) and _count(Review) == 0


def test_the_refusal_is_translated(app, client, make):
    buyer = make.user()
    _order, line = _bought(make, buyer)
    login(client, buyer)
    response = post_form(client, f"/reviews/lines/{line.id}", {"stars": "4", "photos": [
        (io.BytesIO(b"GIF89a nonsense"), "x.gif")]}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "x.gif: " in page and "JPEG" in page and "This file" not in page  # the Chinese message
