"""accounts and api tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:19:53.133971
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import capacity.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=True),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role != 'staff' OR centre_id IS NOT NULL", name=op.f("ck_api_tokens_staff_centre")
        ),
        sa.CheckConstraint(
            "role IN ('staff', 'adviser', 'admin')", name=op.f("ck_api_tokens_role")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_api_tokens_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "password_changed_at", capacity.models.UTCDateTime(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "role != 'staff' OR centre_id IS NOT NULL", name=op.f("ck_users_staff_centre")
        ),
        sa.CheckConstraint("role IN ('staff', 'adviser', 'admin')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_users_centre_id_centres"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_centre_id"), ["centre_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_centre_id"))

    op.drop_table("users")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_centre_id"))

    op.drop_table("api_tokens")
