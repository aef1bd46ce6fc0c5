"""Referrals to up to three centres with their requests, and advisers' watches for a place

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 13:55:40.224554
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import capacity.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("adviser", sa.String(length=120), nullable=False),
        sa.Column("party", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("max_km", sa.Double(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_watches_coords"),
        ),
        sa.CheckConstraint("max_km > 0 AND max_km <= 2000", name=op.f("ck_watches_max_km")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
    )
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watches_adviser"), ["adviser"], unique=False)
        batch_op.create_index("ix_watches_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("party", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("arrival_by", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("callback", sa.String(length=24), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("placed_centre_id", sa.String(length=64), nullable=True),
        sa.Column("placed_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status != 'placed' OR (placed_centre_id IS NOT NULL AND placed_at IS NOT NULL)",
            name=op.f("ck_referrals_placed"),
        ),
        sa.CheckConstraint(
            "status = 'pending' OR (callback IS NULL AND note IS NULL)",
            name=op.f("ck_referrals_forgets"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'placed', 'expired', 'withdrawn')",
            name=op.f("ck_referrals_status"),
        ),
        sa.CheckConstraint("asked BETWEEN 1 AND 5", name=op.f("ck_referrals_asked")),
        sa.ForeignKeyConstraint(
            ["placed_centre_id"],
            ["centres.id"],
            name=op.f("fk_referrals_placed_centre_id_centres"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_created_by"), ["created_by"], unique=False)
        batch_op.create_index(
            "ix_referrals_status_expires_at", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "referral_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("referral_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("reason_text", sa.String(length=200), nullable=True),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "(status = 'declined' AND reason IS NOT NULL) "
            "OR (status != 'declined' AND reason IS NULL)",
            name=op.f("ck_referral_requests_declined_with_reason"),
        ),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('no_place', 'needs_not_met', "
            "'too_close_to_danger', 'risk_assessment', 'other')",
            name=op.f("ck_referral_requests_reason_known"),
        ),
        sa.CheckConstraint(
            "reason_text IS NULL OR reason = 'other'", name=op.f("ck_referral_requests_reason_text")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn', 'expired')",
            name=op.f("ck_referral_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_referral_requests_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["holds.id"],
            name=op.f("fk_referral_requests_hold_id_holds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_requests_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_requests")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_referral_requests_hold_id")),
        sa.UniqueConstraint(
            "referral_id", "centre_id", name=op.f("uq_referral_requests_referral_id_centre_id")
        ),
    )
    with op.batch_alter_table("referral_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_requests_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_requests_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            "ix_referral_requests_status_created_at", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_requests_status_created_at")
        batch_op.drop_index(batch_op.f("ix_referral_requests_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_requests_centre_id"))

    op.drop_table("referral_requests")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_referrals_created_by"))

    op.drop_table("referrals")
    with op.batch_alter_table("watches", schema=None) as batch_op:
        batch_op.drop_index("ix_watches_expires_at")
        batch_op.drop_index(batch_op.f("ix_watches_adviser"))

    op.drop_table("watches")
