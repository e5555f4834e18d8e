"""The README's walkthrough, run command by command against the demo data, so it cannot drift.

Every fenced `sh` block of the section "A walkthrough with the API and the CLI" and every
inline `.venv/bin/lineclose ...` command in it is executed: curl commands through the app,
CLI commands through the real command line on the same database. The placeholders the
README asks the reader to fill in (the challenge id, the code the console printed, the
reference and the certificate code) are filled from earlier answers, as a reader would.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from lineclose.bootstrap import App
from lineclose.cli.main import app as cli
from lineclose.db import models
from lineclose.services.context import Role
from lineclose.services.seed import seed_demo
from lineclose.worker.dispatcher import Worker
from tests.api.helpers import last_code, staff
from tests.conftest import TEST_KEYS

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## A walkthrough with the API and the CLI"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def fenced(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def commands(block: str) -> list[list[str]]:
    """Shell commands of a block: continuation lines joined, quotes spanning lines kept whole."""
    found: list[list[str]] = []
    pending = ""
    for line in block.replace("\\\n", " ").splitlines():
        pending = f"{pending}\n{line}" if pending else line
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:
            continue  # an open quote: the command goes on on the next line
        if words:
            found.append(words)
        pending = ""
    assert not pending, f"unterminated command in the README: {pending}"
    return found


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


class Reader:
    """Plays the README's reader: runs each command, fills in what the README says to fill."""

    def __init__(self, app: App, client: TestClient, worker: Worker, database_url: str) -> None:
        self.app, self.client, self.worker = app, client, worker
        self.env = {"LINECLOSE_DATABASE_URL": database_url, "LINECLOSE_DATA_KEYS": TEST_KEYS}
        self.tokens = {
            "$TOKEN": staff(app, Role.AGENT)["Authorization"].removeprefix("Bearer "),
            "$REVIEWER": staff(app, Role.REVIEWER)["Authorization"].removeprefix("Bearer "),
        }
        self.filled: dict[str, str] = {}
        self.answers: list[tuple[str, Any]] = []

    def fill(self, word: str) -> str:
        for placeholder, value in {**self.tokens, **self.filled}.items():
            word = word.replace(placeholder, value)
        return word

    def run(self, words: list[str]) -> None:
        words = [self.fill(w) for w in words]
        if words[0] == "curl":
            self.curl(words[1:])
        else:
            assert words[0] == ".venv/bin/lineclose", f"not runnable as written: {words[0]}"
            result = CliRunner().invoke(cli, words[1:], env=self.env)
            assert result.exit_code == 0, f"{' '.join(words)}\n{result.output}"
            self.answers.append((" ".join(words), result.output))
        self.worker.run_until_idle()
        self.learn()

    def curl(self, args: list[str]) -> None:
        method, headers, data, url = "GET", {}, None, ""
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("-X", "-H", "-d"):
                value = args[i + 1]
                if arg == "-X":
                    method = value
                elif arg == "-H":
                    name, _, given = value.partition(":")
                    headers[name.strip()] = given.strip()
                else:
                    data = value
                    method = method if method != "GET" else "POST"
                i += 2
                continue
            if arg.startswith("localhost:8000"):
                url = arg.removeprefix("localhost:8000")
            else:
                assert arg in ("-s", "-si"), f"unexpected curl option {arg}"
            i += 1
        response = self.client.request(method, url, headers=headers, content=data)
        assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text}"
        self.answers.append((f"{method} {url}", response.json()))

    def learn(self) -> None:
        """What the reader copies from the last answer or the console into later commands."""
        _, answer = self.answers[-1]
        if isinstance(answer, dict) and "challenge_id" in answer:
            self.filled["<from above>"] = str(answer["challenge_id"])
            self.filled["<from the console>"] = last_code(self.app)
        if isinstance(answer, dict) and str(answer.get("reference", "")).startswith("LC-"):
            self.filled.setdefault("LC-2026-XXXXX-XXXXX", answer["reference"])
        with self.app.sessions() as session:
            code = session.execute(select(models.Certificate.code)).scalars().first()
        if code:
            self.filled["ABCD-EFGH-JKLM"] = code


def test_the_readme_walkthrough_runs_as_written_against_the_demo(
    app: App, client: TestClient, worker: Worker, database_url: str
) -> None:
    with app.sessions.begin() as session:
        seed_demo(session, app.deps)
        for imsi, msisdn in session.execute(select(models.Line.imsi, models.Line.msisdn)).all():
            app.deps.hlr.create_subscriber(imsi, msisdn)  # type: ignore[attr-defined]
    section = walkthrough()
    reader = Reader(app, client, worker, database_url)
    blocks = fenced(section, "sh")
    assert len(blocks) >= 5, "the walkthrough's steps are fenced sh blocks"
    for block in blocks:
        for words in commands(block):
            reader.run(words)
    for inline in re.findall(r"`(\.venv/bin/lineclose [^`]+)`", section):
        if "..." not in inline:  # "... COMMAND" is prose about the form, not a command
            reader.run(shlex.split(inline))

    precheck = next(a for c, a in reader.answers if c.endswith("/api/v1/precheck"))
    example = fenced(section, "json")[0]
    named = set(re.findall(r'"(\w+)":', example))
    assert named <= keys_of(precheck), f"fields the API does not have: {named - keys_of(precheck)}"
    arrears = next(b for b in precheck["blockers"] if b["code"] == "ARREARS")
    bill = arrears["remedies"][0]["items"][0]
    assert f'"bill_id": {bill["bill_id"]}' in example
    assert f'"amount_minor": {arrears["remedies"][0]["amount_minor"]}' in example
    assert f"/bills/{bill['bill_id']}/payments" in section

    submitted = next(
        a for c, a in reader.answers if c == "POST /api/v1/closure-requests" and "reference" in a
    )
    for field, value in re.findall(r"the (\w+) \(`(\w+)`\)", section):
        assert submitted.get(field) == value, f"the README says {field} is {value}"

    reference = reader.filled["LC-2026-XXXXX-XXXXX"]
    with app.sessions() as session:
        closed = session.execute(
            select(models.ClosureRequest.status).where(models.ClosureRequest.reference == reference)
        ).scalar_one()
    assert closed == "closed"
    status_output = next(a for c, a in reader.answers if c.startswith(".venv/bin/lineclose status"))
    assert reference in status_output and "closed" in status_output
    assert json.dumps(submitted)  # answers were JSON all along
