"""Operations: liveness, readiness and Prometheus metrics. No personal data in any of it.

`/healthz` is public (load balancers). `/readyz` and `/metrics` are for the operator only:
with HAVN_OPERATOR_TOKEN set they need `Authorization: Bearer <token>`; without it they
answer only direct requests from this machine (a loopback peer and no proxy's forwarding
header). Everyone else gets the same 404 as any unknown page.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from redis.exceptions import RedisError
from sqlalchemy import text
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from capacity.models import utcnow
from web import state


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "havn_http_requests_total",
            "HTTP requests",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "havn_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.updates = Counter(
            "havn_registry_changes_total",
            "Registry changes announced by this worker",
            registry=self.registry,
        )
        self.stale = Gauge(
            "havn_stale_units",
            "Units whose numbers are older than the staleness threshold",
            registry=self.registry,
        )
        self.sse = Gauge("havn_sse_subscribers", "Open event streams", registry=self.registry)
        self.redis_feed = Gauge(
            "havn_feed_redis_connected",
            "1 while this worker's change feed is subscribed to Redis (0: polling only)",
            registry=self.registry,
        )


# Labels stay a small, fixed set whatever a client sends: a made-up method is "other", a path
# no route matches is "unmatched", and matched paths are counted by their route template.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
FORWARDING = ("forwarded", "x-forwarded-for", "x-real-ip")


class MetricsMiddleware:
    """Counts requests by route template (never by raw path: paths may carry ids)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = _route_name(scope)
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests.labels(route, method, str(status)).inc()
            if route != "/events":
                self.metrics.latency.labels(route).observe(time.perf_counter() - start)


def _route_name(scope: Scope) -> str:
    app = scope.get("app")
    return _match(getattr(getattr(app, "router", None), "routes", []), scope, "")


def _match(routes: list[BaseRoute], scope: Scope, prefix: str) -> str:
    """The template of the route that handles `scope` ("/centres/{centre_id}"), through mounts."""
    for route in routes:
        match, child = route.matches(scope)
        if match != Match.FULL:
            continue
        if isinstance(route, Mount):
            if route.path == "/static":
                return "/static"
            return _match(route.routes, {**scope, **child}, prefix + route.path)
        return prefix + str(getattr(route, "path", "other"))
    return "unmatched"


def require_operator(request: Request) -> None:
    """Raise a plain 404 unless the request comes from the operator (see the module's doc)."""
    services = state.services(request)
    token = services.settings.operator_token
    if token is not None:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        allowed = scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        )
    else:
        allowed = _loopback(request.client.host if request.client else "") and not any(
            name in request.headers for name in FORWARDING
        )
    if not allowed:
        raise HTTPException(404)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when the database (and Redis, when configured) answer; 503 naming what does not."""
    require_operator(request)
    services = state.services(request)
    checks: dict[str, str] = {}
    try:
        async with services.session() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = type(exc).__name__
    if services.redis is not None:
        try:
            await services.redis.ping()
            checks["redis"] = "ok"
        except (RedisError, OSError) as exc:
            checks["redis"] = type(exc).__name__
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


async def metrics(request: Request) -> Response:
    require_operator(request)
    services = state.services(request)
    registry = state.metrics_of(request)
    index = await services.index()
    stale_before = (utcnow() - services.settings.stale_after).timestamp()
    registry.stale.set(int(((index.as_of < stale_before) & index.open).sum()))
    registry.sse.set(services.feed.subscribers)
    registry.redis_feed.set(1 if services.feed.redis_up else 0)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
