"""
gunicorn settings for production: `gunicorn forum.wsgi` reads this file from the working directory.

Every value can be overridden from the environment (GUNICORN_*) without editing the file.
"""

import multiprocessing
import os

# Behind the reverse proxy on the same host; the proxy terminates TLS.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and the database is the limit. 2 per core + 1 is gunicorn's advice.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound. The application is
# loaded and warmed up once (forum/wsgi.py), before the workers are forked: a recycled worker answers
# at once instead of importing Django and compiling templates again, which cost about a second of
# CPU every few thousand requests.
preload_app = True
# A worker serving cached pages goes through 2,000 requests in a few seconds under load; recycling
# every 10,000 keeps the refill of its page cache and database connection out of the way.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = 1000
# Logs to standard output, like the application's own.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
