"""Server-Sent Events: registry changes for open pages (dashboards, console, results)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from web.services import Services

HEARTBEAT_SECONDS = 15.0


async def events(request: Request) -> StreamingResponse:
    """`event: change` with the revision, action and centre of each committed change.

    `?centre=ID` narrows the stream to one centre. Carries nothing that is not public.
    """
    services: Services = request.app.state.services
    centre = request.query_params.get("centre") or None

    async def stream() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        async with services.feed.subscribe() as queue:
            while not await request.is_disconnected():
                try:
                    change = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if centre is not None and change.centre_id not in (centre, None):
                    continue
                data = {
                    "revision": change.revision,
                    "action": change.action,
                    "centre": change.centre_id,
                }
                yield f"id: {change.revision}\nevent: change\ndata: {json.dumps(data)}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


routes = [Route("/events", events, methods=["GET"])]
