"""Gaps in the registry: the municipalities no centre is confirmed to serve, the postcodes
answered approximately, and the one-click fix adding a municipality to a centre."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import exchange, gaps, registry
from capacity.errors import InvalidInput, NotFound
from capacity.models import User
from web.auth import csrf_token, current_user, form
from web.state import pages, services
from web.views.admin.page import text


async def gaps_page(request: Request) -> Response:
    """The municipalities whose responsible centre is not confirmed, each with a form adding it
    to a centre's served list, and the postcodes answered approximately."""
    user = await current_user(request, "admin")
    return await _gaps(request, user)


async def _gaps(
    request: Request, user: User, problem: str | None = None, status_code: int = 200
) -> Response:
    index = await services(request).index()
    found = gaps.find_gaps(services(request).gazetteer, index)
    open_centres = [c for c in index.centres if c.status == "open" and c.country == "NO"]
    choices = {
        gap.place.municipality_code: [
            c for c in open_centres if c.region == gap.place.county or c == gap.likely
        ]
        or open_centres
        for gap in found.municipalities
    }
    fixed = services(request).gazetteer.municipality(request.query_params.get("fixed", "")[:8])
    context = {
        "user": user,
        "gaps": found,
        "choices": choices,
        "postcode_fix": gaps.POSTCODE_FIX,
        "csrf": csrf_token(request),
        "problem": problem,
        "fixed": fixed,
    }
    return pages(request).render(
        request, "admin_gaps.html", context, status_code=status_code, private=True
    )


async def gaps_csv(request: Request) -> Response:
    await current_user(request, "admin")
    found = gaps.find_gaps(services(request).gazetteer, await services(request).index())
    return Response(
        gaps.write_gaps_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="havn-gaps.csv"'},
    )


async def fix_gap(request: Request) -> Response:
    """Add a municipality to the chosen centre's served list (audited as a centre edit)."""
    user = await current_user(request, "admin")
    data = await form(request)
    code = request.path_params["code"]
    place = services(request).gazetteer.municipality(code)
    try:
        if place is None:
            raise NotFound(f"Unknown municipality number {code[:8]!r}")
        async with services(request).session() as session:
            centre = await registry.get_centre(session, text(data, "centre_id", 64))
            if centre.status == "closed" or centre.country != place.country:
                raise InvalidInput(f"{centre.name} cannot serve {place.municipality}")
            serves = sorted({m.municipality_code for m in centre.municipalities} | {code})
            await exchange.update_centre(session, centre, {"serves": serves}, user.username)
            await services(request).commit_and_announce(session)
    except (InvalidInput, NotFound) as exc:
        status = 422 if isinstance(exc, InvalidInput) else 404
        return await _gaps(request, user, exc.message, status)
    return RedirectResponse(f"/admin/gaps?fixed={code}", status_code=303)
