"""Security headers on every response, and what production mode turns off."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from lineclose.bootstrap import bootstrap
from lineclose.security.production import UnsafeConfiguration
from tests.security.hardening_support import PRODUCTION, serving, sqlite_settings

PAGES = ["/portal", "/console", "/help", "/verify", "/healthz", "/static/lineclose.css"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_forbids_framing_sniffing_referrers_and_outside_resources(
    sqlite_template: Path, tmp_path: Path, path: str
) -> None:
    with serving(sqlite_settings(sqlite_template, tmp_path)) as (_, client):
        response = client.get(path)
    assert response.status_code == 200, response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # nothing runs scripts, from this host or any other
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_hsts_only_when_a_trusted_proxy_says_the_client_used_https(
    sqlite_template: Path, tmp_path: Path
) -> None:
    settings = sqlite_settings(sqlite_template, tmp_path, trusted_proxies="10.0.0.0/8")
    with serving(settings, client=("10.0.0.2", 4000)) as (_, client):
        plain = client.get("/healthz")
        behind_tls = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=31536000")
    # The same header from a peer that is no trusted proxy is only a claim.
    with serving(settings, client=("198.51.100.7", 4000)) as (_, client):
        spoofed = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers


def test_the_demo_serves_api_docs_and_open_metrics(sqlite_template: Path, tmp_path: Path) -> None:
    with serving(sqlite_settings(sqlite_template, tmp_path)) as (_, client):
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/metrics").status_code == 200


def test_production_mode_has_no_api_docs_and_no_schema(
    sqlite_template: Path, tmp_path: Path
) -> None:
    settings = sqlite_settings(sqlite_template, tmp_path, **PRODUCTION)
    with serving(settings) as (_, client):
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404, path
        assert client.get("/healthz").status_code == 200


def test_production_metrics_are_hidden_without_a_token_and_ask_for_it_with_one(
    sqlite_template: Path, tmp_path: Path
) -> None:
    with serving(sqlite_settings(sqlite_template, tmp_path, **PRODUCTION)) as (_, client):
        assert client.get("/metrics").status_code == 404

    settings = sqlite_settings(
        sqlite_template, tmp_path, metrics_token=SecretStr("s3cret-scrape"), **PRODUCTION
    )
    with serving(settings) as (_, client):
        anonymous = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
        right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert "lineclose_http_requests" in right.text


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"sms_backend": "console"}, "LINECLOSE_SMS_BACKEND=console"),
        ({"email_backend": "console"}, "LINECLOSE_EMAIL_BACKEND=console"),
        ({"sms_backend": "fake"}, "LINECLOSE_SMS_BACKEND=fake"),
    ],
)
def test_production_mode_refuses_the_demo_gateways_that_print_codes(
    sqlite_template: Path, tmp_path: Path, overrides: dict[str, str], named: str
) -> None:
    settings = sqlite_settings(sqlite_template, tmp_path, **{**PRODUCTION, **overrides})
    with pytest.raises(UnsafeConfiguration, match=named):
        bootstrap(settings)


def test_the_demo_banner_shows_in_the_demo_and_never_in_production(
    sqlite_template: Path, tmp_path: Path
) -> None:
    demo = sqlite_settings(sqlite_template, tmp_path, sms_backend="console")
    with serving(demo) as (_, client):
        assert 'id="demo-note"' in client.get("/portal").text
    with serving(sqlite_settings(sqlite_template, tmp_path, **PRODUCTION)) as (_, client):
        page = client.get("/portal")
    assert page.status_code == 200
    assert 'id="demo-note"' not in page.text
