"""Prometheus metrics of one gateway app: its own registry, HTTP metrics, and a place for more.

Each app gets a :class:`Metrics` (its own ``CollectorRegistry``, so two apps in one process, as
in tests, do not collide). Components add their gauges or counters with :meth:`Metrics.gauge` /
:meth:`Metrics.counter` (idempotent by name). Build one ``Metrics`` first and pass it both to
the components and to ``create_app(services, metrics=...)`` when a component needs it before
the app exists; otherwise use ``app.state.metrics`` or the ``MetricsDep`` dependency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

NAMESPACE = "credit_gateway"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"  # 404 probes must not create one series per scanned path


class Metrics:
    """A registry plus the gateway's HTTP request metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._made: dict[str, Any] = {}
        self.requests = self.counter(
            "http_requests",
            "HTTP requests by method, route template and status",
            ("method", "route", "status"),
        )
        self.latency = self.histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
        )

    def _make(self, kind: type, name: str, doc: str, labels: Sequence[str], **kw: Any) -> Any:
        with self._lock:
            existing = self._made.get(name)
            if existing is not None:
                if not isinstance(existing, kind):
                    raise ValueError(f"metric {name!r} already exists as {type(existing).__name__}")
                return existing
            metric = kind(
                name, doc, tuple(labels), namespace=NAMESPACE, registry=self.registry, **kw
            )
            self._made[name] = metric
            return metric

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        """A counter ``credit_gateway_<name>_total`` (the same object if already made)."""
        made: Counter = self._make(Counter, name, doc, labels)
        return made

    def gauge(
        self,
        name: str,
        doc: str,
        labels: Sequence[str] = (),
        *,
        read: Callable[[], float] | None = None,
    ) -> Gauge:
        """A gauge ``credit_gateway_<name>``; with ``read`` (no labels) it is sampled per scrape."""
        made: Gauge = self._make(Gauge, name, doc, labels)
        if read is not None:
            made.set_function(read)
        return made

    def histogram(
        self, name: str, doc: str, labels: Sequence[str] = (), *, buckets: Sequence[float] = ()
    ) -> Histogram:
        """A histogram ``credit_gateway_<name>`` (default buckets if none are given)."""
        kw = {"buckets": tuple(buckets)} if buckets else {}
        made: Histogram = self._make(Histogram, name, doc, labels, **kw)
        return made

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one HTTP request and its latency."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
