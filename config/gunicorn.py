"""gunicorn settings for one web server of the market (docs/deploy.md):

    gunicorn -c config/gunicorn.py wsgi:app

Each value can be changed by an environment variable, so one file serves every machine:
GUNICORN_BIND (127.0.0.1:8000, behind nginx), WEB_CONCURRENCY (worker processes; default 2 per
core, at most 8), GUNICORN_THREADS (threads per process; default 4: a request mostly waits on
PostgreSQL, Redis or the object store), GUNICORN_TIMEOUT (s). The app is loaded in each worker
after the fork (no --preload): database and Redis connections are never shared across a fork.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(8, 2 * multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a photo upload re-encodes in < 5 s
graceful_timeout = 30  # a restart lets requests in flight finish
keepalive = 5  # nginx keeps connections to us open between requests
max_requests = 5000  # a worker is replaced now and then: no slow leak lasts
max_requests_jitter = 500
preload_app = False
# Requests come from nginx on this machine; the market reads the client's address from
# X-Forwarded-For only when TRUSTED_PROXIES is set (market/edge.py), not from gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")  # "-": stdout, collected by journald
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "market-web")
limit_request_line = 8190
limit_request_fields = 100
