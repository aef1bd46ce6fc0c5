"""The Starlette application: the route table (web/routes.py), middleware and the lifespan
that builds services."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from capacity.db import create_engine, private_folder, session_factory
from capacity.geocoder import Gazetteer
from web import auth, chat, events
from web.auth import SESSION_COOKIE, SESSION_HOURS
from web.chat import Chat, Transcripts
from web.config import Settings
from web.ops import Metrics, MetricsMiddleware
from web.problems import EXCEPTION_HANDLERS
from web.ratelimit import RateLimiter
from web.routes import ROUTES
from web.services import Services
from web.templating import Pages

# Everything a page needs comes from our own origin: no CDN, font, map tile or analytics.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CSP.encode()),
    (b"permissions-policy", b"geolocation=(self), camera=(), microphone=(), interest-cohort=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Adds the headers every response carries (pages may set a wider CSP themselves)."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.headers = [*SECURITY_HEADERS, HSTS] if https else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def secret_key(settings: Settings) -> str:
    """HAVN_SECRET_KEY, or one generated once into the data folder (the embedded default)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        private_folder(settings.data_dir)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    path.chmod(0o600)  # also a key written before keys were kept private
    return path.read_text(encoding="utf-8").strip()


def create_app(settings: Settings | None = None) -> Starlette:
    """The app; settings default to the environment's. Services start in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if config.uses_sqlite:
            private_folder(config.data_dir)
        engine = create_engine(config.database_url)
        services = Services(
            settings=config,
            engine=engine,
            sessions=session_factory(engine),
            gazetteer=Gazetteer.packaged(),
            redis=Redis.from_url(config.redis_url) if config.redis_url else None,
        )
        await services.start()
        services.feed.on_change = metrics.updates.inc
        app.state.services = services
        app.state.secret_key = key
        app.state.pages = Pages()
        app.state.metrics = metrics
        bot_client = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=2.0))
        app.state.chat = Chat(
            bot_url=config.bot_url,
            transcripts=Transcripts(config.chat_hours, services.redis),
            client=bot_client,
            limiter=RateLimiter(chat.PER_CHAT_PER_MINUTE, 60, services.redis),
            secret=secret_key(config).encode(),
        )
        try:
            with events.streams_end_on_exit(services.feed):
                yield {}
        finally:
            await bot_client.aclose()
            await services.stop()

    config = settings or Settings.from_environ()
    key = secret_key(config)
    metrics = Metrics()
    # Only a listed proxy may say who the client is; anyone else's X-Forwarded-For is ignored.
    proxies = [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(config.trusted_proxies))]
    return Starlette(
        routes=ROUTES,
        middleware=[
            *proxies,
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(SecurityHeaders, https=config.https),
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
                https_only=config.https,
            ),
        ],
        exception_handlers={**EXCEPTION_HANDLERS, auth.SetupNeeded: auth.setup_needed},
        lifespan=lifespan,
    )
