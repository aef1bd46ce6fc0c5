"""Sessions, CSRF tokens and the principal behind each request (the account pages that
sign people in and out are web/views/account.py).

Sign-in policy (README, "Security"): only failures count. A client address may fail 30
times in 15 minutes; an account that failed 5 times in a row waits 1, 2, 4 … up to 60
seconds between tries. A browser that signed in to the account before (a signed cookie,
sent only to /login) skips both, so nobody can lock the owner out of their usual browser.
Sessions live in the database: logging out, a password change or deactivation ends them.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import accounts, signin
from capacity.accounts import Principal
from capacity.errors import Forbidden, HavnError, InvalidInput, Unauthorized
from capacity.models import User
from web.params import TooLarge, read_form
from web.state import services
from web.wording import N_

SHORT_PASSWORD = N_("A password has at least 12 characters.")
TOO_MANY = N_("Too many attempts. Wait a minute and try again.")
WRONG_LOGIN = N_("Wrong username or password.")
WRONG_CODE = N_("That code is wrong or was used already.")
LOGGED_OUT = N_("Too many wrong passwords: you were logged out. Log in again.")

SESSION_COOKIE = "havn_session"
SESSION_HOURS = 10  # a long shift; then log in again
DEVICE_COOKIE = "havn_device"
DEVICE_DAYS = 90
DEVICE_ACCOUNTS = 5  # a shared office computer remembers a few people
CODE_MINUTES = 5  # between the password and the authenticator code
MAX_FORM_BYTES = 64_000


class SetupNeeded(HavnError):
    """The account must first change its password or set up two-factor sign-in."""

    status = 403
    code = "setup_needed"


async def setup_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SetupNeeded)
    return RedirectResponse(exc.detail["location"], status_code=303)


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
    try:
        data = await read_form(request, max_bytes=max_bytes, max_fields=200, max_files=max_files)
    except TooLarge:
        raise InvalidInput("The form is too large", field="form") from None
    sent = data.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise Forbidden("The form has expired. Reload the page and try again.")
    if not hmac.compare_digest(sent, expected):
        raise Forbidden("The form has expired. Reload the page and try again.")
    return data


def needs_two_factor(request: Request, user: User) -> bool:
    """True when this account must set up two-factor sign-in before anything else."""
    required = user.role in services(request).settings.two_factor_roles
    return required and not signin.enrolled(user)


async def current_user(request: Request, *roles: str, setup: str | None = None) -> User:
    """The logged-in user, who must have one of `roles` (any role when none given).

    Until a temporary password is changed and (where required) two-factor sign-in is set up,
    only the pages for that are open: `setup="password"` is the password page, which skips
    both checks, `setup="two-factor"` the enrolment page. Raises Unauthorized (not logged
    in), SetupNeeded (redirect to the setup page) or Forbidden (wrong role).
    """
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        raise Unauthorized("Please log in")
    async with services(request).session() as session:
        user = await signin.session_user(session, sid)
    if user is None:
        request.session.clear()
        raise Unauthorized("Please log in")
    if setup != "password" and user.must_change_password:
        raise SetupNeeded("Choose your own password first", location="/account/password")
    if setup is None and needs_two_factor(request, user):
        raise SetupNeeded("Set up two-factor sign-in first", location="/account/two-factor")
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


def home_for(user: User) -> str:
    return {"staff": "/staff", "adviser": "/console", "admin": "/admin"}[user.role]
