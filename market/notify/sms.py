"""Text messages: an interface for later, not implemented.

Many elders' families and some staff read SMS sooner than mail. When a provider is chosen, a
class with this shape is registered, each notification is also written to the outbox as an
`SmsProvider.send` call (with the same de-duplication key plus ":sms"), and the settings page
gains a "by text message" column. Until then nothing sends SMS.
"""

from __future__ import annotations

from typing import Protocol


class SmsProvider(Protocol):
    """What a text-message provider must offer the market."""

    name: str

    def send(self, phone: str, text: str, *, key: str) -> str:
        """Send `text` (at most 300 characters, already in the person's language) to `phone`
        (E.164, e.g. +8613800138000). `key` is the outbox key: a provider that supports
        idempotency passes it on, so a retried job never sends twice. Returns the provider's
        message id. Raises an exception on failure so that the outbox tries again."""
        ...
