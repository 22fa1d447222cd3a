"""gunicorn settings shared by the Procfile, `make run` and the benchmarks.

Worker class: gevent. The live order board holds Server-Sent-Events streams
open for minutes; with sync or gthread workers each open stream pins a worker
or thread and enough open boards starve every other request. gevent serves each
connection on a greenlet, so many open streams cost little. psycopg 3 detects
gevent's monkey-patching and waits on the database cooperatively.
"""

import gc
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


def post_worker_init(worker):
    """Check the gevent set-up once the app is loaded, let open board streams end as
    soon as this worker is told to stop (bizkit.orders.live.keep_streaming), and take
    what the app loaded out of the garbage collector's full collections."""
    freeze_loaded_objects(worker)
    from bizkit.orders import live

    live.keep_streaming = lambda: worker.alive
    if worker_class == "gevent":
        from gevent import monkey
        from psycopg import waiting

        if not monkey.is_module_patched("socket") or waiting.wait is waiting.wait_c:
            # psycopg chooses its wait function when first imported: imported before
            # gevent patched the process, every query would block the whole worker.
            worker.log.error("gevent worker is not patched: database waits would block")
        else:
            worker.log.info("gevent: psycopg waits cooperatively (%s)", waiting.wait.__name__)


def freeze_loaded_objects(worker):
    """Move every object alive once the app is loaded (modules, the ORM's mappers, Babel's
    data, ~156,000 objects) to the collector's permanent generation. They live as long
    as the worker, yet each full collection walked them all: ~125 ms on the benchmark
    machine (2 cores, AMD EPYC), during which the worker and every request it holds
    stand still; one came every few hundred requests. Frozen, a full collection walks
    only what requests created since (well under 1 ms). Objects stay collectable by
    reference counting; only cycles among them are no longer looked for, and the app's
    start-up objects are not freed before the worker stops anyway."""
    gc.collect()
    gc.freeze()
    worker.log.info("gc: %d objects of the loaded app frozen", gc.get_freeze_count())
