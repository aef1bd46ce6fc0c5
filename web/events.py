"""Server-Sent Events: registry changes for open pages (dashboards, console, results).

Anonymous visitors get only an opaque, coalesced "refresh" signal, and only for changes that
can alter a public page; staff, advisers and admins get each change they may see, precisely.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from types import FrameType
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from capacity.errors import Forbidden, Unauthorized
from capacity.models import User
from web import state
from web.auth import SetupNeeded, current_user
from web.feed import Change, ChangeFeed, FeedFull
from web.problems import problem

HEARTBEAT_SECONDS = 15.0
PUBLIC_SIGNAL_SECONDS = 5.0  # an anonymous stream gets at most one signal per this window
RETRY_AFTER_SECONDS = 30
PUBLIC_SIGNAL = "event: change\ndata: refresh\n\n"
REGISTRY = ("availability.", "centre.", "unit.", "hold.")
REFERRAL = ("referral.",)
# A new hold moves no public number (see SearchIndex.held): it must not wake a public page.
PRIVATE = ("hold.placed",)


def public_change(change: Change) -> bool:
    """Whether the change can alter a public page or public JSON."""
    return change.action.startswith(REGISTRY) and change.action not in PRIVATE


def may_see(user: User, change: Change) -> bool:
    """Whether this logged-in user's live stream carries the change."""
    if change.user is not None:
        return change.user == user.username  # an adviser's watch: theirs alone
    if user.role == "admin":
        return True
    if change.action.startswith(REFERRAL):
        # A centre sees its own requests change; `referral.sent` (no centre) is not its.
        return user.role == "adviser" or (
            user.role == "staff"
            and change.centre_id is not None
            and change.centre_id == user.centre_id
        )
    if not change.action.startswith(REGISTRY):
        return False  # accounts and tokens: administrators only
    if user.role == "adviser":
        return True
    return (
        user.role == "staff"
        and change.centre_id is not None
        and (change.centre_id == user.centre_id)
    )


async def viewer(request: Request) -> User | None:
    """The logged-in staff member, adviser or admin; None for everyone else."""
    if "sid" not in request.session:
        return None
    try:
        return await current_user(request, "staff", "adviser", "admin")
    except (Unauthorized, Forbidden, SetupNeeded):  # not (yet) allowed: the public stream
        return None


async def events(request: Request) -> Response:
    """`event: change` for each change the viewer may see (anonymous: "refresh", coalesced).

    A logged-in viewer's data is the revision, action and centre; `?centre=ID` narrows it to
    one centre. Beyond the worker's stream limit: 503 with Retry-After.
    """
    services = state.services(request)
    user = await viewer(request)
    centre = request.query_params.get("centre") or None
    try:
        queue = services.feed.open()
    except FeedFull:
        response = problem(503, "busy", "Too many live connections; the page still works.")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def wanted(change: Change) -> bool:
        if user is None:
            return public_change(change)
        if centre is not None and change.centre_id not in (centre, None):
            return False
        return may_see(user, change)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n\n"
            last_signal = -PUBLIC_SIGNAL_SECONDS
            pending = False  # an anonymous signal owed at the end of the window
            while True:
                wait = HEARTBEAT_SECONDS
                if pending:
                    wait = max(0.0, last_signal + PUBLIC_SIGNAL_SECONDS - time.monotonic())
                try:
                    change = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    if pending:
                        pending, last_signal = False, time.monotonic()
                        yield PUBLIC_SIGNAL
                    else:
                        yield ": keep-alive\n\n"
                    continue
                if change is None:
                    return  # the worker is shutting down: the browser reconnects elsewhere
                if not wanted(change):
                    continue
                if user is not None:
                    data = {
                        "revision": change.revision,
                        "action": change.action,
                        "centre": change.centre_id,
                    }
                    yield f"id: {change.revision}\nevent: change\ndata: {json.dumps(data)}\n\n"
                elif time.monotonic() - last_signal >= PUBLIC_SIGNAL_SECONDS:
                    last_signal = time.monotonic()
                    yield PUBLIC_SIGNAL
                else:
                    pending = True
        finally:
            services.feed.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        # Also when the stream never started (the client left at once): free the place.
        background=BackgroundTask(services.feed.unsubscribe, queue),
    )


@contextlib.contextmanager
def streams_end_on_exit(feed: ChangeFeed) -> Iterator[None]:
    """End every open stream as soon as the server is asked to stop (SIGTERM or SIGINT).

    uvicorn waits for open responses before it runs the lifespan's shutdown, and an event
    stream never finishes by itself: so the server's own signal handler is chained here, and
    the streams close first. Outside a server (tests, other threads) nothing is installed.
    """
    loop = asyncio.get_running_loop()
    chained: dict[signal.Signals, Any] = {}
    try:
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def on_exit(sig: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(feed.close)
                previous(sig, frame)

            signal.signal(number, on_exit)
            chained[number] = (previous, on_exit)
    except ValueError:  # not the main thread: the server handles signals elsewhere
        pass
    try:
        yield
    finally:
        for number, (previous, ours) in chained.items():
            if signal.getsignal(number) is ours:
                signal.signal(number, previous)
