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
    # A connection the database dropped (restart, idle timeout) is replaced, not a 500.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # ---- sessions that end (market/sessions.py) ----
    PERMANENT_SESSION_LIFETIME = 14 * 24 * 3600  # the cookie's own life; the server checks it too
    SESSION_IDLE_HOURS = _env_int("SESSION_IDLE_HOURS", 14 * 24)  # a customer idle this long is logged out
    STAFF_SESSION_IDLE_HOURS = _env_int("STAFF_SESSION_IDLE_HOURS", 12)  # staff and admins: shorter
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS_SECONDS = _env_int("HSTS_SECONDS", 0)  # Strict-Transport-Security max-age; 0: not sent
    # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed (market/edge.py); 0: none.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # several phone photos in one form; files spool to disk

    # ---- throttles (market/throttles.py; Flask-Limiter "N per period") ----
    # Set: the job queue and the throttle counts live in Redis (many workers, many machines).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # The shared cache's key prefix on Redis (market/caching.py); "": a digest of DATABASE_URL.
    CACHE_NAMESPACE = os.environ.get("CACHE_NAMESPACE", "")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)  # tests turn them on with @pytest.mark.throttles
    THROTTLE_LOGIN_ACCOUNT = os.environ.get("THROTTLE_LOGIN_ACCOUNT", "10 per 15 minutes")  # per account
    THROTTLE_LOGIN_ADDRESS = os.environ.get("THROTTLE_LOGIN_ADDRESS", "30 per 15 minutes")  # per IP
    THROTTLE_SIGNUP = os.environ.get("THROTTLE_SIGNUP", "5 per hour")  # per IP
    THROTTLE_ORDER_LOOKUP = os.environ.get("THROTTLE_ORDER_LOOKUP", "10 per 15 minutes")  # per IP
    THROTTLE_DONATE = os.environ.get("THROTTLE_DONATE", "10 per hour")  # donation pledges, per IP
    THROTTLE_SEARCH = os.environ.get("THROTTLE_SEARCH", "60 per minute")  # per IP

    # ---- language, time and money ---------------------------------------------------------
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"  # Flask-Babel's; market.clock.HOME_TIMEZONE is the same
    LANGUAGES = ("zh_Hans", "en")
    CURRENCY = os.environ.get("CURRENCY", "CNY")  # one currency per market; amounts in minor units
    PLATFORM_FEE_BPS = _env_int("PLATFORM_FEE_BPS", 500)  # the platform's share of each line (5%)

    # ---- files ------------------------------------------------------------------------------
    UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", INSTANCE_DIR / "uploads"))  # photos, /media/
    UPLOAD_MAX_BYTES = 25 * 1024 * 1024  # largest photo or receipt accepted (a phone's full-size photo)
    RECEIPT_ROOT = os.environ.get("RECEIPT_ROOT") or None  # spending receipts; None: INSTANCE_DIR/receipts
    # "": the two folders above (one server). s3://bucket[/prefix]: an S3-compatible object store
    # shared by every server (market/storage.py); credentials the boto3 way (AWS_ACCESS_KEY_ID …).
    STORAGE_URL = os.environ.get("STORAGE_URL", "")
    STORAGE_ENDPOINT_URL = os.environ.get("STORAGE_ENDPOINT_URL", "")  # MinIO, Ceph, OSS; "": AWS
    STORAGE_REGION = os.environ.get("STORAGE_REGION", "")  # the bucket's region; "": boto3's default

    # ---- search -----------------------------------------------------------------------------
    # "whoosh" (an index folder on this machine: one server) or "postgres" (the search_documents
    # table, written in each listing's own transaction: any number of servers; PostgreSQL only).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", INSTANCE_DIR / "search"))  # Whoosh
    SEARCH_SYNC = _env_bool("SEARCH_SYNC", True)  # update the index with each commit

    # ---- booking, orders and the care fund ----------------------------------------------------
    HOLD_MINUTES = _env_int("HOLD_MINUTES", 15)  # an unpaid online order holds what it booked
    OFFLINE_HOLD_HOURS = _env_int("OFFLINE_HOLD_HOURS", 48)  # an unpaid offline order holds it
    CARE_FUND_RELEASE_DAYS = _env_int("CARE_FUND_RELEASE_DAYS", 7)  # goods: days care income stays pending
    OFFLINE_REFUND_DAYS = _env_int("OFFLINE_REFUND_DAYS", 3)  # days a home has to hand money back
    # The Ed25519 key that signs tree heads (`flask ledger keygen`); None: INSTANCE_DIR/ledger-signing.key,
    # created on first use outside production. Production refuses to start without the file.
    LEDGER_SIGNING_KEY_FILE = os.environ.get("LEDGER_SIGNING_KEY_FILE") or None
    LEDGER_WITNESS_MIN_SECONDS = _env_int("LEDGER_WITNESS_MIN_SECONDS", 60)  # s between one key's cosigns

    # ---- background jobs (market/jobs) --------------------------------------------------------
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
    # Tests and benchmarks of worker processes: the fake Stripe served on a local port ("": Stripe).
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")


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
    HSTS_SECONDS = _env_int("HSTS_SECONDS", 365 * 24 * 3600)  # production is served over HTTPS only


def config_for_env() -> type[Config]:
    name = os.environ.get("MARKET_ENV", "development")
    return {"production": ProductionConfig, "testing": TestingConfig}.get(name, DevelopmentConfig)
