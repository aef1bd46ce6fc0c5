"""Registry tables and the append-only audit log

Revision ID: 0001
Revises: -
Create Date: 2026-11-22 21:00:17.764863
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import capacity.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit log is append-only: the database itself refuses to change or remove an event.
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION havn_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION havn_events_append_only()",
    ],
}
DROP_APPEND_ONLY = {
    "sqlite": ["DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"],
    "postgresql": [
        "DROP TRIGGER events_append_only ON events",
        "DROP FUNCTION havn_events_append_only()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "centres",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("host_municipality", sa.String(length=16), nullable=False),
        sa.Column("operator_type", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("interpreter", sa.Boolean(), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("intake_phone", sa.String(length=40), nullable=True),
        sa.Column("adviser_notes", sa.Text(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'temporarily_closed', 'closed')", name=op.f("ck_centres_status")
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_centres_coords"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centres")),
    )
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_centres_country"), ["country"], unique=False)

    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "served_municipalities",
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("municipality_code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_served_municipalities_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "centre_id", "municipality_code", name=op.f("pk_served_municipalities")
        ),
    )
    with op.batch_alter_table("served_municipalities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_served_municipalities_municipality_code"),
            ["municipality_code"],
            unique=False,
        )

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("family_rooms", sa.Integer(), nullable=False),
        sa.Column("accessible_rooms", sa.Integer(), nullable=False),
        sa.Column("children", sa.Boolean(), nullable=False),
        sa.Column("children_max_age", sa.Integer(), nullable=True),
        sa.Column("boys_max_age", sa.Integer(), nullable=True),
        sa.Column("pets", sa.Boolean(), nullable=False),
        sa.Column("substance_use", sa.Boolean(), nullable=False),
        sa.Column("trafficking", sa.Boolean(), nullable=False),
        sa.Column("sami", sa.Boolean(), nullable=False),
        sa.Column("lgbtq", sa.Boolean(), nullable=False),
        sa.Column("hearing", sa.Boolean(), nullable=False),
        sa.Column("vision", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('women', 'men')", name=op.f("ck_units_kind")),
        sa.CheckConstraint(
            "beds >= 0 AND rooms >= 0 AND family_rooms >= 0 AND accessible_rooms >= 0",
            name=op.f("ck_units_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_units_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("centre_id", "kind", name=op.f("uq_units_centre_id_kind")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "availability",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("free_beds", sa.Integer(), nullable=False),
        sa.Column("free_family_rooms", sa.Integer(), nullable=False),
        sa.Column("free_accessible_rooms", sa.Integer(), nullable=False),
        sa.Column("as_of", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('demo', 'staff', 'api', 'import')", name=op.f("ck_availability_source")
        ),
        sa.CheckConstraint(
            "free_beds >= 0 AND free_family_rooms >= 0 AND free_accessible_rooms >= 0",
            name=op.f("ck_availability_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_availability_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_availability")),
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("family_rooms", sa.Integer(), nullable=False),
        sa.Column("accessible_rooms", sa.Integer(), nullable=False),
        sa.Column("party", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", capacity.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", capacity.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'confirmed', 'released', 'expired')", name=op.f("ck_holds_status")
        ),
        sa.CheckConstraint(
            "places >= 1 AND family_rooms >= 0 AND accessible_rooms >= 0",
            name=op.f("ck_holds_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_holds_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_holds_unit_status_expiry", ["unit_id", "status", "expires_at"], unique=False
        )
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_index("ix_holds_unit_status_expiry")

    op.drop_table("holds")
    op.drop_table("availability")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_centre_id"))

    op.drop_table("units")
    with op.batch_alter_table("served_municipalities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_served_municipalities_municipality_code"))

    op.drop_table("served_municipalities")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_centre_id"))
        batch_op.drop_index(batch_op.f("ix_events_at"))

    op.drop_table("events")
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centres_country"))

    op.drop_table("centres")
