"""The committee dashboard counts and lists the care fund's corrections: proposed, decided,
withdrawn; staff do not see the part; another home's committee cannot open the page."""

import pytest

from market.fund import corrections
from market.impact import dashboards
from tests.conftest import login
from tests.fund.test_corrections import books  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("english")


def test_corrections_are_counted_and_listed_for_the_committee(client, make, books):  # noqa: F811
    home, staff, sup, sup2, first, duplicate = books
    withdrawn = corrections.propose_correction(home.id, staff, duplicate.seq, "typed twice (first try)")
    corrections.withdraw_correction(home.id, withdrawn.id, staff)
    rejected = corrections.propose_correction(home.id, staff, duplicate.seq, "typed twice (second try)")
    corrections.decide_correction(home.id, rejected.id, sup2, approve=False, comment="two grants")
    waiting = corrections.propose_correction(home.id, staff, first.seq, "wrong amount on the first grant")
    found = dashboards.home_corrections(home.id)
    assert found.counts == {"proposed": 1, "approved": 0, "rejected": 1, "withdrawn": 1}
    assert found.decided == 1 and [c.id for c in found.latest] == [waiting.id, rejected.id, withdrawn.id]
    url = f"/manage/{home.slug}/impact/dashboard"
    login(client, sup)
    page = client.get(url).get_data(as_text=True)
    assert "corrections-heading" in page and "wrong amount on the first grant" in page
    assert f"/manage/{home.slug}/fund/corrections/{waiting.id}" in page
    assert "Decided: 0 approved, 1 turned down." in page
    client.delete_cookie("session")
    login(client, staff)
    assert "corrections-heading" not in client.get(url).get_data(as_text=True)
    client.delete_cookie("session")
    login(client, make.member(make.home(), "supervisor"))
    assert client.get(url).status_code == 404
