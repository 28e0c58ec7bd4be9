"""What the pinned Stripe API version accepts and returns, read from the installed stripe-python.

stripe-python is generated from Stripe's OpenAPI spec, one API version per release: its typed
request params (the `…CreateParams`, `…ListParams` TypedDicts, with their required keys) are the
request schema of that version, and its resource classes (`stripe.checkout.Session`,
`stripe.Refund`, …) list every field of each object at that version. The fake Stripe
(tests/stripe_fake.py) validates every request against the first. It builds every object and
event from Stripe's published example of it (tests/data/stripe_examples.json, vendored from
github.com/stripe/openapi by tools/refresh_stripe_examples.py) fitted to the second: fields the
pinned version no longer has are dropped, fields the example lacks are added empty. So neither
requests nor answers can drift from what Stripe really takes and sends.

`SCHEMA_VERSION` is the version those types describe; the fake refuses requests sent at any
other version, and this module refuses to load when the app's pinned version is of another
major release than the installed package (upgrade both together).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar, ForwardRef, Literal, NotRequired, Required, Union, get_args, get_origin

import stripe
import stripe.params
import stripe.params.checkout
from stripe._api_version import _ApiVersion
from stripe._request_options import RequestOptions
from stripe._stripe_object import StripeObject, UntypedStripeObject
from typing_extensions import is_typeddict

from market.payments.stripe_api import API_VERSION

SCHEMA_VERSION = _ApiVersion.CURRENT
if SCHEMA_VERSION.split(".")[-1] != API_VERSION.split(".")[-1]:
    raise RuntimeError(f"stripe-python speaks {SCHEMA_VERSION}, the app is pinned to {API_VERSION}: "
                       "pin stripe-python to the major release that ships the pinned version")

# Keys of RequestOptions are stripe-python's own options, never sent as parameters.
_OPTIONS = frozenset(RequestOptions.__annotations__)

# (method, path pattern) → the params TypedDict Stripe checks that request against.
ENDPOINTS: dict[tuple[str, str], type] = {
    ("POST", "/v1/checkout/sessions"): stripe.params.checkout.SessionCreateParams,
    ("GET", "/v1/checkout/sessions/{id}"): stripe.params.checkout.SessionRetrieveParams,
    ("POST", "/v1/checkout/sessions/{id}/expire"): stripe.params.checkout.SessionExpireParams,
    ("POST", "/v1/refunds"): stripe.params.RefundCreateParams,
    ("GET", "/v1/refunds"): stripe.params.RefundListParams,
    ("GET", "/v1/charges"): stripe.params.ChargeListParams,
    ("GET", "/v1/charges/{id}"): stripe.params.ChargeRetrieveParams,
    ("GET", "/v1/payment_intents/{id}"): stripe.params.PaymentIntentRetrieveParams,
    ("GET", "/v1/balance_transactions/{id}"): stripe.params.BalanceTransactionRetrieveParams,
    ("GET", "/v1/disputes"): stripe.params.DisputeListParams,
    ("GET", "/v1/webhook_endpoints"): stripe.params.WebhookEndpointListParams,
}

# The resource class of each object type the fake sends back.
OBJECTS: dict[str, type] = {
    "checkout.session": stripe.checkout.Session,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "balance_transaction": stripe.BalanceTransaction,
    "webhook_endpoint": stripe.WebhookEndpoint,
    "event": stripe.Event,
}


class ParamError(Exception):
    """A request Stripe refuses before doing anything (HTTP 400, nothing stored for its key)."""

    def __init__(self, param: str, message: str, code: str | None = None):
        super().__init__(message)
        self.param, self.message, self.code = param, message, code

    def body(self) -> dict:
        error = {"type": "invalid_request_error", "param": self.param, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return {"error": error}


def match(method: str, path: str) -> tuple[type, list[str]] | None:
    """The params type of a request and the ids in its path, or None for an endpoint we lack."""
    for (m, pattern), params in ENDPOINTS.items():
        regex = "^" + re.escape(pattern).replace(r"\{id\}", "([^/]+)") + "$"
        found = re.match(regex, path)
        if m == method and found:
            return params, list(found.groups())
    return None


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Form-encoded `a[b][0][c]=v` pairs as nested dicts (lists stay dicts keyed "0", "1", …)."""
    out: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head] + (re.findall(r"([^\[\]]*)\]", "[" + rest) if rest else [])
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ParamError(key, f"Invalid hash: {key}")
        node[path[-1]] = value
    return out


def validate(params_type: type, params: dict) -> None:
    """Raise ParamError the way Stripe answers when `params` do not fit `params_type`."""
    _check_typeddict(params_type, params, "", top=True)


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _resolve(tp, module):
    if isinstance(tp, str):
        tp = ForwardRef(tp)
    if isinstance(tp, ForwardRef):
        tp = eval(tp.__forward_arg__, vars(module))  # noqa: S307 - stripe-python's own annotations
    return tp


def _check_typeddict(td: type, value, param: str, top: bool = False) -> None:
    if not isinstance(value, dict):
        raise ParamError(param, f"Invalid object: {param} must be a hash")
    module = sys.modules[td.__module__]
    fields = {k: v for k, v in td.__annotations__.items() if not (top and k in _OPTIONS)}
    for key in value:
        if key not in fields:
            name = _name(param, key)
            raise ParamError(name, f"Received unknown parameter: {name}", "parameter_unknown")
    for key in sorted(td.__required_keys__ - (_OPTIONS if top else frozenset())):
        if key not in value:
            name = _name(param, key)
            raise ParamError(name, f"Missing required param: {name}.", "parameter_missing")
    for key, item in value.items():
        _check(fields[key], item, _name(param, key), module)


def _check(tp, value, param: str, module) -> None:
    tp = _resolve(tp, module)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (NotRequired, Required):
        return _check(args[0], value, param, module)
    if is_typeddict(tp):
        return _check_typeddict(tp, value, param)
    if origin is Union or isinstance(tp, types.UnionType):
        return _check_union([_resolve(a, module) for a in args], value, param, module)
    if origin is Literal:
        if value not in [str(a).lower() if isinstance(a, bool) else str(a) for a in args]:
            allowed = ", ".join(str(a) for a in args)
            raise ParamError(param, f"Invalid {param}: must be one of {allowed}")
        return None
    if origin is list:
        items = _as_list(value, param)
        for i, item in enumerate(items):
            _check(args[0], item, f"{param}[{i}]", module)
        return None
    if origin is dict or tp is dict or origin is UntypedStripeObject or tp is UntypedStripeObject:
        if not isinstance(value, dict) or any(isinstance(v, dict) for v in value.values()):
            raise ParamError(param, f"Invalid object: {param} must be a hash of strings")
        return None
    if tp is typing.Any:
        return None
    if not isinstance(value, str):
        raise ParamError(param, f"Invalid {param}: a hash was given where a value is expected")
    if tp is str:
        if value == "":
            raise ParamError(param, f"You passed an empty string for '{param}'. We assume empty values "
                             f"are an attempt to unset a parameter; however '{param}' cannot be unset.",
                             "parameter_invalid_empty")
        return None
    if tp is bool:
        if value not in ("true", "false"):
            raise ParamError(param, f"Invalid boolean: {value}")
        return None
    if tp is int:
        if not re.fullmatch(r"-?\d+", value):
            raise ParamError(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        return None
    if tp in (float, Decimal):
        try:
            Decimal(value)
        except InvalidOperation:
            raise ParamError(param, f"Invalid decimal: {value}") from None
        return None
    raise AssertionError(f"the fake does not understand the type {tp!r} of {param}")


def _check_union(options: list, value, param: str, module) -> None:
    # stripe-python types enums as `Literal[…] | str` so that newer values do not break older
    # code; the pinned version accepts only the listed values, so the fake does too.
    literals = [a for a in options if get_origin(a) is Literal]
    if any(v != "" for lit in literals for v in get_args(lit)):
        options = [a for a in options if a is not str]
    first = None
    for option in options:
        try:
            _check(option, value, param, module)
            return
        except ParamError as error:
            first = first or error
    raise first


def _as_list(value, param: str) -> list:
    if isinstance(value, list):
        return value
    if value == "":  # `param=` empties a list
        return []
    if not isinstance(value, dict) or sorted(value, key=int) != [str(i) for i in range(len(value))]:
        raise ParamError(param, f"Invalid array: {param}")
    return [value[str(i)] for i in range(len(value))]


# ---- objects --------------------------------------------------------------------------------


def skeleton(cls: type) -> dict:
    """Every field of `cls`'s object at this version, each empty (None, [], {}, 0, "", false, the
    first value of an enum); nested objects that are always present are filled the same way."""
    return copy.deepcopy(_skeleton(cls))


@functools.cache
def _skeleton(cls: type) -> dict:
    return {name: _empty(tp) for name, tp in cls.__annotations__.items()
            if get_origin(tp) is not ClassVar and not name.startswith("_")}


def _empty(tp):
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union or isinstance(tp, types.UnionType):
        if type(None) in args:
            return None
        concrete = [a for a in args if not isinstance(a, ForwardRef)]
        return _empty(concrete[0]) if concrete else None
    if origin is Literal:
        return args[0]
    if origin is list:
        return []
    if origin is dict or tp is dict or origin is UntypedStripeObject or tp is UntypedStripeObject:
        return {}
    if tp is str:
        return ""
    if tp is bool:
        return False
    if tp in (int, float):
        return 0
    if isinstance(tp, type) and issubclass(tp, StripeObject):
        return _skeleton(tp)
    return None


EXAMPLES_FILE = Path(__file__).parent / "data" / "stripe_examples.json"


@functools.cache
def published_examples() -> dict:
    """tests/data/stripe_examples.json: Stripe's example objects and the commit they came from."""
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


# Fields an example shows filled that Stripe leaves out unless a request asks to expand them
# (Stripe changelog 2022-11-15: "Charge.refunds is no longer included by default"). The examples
# are rendered with every expansion; a webhook never carries these, so the fake sends them empty.
NOT_SENT_UNLESS_EXPANDED = {"charge": ("refunds",)}


def example(object_type: str) -> dict:
    """Stripe's published example of `object_type`, fitted to the fields it has at this version."""
    published = published_examples()["resources"][object_type]
    obj = fit(copy.deepcopy(published), skeleton(OBJECTS[object_type]))
    obj.update(dict.fromkeys(NOT_SENT_UNLESS_EXPANDED.get(object_type, ()), None))
    return obj


def fit(published, shape):
    """`published` with exactly the fields of `shape` (a skeleton), at every level where the
    skeleton knows the fields: a field gone at this version is dropped, a field newer than the
    example is added empty. Values the example has (including null) are kept."""
    if not isinstance(published, dict) or not isinstance(shape, dict) or not shape:
        return published
    return {name: fit(published[name], empty) if name in published else empty
            for name, empty in shape.items()}


def build(object_type: str, **fields) -> dict:
    """An object of `object_type` as Stripe sends it at this version: Stripe's published example
    of it with `fields` filled in. A field the object does not have at this version is a mistake
    in the test."""
    obj = example(object_type)
    unknown = set(fields) - set(obj)
    if unknown:
        raise AssertionError(f"{object_type} has no field {sorted(unknown)} at {SCHEMA_VERSION}")
    obj.update(fields)
    obj["object"] = object_type
    return obj


def event_types() -> frozenset[str]:
    """The event types that exist at this version."""
    hint = stripe.Event.__annotations__["type"]
    return frozenset(get_args(hint))
