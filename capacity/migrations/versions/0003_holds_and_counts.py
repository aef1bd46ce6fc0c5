"""Held-place counters on availability, and daily unmet-need counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:29:48.315100
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "region", "metric", "detail", name=op.f("pk_daily_counts")),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("held_beds", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("held_family_rooms", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("held_accessible_rooms", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "held_within_free",
            "held_beds >= 0 AND held_family_rooms >= 0 AND held_accessible_rooms >= 0 "
            "AND held_beds <= free_beds AND held_family_rooms <= free_family_rooms "
            "AND held_accessible_rooms <= free_accessible_rooms",
        )


def downgrade() -> None:
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_availability_held_within_free"), type_="check")
        batch_op.drop_column("held_accessible_rooms")
        batch_op.drop_column("held_family_rooms")
        batch_op.drop_column("held_beds")

    op.drop_table("daily_counts")
