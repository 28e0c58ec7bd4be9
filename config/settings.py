import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-not-secret"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def database_url(url: str) -> str:
    """Use psycopg 3 for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "base"
    INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'market.sqlite3'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 30 * 1024 * 1024  # uploads are checked at 8 MB; this stops abuse early

    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans", "en")
    CURRENCY = os.environ.get("CURRENCY", "CNY")

    UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = 8 * 1024 * 1024
    SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR", INSTANCE_DIR / "search"))

    PLATFORM_FEE_BPS = _env_int("PLATFORM_FEE_BPS", 500)
    HOLD_MINUTES = _env_int("HOLD_MINUTES", 15)
    OFFLINE_HOLD_HOURS = _env_int("OFFLINE_HOLD_HOURS", 48)

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Mutual Aid+ Market <noreply@localhost>")

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_PAYMENT_METHODS = os.environ.get("STRIPE_PAYMENT_METHODS", "card")
    STRIPE_WEBHOOK_TOLERANCE = _env_int("STRIPE_WEBHOOK_TOLERANCE", 300)


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
