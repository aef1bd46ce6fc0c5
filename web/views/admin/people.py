"""Users and API tokens: creating them, new passwords, deactivation, two-factor resets."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from capacity import accounts, signin
from capacity.models import User
from web.params import known_id
from web.state import services
from web.views.admin.page import text


async def create_user(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        created = await accounts.create_user(
            session,
            username=text(data, "username", 120),
            display_name=text(data, "display_name", 120),
            role=text(data, "role", 12),
            centre_id=text(data, "centre_id", 64) or None,
            password=str(data.get("password", "")),
            actor=user.username,
        )
        await session.commit()
        return {
            "message": f"User {created.username} created; they choose a password at first login."
        }


async def reset_password(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        target = await accounts.get_user(session, known_id(request.path_params["user_id"], "user"))
        await accounts.set_password(
            session, target, str(data.get("password", "")), actor=user.username, must_change=True
        )
        await signin.end_sessions(session, target, actor=user.username, reason="password_reset")
        await session.commit()
        return {"message": f"New temporary password set for {target.username}."}


async def set_active(request: Request, user: User, data: FormData) -> dict[str, Any]:
    """Deactivate (ending every session at once) or reactivate a user."""
    active = text(data, "active", 5) == "true"
    async with services(request).session() as session:
        target = await accounts.get_user(session, request.path_params["user_id"])
        await accounts.set_active(session, target, active, actor=user.username)
        if not active:
            await signin.end_sessions(session, target, actor=user.username, reason="deactivated")
        await session.commit()
        state = "reactivated" if active else "deactivated"
        return {"message": f"User {target.username} {state}."}


async def reset_two_factor(request: Request, user: User, data: FormData) -> dict[str, Any]:
    """Switch a user's two-factor sign-in off (a lost phone); their sessions end."""
    async with services(request).session() as session:
        target = await accounts.get_user(session, request.path_params["user_id"])
        await signin.reset_two_factor(session, target, actor=user.username)
        await signin.end_sessions(session, target, actor=user.username, reason="two_factor_reset")
        await session.commit()
        return {"message": f"Two-factor sign-in switched off for {target.username}."}


async def create_token(request: Request, user: User, data: FormData) -> dict[str, Any]:
    async with services(request).session() as session:
        token, plain = await accounts.create_token(
            session,
            name=text(data, "name", 120),
            role=text(data, "role", 12),
            centre_id=text(data, "centre_id", 64) or None,
            actor=user.username,
        )
        await session.commit()
        return {"new_token": plain, "message": f"Token {token.name} created."}


async def revoke_token(request: Request, user: User, data: FormData) -> None:
    async with services(request).session() as session:
        await accounts.revoke_token(
            session, request.path_params["token_id"], actor=accounts.principal_for_user(user)
        )
        await session.commit()
