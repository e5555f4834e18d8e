"""Helpers for the data-in tests: the sample files, an operator to import them for, tokens."""

from __future__ import annotations

import csv
from pathlib import Path

from lineclose.bootstrap import App
from lineclose.cli.import_files import run_import
from lineclose.services.context import Role, Scope
from lineclose.services.data_in.bulk_import import Summary
from lineclose.services.identity import create_staff_token
from tests.factories import make_operator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The columns of a wide lines file: a line with its subscriber, balance and usage per row.
WIDE_COLUMNS = (
    "msisdn",
    "iccid",
    "imsi",
    "subscriber_ref",
    "name",
    "id_number",
    "payment",
    "activated_on",
    "paid_credit_minor",
    "unbilled_usage_minor",
    "last_usage_on",
)


def sample_files(profile: str) -> list[Path]:
    return sorted((EXAMPLES / profile).glob("*"))


def operator(app: App, profile: str, code: str | None = None) -> str:
    with app.sessions.begin() as session:
        made = make_operator(session, app.deps, profile, code=code or f"acme-{profile}")
        return made.code


def import_samples(
    app: App, code: str, profile: str, rejects: Path, files: list[Path] | None = None
) -> Summary:
    return run_import(app, code, files or sample_files(profile), rejects)


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def token(
    app: App, *scopes: Scope, operator_code: str | None = None, role: Role = Role.INTEGRATION
) -> dict[str, str]:
    from lineclose.services.data_in.bulk_import import operator_by_code

    with app.sessions.begin() as session:
        operator_id = operator_by_code(session, operator_code).id if operator_code else None
        value = create_staff_token(
            session,
            app.deps.clock.now(),
            f"{role.value}-{'-'.join(s.value for s in scopes) or 'none'}",
            role,
            operator_id,
            frozenset(scopes),
        )
    return {"Authorization": f"Bearer {value}"}
