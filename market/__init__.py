"""Mutual Aid+ Market: create_app builds the Flask application."""

from flask import Flask, request

from config import Config, config_for_env
from market.database import configure_sqlite, reset_write_intent, set_write_intent
from market.extensions import babel, csrf, db, login_manager, migrate
from market.i18n import format_day, format_moment, is_english, localized, select_locale
from market.money import format_money

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(Config.INSTANCE_DIR),
    )
    app.config.from_object(config_for_env())
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _refuse_insecure_production(app)
    _refuse_bad_platform_fee(app)
    _refuse_bad_stripe_currency(app)
    _init_extensions(app)
    _register_blueprints(app)
    from market import headers, throttles

    headers.init_app(app)
    throttles.init_app(app)  # after the blueprints: it wraps their views
    from market import jobs

    jobs.init_app(app)
    _connect_hooks()
    _register_template_helpers(app)
    _register_cli(app)
    from market.errors import register_error_pages

    register_error_pages(app)
    return app


def _refuse_insecure_production(app: Flask) -> None:
    from config.settings import DEV_SECRET_KEY

    insecure = app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None)
    if app.config["ENV_NAME"] == "production" and insecure:
        raise RuntimeError("Refusing to start in production with the development SECRET_KEY")
    if app.config["ENV_NAME"] == "production":
        from market.ledger.signing import key_path

        if not key_path(app).is_file():
            raise RuntimeError(
                f"Refusing to start in production without the ledger signing key {key_path(app)}: "
                "run `flask ledger keygen` (or set LEDGER_SIGNING_KEY_FILE)"
            )


def _refuse_bad_platform_fee(app: Flask) -> None:
    fee = app.config["PLATFORM_FEE_BPS"]
    if not isinstance(fee, int) or isinstance(fee, bool) or not 0 <= fee <= 10000:
        raise RuntimeError(f"PLATFORM_FEE_BPS must be whole basis points from 0 to 10000, not {fee!r}")


def _refuse_bad_stripe_currency(app: Flask) -> None:
    from market.payments.stripe_amounts import check_currency
    from market.payments.stripe_api import is_configured

    problem = check_currency(app.config["CURRENCY"]) if is_configured(app) else None
    if problem is not None:
        raise RuntimeError(f"Refusing to start with Stripe on: {problem} (CURRENCY)")


def _init_extensions(app: Flask) -> None:
    from market import edge

    edge.init_app(app)  # first: its guard runs before any other hook reads the request
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(app.root_path + "/../models/migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    from market import caching, sessions, storage

    sessions.init_app(app)
    caching.init_app(app)  # Redis with REDIS_URL: the caches every server agrees on
    storage.init_app(app)  # checks STORAGE_URL: local folders or an S3-compatible store

    @app.before_request
    def _declare_write_intent():
        request.environ["market.write_token"] = set_write_intent(request.method not in READ_METHODS)

    @app.teardown_request
    def _forget_write_intent(_exc):
        token = request.environ.pop("market.write_token", None)
        if token is not None:
            reset_write_intent(token)


def _register_blueprints(app: Flask) -> None:
    from market.accounts.views import bp as accounts_bp
    from market.admin.admin_views import bp as admin_bp
    from market.catalog.views import bp as catalog_bp
    from market.fund.elder_views import bp as fund_elders_bp
    from market.fund.month_views import bp as fund_months_bp
    from market.fund.staff_views import bp as fund_staff_bp
    from market.fund.views import bp as fund_bp
    from market.health import bp as health_bp
    from market.impact.admin_views import bp as impact_admin_bp
    from market.impact.moderation_views import bp as impact_moderation_bp
    from market.impact.staff_views import bp as impact_staff_bp
    from market.impact.views import bp as impact_bp
    from market.jobs.admin_views import bp as jobs_admin_bp
    from market.ledger.views import bp as ledger_bp
    from market.manage.staff_views import bp as manage_bp
    from market.notify.staff_views import bp as notify_staff_bp
    from market.orders import walk_in_views  # noqa: F401  (its pages join the order console)
    from market.orders.staff_views import bp as orders_staff_bp
    from market.orders.views import bp as orders_bp
    from market.payments.admin_views import bp as payments_admin_bp
    from market.payments.views import bp as payments_bp
    from market.search import indexing
    from market.search.views import bp as search_bp
    from market.timebank import recognition_views  # noqa: F401  (its routes join the console's)
    from market.timebank.staff_views import bp as timebank_staff_bp
    from market.timebank.views import bp as timebank_bp

    for blueprint in (health_bp, catalog_bp, accounts_bp, manage_bp, admin_bp, payments_bp,
                      payments_admin_bp, search_bp, orders_bp, orders_staff_bp, fund_bp, fund_staff_bp,
                      ledger_bp, jobs_admin_bp, impact_bp, impact_staff_bp, impact_admin_bp,
                      impact_moderation_bp, timebank_bp, timebank_staff_bp, fund_months_bp, notify_staff_bp,
                      fund_elders_bp):
        app.register_blueprint(blueprint)
    indexing.init_app(app)


def _connect_hooks() -> None:
    """Each domain above another subscribes to the news it needs (see market/hooks.py), and
    the payment providers register by name."""
    from market.fund.receivers import connect_hooks as connect_fund
    from market.impact.receivers import connect_hooks as connect_impact
    from market.ledger.receivers import connect_hooks as connect_ledger
    from market.notify.receivers import connect_hooks as connect_notify
    from market.orders.receivers import connect_hooks as connect_orders
    from market.payments import register_providers

    register_providers()
    connect_orders()
    connect_ledger()
    connect_fund()
    connect_impact()
    connect_notify()


def _register_template_helpers(app: Flask) -> None:
    from market.catalog.display import (
        cached_card,
        care_share_percent,
        home_datetime,
        month_name,
        percent,
        weekday_names,
    )
    from market.ledger.public import ledger_alarm, ledger_public_key, order_paper_trail, qr_svg
    from market.once import hidden_field
    from market.provinces import province_list

    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.globals.update(
        localized=localized,
        is_english=is_english,
        care_share_percent=care_share_percent,
        percent=percent,
        home_datetime=home_datetime,
        cached_card=cached_card,
        month_name=month_name,
        weekday_names=weekday_names,
        province_list=province_list,
        ledger_alarm=ledger_alarm,
        ledger_public_key=ledger_public_key,
        order_paper_trail=order_paper_trail,
        qr_svg=qr_svg,
        form_once=hidden_field,
    )


def _register_cli(app: Flask) -> None:
    from market.demo.cli import demo_cli

    app.cli.add_command(demo_cli)
    from market.ledger.cli import ledger_cli

    app.cli.add_command(ledger_cli)
    from market.payments.cli import payments_cli

    app.cli.add_command(payments_cli)
    from market.search.cli import search_cli

    app.cli.add_command(search_cli)
    from market.orders.cli import orders_cli

    app.cli.add_command(orders_cli)
    from market.impact.cli import impact_cli

    app.cli.add_command(impact_cli)
    from market.jobs.cli import register as register_jobs

    register_jobs(app)
