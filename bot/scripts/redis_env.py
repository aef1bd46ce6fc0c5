"""Print shell exports for endpoints.redis.yml from a Redis URL (redis://[:password@]host[:port][/db]).

eval "$(python scripts/redis_env.py redis://:secret@127.0.0.1:6379/0)"
"""

from __future__ import annotations

import shlex
import sys
from urllib.parse import unquote, urlsplit


def exports(url: str) -> dict[str, str]:
    """The HAVN_BOT_REDIS_* variables for a redis:// URL; raises ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError("use a redis:// URL (TLS: edit endpoints.redis.yml to add use_ssl)")
    db = parts.path.lstrip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"the database must be a number, not {db!r}")
    return {
        "HAVN_BOT_REDIS_HOST": parts.hostname or "127.0.0.1",
        "HAVN_BOT_REDIS_PORT": str(parts.port or 6379),
        "HAVN_BOT_REDIS_DB": db,
        "HAVN_BOT_REDIS_PASSWORD": unquote(parts.password or ""),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        values = exports(argv[0])
    except ValueError as exc:
        print(f"error: HAVN_REDIS_URL: {exc}", file=sys.stderr)
        return 1
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
