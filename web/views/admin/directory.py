"""The aftercare services directory (capacity.aftercare): adding and editing a service."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from capacity import aftercare
from capacity.models import User
from web.state import services
from web.views.admin.page import Form, text

AFTERCARE_FIELDS = (
    "country",
    "municipality_code",
    "kind",
    "name",
    "who_for",
    "phone",
    "website",
    "source",
    "source_date",
)
NEW_FORM = Form("aftercare-new", frozenset(AFTERCARE_FIELDS))
EDIT_FORM = Form("aftercare-{service_id}", frozenset(AFTERCARE_FIELDS))


def _aftercare_values(data: FormData) -> dict[str, Any]:
    return {name: text(data, name, 600) for name in AFTERCARE_FIELDS}


async def add_aftercare(request: Request, user: User, data: FormData) -> dict[str, Any]:
    svc = services(request)
    async with svc.session() as session:
        service = await aftercare.add_service(
            session, _aftercare_values(data), svc.gazetteer, actor=user.username
        )
        await session.commit()
        return {"message": f"Aftercare service {service.name} added."}


async def edit_aftercare(request: Request, user: User, data: FormData) -> dict[str, Any]:
    svc = services(request)
    async with svc.session() as session:
        service = await aftercare.update_service(
            session,
            request.path_params["service_id"],
            _aftercare_values(data),
            svc.gazetteer,
            actor=user.username,
        )
        await session.commit()
        return {"message": f"Aftercare service {service.name} saved."}
