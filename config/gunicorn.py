"""gunicorn settings for one web server of the market (docs/deploy.md):

    gunicorn -c config/gunicorn.py wsgi:app

Each value can be changed by an environment variable, so one file serves every machine:
GUNICORN_BIND (127.0.0.1:8000: nginx in front), WEB_CONCURRENCY (worker processes; default
2 per core + 1, at most 9), GUNICORN_THREADS (threads per process; default 1: sync workers, as
the benchmarks run; nginx buffers slow clients), GUNICORN_TIMEOUT (s).

The app is loaded once in the master (preload: jieba's dictionary and the search lexicon are
shared by the workers' memory); each worker then drops any database connection the master
opened, so no connection is shared across a fork. Redis clients (redis-py) and the object
store's client (market/storage.py) make their own after a fork.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(9, 2 * multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a photo upload re-encodes in < 5 s
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))  # requests in flight finish
keepalive = 5  # nginx may keep connections to us open between requests
max_requests = 5000  # each worker is replaced now and then: no slow leak lasts
max_requests_jitter = 500
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# The client's address comes from nginx's X-Forwarded-For, read by the app itself only when
# TRUSTED_PROXIES is set (market/edge.py); gunicorn believes the header from this machine only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "-": stdout (journald); "": none
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "market-web")
limit_request_line = 8190
limit_request_fields = 100


def post_fork(server, worker):
    """A worker never uses a database connection the master opened while loading the app."""
    if not preload_app:
        return
    from market.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
