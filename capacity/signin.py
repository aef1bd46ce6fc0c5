"""Signing in: server-side sessions, the per-account slow-down, TOTP and recovery codes.

A session is a random 256-bit id held by the browser; only its SHA-256 is stored, so a
database reader cannot take over a session and deleting the row ends it everywhere.
Failed sign-ins are counted on the user row: after `FREE_FAILURES` in a row each further
try must wait a delay that doubles up to `MAX_DELAY` seconds (the caller decides who may skip
it: a browser the owner already signed in from). TOTP follows RFC 6238 (30-second steps,
6 digits, one step of clock drift either way); a step once accepted is never accepted again.
Recovery codes are 80-bit random strings, stored as SHA-256 and deleted when used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit
from capacity.errors import Conflict, Unauthorized
from capacity.models import LoginSession, RecoveryCode, User, utcnow

FREE_FAILURES = 5
MAX_DELAY = 60.0
RECOVERY_CODES = 10
ISSUER = "Havn"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Sessions -------------------------------------------------------------------------------


async def start_session(session: AsyncSession, user: User, lifetime: timedelta) -> str:
    """A new session for `user`; returns the id for the cookie (stored only as a hash)."""
    now = utcnow()
    await session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now)
    )
    plain = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            id_hash=_digest(plain), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    return plain


async def session_user(session: AsyncSession, plain: str) -> User | None:
    """The active user of a live session, or None (unknown, ended or expired)."""
    if not plain or len(plain) > 100:
        return None
    found = await session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.id_hash == _digest(plain), LoginSession.expires_at > utcnow())
    )
    return found if found is not None and found.active else None


async def end_session(session: AsyncSession, plain: str) -> None:
    await session.execute(delete(LoginSession).where(LoginSession.id_hash == _digest(plain)))


async def end_sessions(
    session: AsyncSession, user: User, *, actor: str, keep: str | None = None, reason: str
) -> int:
    """End every session of `user` except `keep`; audited when any ended. Returns how many."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        query = query.where(LoginSession.id_hash != _digest(keep))
    ended = (await session.execute(query)).rowcount or 0  # type: ignore[attr-defined]
    if ended:
        audit.record(
            session,
            actor=actor,
            action="user.sessions_ended",
            entity="user",
            entity_id=str(user.id),
            centre_id=user.centre_id,
            before=None,
            after={"sessions": ended, "reason": reason},
        )
    return int(ended)


# Failed sign-ins ------------------------------------------------------------------------


def wait_seconds(user: User, now: datetime | None = None) -> float:
    """How long before this account may be tried again (0 when it may be tried now)."""
    if user.failed_logins < FREE_FAILURES or user.last_failed_login_at is None:
        return 0.0
    delay = min(2.0 ** (user.failed_logins - FREE_FAILURES), MAX_DELAY)
    elapsed = ((now or utcnow()) - user.last_failed_login_at).total_seconds()
    return max(0.0, delay - elapsed)


async def note_failure(session: AsyncSession, user: User) -> None:
    """Count one failed sign-in on the account (an atomic increment: workers share it)."""
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1, last_failed_login_at=utcnow())
    )


async def note_success(session: AsyncSession, user: User) -> None:
    if user.failed_logins:
        user.failed_logins = 0
        user.last_failed_login_at = None


# Two-factor -----------------------------------------------------------------------------


def enrolled(user: User) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def provisioning_uri(user: User) -> str:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


async def begin_enrolment(session: AsyncSession, user: User) -> str:
    """A fresh secret for an account not yet enrolled (kept until confirmed); raises Conflict."""
    if enrolled(user):
        raise Conflict("Two-factor sign-in is already set up")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def _step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is (the current one or one either side), or None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _claim_step(session: AsyncSession, user: User, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) was used already: a replay."""
    claimed = await session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def confirm_enrolment(session: AsyncSession, user: User, code: str) -> list[str]:
    """Switch two-factor on after a correct first code; returns the recovery codes (shown
    once). Raises Unauthorized for a wrong code, Conflict when already enrolled."""
    if enrolled(user) or user.totp_secret is None:
        raise Conflict("Two-factor sign-in is already set up")
    step = _step(user.totp_secret, code, utcnow())
    if step is None or not await _claim_step(session, user, step):
        raise Unauthorized("Wrong code")
    user.totp_confirmed_at = utcnow()
    codes = await _new_recovery_codes(session, user)
    audit.record(
        session,
        actor=user.username,
        action="user.two_factor_enabled",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before=None,
        after={"recovery_codes": len(codes)},
    )
    return codes


async def _new_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 16 x 4.95 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        session.add(RecoveryCode(code_hash=_digest(raw), user_id=user.id))
    return codes


async def verify_second_factor(session: AsyncSession, user: User, code: str) -> str:
    """Check an authenticator code or a recovery code; returns "totp" or "recovery".

    A used code (the same or an earlier time step, or a spent recovery code) is refused.
    Raises Unauthorized.
    """
    if not enrolled(user):
        raise Unauthorized("Two-factor sign-in is not set up")
    assert user.totp_secret is not None
    code = code.strip()[:64]
    step = _step(user.totp_secret, code, utcnow())
    if step is not None:
        if await _claim_step(session, user, step):
            return "totp"
        raise Unauthorized("This code was used already")
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    used = await session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(raw)
        )
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        raise Unauthorized("Wrong code")
    left = await session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)
    )
    audit.record(
        session,
        actor=user.username,
        action="user.recovery_code_used",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before=None,
        after={"recovery_codes_left": int(left or 0)},
    )
    return "recovery"


async def reset_two_factor(session: AsyncSession, user: User, *, actor: str) -> None:
    """Switch two-factor off for `user` (a lost phone); they enrol again. Audited."""
    was = enrolled(user)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        session,
        actor=actor,
        action="user.two_factor_reset",
        entity="user",
        entity_id=str(user.id),
        centre_id=user.centre_id,
        before={"two_factor": was},
        after={"two_factor": False},
    )


async def recovery_codes_left(session: AsyncSession, user: User) -> int:
    """How many unused recovery codes `user` has."""
    count = await session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)
    )
    return int(count or 0)
