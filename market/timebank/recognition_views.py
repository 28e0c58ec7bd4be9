"""Recognitions in a home's console: /manage/<home_slug>/timebank/recognitions…

On the time-bank console's blueprint (`staff_views.bp`): staff set the levels, propose budgets
and record hand-overs; a supervisor approves or rejects a budget someone else proposed.
"""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.errors import render_error
from market.fund.service import FundError, can_decide, parse_amount
from market.once import one_time
from market.timebank import recognitions
from market.timebank.common import TimeBankError
from market.timebank.forms import ActionForm, BudgetForm, DecideForm, LevelForm
from market.timebank.staff_views import _home_for, bp, decided
from market.timebank.views import fail


def _page(home, role, level_form=None, budget_form=None, status=200):
    found = recognitions.budgets(home.id)
    return render_template(
        "timebank/manage/recognitions.html", home=home, role=role, levels=recognitions.level_counts(home.id),
        budgets=found, used=recognitions.used_fen(b.id for b in found), left=recognitions.left_fen(home.id),
        due=recognitions.due(home.id), handed=recognitions.handed_over(home.id),
        may_decide={b.id: can_decide(home.id, b.proposed_by_id, current_user) for b in found},
        level_form=level_form or LevelForm(), budget_form=budget_form or BudgetForm(), action=ActionForm(),
        decide=DecideForm()), status


def _back(home):
    return redirect(url_for(".recognitions_page", home_slug=home.slug))


@bp.get("/recognitions")
def recognitions_page(home_slug: str):
    home, role = _home_for(home_slug)
    return _page(home, role)


@bp.post("/recognitions/levels")
@one_time
def add_level(home_slug: str):
    home, role = _home_for(home_slug)
    form = LevelForm()
    if form.validate_on_submit():
        try:
            value = parse_amount(form.level_value.data)
            recognitions.set_level(current_user, home.id, hours=form.level_hours.data,
                                   what=form.level_what.data, value_fen=value)
        except FundError as error:
            form.level_value.errors = [str(error)]
        except TimeBankError as error:
            if error.__class__ is not TimeBankError:
                return fail(error)
            form.form_errors.append(str(error))
        else:
            flash(_("Recognition set."), "success")
            return _back(home)
    return _page(home, role, level_form=form, status=400)


@bp.post("/recognitions/budgets")
@one_time
def propose_budget(home_slug: str):
    home, role = _home_for(home_slug)
    form = BudgetForm()
    if form.validate_on_submit():
        try:
            amount = parse_amount(form.budget_amount.data)
            recognitions.propose_budget(current_user, home.id, amount_fen=amount,
                                        reason=form.budget_reason.data)
        except FundError as error:
            form.budget_amount.errors = [str(error)]
        except TimeBankError as error:
            if error.__class__ is not TimeBankError:
                return fail(error)
            form.form_errors.append(str(error))
        else:
            flash(_("Budget proposed. Another person (a supervisor of the home) approves it."), "success")
            return _back(home)
    return _page(home, role, budget_form=form, status=400)


@bp.post("/recognitions/budgets/<int:budget_id>/decide")
@one_time
def decide_budget(home_slug: str, budget_id: int):
    return decided(home_slug, lambda home, approve, _form: recognitions.decide_budget(
        current_user, home.id, budget_id, approve=approve),
        _("Budget approved: recognitions can be handed over."), _("Rejected."), back=_back)


@bp.post("/recognitions/<int:recognition_id>/people/<int:person_id>/hand-over")
@one_time
def hand_over(home_slug: str, recognition_id: int, person_id: int):
    home, _role = _home_for(home_slug)
    if not ActionForm().validate_on_submit():
        return render_error(400)
    try:
        award = recognitions.hand_over(current_user, home.id, person_id, recognition_id)
    except TimeBankError as error:
        return fail(error)
    flash(_("Recorded: %(what)s handed over to %(name)s.", what=award.recognition.what,
            name=award.person.name), "success")
    return _back(home)
