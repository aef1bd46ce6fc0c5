"""The public directory as an open-data export (Open Referral HSDS 3.1 JSON)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from capacity.exchange.hsds import export_hsds
from web.state import services


async def hsds(request: Request) -> Response:
    """The public directory as Open Referral HSDS JSON (no secret fields)."""
    gazetteer = services(request).gazetteer

    def name(code: str) -> str | None:
        place = gazetteer.municipality(code)
        return place.municipality if place else None

    async with services(request).session() as session:
        document = await export_hsds(session, name)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})
