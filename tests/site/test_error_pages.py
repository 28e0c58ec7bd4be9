"""Error pages: the right status, plain words in the reader's language, and a way back home.

Each status is reached the way a visitor reaches it (a form without its token, a supervisor's
change, an unknown page, an oversized upload), except 409 and 500, which no fixed route
raises on demand: small routes added for the test raise them.
"""

import io
import re

import pytest
from flask import abort
from sqlalchemy import text

from models import db
from tests.conftest import csrf_from, login

WORDS = {
    "zh_Hans": {400: "表单已过期", 403: "您不能这样操作", 404: "找不到", 409: "已经被改动",
                413: "文件太大", 500: "什么都没有保存", "home": "回到首页"},
    "en": {400: "The form expired", 403: "You cannot do that", 404: "Page not found",
           409: "Already changed", 413: "File too large", 500: "Nothing was saved",
           "home": "Back to the home page"},
}


def _bad_form(client, make):
    return client.post("/login", data={"identifier": "a@example.com", "password": "x"})


def _supervisor_change(client, make):
    home = make.home(slug="qiantun")
    login(client, make.member(home, role="supervisor"))
    token = csrf_from(client, "/manage/qiantun/elders/new")
    return client.post("/manage/qiantun/elders/new", data={"csrf_token": token,
                                                          "display_name_zh": "王奶奶"})


def _unknown_page(client, make):
    return client.get("/homes/no-such-home")


def _changed_meanwhile(client, make):
    return client.get("/test-conflict")


def _oversized_upload(client, make):
    """A photo far above MAX_CONTENT_LENGTH (30 MB) sent to the console."""
    home = make.home(slug="qiantun")
    login(client, make.member(home))
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    big = io.BytesIO(b"\xff\xd8" + b"x" * (limit + 1024 * 1024))
    return client.post("/manage/qiantun/photos", data={"photo": (big, "big.jpg")},
                       content_type="multipart/form-data")


def _unexpected(client, make):
    return client.get("/test-boom")


TRIGGERS = {400: _bad_form, 403: _supervisor_change, 404: _unknown_page, 409: _changed_meanwhile,
            413: _oversized_upload, 500: _unexpected}


@pytest.fixture
def error_routes(app):
    @app.get("/test-conflict")
    def conflict():
        abort(409)

    @app.get("/test-boom")
    def boom():
        db.session.execute(text("SELECT 1"))
        raise RuntimeError("boom")


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_error_page_in_both_languages(app, client, make, error_routes, lang, code):
    client.set_cookie("lang", lang)
    response = TRIGGERS[code](client, make)
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert f'lang="{"en" if lang == "en" else "zh-Hans"}"' in page
    assert WORDS[lang][code] in page
    back_home = re.search(r'<a[^>]*href="(?:http://localhost)?/"[^>]*>([^<]+)</a>', page.split("<main")[1])
    assert back_home and back_home.group(1).strip() == WORDS[lang]["home"]


def test_oversized_upload_saves_nothing(app, client, make):
    from models import Photo

    assert _oversized_upload(client, make).status_code == 413
    assert db.session.query(Photo).count() == 0

