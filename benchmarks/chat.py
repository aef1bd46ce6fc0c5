"""Turn latency through the web chat proxy to the real bot (Rasa + action server + registry).

Starts the web app (demo registry on SQLite), the action server and Rasa like `make run`,
then sends 10 warm-up turns and 60 measured turns through `POST /chat` (htmx), each a step of
a real conversation (place, who, children, needs, language, results, a question, a danger
message). Needs a trained bot (`make bot`) and free ports 5005/5055. Run on demand:
`.venv/bin/python -m benchmarks.chat`.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.common import ROOT, free_port, percentile
from capacity import demo, migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer

BOT = ROOT / "bot"
SCRIPT = [
    "I need a place to stay in Bodø",
    "a woman",
    "two children, 4 and 9",
    "no special needs",
    "Norwegian",
    "what should I bring?",
    "he is here now",
    "stop",
]


PACE_SECONDS = 1.1  # below the chat's 60 messages a minute per client address


async def load(url: str) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await demo.load(session, Gazetteer.load())
    await engine.dispose()


def wait(port: int, seconds: float) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"port {port} did not open")


async def converse(base: str, turns: int) -> list[float]:
    times: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while len(times) < turns:
            client.cookies.clear()
            # As a browser: open the chat page (chat id cookie, form token), then talk.
            page = (await client.get("/chat")).text
            found = re.search(r'name="csrf" value="([^"]+)"', page)
            if found is None:
                raise SystemExit("the chat page has no form token")
            for message in SCRIPT:
                started = time.perf_counter()
                response = await client.post(
                    "/chat",
                    data={"message": message, "csrf": found.group(1)},
                    headers={"HX-Request": "true"},
                )
                took = time.perf_counter() - started
                times.append(took)
                # One client address may send 60 messages a minute (web.chat): stay under it.
                await asyncio.sleep(max(0.0, PACE_SECONDS - took))
                if response.status_code != 200:
                    raise SystemExit(f"{message!r}: {response.status_code}")
    return times[:turns]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/chat.sqlite3"
        migrate.upgrade(url)
        asyncio.run(load(url))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAVN_")}
        env.update(
            HAVN_DATABASE_URL=url,
            HAVN_DATA_DIR=folder,
            HAVN_SECRET_KEY="c" * 40,
            HAVN_API_URL=f"http://127.0.0.1:{port}",
            RASA_TELEMETRY_ENABLED="false",
        )
        log = Path(folder) / "stack.log"
        with log.open("wb") as out:
            processes = [
                subprocess.Popen(
                    [
                        ".venv/bin/python",
                        "-m",
                        "uvicorn",
                        "web.app:create_app",
                        "--factory",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ),
                subprocess.Popen(
                    [str(BOT / "scripts" / "serve.sh"), "actions"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ),
                subprocess.Popen(
                    [str(BOT / "scripts" / "serve.sh"), "rasa"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                ),
            ]
            try:
                started = time.perf_counter()
                for wanted in (port, 5055, 5005):
                    wait(wanted, 300)
                print(
                    f"stack ready in {time.perf_counter() - started:.0f} s (Rasa loads the model)"
                )
                base = f"http://127.0.0.1:{port}"
                asyncio.run(converse(base, 10))  # warm-up
                ms = [t * 1000 for t in asyncio.run(converse(base, 64))]
                print(
                    f"turn latency through /chat over {len(ms)} turns: p50 "
                    f"{statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
                    f"max {max(ms):.0f} ms"
                )
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=30)


if __name__ == "__main__":
    main()
