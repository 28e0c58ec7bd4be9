"""A fake Stripe, plugged in at stripe-python's HTTP client, for tests and benchmarks.

It answers the few endpoints the market uses with realistic JSON (Checkout Session create,
retrieve and expire, Refund create and list, Charge list and retrieve, PaymentIntent retrieve,
Balance Transaction retrieve), records every request with its headers (so tests can assert the
Idempotency-Key, amounts, currency and metadata we send), and can be told to answer 500 or to time
out. Like Stripe, it replays the stored answer for a repeated idempotency key, and refuses
(400 idempotency_error) a key used again with other parameters. Any other path gets a 404 JSON
error: nothing ever reaches the network.

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
from stripe import WebhookSignature
from stripe._http_client import HTTPClient

WEBHOOK_SECRET = "whsec_test_secret"
SECRET_KEY = "sk_test_fake"


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict
    headers: dict
    idempotency_key: str | None = field(default=None)
    in_transaction: bool = False


class FakeStripe(HTTPClient):
    name = "fake-stripe"

    def __init__(self, refund_status: str = "pending", fee_bps: int = 340):
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.balance_transactions: dict[str, dict] = {}
        self.refund_status = refund_status
        self.fee_bps = fee_bps
        self._failures: list[tuple[str, str]] = []  # (path prefix, "500" | "timeout")
        self._replies: dict[str, tuple[tuple, str, int]] = {}  # key → (request, answer, status)
        self._ids = itertools.count(1)
        self.probe = None

    # ---- test controls -------------------------------------------------------------------

    def fail_next(self, path_prefix: str, kind: str = "500", times: int = 1) -> None:
        """The next `times` requests whose path starts with `path_prefix` fail: "500", "timeout"
        (nothing done), or "lost" (done at Stripe and stored for the key, but the answer is lost)."""
        self._failures.extend([(path_prefix, kind)] * times)

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
        params = dict(parse_qsl(body or parts.query, keep_blank_values=True))
        headers = dict(headers or {})
        key = headers.get("Idempotency-Key")
        method = method.upper()
        in_transaction = bool(self.probe and self.probe())
        self.requests.append(RecordedRequest(method, parts.path, params, headers, key, in_transaction))
        lost = False
        for i, (prefix, kind) in enumerate(self._failures):
            if parts.path.startswith(prefix):
                del self._failures[i]
                if kind == "lost":  # Stripe does the work, the answer never arrives
                    lost = True
                    break
                if kind == "timeout":
                    raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
                return self._answer({"error": {"type": "api_error", "message": "fake 500"}}, 500)
        signature = (method, parts.path, tuple(sorted(params.items())))
        if key and key in self._replies:
            first, text, status = self._replies[key]
            if first != signature:
                return self._answer({"error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same "
                               f"parameters they were first used with. Try using a key other than "
                               f"'{key}' if you meant to execute a different request."}}, 400)
            return text, status, {"Request-Id": "req_replay", "Idempotent-Replayed": "true"}
        status, payload = self._route(method, parts.path, params)
        text, status, rheaders = self._answer(payload, status)
        if key and method == "POST":
            self._replies[key] = (signature, text, status)
        if lost:
            raise stripe.APIConnectionError("Request timed out (fake)", should_retry=True)
        return text, status, rheaders

    def request_stream(self, *args, **kwargs):
        raise NotImplementedError

    def _answer(self, payload: dict, status: int):
        return json.dumps(payload), status, {"Request-Id": f"req_{next(self._ids)}",
                                             "Content-Type": "application/json"}

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
        if "charge" in params:
            items = [o for o in items if o.get("charge") == params["charge"]]
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
        methods = [v for k, v in sorted(params.items()) if k.startswith("payment_method_types[")]
        sid = self._id("cs")
        session = {
            "id": sid, "object": "checkout.session", "mode": "payment", "status": "open",
            "payment_status": "unpaid", "amount_subtotal": total, "amount_total": total,
            "currency": params.get("currency") or params.get("line_items[0][price_data][currency]"),
            "client_reference_id": params.get("client_reference_id"), "metadata": metadata,
            "expires_at": int(params.get("expires_at") or time.time() + 86400),
            "created": int(time.time()), "livemode": False, "payment_intent": None,
            "payment_method_types": methods or ["card"], "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"), "customer_email": params.get("customer_email"),
            "url": f"https://checkout.stripe.com/c/pay/{sid}#fake",
        }
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
                                   "message": "No such payment_intent (fake)"}}
        charge = self.charges[intent["latest_charge"]]
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount > charge["amount"] - charge["amount_refunded"]:
            return 400, {"error": {"type": "invalid_request_error", "code": "amount_too_large",
                                   "message": "Refund amount is greater than unrefunded amount"}}
        refund = {
            "id": self._id("re"), "object": "refund", "amount": amount, "currency": charge["currency"],
            "charge": charge["id"], "payment_intent": intent["id"], "status": self.refund_status,
            "reason": params.get("reason"), "created": int(time.time()), "balance_transaction": None,
            "failure_reason": None,
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
        }
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
        self.balance_transactions[txn] = {
            "id": txn, "object": "balance_transaction", "amount": settled,
            "currency": settle_in or currency, "fee": fee, "net": settled - fee, "type": "charge",
            "source": ch, "created": int(time.time()),
        }
        self.charges[ch] = {
            "id": ch, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "currency": currency, "paid": paid,
            "refunded": False, "status": "succeeded" if paid else "pending",
            "payment_intent": pi, "balance_transaction": txn, "created": int(time.time()),
            "metadata": metadata, "payment_method_details": {"type": method},
        }
        self.intents[pi] = {"id": pi, "object": "payment_intent", "amount": amount, "currency": currency,
                            "status": "succeeded" if paid else "processing",
                            "latest_charge": ch, "metadata": metadata}
        return pi, ch

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

    def charge_for(self, session_id: str) -> dict:
        return dict(self.charges[self.intents[self.sessions[session_id]["payment_intent"]]["latest_charge"]])


# ---- events ---------------------------------------------------------------------------------

_event_ids = itertools.count(1)


def event(event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_ids):08d}", "object": "event",
        "api_version": "2025-03-31.basil", "created": created or int(time.time()), "livemode": False,
        "type": event_type, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "data": {"object": obj},
    }


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def signed(evt: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    """Body and headers for posting `evt` to the webhook endpoint."""
    payload = json.dumps(evt)
    return payload.encode(), {"Stripe-Signature": sign(payload, secret, timestamp),
                              "Content-Type": "application/json"}
