"""Security headers on every response (OWASP ASVS 5.0 chapter 3, web frontend security).

A strict Content-Security-Policy (no inline script or style: static/js/site.js holds the little
script there is), no framing, a short referrer, HSTS in production, and `no-store` on every
private page so a shared or back-button cache never shows one person's orders to another.
"""

from flask import Flask, request
from flask_login import current_user

# Checkout redirects a submitted form to Stripe; browsers apply form-action to that redirect.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self' https://checkout.stripe.com")
# Pages for one person or one home's staff: never kept by any cache.
PRIVATE_PREFIXES = ("/orders", "/checkout", "/cart", "/account", "/manage", "/admin", "/login",
                    "/signup", "/fund/donations")
PUBLIC_FILES = ("/static/", "/media/")


def is_private(path: str) -> bool:
    if path.startswith(PUBLIC_FILES):
        return False
    if path.startswith(PRIVATE_PREFIXES):
        return True
    return current_user.is_authenticated  # a logged-in page may name the person (the header)


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)  # a receipt sets its own (sandbox)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security",
                               f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains")
        if is_private(request.path):
            response.cache_control.public = False
            response.cache_control.private = True
            response.cache_control.no_store = True
        return response
