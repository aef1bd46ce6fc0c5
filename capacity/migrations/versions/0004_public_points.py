"""Keep only each centre's public point: its host municipality's, to 2 decimals

A stored precise point could be recovered by bisecting the public search's max_km, so every
centre is moved to its host municipality's point from the gazetteer, rounded to 2 decimals
(capacity.location.public_point). A centre whose host municipality the gazetteer does not
know keeps its own point rounded to 2 decimals (about 1 km), and the migration says so.
Each move is audited; older audit events keep what they recorded (they are append-only, and
only administrators see coordinates in them). The downgrade restores nothing: the finer
points are gone on purpose.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00.000000
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from capacity import location
from capacity.geocoder import Gazetteer
from capacity.models import UTCDateTime, utcnow

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("havn.migrations")
ACTOR = "migration 0004"

centres = sa.table(
    "centres",
    sa.column("id", sa.String()),
    sa.column("country", sa.String()),
    sa.column("host_municipality", sa.String()),
    sa.column("latitude", sa.Float()),
    sa.column("longitude", sa.Float()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UTCDateTime()),
)
events = sa.table(
    "events",
    sa.column("at", UTCDateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("centre_id", sa.String()),
    sa.column("after", sa.JSON()),
)


def upgrade() -> None:
    gazetteer = Gazetteer.load()
    connection = op.get_bind()
    now = utcnow()
    rows = connection.execute(
        sa.select(
            centres.c.id,
            centres.c.country,
            centres.c.host_municipality,
            centres.c.latitude,
            centres.c.longitude,
        ).order_by(centres.c.id)
    ).all()
    for centre_id, country, host, latitude, longitude in rows:
        place = gazetteer.municipality(host, country)
        if place is not None:
            point = location.rounded(place.latitude, place.longitude)
            source = "host municipality"
        else:
            point = location.rounded(latitude, longitude)
            source = "rounded to 2 decimals"
            log.warning(
                "Centre %s: host municipality %s (%s) is not in the gazetteer; its point was "
                "rounded to 2 decimals instead. Give it a known host municipality.",
                centre_id,
                host,
                country,
            )
        if (latitude, longitude) == point:
            continue
        connection.execute(
            centres.update()
            .where(centres.c.id == centre_id)
            .values(
                latitude=point[0],
                longitude=point[1],
                version=centres.c.version + 1,
                updated_at=now,
            )
        )
        connection.execute(
            events.insert().values(
                at=now,
                actor=ACTOR,
                action="centre.location_public",
                entity="centre",
                entity_id=centre_id,
                centre_id=centre_id,
                after={"latitude": point[0], "longitude": point[1], "from": source},
            )
        )


def downgrade() -> None:
    """Nothing to undo: the schema is unchanged, and the finer points are not kept."""
