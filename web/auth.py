"""Logging in and out, sessions, CSRF tokens and the principal behind each request."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from capacity import accounts
from capacity.accounts import Principal
from capacity.errors import Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from capacity.models import User
from web.params import whole
from web.ratelimit import key_for
from web.services import Services
from web.templating import Pages
from web.wording import N_

SHORT_PASSWORD = N_("A password has at least 12 characters.")

SESSION_COOKIE = "havn_session"
SESSION_HOURS = 10  # a long shift; then log in again
MAX_FORM_BYTES = 64_000


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_files: int = 0
) -> FormData:
    """The posted form after checking its CSRF token; raises Forbidden or InvalidInput."""
    length = request.headers.get("content-length")
    if length is not None:
        whole(length, "form", high=max_bytes, message="The form is too large")
    try:
        data = await request.form(max_files=max_files, max_fields=200, max_part_size=max_bytes)
    except Exception as exc:  # multipart parser errors come in many classes
        raise InvalidInput("The form could not be read", field="form") from exc
    sent = data.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise Forbidden("The form has expired. Reload the page and try again.")
    if not hmac.compare_digest(sent, expected):
        raise Forbidden("The form has expired. Reload the page and try again.")
    return data


async def current_user(request: Request, *roles: str) -> User:
    """The logged-in user, who must have one of `roles` (any role when none given).

    Raises Unauthorized (not logged in) or Forbidden (wrong role).
    """
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        raise Unauthorized("Please log in")
    async with services(request).session() as session:
        user = await session.get(User, user_id)
    if user is None or not user.active or request.session.get("pwd") != _stamp(user):
        request.session.clear()
        raise Unauthorized("Please log in")
    if roles and user.role not in roles:
        raise Forbidden("This account may not open this page")
    return user


async def api_principal(request: Request) -> Principal:
    """The principal of a bearer token; raises Unauthorized."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("Send an API token: Authorization: Bearer <token>")
    async with services(request).session() as session:
        token = await accounts.verify_token(session, presented)
        await session.commit()  # last_used_at
        return accounts.principal_for_token(token)


def _stamp(user: User) -> str:
    """Changes when the password changes, so a reset ends every other session."""
    return user.password_changed_at.isoformat()


def _safe_next(value: Any) -> str:
    """A local path to return to after login, or "" (never another site: no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return ""
    if "\\" in value or any(ord(ch) < 32 for ch in value) or len(value) > 500:
        return ""
    parts = urlsplit(value)
    return value if not parts.netloc and not parts.scheme else ""


def home_for(user: User) -> str:
    return {"staff": "/staff", "adviser": "/console", "admin": "/admin"}[user.role]


async def login_page(request: Request) -> Response:
    return services_pages(request).render(
        request,
        "login.html",
        {
            "csrf": csrf_token(request),
            "error": None,
            "next": _safe_next(request.query_params.get("next")),
        },
        private=True,
    )


async def login(request: Request) -> Response:
    data = await form(request)
    username = str(data.get("username", ""))[:120].strip().lower()
    password = str(data.get("password", ""))
    svc = services(request)
    client = request.client.host if request.client else "-"
    allowed = await svc.login_limiter.hit(
        key_for("user", username)
    ) and await svc.client_limiter.hit(key_for("client", client))
    error = None
    if not allowed:
        error = N_("Too many attempts. Wait 15 minutes and try again.")
        status = TooManyAttempts.status
    else:
        try:
            async with svc.session() as session:
                user = await accounts.authenticate(session, username, password)
                await session.commit()
            await svc.login_limiter.reset(key_for("user", username))
            request.session.clear()
            request.session.update({"uid": user.id, "pwd": _stamp(user)})
            csrf_token(request)
            target = _safe_next(data.get("next")) or home_for(user)
            if user.must_change_password:
                target = "/account/password"
            return RedirectResponse(target, status_code=303)
        except Unauthorized:
            error = N_("Wrong username or password.")
            status = 401
    return services_pages(request).render(
        request,
        "login.html",
        {"csrf": csrf_token(request), "error": error, "next": _safe_next(data.get("next"))},
        status_code=status,
        private=True,
    )


async def logout(request: Request) -> Response:
    await form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def password_page(request: Request) -> Response:
    user = await current_user(request)
    return services_pages(request).render(
        request,
        "password.html",
        {"user": user, "csrf": csrf_token(request), "error": None},
        private=True,
    )


async def change_password(request: Request) -> Response:
    user = await current_user(request)
    data = await form(request)
    new, repeat = str(data.get("new", "")), str(data.get("repeat", ""))
    error = None
    async with services(request).session() as session:
        try:
            await accounts.authenticate(session, user.username, str(data.get("current", "")))
            if new != repeat:
                raise InvalidInput(N_("The two new passwords differ."), field="repeat")
            fresh = await session.get(User, user.id)
            assert fresh is not None
            await accounts.set_password(session, fresh, new, actor=user.username, must_change=False)
            await session.commit()
            request.session["pwd"] = _stamp(fresh)
            return RedirectResponse(home_for(fresh), status_code=303)
        except Unauthorized:
            error = N_("Your current password is wrong.")
        except InvalidInput as exc:
            error = exc.message if exc.detail.get("field") == "repeat" else SHORT_PASSWORD
    return services_pages(request).render(
        request,
        "password.html",
        {"user": user, "csrf": csrf_token(request), "error": error},
        status_code=422,
        private=True,
    )


def services_pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account/password", password_page, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
]
