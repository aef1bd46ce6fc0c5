"""After the stay: transitional flats as a unit kind, and the aftercare services directory

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import capacity.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "kind IN ('women', 'men')"
NEW_KINDS = "kind IN ('women', 'men', 'transitional')"


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_units_kind"), type_="check")
        batch_op.alter_column("kind", existing_type=sa.String(length=8), type_=sa.String(length=16))
        batch_op.add_column(sa.Column("stay_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referred_by", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(op.f("ck_units_kind"), NEW_KINDS)
        batch_op.create_check_constraint(
            op.f("ck_units_referrer"),
            "referred_by IS NULL OR referred_by IN ('centre', 'municipality')",
        )
        batch_op.create_check_constraint(
            op.f("ck_units_stay_months"), "stay_months IS NULL OR stay_months BETWEEN 1 AND 60"
        )

    op.create_table(
        "aftercare_services",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("municipality_code", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("who_for", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("updated_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('centre_follow_up', 'housing', 'nav', 'family_counselling', 'legal_aid', "
            "'children', 'peer_network', 'aftercare_programme')",
            name=op.f("ck_aftercare_services_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_services")),
    )
    with op.batch_alter_table("aftercare_services", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aftercare_services_country_municipality",
            ["country", "municipality_code"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("aftercare_services", schema=None) as batch_op:
        batch_op.drop_index("ix_aftercare_services_country_municipality")
    op.drop_table("aftercare_services")

    op.execute("DELETE FROM units WHERE kind = 'transitional'")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_units_stay_months"), type_="check")
        batch_op.drop_constraint(op.f("ck_units_referrer"), type_="check")
        batch_op.drop_constraint(op.f("ck_units_kind"), type_="check")
        batch_op.drop_column("referred_by")
        batch_op.drop_column("stay_months")
        batch_op.alter_column("kind", existing_type=sa.String(length=16), type_=sa.String(length=8))
        batch_op.create_check_constraint(op.f("ck_units_kind"), OLD_KINDS)
