"""Where stored files live: local disk (the default) or an S3-compatible object store.

Three areas, each a `Storage`: `uploads()` (listing and home photos, served publicly at
/media/<path>), `review_photos()` (buyers' review photos, served only while their review is
shown) and `receipts()` (spending receipts and grant documents, served only by views that check
who may see them). Keys are the relative paths `market.uploads` makes
(`ab/cdef….jpg`); the database stores the key, never a URL, so switching backends moves files
but no rows.

- `STORAGE_URL` empty (`make run`): files under `UPLOAD_ROOT`, `<UPLOAD_ROOT>-reviews` and
  `RECEIPT_ROOT` (default instance/uploads, instance/uploads-reviews and instance/receipts),
  served with `send_from_directory`.
- `STORAGE_URL=s3://bucket[/prefix]`: objects `prefix/<area>/<key>`
  through boto3, so every web server sees the same files. `STORAGE_ENDPOINT_URL` points at
  MinIO, Ceph, Alibaba OSS or any S3-compatible store; credentials come the usual boto3 way
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role). The bucket stays
  private: the market reads objects and serves them itself, with the same URLs, cache headers
  and access checks as from disk.
"""

from __future__ import annotations

import io
import mimetypes
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from flask import abort, current_app, send_file, send_from_directory

AREAS = ("uploads", "reviews", "receipts")


class Storage(Protocol):
    def write(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes | None: ...  # None: no such file

    def delete(self, *keys: str | None) -> None: ...  # missing files are fine

    def serve(self, key: str, *, max_age: int, mimetype: str | None = None,
              as_attachment: bool = False, download_name: str | None = None): ...  # 404 if missing


def safe_key(key: str) -> bool:
    """A relative path of plain segments: no absolute path, no `..`, no backslash, no NUL."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        return False
    return all(part not in ("", ".", "..") for part in key.split("/"))


class LocalStorage:
    """Files under one folder on this machine's disk."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str | None) -> Path | None:
        if not key or not safe_key(key):
            return None
        root = self.root.resolve()
        target = (root / key).resolve()
        return target if root in target.parents else None

    def write(self, key: str, data: bytes, content_type: str) -> None:
        target = self._path(key)
        if target is None:
            raise ValueError(f"not a storage key: {key!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes | None:
        target = self._path(key)
        if target is None or not target.is_file():
            return None
        return target.read_bytes()

    def delete(self, *keys: str | None) -> None:
        for key in keys:
            target = self._path(key)
            if target is not None:
                target.unlink(missing_ok=True)

    def serve(self, key: str, *, max_age: int, mimetype: str | None = None,
              as_attachment: bool = False, download_name: str | None = None):
        if self._path(key) is None:
            abort(404)
        return send_from_directory(self.root, key, max_age=max_age, mimetype=mimetype,
                                   as_attachment=as_attachment, download_name=download_name)


class S3Storage:
    """Objects under `prefix` in one bucket of an S3-compatible store."""

    def __init__(self, bucket: str, prefix: str, client_factory):
        self.bucket = bucket
        self.prefix = prefix
        self._client_factory = client_factory

    def __repr__(self) -> str:
        return f"S3Storage({self.bucket!r}, {self.prefix!r})"

    @property
    def client(self):
        return self._client_factory()

    def _key(self, key: str | None) -> str | None:
        return self.prefix + key if key and safe_key(key) else None

    def write(self, key: str, data: bytes, content_type: str) -> None:
        name = self._key(key)
        if name is None:
            raise ValueError(f"not a storage key: {key!r}")
        self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type)

    def _get(self, key: str) -> dict | None:
        name = self._key(key)
        if name is None:
            return None
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)
        except self.client.exceptions.NoSuchKey:
            return None

    def read(self, key: str) -> bytes | None:
        found = self._get(key)
        return None if found is None else found["Body"].read()

    def delete(self, *keys: str | None) -> None:
        names = [name for name in map(self._key, keys) if name]
        if names:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": n} for n in names],
                                                                   "Quiet": True})

    def serve(self, key: str, *, max_age: int, mimetype: str | None = None,
              as_attachment: bool = False, download_name: str | None = None):
        found = self._get(key)
        if found is None:
            abort(404)
        body = found["Body"].read()
        mimetype = mimetype or mimetypes.guess_type(key)[0] or "application/octet-stream"
        return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=as_attachment,
                         download_name=download_name or key.rsplit("/", 1)[-1], max_age=max_age,
                         etag=(found.get("ETag") or "").strip('"') or True,
                         last_modified=found.get("LastModified"))


class _ClientPerProcess:
    """One boto3 client per process (gunicorn forks after --preload; a client is thread-safe,
    its session is not shared across a fork)."""

    def __init__(self, endpoint_url: str | None, region: str | None):
        self.endpoint_url, self.region = endpoint_url, region
        self._lock = threading.Lock()
        self._pid, self._client = None, None

    def __call__(self):
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    import boto3
                    from botocore.config import Config as BotoConfig

                    session = boto3.session.Session()
                    self._client = session.client(
                        "s3", endpoint_url=self.endpoint_url, region_name=self.region,
                        config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"},
                                          connect_timeout=5, read_timeout=30,
                                          s3={"addressing_style": "path"}))
                    self._pid = os.getpid()
        return self._client


def build(config) -> dict[str, Storage]:
    """The storages of each area for these settings; raises ValueError on a bad STORAGE_URL."""
    url = (config.get("STORAGE_URL") or "").strip()
    if not url or url == "local":
        receipts = config.get("RECEIPT_ROOT") or Path(config["INSTANCE_DIR"]) / "receipts"
        uploads = Path(config["UPLOAD_ROOT"])
        return {"uploads": LocalStorage(uploads), "receipts": LocalStorage(receipts),
                "reviews": LocalStorage(uploads.with_name(uploads.name + "-reviews"))}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"STORAGE_URL must be empty or s3://bucket[/prefix], not {url!r}")
    prefix = parts.path.strip("/")
    prefix = f"{prefix}/" if prefix else ""
    client = _ClientPerProcess(config.get("STORAGE_ENDPOINT_URL") or None,
                               config.get("STORAGE_REGION") or None)
    return {area: S3Storage(parts.netloc, f"{prefix}{area}/", client) for area in AREAS}


_SETTINGS = ("STORAGE_URL", "STORAGE_ENDPOINT_URL", "STORAGE_REGION", "UPLOAD_ROOT", "RECEIPT_ROOT",
             "INSTANCE_DIR")


def init_app(app) -> None:
    """Check STORAGE_URL at start (a typo fails the start, not the first upload)."""
    build(app.config)


def _area(name: str) -> Storage:
    """Built on first use and again when a setting changes (tests point RECEIPT_ROOT elsewhere)."""
    settings = tuple(str(current_app.config.get(key) or "") for key in _SETTINGS)
    cached = current_app.extensions.get("storage")
    if cached is None or cached[0] != settings:
        cached = current_app.extensions["storage"] = (settings, build(current_app.config))
    return cached[1][name]


def uploads() -> Storage:
    """Photos, public at /media/<key>."""
    return _area("uploads")


def review_photos() -> Storage:
    """Buyers' review photos: beside the public uploads, not in them (so /media never serves
    them); the review's view serves them while the review is shown."""
    return _area("reviews")


def receipts() -> Storage:
    """Receipts and grant documents: private unless a view decides otherwise."""
    return _area("receipts")


def as_storage(root) -> Storage:
    """A Storage as it is, or a folder (a Path or str) as a LocalStorage."""
    return root if hasattr(root, "serve") else LocalStorage(root)
