"""The fake Stripe (tests/stripe_fake.py) served over HTTP on a local port, for tests and
benchmarks whose Stripe calls are made by another process (a `flask worker`): that process is
pointed at it with STRIPE_API_BASE=http://127.0.0.1:<port>.

Every request is handed to the same FakeStripe object the test holds, so its state (sessions,
charges, refunds, the answers stored per idempotency key) is shared. `delay` holds the answer to
requests whose path starts with a prefix: the fake has done the work (and stored its answer for
the key, as Stripe does) before the wait, so a client killed during it never learns the answer.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

from tests.stripe_fake import FakeStripe


class FakeStripeServer:
    def __init__(self, fake: FakeStripe):
        self.fake = fake
        self.delays: dict[str, float] = {}  # path prefix -> seconds to wait before answering
        self.arrived = threading.Event()  # set when a delayed request has been processed
        self._lock = threading.Lock()  # the fake is not thread-safe: one request at a time
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name: value for name, value in self.headers.items()}
                with server._lock:
                    try:
                        text, status, reply_headers = server.fake.request(
                            self.command, f"http://fake{self.path}", headers, body)
                    except stripe.APIConnectionError:  # the fake's "timeout"/"lost": no answer
                        self.close_connection = True
                        return
                wait = next((s for prefix, s in server.delays.items() if self.path.startswith(prefix)), 0)
                if wait:
                    server.arrived.set()
                    time.sleep(wait)
                data = text.encode() if isinstance(text, str) else text
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeStripeServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
