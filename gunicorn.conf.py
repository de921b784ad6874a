"""
gunicorn settings for production: `gunicorn forum.wsgi` reads this file from the working directory.

Every value can be overridden from the environment (GUNICORN_*) without editing the file.

What operators need from the server, at a cost that does not show under load:
- errors go to standard output (errorlog), like the application's own logs;
- slow requests are logged, one line each, with their duration (GUNICORN_SLOW_REQUEST_SECONDS):
  a line for every request, written by the worker that answers it, cost a quarter of what a cached
  page costs to serve; the reverse proxy keeps the access log. GUNICORN_ACCESS_LOG=- brings it back;
- a worker's memory stays bounded: it checks its resident size every few hundred requests and,
  past GUNICORN_MAX_WORKER_MEMORY_MB, finishes the request and is replaced. Recycling after a count
  of requests (max_requests) restarted each worker every few seconds under load, refilling its page
  cache and reconnecting to the database; a check of the memory itself recycles only a worker that
  grew.
"""

import multiprocessing
import os
import resource
import time

# Behind the reverse proxy on the same host; the proxy terminates TLS.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and the database is the limit. 2 per core + 1 is gunicorn's advice.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# The application is loaded and warmed up once (forum/wsgi.py), before the workers are forked: a
# replaced worker answers at once instead of importing Django and compiling templates again.
preload_app = True
# 0: no recycling by count; memory is bounded by post_request below. Still settable, for a leak
# found in production until it is fixed.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 0))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

SLOW_REQUEST_SECONDS = float(os.environ.get("GUNICORN_SLOW_REQUEST_SECONDS", 1.0))
MAX_WORKER_MEMORY_MB = float(os.environ.get("GUNICORN_MAX_WORKER_MEMORY_MB", 100))
# Reading the resident size costs a system call and a small file read: every few hundred requests
# is often enough to catch growth long before it matters.
MEMORY_CHECK_EVERY = int(os.environ.get("GUNICORN_MEMORY_CHECK_EVERY", 200))

_PAGE_SIZE = resource.getpagesize()


def resident_memory_mb():
    """This process's resident set size (Linux), in megabytes; None where /proc is missing."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE / (1024 * 1024)
    except OSError:
        return None


def pre_request(worker, req):
    req.started_at = time.perf_counter()


def post_request(worker, req, environ, resp):
    duration = time.perf_counter() - getattr(req, "started_at", time.perf_counter())
    if duration >= SLOW_REQUEST_SECONDS:
        worker.log.warning(
            "Slow request: %s %s answered %s in %.2f s",
            req.method,
            req.path,
            getattr(resp, "status", "?"),
            duration,
        )
    worker.requests_handled = getattr(worker, "requests_handled", 0) + 1
    if worker.requests_handled % MEMORY_CHECK_EVERY:
        return
    memory = resident_memory_mb()
    if memory is not None and memory > MAX_WORKER_MEMORY_MB:
        worker.log.warning(
            "Worker %s uses %.0f MB (limit %.0f MB): replaced after this request",
            worker.pid,
            memory,
            MAX_WORKER_MEMORY_MB,
        )
        # The sync worker finishes the request in hand, then exits; the arbiter starts another.
        worker.alive = False
