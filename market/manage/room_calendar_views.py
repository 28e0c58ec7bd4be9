"""The staff room calendar (console pages): a month of each room's nights with bookings and
blocked nights; a night's page to block or open it (blocking a booked night asks first).
Routes on the console's blueprint (blueprint.py), so access is decided there, before every view."""

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import clock
from market.manage import room_calendar
from market.manage.blueprint import bp
from market.manage.service import ManageError
from market.orders import queries


def _room(room_id: int):
    return room_calendar.room_of_home(g.home, room_id) or abort(404)


def _day(text: str) -> date:
    try:
        day = queries.console_day(text)
    except Exception:  # an OrderError: not a day, or outside the console's days
        abort(404)
    return day or abort(404)


@bp.get("/<home_slug>/rooms")
def rooms(home_slug: str):
    """Every room of the home: one tap to its calendar."""
    return render_template("manage/rooms.html", rooms=room_calendar.home_rooms(g.home))


@bp.get("/<home_slug>/rooms/<int:room_id>/calendar")
def room_calendar_page(home_slug: str, room_id: int):
    room = _room(room_id)
    today = clock.local_today()
    status = 200
    try:
        first = room_calendar.month_first(request.args.get("month"), today)
    except ManageError as error:
        flash(str(error), "error")
        first, status = today.replace(day=1), 400
    weeks = room_calendar.month(room, first)
    nights = [night for week in weeks for night in week if night and night.state in ("booked", "blocked")]
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return render_template("manage/room_calendar.html", room=room, first=first, weeks=weeks,
                           nights=nights, before=before, after=after, today=today), status


@bp.route("/<home_slug>/rooms/<int:room_id>/nights/<day>", methods=["GET", "POST"])
def room_night(home_slug: str, room_id: int, day: str):
    """One night: who is booked, or why it is blocked; block it (a booked one asks first: the
    page comes back naming the stay, whose button sends `confirmed`) or open it again."""
    room, night_day = _room(room_id), _day(day)
    if request.method == "POST":
        action = request.form.get("action")
        reason = request.form.get("reason", "")
        try:
            if action == "unblock":
                room_calendar.unblock(g.home, room, night_day)
                flash(_("The night is open for booking again."), "success")
            elif action == "block":
                night = room_calendar.block(g.home, room, night_day, actor=current_user, reason=reason,
                                            confirmed=request.form.get("confirmed") == "yes")
                done = _("The night is blocked: nobody can book it.")
                if night.state == "booked":
                    done = _("The stay is cancelled and refunded in full; the buyer is told. "
                             "The night is blocked.")
                flash(done, "success")
            else:
                abort(400)
        except ManageError as error:
            night = room_calendar.night_of(room, night_day)
            asking = error.field == "confirmed"
            if not asking:
                flash(str(error), "error")
            return render_template("manage/room_night.html", room=room, night=night, reason=reason,
                                   asking=asking), 200 if asking else 400
        return redirect(url_for(".room_calendar_page", home_slug=g.home.slug, room_id=room.id,
                                month=night_day.strftime("%Y-%m")))
    return render_template("manage/room_night.html", room=room, night=room_calendar.night_of(room, night_day),
                           reason="", asking=False)
