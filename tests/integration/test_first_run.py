"""What a newcomer meets first: `make demo`, the command line beside it, /docs offline, the
demo's credentials, numbers typed the way people dial them."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli import demo as demo_cli
from lineclose.cli.main import app as cli
from lineclose.config import Settings
from lineclose.services.context import Role
from lineclose.services.seed import seed_demo
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import staff

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_and_the_command_line_use_the_same_database_by_default() -> None:
    makefile = (ROOT / "Makefile").read_text()
    # Whatever the Makefile gives the demo, a bare `.venv/bin/lineclose` must read too.
    assert "LINECLOSE_DATABASE_URL" not in makefile
    assert "LINECLOSE_DATA_KEY_FILE" not in makefile
    assert re.search(r"lineclose demo --port \$\(PORT\)", makefile)
    assert re.search(r"^PORT \?= 8000$", makefile, flags=re.MULTILINE)
    assert Settings.model_fields["database_url"].default == "sqlite:///var/lineclose.db"


def test_the_demo_refuses_a_busy_port_and_says_how_to_pick_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = tmp_path / "demo.db"
        database.write_text("keep me")
        result = CliRunner().invoke(
            cli,
            ["demo", "--port", str(port)],
            env={"LINECLOSE_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "200"},
        )
    assert result.exit_code == 2
    assert f"port {port}" in result.output and f"make demo PORT={port + 100}" in result.output
    assert database.read_text() == "keep me"  # refused before anything was wiped


def test_links_in_certificates_follow_the_port_served_unless_a_public_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LINECLOSE_PUBLIC_BASE_URL", raising=False)
    served = demo_cli.served_settings("127.0.0.1", 8100, Settings())
    assert served.public_base_url == "http://127.0.0.1:8100"
    behind_proxy = Settings(public_base_url="https://close.example.com")
    assert (
        demo_cli.served_settings("127.0.0.1", 8100, behind_proxy).public_base_url
        == "https://close.example.com"
    )


def test_the_api_docs_load_nothing_from_other_hosts(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        sources += re.findall(r"url: '([^']+)'", html.text)
        assert sources, page
        assert not [s for s in sources if "://" in s or s.startswith("//")], sources
        for asset in [s for s in sources if s.startswith("/static/")]:
            served = client.get(asset)
            assert served.status_code == 200 and len(served.content) > 1000, asset


def test_the_demo_has_three_clean_lines_and_prints_their_credentials(app: App) -> None:
    with app.sessions.begin() as session:
        stories = seed_demo(session, app.deps)
    clean = [s for s in stories if s.clean]
    assert len(clean) == 3
    assert all(s.service_password and s.id_number for s in clean)
    console = Console(record=True, width=240)
    demo_cli.console = console
    try:
        demo_cli.print_banner(
            "http://127.0.0.1:8100", stories, {r: f"lcs_{r.value}" for r in demo_cli.DEMO_ROLES}
        )
    finally:
        demo_cli.console = Console()
    banner = console.export_text()
    for story in clean:
        assert story.msisdn in banner
        assert str(story.service_password) in banner and str(story.id_number) in banner
    assert "http://127.0.0.1:8100/docs" in banner


def test_a_chinese_number_is_accepted_without_its_country_code(
    app: App, client: TestClient, worker: Worker
) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
        app.deps.hlr.create_subscriber("460000000000001", "+8613800138001")  # type: ignore[attr-defined]
    started = client.post("/api/v1/auth/otp", json={"msisdn": "13800138001"})
    assert started.status_code == 202, started.text
    precheck = client.post(
        "/api/v1/precheck",
        json={"msisdn": "138 0013 8002"},
        headers=staff(app, Role.AGENT),
    )
    assert precheck.status_code == 200, precheck.text
    assert "ARREARS" in {b["code"] for b in precheck.json()["blockers"]}


def test_the_hotline_cannot_claim_a_document_was_seen(app: App, client: TestClient) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
    agent = staff(app, Role.AGENT)
    body = {
        "msisdn": "+447911123457",
        "alternate_contact": "sam@example.org",
        "refund_account": "GB82WEST12345698765432",
    }
    refused = client.post(
        "/api/v1/closure-requests",
        json={**body, "channel": "hotline", "identity": [{"method": "id_document_seen"}]},
        headers=agent,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "document_not_seen_by_phone"
    in_store = client.post(
        "/api/v1/closure-requests",
        json={
            **body,
            "channel": "store",
            "identity": [{"method": "id_document_seen", "value": "passport"}],
        },
        headers=agent,
    )
    assert in_store.status_code == 201, in_store.text
    assert in_store.json()["identity_document"] == "passport"
    assert in_store.json()["identity_methods"] == ["id_document_seen"]
