"""The registry's tables, as typed SQLAlchemy 2 ORM classes.

Every schema change is an Alembic migration (capacity/migrations); a test checks both agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CENTRE_STATUSES = ("open", "temporarily_closed", "closed")
UNIT_KINDS = ("women", "men", "transitional")
# Crisis beds: a person fleeing tonight is only ever offered these (capacity.search).
CRISIS_KINDS = ("women", "men")
# Who a person asks for a transitional flat (second-stage housing after the stay).
REFERRERS = ("centre", "municipality")
AFTERCARE_KINDS = (
    "centre_follow_up",
    "housing",
    "nav",
    "family_counselling",
    "legal_aid",
    "children",
    "peer_network",
    "aftercare_programme",
)
HOLD_STATUSES = ("active", "confirmed", "released", "expired")
ROLES = ("staff", "adviser", "admin")
AVAILABILITY_SOURCES = ("demo", "staff", "api", "import")
REFERRAL_STATUSES = ("pending", "placed", "expired", "withdrawn")
REQUEST_STATUSES = ("pending", "accepted", "declined", "withdrawn", "expired")
DECLINE_REASONS = ("no_place", "needs_not_met", "too_close_to_danger", "risk_assessment", "other")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite hands back naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Integer on SQLite keeps ROWID autoincrement; BIGINT elsewhere for a long-lived audit log.
EventId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Centre(Base):
    """A crisis centre. Its street address is never stored: the public point is approximate."""

    __tablename__ = "centres"
    __table_args__ = (
        CheckConstraint(_in("status", CENTRE_STATUSES), name="status"),
        CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="coords"
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(100))
    host_municipality: Mapped[str] = mapped_column(String(16))
    operator_type: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default="open")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Where the phone number is printed (an http(s) URL) and that page's date as it shows it.
    phone_source: Mapped[str | None] = mapped_column(String(300))
    phone_published: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[list[str]] = mapped_column(default=list)
    interpreter: Mapped[bool] = mapped_column(Boolean, default=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    intake_phone: Mapped[str | None] = mapped_column(String(40))
    adviser_notes: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    units: Mapped[list[Unit]] = relationship(
        back_populates="centre", order_by="Unit.kind.desc()", cascade="all, delete-orphan"
    )
    municipalities: Mapped[list[ServedMunicipality]] = relationship(
        back_populates="centre", cascade="all, delete-orphan"
    )


class ServedMunicipality(Base):
    """A municipality a centre serves: its residents' responsible centre."""

    __tablename__ = "served_municipalities"

    centre_id: Mapped[str] = mapped_column(
        ForeignKey("centres.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)

    centre: Mapped[Centre] = relationship(back_populates="municipalities")


class Unit(Base):
    """A centre's separate offer for women or for men, and what it can accommodate; or its
    transitional flats (second-stage housing after the stay: "beds" count flats)."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("centre_id", "kind"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="kind"),
        CheckConstraint(
            "beds >= 0 AND rooms >= 0 AND family_rooms >= 0 AND accessible_rooms >= 0",
            name="counts",
        ),
        CheckConstraint(f"referred_by IS NULL OR {_in('referred_by', REFERRERS)}", name="referrer"),
        CheckConstraint("stay_months IS NULL OR stay_months BETWEEN 1 AND 60", name="stay_months"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    centre_id: Mapped[str] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    beds: Mapped[int] = mapped_column(Integer, default=0)
    rooms: Mapped[int] = mapped_column(Integer, default=0)
    family_rooms: Mapped[int] = mapped_column(Integer, default=0)
    accessible_rooms: Mapped[int] = mapped_column(Integer, default=0)
    children: Mapped[bool] = mapped_column(Boolean, default=True)
    children_max_age: Mapped[int | None] = mapped_column(Integer)
    boys_max_age: Mapped[int | None] = mapped_column(Integer)
    pets: Mapped[bool] = mapped_column(Boolean, default=False)
    substance_use: Mapped[bool] = mapped_column(Boolean, default=False)
    trafficking: Mapped[bool] = mapped_column(Boolean, default=False)
    sami: Mapped[bool] = mapped_column(Boolean, default=False)
    lgbtq: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing: Mapped[bool] = mapped_column(Boolean, default=False)
    vision: Mapped[bool] = mapped_column(Boolean, default=False)
    # Transitional flats only: the usual length of stay, and whom a person asks for one.
    stay_months: Mapped[int | None] = mapped_column(Integer)
    referred_by: Mapped[str | None] = mapped_column(String(16))

    centre: Mapped[Centre] = relationship(back_populates="units")
    availability: Mapped[Availability | None] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )


class Availability(Base):
    """A unit's current free places, who set them and when (`version` guards concurrent writers)."""

    __tablename__ = "availability"
    __table_args__ = (
        CheckConstraint(
            "free_beds >= 0 AND free_family_rooms >= 0 AND free_accessible_rooms >= 0",
            name="not_negative",
        ),
        # Held places are part of the free ones: a hold can never exceed what is free.
        CheckConstraint(
            "held_beds >= 0 AND held_family_rooms >= 0 AND held_accessible_rooms >= 0 "
            "AND held_beds <= free_beds AND held_family_rooms <= free_family_rooms "
            "AND held_accessible_rooms <= free_accessible_rooms",
            name="held_within_free",
        ),
        CheckConstraint(_in("source", AVAILABILITY_SOURCES), name="source"),
    )

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    free_beds: Mapped[int] = mapped_column(Integer)
    free_family_rooms: Mapped[int] = mapped_column(Integer)
    free_accessible_rooms: Mapped[int] = mapped_column(Integer)
    held_beds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_family_rooms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_accessible_rooms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    as_of: Mapped[datetime]
    set_by: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit] = relationship(back_populates="availability")


class Hold(Base):
    """Places an adviser keeps for a travelling party. Carries no personal data."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint(_in("status", HOLD_STATUSES), name="status"),
        CheckConstraint(
            "places >= 1 AND family_rooms >= 0 AND accessible_rooms >= 0", name="counts"
        ),
        Index("ix_holds_unit_status_expiry", "unit_id", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    places: Mapped[int] = mapped_column(Integer)
    family_rooms: Mapped[int] = mapped_column(Integer, default=0)
    accessible_rooms: Mapped[int] = mapped_column(Integer, default=0)
    party: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class Referral(Base):
    """An adviser's request for a place, sent to up to three centres at once (capacity.referrals).

    Keeps the party's shape only. The callback line and the note exist while it is pending: a
    CHECK refuses an ended referral that still has them.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(_in("status", REFERRAL_STATUSES), name="status"),
        CheckConstraint(
            "status = 'pending' OR (callback IS NULL AND note IS NULL)", name="forgets"
        ),
        CheckConstraint(
            "status != 'placed' OR (placed_centre_id IS NOT NULL AND placed_at IS NOT NULL)",
            name="placed",
        ),
        CheckConstraint("asked BETWEEN 1 AND 5", name="asked"),
        Index("ix_referrals_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    party: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(16))
    arrival_by: Mapped[datetime]
    callback: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(300))
    asked: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    placed_centre_id: Mapped[str | None] = mapped_column(
        ForeignKey("centres.id", ondelete="RESTRICT")
    )
    placed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    requests: Mapped[list[ReferralRequest]] = relationship(
        back_populates="referral", order_by="ReferralRequest.created_at"
    )


class ReferralRequest(Base):
    """One centre asked about one referral, with the hold that keeps its place meanwhile."""

    __tablename__ = "referral_requests"
    __table_args__ = (
        UniqueConstraint("referral_id", "centre_id"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint(f"reason IS NULL OR {_in('reason', DECLINE_REASONS)}", name="reason_known"),
        CheckConstraint(
            "(status = 'declined' AND reason IS NOT NULL) "
            "OR (status != 'declined' AND reason IS NULL)",
            name="declined_with_reason",
        ),
        CheckConstraint("reason_text IS NULL OR reason = 'other'", name="reason_text"),
        Index("ix_referral_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    referral_id: Mapped[str] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    centre_id: Mapped[str] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"), index=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str | None] = mapped_column(String(24))
    reason_text: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(120))

    referral: Mapped[Referral] = relationship(back_populates="requests")


class Watch(Base):
    """An adviser waiting for a place for a party near a place (capacity.watches); 24 hours."""

    __tablename__ = "watches"
    __table_args__ = (
        CheckConstraint("max_km > 0 AND max_km <= 2000", name="max_km"),
        CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="coords"
        ),
        Index("ix_watches_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    adviser: Mapped[str] = mapped_column(String(120), index=True)
    party: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float]
    longitude: Mapped[float]
    max_km: Mapped[float]
    matched: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    dismissed_at: Mapped[datetime | None]


class AftercareService(Base):
    """Help after the stay (capacity.aftercare), as published by its provider: nothing here is
    guessed, an unknown field stays empty. `municipality_code` None: a national service."""

    __tablename__ = "aftercare_services"
    __table_args__ = (
        CheckConstraint(_in("kind", AFTERCARE_KINDS), name="kind"),
        Index("ix_aftercare_services_country_municipality", "country", "municipality_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(2))
    municipality_code: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    who_for: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime]


class Event(Base):
    """Append-only audit record (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    centre_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


class User(Base):
    """A staff member (of one centre), a helpline adviser or an administrator."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role != 'staff' OR centre_id IS NOT NULL", name="staff_centre"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    centre_id: Mapped[str | None] = mapped_column(
        ForeignKey("centres.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    # Consecutive failed sign-ins (password or code) and when the last one was: the
    # per-account slow-down lives here, shared by every worker and impossible to flush.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None]
    # TOTP (RFC 6238): the base32 secret, set at enrolment and in use once confirmed;
    # the last time step accepted, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class LoginSession(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored here,
    so logging out, a password change or deactivation ends a session for good."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ApiToken(Base):
    """A bearer token for integrations. Only a hash of its secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role != 'staff' OR centre_id IS NOT NULL", name="staff_centre"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    centre_id: Mapped[str | None] = mapped_column(
        ForeignKey("centres.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class DailyCount(Base):
    """Unmet-need statistics: aggregate counts per day, region and kind. No personal data."""

    __tablename__ = "daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    detail: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


def utcnow() -> datetime:
    return datetime.now(UTC)
