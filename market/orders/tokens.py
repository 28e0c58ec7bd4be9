"""The hidden token of a checkout or refund form: the same form sent twice does one thing once."""

import re
import uuid

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_form_token() -> str:
    return uuid.uuid4().hex


def is_form_token(text: str | None) -> bool:
    return bool(TOKEN.match(text or ""))
