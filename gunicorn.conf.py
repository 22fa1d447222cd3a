"""gunicorn settings shared by the Procfile, `make run` and the benchmarks.

Worker class: gevent. The live order board holds Server-Sent-Events streams
open for minutes; with sync or gthread workers each open stream pins a worker
or thread and enough open boards starve every other request. gevent serves each
connection on a greenlet, so many open streams cost little. psycopg 3 detects
gevent's monkey-patching and waits on the database cooperatively.
"""

import multiprocessing
import os

bind = os.environ.get("BIZKIT_BIND", "0.0.0.0:" + os.environ.get("PORT", "5000"))
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = os.environ.get("BIZKIT_WORKER_CLASS", "gevent")
worker_connections = int(os.environ.get("BIZKIT_WORKER_CONNECTIONS", "1000"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # BizKit logs one line per request itself, with the request id
