"""The search form: a GET form read from the query string. Anything that does not parse is
dropped with a message; the search still runs with the rest."""

import datetime
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from market.search.backend import PRICE_BANDS, SORTS
from market.search.service import MAX_STAY_NIGHTS, SearchRequest
from models.catalog import KINDS

MAX_QUERY_CHARS = 200
MAX_DAYS_AHEAD = 730


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField(_l("Search"), filters=[lambda v: (v or "").strip()])
    kind = SelectField(_l("Kind"), choices=["", *KINDS],
                       validators=[Optional()], validate_choice=True)
    price = SelectField(_l("Price"), choices=["", *PRICE_BANDS],
                        validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=list(SORTS), validators=[Optional()])
    province = StringField(_l("Province"), filters=[lambda v: (v or "").strip()[:40]])
    home = StringField(_l("Village home"))
    date = DateField(_l("Tour date"), validators=[Optional()])
    check_in = DateField(_l("Check-in"), validators=[Optional()])
    check_out = DateField(_l("Check-out"), validators=[Optional()])
    page = StringField(_l("Page"))

    def to_request(self, today: datetime.date) -> tuple[SearchRequest, list[str]]:
        """The usable parts of the form, and a message for each part that was dropped."""
        self.validate()
        notes: list[str] = []
        errors = self.errors

        def ok(name):
            return name not in errors

        q = self.q.data or ""
        if len(q) > MAX_QUERY_CHARS:
            notes.append(str(_l("Only the first %(n)s characters of the search were used.",
                                n=MAX_QUERY_CHARS)))
            q = q[:MAX_QUERY_CHARS]
        if not ok("kind") or not ok("price") or not ok("sort"):
            notes.append(str(_l("An unknown filter was ignored.")))
        for name in ("date", "check_in", "check_out"):
            if not ok(name):
                notes.append(str(_l("Dates look like 2026-05-01; the date given was ignored.")))
                break
        home_id = None
        if (self.home.data or "").strip():
            try:
                home_id = int(self.home.data)
            except ValueError:
                notes.append(str(_l("An unknown filter was ignored.")))
        try:
            page = int(self.page.data or 1)
        except ValueError:
            page = 1
        earliest, latest = today, today + timedelta(days=MAX_DAYS_AHEAD)

        dropped = {name for name in ("check_in", "check_out") if not ok(name)}

        def in_range(name):
            value = getattr(self, name).data if ok(name) else None
            if value is not None and not earliest <= value <= latest:
                notes.append(str(_l("Choose dates from today up to two years ahead; the date "
                                    "given was ignored.")))
                dropped.add(name)
                return None
            return value

        tour_date = in_range("date")
        check_in, check_out = in_range("check_in"), in_range("check_out")
        if (check_in is None) != (check_out is None):
            if not dropped & {"check_in", "check_out"}:  # a dropped date has its note already
                notes.append(str(_l("Give both check-in and check-out to filter homestays.")))
            check_in = check_out = None
        elif check_in is not None and check_out <= check_in:
            notes.append(str(_l("Check-out must be after check-in; the stay dates were ignored.")))
            check_in = check_out = None
        elif check_in is not None and (check_out - check_in).days > MAX_STAY_NIGHTS:
            notes.append(str(_l("Stays of at most %(n)s nights can be searched; the stay dates "
                                "were ignored.", n=MAX_STAY_NIGHTS)))
            check_in = check_out = None
        request = SearchRequest(
            q=q,
            kind=(self.kind.data or None) if ok("kind") else None,
            province=self.province.data or None,
            home_id=home_id,
            price_band=(self.price.data or None) if ok("price") else None,
            sort=(self.sort.data or "relevance") if ok("sort") else "relevance",
            tour_date=tour_date,
            check_in=check_in,
            check_out=check_out,
            page=page,
        )
        return request, list(dict.fromkeys(notes))
