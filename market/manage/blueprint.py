"""The staff console's blueprint: access decided once before every view (market.console), the
names every console template uses, and the lookup of a listing inside the home."""

from flask import Blueprint, abort, g, render_template

from market.console import enter_home_console
from market.manage import service
from market.money import minor_to_major_text

bp = Blueprint("manage", __name__, url_prefix="/manage")

bp.before_request(enter_home_console)


@bp.context_processor
def _console_globals():
    return {
        "home": g.get("home"),
        "can_edit": g.get("can_edit", False),
        "minor_to_major_text": minor_to_major_text,
    }


# ---- lookups inside g.home -------------------------------------------------------------

def _listing(listing_id: int):
    return service.listing_in(g.home, listing_id) or abort(404)


def _field_named(form, name: str):
    """The form's field called `name`; "rooms-0-price" is the first room row's price field."""
    target = form
    try:
        for part in name.split("-"):
            target = target[int(part)] if part.isdigit() else getattr(target, part)
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return target


def _with_field_error(form, error: service.ManageError) -> None:
    target = _field_named(form, error.field) if error.field else None
    if target is not None and hasattr(target, "errors"):
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(str(error))
    else:
        form.form_errors.append(str(error))


def _form_page(template: str, form, **context):
    status = 400 if form.errors or form.form_errors else 200
    return render_template(template, form=form, **context), status
