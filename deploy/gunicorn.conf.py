"""gunicorn's settings for the desk: `gunicorn --config /etc/desk/gunicorn.conf.py wsgi:app`.

Sync workers, four on the two-core server docs/performance.md measured (more workers than
cores add no CPU; fewer leave a core idle while a worker waits on PostgreSQL). Each worker
starts one PIN hashing process of its own as it starts (desk.core.credentials's
hashing_process: argon2 at low priority, about 40 MiB, ending with its worker), so a worker
waiting on a hash uses no CPU; six workers would fit in memory (about 175 MiB a worker with
its hashing process), but were not shown to be faster on the shared machine measured. A
worker that takes longer than the timeout is killed and replaced: well inside Twilio's 15
seconds, so a stuck webhook is answered by Twilio's fallback URL rather than held.
GUNICORN_CMD_ARGS overrides any of these, as the topology test does for its ports
(tests/topology).
"""

import os
import shutil
from pathlib import Path
from typing import Any

bind = ["127.0.0.1:8000"]
workers = 4
worker_class = "sync"
timeout = 10
graceful_timeout = 20
# nginx keeps connections to the desk open; a little longer here than its own keepalive.
keepalive = 5
# A worker is replaced after this many requests, staggered, so that no leak grows for ever.
max_requests = 5000
max_requests_jitter = 500
# The desk writes one JSON line per request itself (desk.web.requestlog): no access log here,
# and gunicorn's own messages go out as JSON lines too.
accesslog = None
errorlog = "-"
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "desk.core.logs.JsonFormatter"}},
    "handlers": {
        "json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["json"], "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    """Start the metrics of multiprocess mode afresh: counts of a previous run's workers go."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(mode=0o700, parents=True)


def post_worker_init(worker: Any) -> None:
    """Start the worker's PIN hashing process as the worker starts, not on its first PIN."""
    app = worker.wsgi
    if hasattr(app, "app_context"):  # the desk (a Flask app), not some other WSGI callable
        from verification import pins

        try:
            with app.app_context():
                pins.hasher().start()
        except Exception:  # never keep a worker from serving: the first PIN starts it instead
            worker.log.exception("The PIN hashing process did not start; the first PIN will")


def child_exit(server: Any, worker: Any) -> None:
    """A worker that is gone no longer counts in the gauges of multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
