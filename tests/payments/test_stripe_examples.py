"""The fake Stripe answers with Stripe's published example objects (tests/data/stripe_examples.json,
from github.com/stripe/openapi), fitted to the pinned API version, rather than objects written by
hand: a field the app reads that Stripe fills in, and the hand-written version forgot, shows up."""

import re

import pytest

from tests import stripe_schema
from tests.stripe_schema import OBJECTS, build, example, fit, published_examples, skeleton


def test_the_examples_say_where_they_come_from_and_cover_every_object_the_fake_sends():
    vendored = published_examples()
    assert vendored["source"]["repository"] == "https://github.com/stripe/openapi"
    assert re.fullmatch(r"[0-9a-f]{40}", vendored["source"]["commit"])
    assert set(vendored["resources"]) == set(OBJECTS)
    for name, published in vendored["resources"].items():
        assert published["object"] == name


@pytest.mark.parametrize("object_type", sorted(OBJECTS))
def test_every_object_starts_from_stripes_example_with_exactly_the_pinned_fields(object_type):
    published = published_examples()["resources"][object_type]
    built = build(object_type)
    assert set(built) == set(skeleton(OBJECTS[object_type]))
    left_out = stripe_schema.NOT_SENT_UNLESS_EXPANDED.get(object_type, ())
    kept = [name for name in built if name in published and name not in left_out
            and published[name] not in (None, [], {}, "", 0, False)]
    assert kept, f"nothing of Stripe's {object_type} example reached the fake's object"
    for name in kept:
        if not isinstance(published[name], dict):
            assert built[name] == published[name], name


def test_fitting_drops_what_the_pinned_version_no_longer_has_and_adds_what_is_newer():
    published = {"id": "ch_1", "gone": 1, "outcome": {"type": "authorized", "rule": "old"},
                 "meta": {"k": "v"}}
    shape = {"id": "", "added": None, "outcome": {"type": "", "advice_code": None}, "meta": {}}
    assert fit(published, shape) == {"id": "ch_1", "added": None, "meta": {"k": "v"},
                                     "outcome": {"type": "authorized", "advice_code": None}}
    assert fit({"outcome": None}, shape)["outcome"] is None  # Stripe's null is kept


def test_a_charge_never_carries_its_refunds_inline_as_webhooks_do_since_2022_11_15():
    assert published_examples()["resources"]["charge"]["refunds"]["object"] == "list"
    assert example("charge")["refunds"] is None
    assert build("charge", id="ch_x")["refunds"] is None


def test_fields_set_by_a_test_must_exist_at_the_pinned_version():
    with pytest.raises(AssertionError, match="no field"):
        build("charge", refunded_by_dashboard=True)
