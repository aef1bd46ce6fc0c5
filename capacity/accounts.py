"""People and integrations who may change the registry: users, roles, passwords, API tokens.

Passwords are hashed with Argon2id (argon2-cffi). API tokens are random 256-bit secrets:
only their SHA-256 is stored (a slow hash adds nothing for secrets of that strength), and the
plain token is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit
from capacity.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from capacity.models import ROLES, ApiToken, Centre, User, utcnow

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_PREFIX = "havn"  # noqa: S105 - a public marker, not a secret
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this when a user does not exist keeps the timing the same."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a logged-in user or an API token, with the role and centre it has."""

    name: str
    role: str
    centre_id: str | None = None

    def may_change(self, centre_id: str) -> bool:
        return self.role == "admin" or (self.role == "staff" and self.centre_id == centre_id)

    def require_centre(self, centre_id: str) -> None:
        """Raises Forbidden unless this principal may change `centre_id`."""
        if not self.may_change(centre_id):
            raise Forbidden("This account may not change this centre")

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden("This account may not do this")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )


def _user_record(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "centre_id": user.centre_id,
        "active": user.active,
    }


def _validate_role(session_role: str, centre_id: str | None) -> None:
    if session_role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}", field="role")
    if session_role == "staff" and not centre_id:
        raise InvalidInput("Centre staff belong to one centre", field="centre_id")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: str,
    centre_id: str | None,
    password: str,
    actor: str,
) -> User:
    """Add a user (audited, without the password); raises InvalidInput or Conflict."""
    username = username.strip().lower()
    if not username or len(username) > 120 or any(ch.isspace() for ch in username):
        raise InvalidInput("A username has 1 to 120 characters and no spaces", field="username")
    _validate_role(role, centre_id)
    if centre_id is not None and await session.get(Centre, centre_id) is None:
        raise InvalidInput(f"No centre {centre_id!r}", field="centre_id")
    exists = await session.scalar(select(func.count()).where(User.username == username))
    if exists:
        raise Conflict(f"The username {username!r} is taken")
    now = utcnow()
    user = User(
        username=username,
        display_name=display_name.strip()[:120] or username,
        role=role,
        centre_id=centre_id if role == "staff" else None,
        password_hash=hash_password(password),
        must_change_password=actor != username,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before=None,
        after=_user_record(user),
    )
    return user


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    """The active user with this username and password; raises Unauthorized otherwise."""
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    stored = user.password_hash if user is not None and user.active else _dummy_hash()
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        raise Unauthorized("Wrong username or password") from None
    if user is None or not user.active:
        raise Unauthorized("Wrong username or password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


async def set_password(
    session: AsyncSession, user: User, password: str, *, actor: str, must_change: bool
) -> None:
    """Set a new password (an administrator's reset, or the user's own change); audited."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="user.password_set",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before=None,
        after={"must_change_password": must_change},
    )


async def set_active(session: AsyncSession, user: User, active: bool, *, actor: str) -> bool:
    """Deactivate or reactivate `user` (audited); returns whether anything changed.

    The caller ends a deactivated user's sessions (capacity.signin.end_sessions).
    Raises Forbidden when an administrator would deactivate themselves.
    """
    if not active and user.username == actor:
        raise Forbidden("You cannot deactivate your own account")
    if user.active == active:
        return False
    before = _user_record(user)
    user.active = active
    audit.record(
        session,
        actor=actor,
        action="user.reactivated" if active else "user.deactivated",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before=before,
        after=_user_record(user),
    )
    return True


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    session: AsyncSession,
    *,
    name: str,
    role: str,
    centre_id: str | None,
    actor: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its plain text, which is shown once and never stored."""
    _validate_role(role, centre_id)
    if centre_id is not None and await session.get(Centre, centre_id) is None:
        raise InvalidInput(f"No centre {centre_id!r}", field="centre_id")
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        id=token_id,
        name=name.strip()[:120] or token_id,
        role=role,
        centre_id=centre_id if role == "staff" else None,
        secret_hash=_digest(secret),
        created_by=actor,
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(token)
    audit.record(
        session,
        actor=actor,
        action="token.created",
        entity="token",
        entity_id=token_id,
        centre_id=token.centre_id,
        before=None,
        after={
            "name": token.name,
            "role": role,
            "expires_at": expires_at and expires_at.isoformat(),
        },
    )
    return token, f"{TOKEN_PREFIX}_{token_id}_{secret}"


async def verify_token(
    session: AsyncSession, presented: str, now: datetime | None = None
) -> ApiToken:
    """The live token matching `presented`; raises Unauthorized (unknown, revoked, expired)."""
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(presented) > 200:
        raise Unauthorized("Not a Havn API token")
    token = await session.get(ApiToken, parts[1])
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(parts[2])):
        raise Unauthorized("Unknown API token")
    now = now or utcnow()
    if token.revoked_at is not None:
        raise Unauthorized("This API token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("This API token has expired")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now  # to the minute: no write on every request
    return token


async def revoke_token(session: AsyncSession, token_id: str, *, actor: Principal) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("No such token")
    if token.centre_id is not None:
        actor.require_centre(token.centre_id)
    else:
        actor.require_role("admin")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor.name,
            action="token.revoked",
            entity="token",
            entity_id=token.id,
            centre_id=token.centre_id,
            before=None,
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def principal_for_user(user: User) -> Principal:
    return Principal(name=user.username, role=user.role, centre_id=user.centre_id)


def principal_for_token(token: ApiToken) -> Principal:
    return Principal(name=f"token:{token.name}", role=token.role, centre_id=token.centre_id)


async def find_user(session: AsyncSession, username: str) -> User | None:
    """The user with this (lowercase) username, or None."""
    return await session.scalar(select(User).where(User.username == username))


async def list_users(session: AsyncSession) -> list[User]:
    """Every user, by username."""
    return list(await session.scalars(select(User).order_by(User.username)))


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    """Every API token, newest first (their digests only: a secret is shown once, at creation)."""
    return list(await session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


async def get_user(session: AsyncSession, user_id: int) -> User:
    """The user with this id; raises NotFound."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user
