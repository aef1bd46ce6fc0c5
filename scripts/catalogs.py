"""`make messages`: re-extract the site's strings and merge them into every catalog.

pybabel's update drops headers it does not know, so the review status
(`X-Havn-Reviewed: yes|no`, which the site shows) is carried over here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "web" / "translations"
REVIEWED = re.compile(r'^"X-Havn-Reviewed: (yes|no)\\n"$', re.MULTILINE)
BABEL = [sys.executable, "-m", "babel.messages.frontend"]


def main() -> None:
    before = {}
    for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po")):
        found = REVIEWED.search(po.read_text(encoding="utf-8"))
        before[po] = found.group(1) if found else "no"
    subprocess.run(
        [*BABEL, "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_", "-k", "gettext",
         "-k", "ngettext:1,2", "--no-location", "--omit-header", "--sort-output",
         "-o", str(CATALOGS / "messages.pot"), "."],
        check=True, cwd=ROOT,
    )  # fmt: skip
    subprocess.run(
        [*BABEL, "update", "-i", str(CATALOGS / "messages.pot"), "-d", str(CATALOGS),
         "-D", "messages", "--no-fuzzy-matching", "--ignore-obsolete"],
        check=True, cwd=ROOT,
    )  # fmt: skip
    for po, status in before.items():
        text = po.read_text(encoding="utf-8")
        if not REVIEWED.search(text):
            text = text.replace(
                '"Generated-By:', f'"X-Havn-Reviewed: {status}\\n"\n"Generated-By:', 1
            )
            po.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
