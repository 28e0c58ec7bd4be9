from flask import Blueprint, render_template, request, url_for

from market import clock
from market.search import service
from market.search.forms import SearchForm
from market.search.highlight import highlight
from models.catalog import KINDS

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    form = SearchForm(formdata=request.args)
    wanted, notes = form.to_request(clock.local_today())
    page = service.search(wanted)
    return render_template(
        "search/results.html", form=form, page=page, notes=notes, kinds=KINDS,
        highlight=highlight, bands=service.band_label, search_url=search_url,
    )


def search_url(**changes) -> str:
    """This search's URL with some parameters changed (None drops one); back to page 1
    unless a page is given."""
    params = {k: v for k, v in request.args.items() if v != ""}
    params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return url_for("search.search", **params)
