"""A stand-in for an S3-compatible object store: moto's standalone server (`moto[server]`, a dev
dependency) run as a subprocess on a free local port. No object store is installed on these
machines and nothing is downloaded: moto answers the S3 API from memory.

    with MotoS3() as s3:
        s3.env  # STORAGE_URL, STORAGE_ENDPOINT_URL and fake credentials for a fresh bucket
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoS3:
    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> MotoS3:
        env = {**os.environ, **CREDENTIALS}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto's server stopped at start")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("moto's server did not start in 30 s")

    def __exit__(self, *_exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self):
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1",
        ).client("s3", endpoint_url=self.endpoint)

    def new_bucket(self) -> str:
        name = f"market-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "") -> dict:
        """App settings for a storage in `bucket` (credentials come from the environment)."""
        return {"STORAGE_URL": f"s3://{bucket}/{prefix}".rstrip("/"), "STORAGE_ENDPOINT_URL": self.endpoint,
                "STORAGE_REGION": "us-east-1"}
