"""HTTP throughput: GET /api/v1/search next to a bare Starlette endpoint, in one run.

Both are served by uvicorn with the same settings (one worker, no access log) and loaded
by wrk (Debian package `wrk`; `make bench` installs it) from the same machine, one after the
other. Prints requests/s and p99 for each and the ratio. Run on demand, not a test:
`.venv/bin/python -m benchmarks.http_load`. It also loads the HTML results page.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from benchmarks.common import start_worker
from capacity import demo, migrate
from capacity.db import create_engine, session_factory
from capacity.geocoder import Gazetteer

ROOT = Path(__file__).parent
DURATION = os.environ.get("BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
SEARCHES = [
    "/api/v1/search?q=Bodø",
    "/api/v1/search?q=0150&children=3,9",
    "/api/v1/search?q=tromso&needs=wheelchair",
    "/api/v1/search?q=Bergen&gender=man",
    "/api/v1/search?q=8006&away_from=Bodø&min_km=200",
    "/api/v1/search?lat=63.43&lon=10.39&language=ar",
]
PARTIES = ["", "&children=4,9", "&gender=man", "&needs=wheelchair", "&language=ar", "&children=2"]
CACHED_PLACES = 40  # 40 places x 6 parties = 240 distinct searches: all fit the render cache
SAFE = "/?=&,"
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def wrk(url: str, script: str | None = None) -> tuple[float, float]:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99 is not None, output
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{output}")
    return rps, float(p99.group(1)) * scale


async def load_demo(url: str) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await demo.load(session, Gazetteer.load())
    await engine.dispose()


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("install wrk first: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        migrate.upgrade(url)
        asyncio.run(load_demo(url))
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAVN_")}
        env.update(HAVN_DATABASE_URL=url, HAVN_DATA_DIR=folder, PYTHONPATH=str(ROOT.parent))
        script = Path(folder) / "paths.lua"
        script.write_text(
            LUA % ", ".join(f'"{quote(p, safe=SAFE)}"' for p in SEARCHES), encoding="utf-8"
        )
        page_script = Path(folder) / "pages.lua"
        page_script.write_text(
            LUA
            % ", ".join(
                f'"{quote(p.replace("/api/v1/search", "/"), safe=SAFE)}"' for p in SEARCHES
            ),
            encoding="utf-8",
        )
        names = [place.municipality for place in Gazetteer.load().municipalities("NO")]
        distinct = [f"/?q={name}{party}" for party in PARTIES for name in names]
        warm = [f"/?q={name}{party}" for party in PARTIES for name in names[:CACHED_PLACES]]
        scripts = {}
        for label, paths in (("warm", warm), ("cold", distinct)):
            scripts[label] = Path(folder) / f"{label}.lua"
            scripts[label].write_text(
                LUA % ", ".join(f'"{quote(p, safe=SAFE)}"' for p in paths), encoding="utf-8"
            )
        results = {}
        for name, app, path, lua in (
            ("bare Starlette endpoint", "benchmarks.bare:create_app", "/", None),
            (
                f"GET / results page, {len(warm)} distinct searches",
                "web.app:create_app",
                "/",
                str(scripts["warm"]),
            ),
            (
                f"GET / results page, {len(distinct)} distinct searches (each rendered anew)",
                "web.app:create_app",
                "/",
                str(scripts["cold"]),
            ),
            ("GET /api/v1/search", "web.app:create_app", "/", str(script)),
            ("GET / (results page, HTML)", "web.app:create_app", "/", str(page_script)),
        ):
            process, base = start_worker(env, app)
            try:
                wrk(f"{base}{path}", lua)  # warm-up run, discarded
                results[name] = wrk(f"{base}{path}", lua)
            finally:
                process.terminate()
                process.wait()
        for name, (rps, p99) in results.items():
            print(f"{name}: {rps:,.0f} requests/s, p99 {p99:.1f} ms")
        bare = results["bare Starlette endpoint"][0]
        for name in [name for name in results if name != "bare Starlette endpoint"]:
            print(f"{name} / bare throughput: {results[name][0] / bare:.2f}")
        print(f"(wrk: 2 threads, {CONNECTIONS} connections, {DURATION} per run after a warm-up)")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
