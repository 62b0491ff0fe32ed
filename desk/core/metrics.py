"""What the desk counts for Prometheus: one line at each point that counts, nothing else there.

Every label is drawn from a fixed vocabulary (an audit event's kind, a Flask endpoint's name,
a call's status): never an ID, a number, a name or a keyed digit, so a scrape tells how the
desk is doing and nothing about who called or whom they asked about.

Under gunicorn each worker counts in its own process; with PROMETHEUS_MULTIPROC_DIR set (see
deploy/gunicorn.conf.py) prometheus-client keeps the counts in files there, and a scrape adds
up every worker's. `exposition()` is what the /metrics view serves.
"""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from time import perf_counter

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from desk.core.audit.events import Event

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Webhooks must answer well inside Twilio's 15 s; the buckets look hardest below a second.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
AUDIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

CALLS = Counter("desk_calls_ended_total", "Calls that ended, by how they ended.", ["outcome"])
VERIFICATIONS = Counter(
    "desk_verifications_total", "Keypad verifications, by outcome.", ["outcome"]
)
SEARCHES = Counter("desk_searches_total", "Searches of the index, by outcome.", ["outcome"])
DISCLOSURES = Counter("desk_disclosures_total", "Uses of a child's record, by kind.", ["kind"])
AUDIT_EVENTS = Counter("desk_audit_events_total", "Audit log rows appended, by kind.", ["kind"])
AUDIT_APPEND = Histogram(
    "desk_audit_append_seconds", "Time to append one row to the audit log.", buckets=AUDIT_BUCKETS
)
WEBHOOKS = Histogram(
    "desk_webhook_seconds",
    "Time to answer one of Twilio's webhooks, by step of the call.",
    ["step"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "desk_http_requests_total", "Requests answered, by class of status (2xx, 4xx…).", ["status"]
)
TWILIO_ERRORS = Counter(
    "desk_twilio_rest_errors_total",
    "REST requests to Twilio that failed, by request and kind of failure.",
    ["request", "error"],
)

# What an audit event's kind says of the counts above: each kind counts in at most one. Calls
# are counted once each by their final status callback (call_ended), not by these.
_BY_KIND: dict[Event, tuple[Counter, str]] = {
    Event.VERIFICATION_SUCCEEDED: (VERIFICATIONS, "succeeded"),
    Event.VERIFICATION_FAILED: (VERIFICATIONS, "failed"),
    Event.VERIFICATION_INACTIVE: (VERIFICATIONS, "inactive"),
    Event.PRACTITIONER_LOCKED: (VERIFICATIONS, "locked"),
    Event.SEARCH_MADE: (SEARCHES, "made"),
    Event.SEARCH_REFUSED: (SEARCHES, "refused"),
    Event.RECORD_OPENED: (DISCLOSURES, "opened"),
    Event.RECORD_READ_BACK: (DISCLOSURES, "read_back"),
    Event.RECORD_BROKERED_CONTACT_REQUESTED: (DISCLOSURES, "brokered_contact"),
}


@contextmanager
def audit_append(kind: Event) -> Iterator[None]:
    """Time one append to the audit log, and count what its kind says happened."""
    began = perf_counter()
    yield
    AUDIT_APPEND.observe(perf_counter() - began)
    AUDIT_EVENTS.labels(kind=str(kind)).inc()
    if kind in _BY_KIND:
        counter, label = _BY_KIND[kind]
        counter.labels(label).inc()


def call_ended(status: str) -> None:
    """A call's status callback ended it: `status` is the desk's CallStatus value."""
    CALLS.labels(outcome=status).inc()


def webhook_answered(step: str, seconds: float) -> None:
    WEBHOOKS.labels(step=step).observe(seconds)


def request_answered(status_code: int) -> None:
    REQUESTS.labels(status=f"{status_code // 100}xx").inc()


def twilio_error(request: str, error: str) -> None:
    """`request`: the adapter's method; `error`: caller_gone, refused or unreachable."""
    TWILIO_ERRORS.labels(request=request, error=error).inc()


class Now(Collector):
    """Gauges read at the moment of the scrape (the queue, the checkpoint's age)."""

    def __init__(self, gauges: Iterable[tuple[str, str, float | None]]) -> None:
        self.gauges = list(gauges)

    def collect(self) -> Iterator[Metric]:
        for name, doc, value in self.gauges:
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=value)


def exposition(now: Now) -> bytes:
    """Every worker's counts (or this process's, without multiprocess mode), and `now`'s."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(now)
        return generate_latest(registry)
    registry.register(now)
    return generate_latest(REGISTRY) + generate_latest(registry)
