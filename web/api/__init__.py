"""The JSON API under /api/v1: centres, search, availability, holds and the open-data export."""
