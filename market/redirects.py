"""Where a `next` parameter may send someone: only to a path on this site."""

from urllib.parse import urlsplit


def local_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\\t/evil.example" and
    "/\\\\evil.example" would leave the site; such characters make the target unsafe here.
    """
    target = target or ""
    if any(ord(ch) < 32 or ch in "\\\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target
