"""Every setting the market reads, declared once with its default and one line of meaning.

Environment variables of the same name override them (see README). Code reads settings from
`current_app.config[...]` only; tests/site/test_settings.py fails on a read of an undeclared one.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


def database_url(url: str) -> str:
    """Use psycopg 3 for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "base"

    # ---- the application and its data -----------------------------------------------------
    INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))  # local data lives here
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)  # signs sessions and CSRF tokens
    SQLALCHEMY_DATABASE_URI = database_url(  # DATABASE_URL: SQLite file by default, or PostgreSQL
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'market.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 30 * 1024 * 1024  # uploads are checked at 8 MB; this stops abuse early

    # ---- language, time and money ---------------------------------------------------------
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"  # Flask-Babel's; market.clock.HOME_TIMEZONE is the same
    LANGUAGES = ("zh_Hans", "en")
    CURRENCY = os.environ.get("CURRENCY", "CNY")  # one currency per market; amounts in minor units
    PLATFORM_FEE_BPS = _env_int("PLATFORM_FEE_BPS", 500)  # the platform's share of each line (5%)

    # ---- files ------------------------------------------------------------------------------
    UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", INSTANCE_DIR / "uploads"))  # photos, /media/
    UPLOAD_MAX_BYTES = 8 * 1024 * 1024  # largest photo or receipt accepted
    RECEIPT_ROOT = os.environ.get("RECEIPT_ROOT") or None  # spending receipts; None: INSTANCE_DIR/receipts

    # ---- search -----------------------------------------------------------------------------
    SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", INSTANCE_DIR / "search"))  # Whoosh
    SEARCH_SYNC = _env_bool("SEARCH_SYNC", True)  # update the index after each commit
    SEARCH_QUEUE_SECONDS = _env_int("SEARCH_QUEUE_SECONDS", 30)  # apply queued changes every N s

    # ---- booking, orders and the care fund ----------------------------------------------------
    HOLD_MINUTES = _env_int("HOLD_MINUTES", 15)  # an unpaid online order holds what it booked
    OFFLINE_HOLD_HOURS = _env_int("OFFLINE_HOLD_HOURS", 48)  # an unpaid offline order holds it
    CARE_FUND_RELEASE_DAYS = _env_int("CARE_FUND_RELEASE_DAYS", 7)  # goods: days care income stays pending

    # ---- background jobs (market/jobs) --------------------------------------------------------
    REDIS_URL = os.environ.get("REDIS_URL", "")  # set: the queue lives in Redis (many workers, many machines)
    JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH") or None  # else here (None: instance/jobs.sqlite3)
    # Run each job at once in the caller (no worker); None: on when TESTING.
    JOBS_IMMEDIATE = None if "JOBS_IMMEDIATE" not in os.environ else _env_bool("JOBS_IMMEDIATE", False)
    JOBS_MAX_TRIES = _env_int("JOBS_MAX_TRIES", 8)  # then the job is failed and shown at /admin/jobs
    JOBS_LEASE_SECONDS = _env_int("JOBS_LEASE_SECONDS", 300)  # a job whose worker died runs again after
    JOBS_SWEEP_AFTER_SECONDS = _env_int("JOBS_SWEEP_AFTER_SECONDS", 60)  # the sweeper enqueues rows this old

    # ---- mail ---------------------------------------------------------------------------------
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")  # console (the log) or smtp
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Mutual Aid+ Market <noreply@localhost>")

    # ---- Stripe (off unless both keys are set) ------------------------------------------------
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_PAYMENT_METHODS = os.environ.get("STRIPE_PAYMENT_METHODS", "card")  # comma-separated
    STRIPE_WEBHOOK_TOLERANCE = _env_int("STRIPE_WEBHOOK_TOLERANCE", 300)  # seconds a signed event stays valid
    STRIPE_TIMEOUT = _env_int("STRIPE_TIMEOUT", 20)  # seconds per request to Stripe
    STRIPE_MAX_NETWORK_RETRIES = _env_int("STRIPE_MAX_NETWORK_RETRIES", 2)  # stripe-python's own retries
    STRIPE_FETCH_FEES = _env_bool("STRIPE_FETCH_FEES", True)  # record each charge's processing fee
    # Until a refund is this old (s), an event naming a refund of ours that we cannot find is
    # answered 500 (Stripe delivers it again); after that it is flagged for a person.
    STRIPE_UNKNOWN_REFUND_GRACE = _env_int("STRIPE_UNKNOWN_REFUND_GRACE", 600)
    STRIPE_HTTP_CLIENT = None  # tests only: a stand-in for stripe-python's HTTP client


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = True
    SECRET_KEY = "testing-secret"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


def config_for_env() -> type[Config]:
    name = os.environ.get("MARKET_ENV", "development")
    return {"production": ProductionConfig, "testing": TestingConfig}.get(name, DevelopmentConfig)
