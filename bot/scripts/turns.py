"""Turns to the first centre name, per test story.

    python scripts/turns.py [tests/stories ...]

For each story that reaches a search, counts the person's messages from the first one that
told a place (a `place` entity) up to the first search, not counting that message: 0 means
the centre is named right after the place. Also the messages from the start. A story
whose search comes right after a place question answered without an entity ("Vestland")
counts from that answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

BOT = Path(__file__).resolve().parent.parent


def turns(steps: list[dict[str, object]]) -> tuple[int, int] | None:
    """(messages after the place, messages from the start) before the first search, or None
    when the story never searches or never tells a place."""
    users = 0
    place_at: int | None = None
    for step in steps:
        if "user" in step:
            users += 1
            if place_at is None and "](place)" in str(step["user"]):
                place_at = users
        if step.get("action") == "action_search":
            if place_at is None:
                return None
            return users - place_at, users
    return None


def main(argv: list[str]) -> int:
    folders = [Path(a) for a in argv] or [BOT / "tests" / "stories"]
    counted = []
    for folder in folders:
        for path in sorted(folder.glob("*.yml")) if folder.is_dir() else [folder]:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for story in data.get("stories", []):
                found = turns(story.get("steps", []))
                if found is not None:
                    counted.append((story["story"], *found))
    for name, after_place, total in counted:
        print(f"{after_place:2d} after the place, {total:2d} in all: {name}")
    if counted:
        worst = max(after for _, after, _ in counted)
        mean = sum(after for _, after, _ in counted) / len(counted)
        print(
            f"{len(counted)} stories: at most {worst}, on average {mean:.1f} messages "
            "between the place and the first centre name"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
