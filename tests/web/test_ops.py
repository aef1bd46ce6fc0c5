"""Operations endpoints: /healthz for everyone, /readyz and /metrics for the operator only,
and metric labels that stay a small fixed set whatever a client sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from tests.helpers import settings_for
from web.app import create_app

TOKEN = "operator-" + "x" * 40
LOOPBACK = ("127.0.0.1", 40000)
STRANGER = ("203.0.113.9", 40000)


@pytest.fixture
def database(sqlite_url: str, tmp_path: Path) -> Path:
    """The data folder, with a migrated SQLite database (havn.sqlite3) in it."""
    return tmp_path


def client_from(database: Path, peer: tuple[str, int], **extra: str) -> TestClient:
    settings = settings_for(f"sqlite:///{database / 'havn.sqlite3'}", database, **extra)
    return TestClient(create_app(settings), client=peer, raise_server_exceptions=False)


@pytest.fixture
def stranger(database: Path) -> Iterator[TestClient]:
    with client_from(database, STRANGER) as client:
        yield client


@pytest.fixture
def local(database: Path) -> Iterator[TestClient]:
    with client_from(database, LOOPBACK) as client:
        yield client


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_strangers_get_a_404_for_readiness_and_metrics(stranger: TestClient, path: str) -> None:
    response = stranger.get(path)
    assert response.status_code == 404
    assert "havn_http_requests_total" not in response.text and "database" not in response.text
    assert stranger.get("/healthz").json() == {"status": "ok"}  # load balancers still see it


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_without_a_token_only_direct_local_requests_are_served(
    local: TestClient, path: str
) -> None:
    assert local.get(path).status_code == 200
    # A proxy on this machine says whom it forwards for: that is not the operator.
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert local.get(path, headers={header: "203.0.113.9"}).status_code == 404


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_with_a_token_the_bearer_is_needed_even_from_this_machine(
    database: Path, path: str
) -> None:
    for peer in (LOOPBACK, STRANGER):
        with client_from(database, peer, HAVN_OPERATOR_TOKEN=TOKEN) as client:
            assert client.get(path).status_code == 404
            for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, "Bearer ", "Basic x"):
                assert client.get(path, headers={"Authorization": wrong}).status_code == 404
            served = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert served.status_code == 200
            assert client.get("/healthz").status_code == 200


def test_labels_stay_bounded_whatever_clients_send(local: TestClient) -> None:
    for n in range(20):
        local.request(f"MADEUP{n}", "/")
        local.get(f"/no/such/page/{n}")
        local.get(f"/centres/centre-{n}")
        local.request("BREW", f"/api/v1/no/{n}")
    text = local.get("/metrics").text
    samples = [
        sample
        for family in text_string_to_metric_families(text)
        if family.name == "havn_http_requests"
        for sample in family.samples
        if sample.name == "havn_http_requests_total"
    ]
    methods = {sample.labels["method"] for sample in samples}
    routes = {sample.labels["route"] for sample in samples}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert "other" in methods
    assert routes == {"unmatched", "/centres/{centre_id}"}
    assert len(samples) <= 4
