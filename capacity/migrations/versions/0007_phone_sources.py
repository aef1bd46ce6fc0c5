"""Where a centre's phone number is published: the source page and its date

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("centres") as batch:
        batch.add_column(sa.Column("phone_source", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("phone_published", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("centres") as batch:
        batch.drop_column("phone_published")
        batch.drop_column("phone_source")
