"""Security headers: a strict CSP with no inline script, no framing, no-store on private pages,
HSTS in production, and uploaded receipts sandboxed."""

import re

from config.settings import ProductionConfig
from market import create_app
from tests.conftest import login
from tests.manage.test_isolation import World


def test_every_page_has_a_strict_policy(client, make):
    home = make.home()
    for url in ("/", f"/homes/{home.slug}", "/login", "/no-such-page"):
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # only in production


def test_no_template_has_inline_script_or_style():
    from pathlib import Path

    for path in (Path(__file__).resolve().parents[2] / "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+=|<style|\sstyle=", text), path


def test_public_pages_may_be_cached_private_pages_never(client, make):
    home = make.home()
    assert "no-store" not in client.get(f"/homes/{home.slug}").headers.get("Cache-Control", "")
    assert "no-store" in client.get("/cart").headers["Cache-Control"]
    user = make.user()
    login(client, user)
    for url in ("/orders", f"/homes/{home.slug}", "/account/password"):
        assert "no-store" in client.get(url).headers["Cache-Control"], url


def test_receipts_are_sandboxed_and_private_before_approval(app, client):
    world = World()
    login(client, world.staff_a)
    rows = world.a
    response = client.get(f"/manage/{rows.home.slug}/fund/disbursements/{rows.disbursement.id}/receipt")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]


def test_production_sends_hsts(tmp_path):
    from market.ledger.signing import generate

    generate(tmp_path / "ledger.key")  # production refuses to start without the signing key
    app = create_app({**{k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()},
                      "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                      "LEDGER_SIGNING_KEY_FILE": str(tmp_path / "ledger.key")})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_dropped_database_connection_is_replaced_not_an_error(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    with app.app_context():
        from models import db

        assert db.engine.pool._pre_ping  # each checkout tests the connection first
