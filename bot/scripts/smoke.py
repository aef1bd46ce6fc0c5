"""Talk to a running bot over the REST channel and check what matters most.

    python scripts/smoke.py [--url http://127.0.0.1:5005] [--place Bodø]

Needs the Rasa server, the action server and a registry (the web app, or
`python -m tests.fake_registry` with HAVN_API_URL=http://127.0.0.1:8765). Exits 1 when an
answer is wrong. Each run uses fresh sender ids.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid
from typing import Any

CHECKS = 12


class Chat:
    def __init__(self, url: str, language: str) -> None:
        self.url = url.rstrip("/") + "/webhooks/rest/webhook"
        self.sender = "smoke-" + uuid.uuid4().hex
        self.language = language

    def say(self, text: str) -> str:
        body = {"sender": self.sender, "message": text, "metadata": {"language": self.language}}
        request = urllib.request.Request(
            self.url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            messages: list[dict[str, Any]] = json.load(response)
        reply = "\n".join(m.get("text") or "" for m in messages)
        print(f"> {text}\n  " + reply.replace("\n", "\n  "))
        return reply


def check(condition: bool, what: str, failures: list[str]) -> None:
    print(("ok: " if condition else "FAILED: ") + what)
    if not condition:
        failures.append(what)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--place", default="Bodø")
    args = parser.parse_args()
    failures: list[str] = []

    chat = Chat(args.url, "en")
    reply = chat.say("he is here now")
    check(
        "112" in reply and reply.index("112") < reply.index("116 006"),
        "danger: 112 first",
        failures,
    )

    chat = Chat(args.url, "nb")
    reply = chat.say("jeg trenger et krisesenter, jeg har to barn på 4 og 9 år")
    check("Hvor er du" in reply, "the place is the only question before the answer", failures)
    reply = chat.say(args.place)
    found = "har ansvar for" in reply or "Ingen krisesentre nær" in reply
    down = "får ikke kontakt" in reply
    check(found or down, "search: a centre named right after the place, in Bokmål", failures)
    check("116 006" in reply or found, "search: a phone number or VO-linjen", failures)
    reply = chat.say("han truer meg")
    check(
        reply.startswith("Er du i fare nå: ring politiet på 112"),
        "danger after the results",
        failures,
    )
    reply = chat.say("avslutt")
    check("nullstilt" in reply, "stop resets the conversation", failures)

    chat = Chat(args.url, "en")
    reply = chat.say(args.place)
    check("responsible for" in reply, "the site's language when the text shows none", failures)
    reply = chat.say("can I talk to a human")
    check("116 006" in reply and "ROSA" in reply, "handover: VO-linjen and ROSA", failures)
    check(f"I am in {args.place}." in reply, "handover: the summary to copy", failures)

    chat = Chat(args.url, "nb")
    reply = chat.say("de tok passet mitt og jeg må jobbe for dem")
    check("22 33 11 60" in reply, "trafficking: ROSA", failures)

    chat = Chat(args.url, "nb")
    reply = chat.say("Mun dárbbašan veahki")
    check("Gos don leat" in reply and "112" in reply, "Northern Sami: where, and 112", failures)

    chat = Chat(args.url, "nb")
    reply = chat.say("tar Salten imot hunder?")
    check("kjæledyr: ja" in reply, "a question about one centre", failures)

    print(f"{CHECKS - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
