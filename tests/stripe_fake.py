"""A fake Stripe, plugged in at stripe-python's HTTP client, for tests and benchmarks.

Honest about what Stripe accepts: every request must be sent at the app's pinned API version
(`Stripe-Version`), and its parameters are checked against that version's schema (stripe-python's
typed request params, tests/stripe_schema.py) before anything happens. An unknown or removed
parameter, a missing required one or a value of the wrong type is refused with Stripe's error
(HTTP 400, `invalid_request_error`, `code`, `param`, `message`), and nothing is stored for its
idempotency key. Every object it answers with, and every event it builds, has exactly the fields
of that object at the pinned version (stripe-python's resource classes), with the values the fake
models filled in.

It answers the endpoints the market uses (Checkout Session create, retrieve and expire; Refund
create and list; Charge list and retrieve; PaymentIntent and Balance Transaction retrieve; Dispute
list; Webhook Endpoint list), records every request with its headers, and can be told to fail:
"500" (Stripe's answer is stored for the idempotency key and replayed to a retry, as Stripe does),
"timeout" (nothing done), "lost" (done and stored, the answer lost), "429" (rate limited, nothing
stored) or "refused" (a permanent 400 such as a payment method not activated). Like Stripe, it
replays the stored answer for a repeated idempotency key, and refuses (400 idempotency_error) a
key used again with other parameters. Any other path gets a 404: nothing reaches the network.

`probe`, when set, is called on every request and its answer stored as `in_transaction`: the
Stripe fixtures use it to check that no call is made while a database transaction is open.

It also builds and signs webhook events with the real scheme (`t=…,v1=…`).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import stripe
from requests.structures import CaseInsensitiveDict
from stripe import WebhookSignature
from stripe._http_client import HTTPClient

from market.payments.stripe_api import API_VERSION
from tests import stripe_schema
from tests.stripe_schema import ParamError, build

WEBHOOK_SECRET = "whsec_test_secret"
SECRET_KEY = "sk_test_fake"
# The events a webhook endpoint must send (docs/payments.md); the fake's endpoint has them all.
ENDPOINT_EVENTS = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired", "charge.refunded",
    "refund.created", "refund.updated", "refund.failed", "charge.dispute.created",
    "charge.dispute.updated", "charge.dispute.closed",
)


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict
    headers: dict
    idempotency_key: str | None = field(default=None)
    in_transaction: bool = False
    answered: int = 0  # the HTTP status the fake answered (0: no answer reached the client)


class FakeStripe(HTTPClient):
    name = "fake-stripe"

    def __init__(self, refund_status: str = "pending", fee_bps: int = 340):
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.balance_transactions: dict[str, dict] = {}
        self.endpoints: list[dict] = [build(
            "webhook_endpoint", id="we_test_1", api_version=API_VERSION, status="enabled",
            url="https://market.example.com/payments/stripe/webhook", enabled_events=list(ENDPOINT_EVENTS),
            created=int(time.time()), metadata={})]
        self.refund_status = refund_status
        self.fee_bps = fee_bps
        self._failures: list[tuple[str, str, dict]] = []  # (path prefix, kind, error)
        self._replies: dict[str, tuple[tuple, str, int]] = {}  # key → (request, answer, status)
        self._ids = itertools.count(1)
        self.probe = None

    # ---- test controls -------------------------------------------------------------------

    def fail_next(self, path_prefix: str, kind: str = "500", times: int = 1, **error) -> None:
        """The next `times` requests whose path starts with `path_prefix` fail: "500" (stored for
        the idempotency key), "timeout" (nothing done), "lost" (done at Stripe and stored for the
        key, but the answer is lost), "429" (rate limited), or "refused" (400 with `error`'s
        `code`, `param` and `message`)."""
        self._failures.extend([(path_prefix, kind, error)] * times)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def _sleep_time_seconds(self, num_retries: int) -> float:  # no back-off sleeps in tests
        return 0.0

    def close(self):
        pass

    # ---- HTTPClient ----------------------------------------------------------------------

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        pairs = parse_qsl(body or parts.query, keep_blank_values=True)
        params = dict(pairs)
        headers = dict(headers or {})
        key = headers.get("Idempotency-Key")
        method = method.upper()
        version = headers.get("Stripe-Version")
        if version != API_VERSION:  # the schema the fake checks against is that version's only
            raise AssertionError(f"request sent at Stripe-Version {version!r}, pinned {API_VERSION}")
        recorded = RecordedRequest(method, parts.path, params, headers, key,
                                   bool(self.probe and self.probe()))
        self.requests.append(recorded)
        signature = (method, parts.path, tuple(sorted(pairs)))
        if key and key in self._replies:
            first, text, status = self._replies[key]
            if first != signature:
                return self._reply(recorded, {"error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same "
                               f"parameters they were first used with. Try using a key other than "
                               f"'{key}' if you meant to execute a different request."}}, 400)
            recorded.answered = status
            return text, status, self._headers(replayed=True, keyed=True, status=status)
        endpoint = stripe_schema.match(method, parts.path)
        if endpoint is None:
            return self._reply(recorded, {"error": {"type": "invalid_request_error",
                                                    "message": f"Unrecognized request URL ({method}: "
                                                               f"{parts.path})."}}, 404)
        try:
            stripe_schema.validate(endpoint[0], stripe_schema.unflatten(pairs))
        except ParamError as error:  # refused before anything happens: nothing stored for the key
            return self._reply(recorded, error.body(), 400)
        lost = False
        for i, (prefix, kind, error) in enumerate(self._failures):
            if parts.path.startswith(prefix):
                del self._failures[i]
                if kind == "timeout":
                    raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
                if kind == "429":
                    return self._reply(recorded, {"error": {
                        "type": "invalid_request_error", "code": "rate_limit",
                        "message": "Too many requests hit the API too quickly."}}, 429)
                if kind == "refused":
                    return self._reply(recorded, {"error": {"type": "invalid_request_error", **error}}, 400)
                if kind == "500":
                    text = json.dumps({"error": {"type": "api_error", "message": "fake 500"}})
                    if key and method == "POST":
                        self._replies[key] = (signature, text, 500)
                    recorded.answered = 500
                    return text, 500, self._headers(keyed=bool(key), status=500)
                lost = kind == "lost"
                break
        status, payload = self._route(method, parts.path, params)
        text = json.dumps(payload)
        if key and method == "POST":
            self._replies[key] = (signature, text, status)
        if lost:
            raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
        recorded.answered = status
        return text, status, self._headers(keyed=bool(key), status=status)

    def request_stream(self, *args, **kwargs):
        raise NotImplementedError

    def _reply(self, recorded: RecordedRequest, payload: dict, status: int):
        recorded.answered = status
        return json.dumps(payload), status, self._headers(status=status)

    def _headers(self, *, replayed: bool = False, keyed: bool = False, status: int = 200):
        headers = CaseInsensitiveDict({"Request-Id": f"req_{next(self._ids)}",
                                       "Content-Type": "application/json",
                                       "Stripe-Version": API_VERSION})
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        if keyed and status >= 500:  # a retry with the same key would only replay this answer
            headers["Stripe-Should-Retry"] = "false"
        return headers

    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}"

    # ---- endpoints -----------------------------------------------------------------------

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        segments = path.strip("/").split("/")[1:]  # drop "v1"
        if method == "POST" and segments == ["checkout", "sessions"]:
            return 200, self._create_session(params)
        if method == "GET" and segments[:2] == ["checkout", "sessions"] and len(segments) == 3:
            return self._found(self.sessions.get(segments[2]))
        if method == "POST" and segments[:2] == ["checkout", "sessions"] and segments[3:] == ["expire"]:
            return self._expire_session(segments[2])
        if method == "POST" and segments == ["refunds"]:
            return self._create_refund(params)
        if method == "GET" and segments == ["refunds"]:
            return 200, self._list(self.refunds.values(), params)
        if method == "GET" and segments == ["disputes"]:
            return 200, self._list(self.disputes.values(), params)
        if method == "GET" and segments == ["webhook_endpoints"]:
            return 200, self._list(self.endpoints, params)
        if method == "GET" and segments == ["charges"]:
            listed = self._list(self.charges.values(), params)
            if "data.balance_transaction" in params.values():  # expand[0]
                listed["data"] = [dict(c, balance_transaction=self.balance_transactions.get(
                    c["balance_transaction"], c["balance_transaction"])) for c in listed["data"]]
            return 200, listed
        if method == "GET" and segments[0] == "charges" and len(segments) == 2:
            return self._found(self.charges.get(segments[1]))
        if method == "GET" and segments[0] == "payment_intents" and len(segments) == 2:
            intent = self.intents.get(segments[1])
            if intent and "expand[0]" in params:
                intent = dict(intent)
                charge = dict(self.charges[intent["latest_charge"]])
                charge["balance_transaction"] = self.balance_transactions[charge["balance_transaction"]]
                intent["latest_charge"] = charge
            return self._found(intent)
        if method == "GET" and segments[0] == "balance_transactions" and len(segments) == 2:
            return self._found(self.balance_transactions.get(segments[1]))
        return 404, {"error": {"type": "invalid_request_error", "message": f"fake: no route {path}"}}

    @staticmethod
    def _found(obj):
        if obj is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": "No such object (fake)"}}
        return 200, obj

    @staticmethod
    def _list(objects, params: dict) -> dict:
        items = list(objects)
        for name in ("charge", "payment_intent"):
            if name in params:
                items = [o for o in items if o.get(name) == params[name]]
        if "created[gte]" in params:
            items = [o for o in items if o["created"] >= int(params["created[gte]"])]
        items.sort(key=lambda o: o["created"], reverse=True)
        return {"object": "list", "url": "/v1/list", "has_more": False, "data": items}

    def _create_session(self, params: dict) -> dict:
        total = 0
        i = 0
        while f"line_items[{i}][quantity]" in params:
            total += int(params[f"line_items[{i}][price_data][unit_amount]"]) * int(
                params[f"line_items[{i}][quantity]"])
            i += 1
        metadata = {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")}
        allowed = [v for k, v in sorted(params.items()) if k.startswith("allowed_payment_method_types[")]
        sid = self._id("cs")
        session = build(
            "checkout.session", id=sid, mode="payment", status="open", payment_status="unpaid",
            amount_subtotal=total, amount_total=total,
            currency=params.get("currency") or params.get("line_items[0][price_data][currency]"),
            client_reference_id=params.get("client_reference_id"), metadata=metadata,
            expires_at=int(params.get("expires_at") or time.time() + 86400),
            created=int(time.time()), livemode=False, payment_intent=None,
            allowed_payment_method_types=allowed or None, payment_method_types=allowed or ["card"],
            success_url=params.get("success_url"), cancel_url=params.get("cancel_url"),
            customer_email=params.get("customer_email"), locale=params.get("locale"),
            url=f"https://checkout.stripe.com/c/pay/{sid}#fake",
        )
        self.sessions[sid] = session
        return session

    def _expire_session(self, session_id: str) -> tuple[int, dict]:
        session = self.sessions.get(session_id)
        if session is None:
            return self._found(None)
        if session["status"] != "open":
            return 400, {"error": {"type": "invalid_request_error", "code": "checkout_session_expire_failed",
                                   "message": "Only Checkout Sessions with a status in [\"open\"] can be "
                                              "expired."}}
        session.update(status="expired")
        return 200, session

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 400, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "param": "payment_intent",
                                   "message": "No such payment_intent (fake)"}}
        charge = self.charges[intent["latest_charge"]]
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount > charge["amount"] - charge["amount_refunded"]:
            return 400, {"error": {"type": "invalid_request_error", "code": "amount_too_large",
                                   "param": "amount",
                                   "message": "Refund amount is greater than unrefunded amount"}}
        refund = build(
            "refund", id=self._id("re"), amount=amount, currency=charge["currency"], charge=charge["id"],
            payment_intent=intent["id"], status=self.refund_status, reason=params.get("reason"),
            created=int(time.time()),
            metadata={k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.refunds[refund["id"]] = refund
        return 200, refund

    # ---- what happens at Stripe's end (the buyer pays, a refund settles) -------------------

    def pay(self, session_id: str, *, payment_status: str = "paid", amount: int | None = None,
            currency: str | None = None, method: str = "card", settle_in: str | None = None,
            settle_rate: float = 1.0) -> dict:
        """The buyer completes the Checkout page: returns the session as the event carries it.
        `settle_in` is the account's settlement currency (a CNY charge on a Hong Kong account
        settles in HKD at `settle_rate`)."""
        session = self.sessions[session_id]
        amount = session["amount_total"] if amount is None else amount
        currency = currency or session["currency"]
        pi, ch = self.add_charge(amount, currency, dict(session["metadata"]), paid=payment_status == "paid",
                                 method=method, settle_in=settle_in, settle_rate=settle_rate)
        session.update(status="complete", payment_status=payment_status, payment_intent=pi,
                       amount_total=amount, currency=currency, payment_method_types=[method])
        return dict(session)

    def add_charge(self, amount: int, currency: str, metadata: dict, *, paid: bool = True,
                   method: str = "card", settle_in: str | None = None, settle_rate: float = 1.0,
                   ids: tuple[str, str] | None = None) -> tuple[str, str]:
        """A charge (with its PaymentIntent and balance transaction) at Stripe: (pi, ch) ids."""
        pi, ch = ids or (self._id("pi"), self._id("ch"))
        txn = self._id("txn")
        settled = round(amount * settle_rate)
        fee = settled * self.fee_bps // 10000
        now = int(time.time())
        self.balance_transactions[txn] = build(
            "balance_transaction", id=txn, amount=settled, currency=settle_in or currency, fee=fee,
            net=settled - fee, type="charge", source=ch, created=now)
        self.charges[ch] = build(
            "charge", id=ch, amount=amount, amount_captured=amount, amount_refunded=0, currency=currency,
            paid=paid, refunded=False, status="succeeded" if paid else "pending", payment_intent=pi,
            balance_transaction=txn, created=now, metadata=metadata, captured=paid,
            payment_method_details={"type": method})
        self.intents[pi] = build(
            "payment_intent", id=pi, amount=amount, currency=currency, created=now,
            status="succeeded" if paid else "processing", latest_charge=ch, metadata=metadata)
        return pi, ch

    def succeed(self, session_id: str) -> dict:
        """An asynchronous payment (Alipay, WeChat Pay) of a completed session went through."""
        session = self.sessions[session_id]
        intent = self.intents[session["payment_intent"]]
        charge = self.charges[intent["latest_charge"]]
        intent.update(status="succeeded")
        charge.update(paid=True, captured=True, status="succeeded")
        session.update(payment_status="paid")
        return dict(session)

    def expire(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        session.update(status="expired")
        return dict(session)

    def settle_refund(self, refund_id: str, status: str = "succeeded", failure_reason=None) -> dict:
        refund = self.refunds[refund_id]
        refund.update(status=status, failure_reason=failure_reason)
        if status == "failed":
            charge = self.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
        return dict(refund)

    def dashboard_refund(self, session_id: str, amount: int | None = None) -> dict:
        """Someone refunds in the Stripe Dashboard (no metadata of ours): the refund object."""
        intent = self.sessions[session_id]["payment_intent"]
        params = {"payment_intent": intent}
        if amount is not None:
            params["amount"] = str(amount)
        return dict(self._create_refund(params)[1])

    def dispute(self, session_id: str, *, amount: int | None = None, reason: str = "fraudulent") -> dict:
        """The buyer's bank opens a dispute on the session's charge (the money is withdrawn)."""
        intent = self.intents[self.sessions[session_id]["payment_intent"]]
        charge = self.charges[intent["latest_charge"]]
        charge["disputed"] = True
        dispute = build(
            "dispute", id=self._id("dp"), amount=charge["amount"] if amount is None else amount,
            currency=charge["currency"], charge=charge["id"], payment_intent=intent["id"], reason=reason,
            status="needs_response", created=int(time.time()), is_charge_refundable=False, metadata={})
        self.disputes[dispute["id"]] = dispute
        return dict(dispute)

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        """The bank decides: "won" (the money comes back) or "lost" (it stays with the buyer)."""
        dispute = self.disputes[dispute_id]
        dispute.update(status=status)
        return dict(dispute)

    def charge_for(self, session_id: str) -> dict:
        return dict(self.charges[self.intents[self.sessions[session_id]["payment_intent"]]["latest_charge"]])


# ---- events ---------------------------------------------------------------------------------

_event_ids = itertools.count(1)


def event(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None,
          api_version: str | None = API_VERSION) -> dict:
    """A webhook event as Stripe renders it at the pinned version (or at `api_version`)."""
    if event_type not in stripe_schema.event_types():
        raise AssertionError(f"no event type {event_type!r} at {stripe_schema.SCHEMA_VERSION}")
    return build(
        "event", id=event_id or f"evt_test_{next(_event_ids):08d}", api_version=api_version,
        created=created or int(time.time()), livemode=False, type=event_type, pending_webhooks=1,
        request={"id": None, "idempotency_key": None}, data={"object": obj},
    )


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def signed(evt: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    """Body and headers for posting `evt` to the webhook endpoint."""
    payload = json.dumps(evt)
    return payload.encode(), {"Stripe-Signature": sign(payload, secret, timestamp),
                              "Content-Type": "application/json"}
