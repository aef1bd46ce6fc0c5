"""Setting up two-factor sign-in: an authenticator app (TOTP) and one-time recovery codes.

The QR code is drawn here (segno, an SVG data URI): no third-party service ever sees the
secret, and the page makes no external request.
"""

from __future__ import annotations

from typing import Any

import segno
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from capacity import signin
from capacity.errors import Unauthorized
from capacity.models import RecoveryCode, User
from web.auth import csrf_token, current_user, form, home_for, pages, services
from web.wording import N_

WRONG_FIRST_CODE = N_("That code is wrong. Check the time on your phone and try again.")


async def _render(
    request: Request, user: User, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "csrf": csrf_token(request),
        "error": None,
        "codes": None,
        "home": home_for(user),
        "enrolled": signin.enrolled(user),
        "qr": None,
        "secret": None,
        "codes_left": 0,
        "required": services(request).settings.two_factor_roles,
        **(extra or {}),
    }
    async with services(request).session() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        if not signin.enrolled(fresh):
            secret = await signin.begin_enrolment(session, fresh)
            await session.commit()
            qr = segno.make(signin.provisioning_uri(fresh), error="m")
            context["qr"] = qr.svg_data_uri(scale=4, dark="#000", light="#fff")
            context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        else:
            context["codes_left"] = await session.scalar(
                select(func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user.id)
            )
    return pages(request).render(
        request, "two_factor.html", context, status_code=status, private=True
    )


async def two_factor_page(request: Request) -> Response:
    user = await current_user(request, setup="two-factor")
    return await _render(request, user)


async def enrol(request: Request) -> Response:
    """Confirm the authenticator with its first code; show the recovery codes once."""
    user = await current_user(request, setup="two-factor")
    data = await form(request)
    async with services(request).session() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        if signin.enrolled(fresh):
            return await _render(request, fresh)
        try:
            codes = await signin.confirm_enrolment(session, fresh, str(data.get("code", ""))[:64])
        except Unauthorized:
            return await _render(request, fresh, {"error": WRONG_FIRST_CODE}, status=422)
        await session.commit()
    return await _render(request, fresh, {"codes": codes, "enrolled": True})


routes = [
    Route("/account/two-factor", two_factor_page, methods=["GET"]),
    Route("/account/two-factor", enrol, methods=["POST"]),
]
