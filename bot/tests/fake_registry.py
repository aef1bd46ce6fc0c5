"""A fake registry on 127.0.0.1 for trying the bot without the web app (and for
scripts/smoke.py): geocodes "Os" as ambiguous and "Atlantis" as unknown, finds every other
place, has no free place near Vardø, and lists two centres (Salten takes pets).

    .venv/bin/python -m tests.fake_registry [--port 8765]
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import centre_json, place_json, result_json, search_json, unit_json


def answer(path: str, query: dict[str, str]) -> tuple[int, Any]:
    name = query.get("q", "").strip()
    town = name.split(",")[0].strip().title()
    if path == "/api/v1/geocode":
        if town == "Os" and "," not in name:
            places = [place_json("Os", "Innlandet"), place_json("Os", "Vestland")]
            return 200, {"query": name, "status": "ambiguous", "places": places}
        if town == "Atlantis":
            return 200, {"query": name, "status": "not_found", "places": []}
        return 200, {"query": name, "status": "found", "places": [place_json(town)]}
    if path == "/api/v1/search":
        group = "unavailable" if town == "Vardø" else "now"
        results = [
            result_json("Krisesenter A", group=group, responsible=True),
            result_json("Krisesenter B", group=group, phone=None, distance=44.0),
        ]
        return 200, search_json(results, place=town)
    if path == "/api/v1/centres":
        centres = [
            centre_json("krisesenter-a", "Krisesenteret i Salten", "Bodø", [unit_json(pets=True)]),
            centre_json("krisesenter-b", "Alta Krisesenter", "Alta", [unit_json(free=3)]),
        ]
        return 200, {"count": len(centres), "centres": centres}
    return 404, {"status": 404, "code": "not_found", "detail": "Not found"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        status, body = answer(url.path, query)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Havn registry for the bot")
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    print(f"fake registry on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
