"""`lineclose bulk close --file`: close the cards listed in a file, as one reviewed batch.

Run it again after a crash, or after the batch was approved: the same file resumes its batch
and submits the approved cards that are left.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from lineclose.bootstrap import App
from lineclose.services.context import Actor, Channel, Role
from lineclose.services.fleet import batches, submission
from lineclose.services.fleet.rows import Reject, parse_rows
from lineclose.services.reads.fleet import batch_detail, result_chunks

console = Console()


def _write_rejects(path: Path, rejects: list[Reject]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("row", "field", "message"))
        for r in sorted(rejects, key=lambda r: r.row_number):
            writer.writerow((r.row_number, r.field, r.message))


def write_result(app: App, actor: Actor, reference: str, path: Path) -> None:
    with app.sessions() as session, path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(result_chunks(session, actor, reference))
    console.print(f"results per card: {path}")


def close_from_file(
    app: App,
    operator: str,
    file: Path,
    authorised_contact: str,
    authorising_document: str,
    refund_account: str | None,
    requested_by: str,
    result_file: Path | None,
) -> str:
    actor = Actor(Role.AGENT, requested_by, Channel.BULK)
    with app.sessions() as session:
        region = batches.operator_region(session, operator)
    parsed = parse_rows(file.read_text(encoding="utf-8-sig").splitlines(keepends=True), region)
    with app.sessions.begin() as session:
        loaded = batches.load(
            session,
            app.deps,
            actor,
            operator,
            parsed,
            batches.FleetAuthorisation(authorised_contact, authorising_document),
            refund_account,
        )
        reference = loaded.batch.reference
    if loaded.rejects:
        rejects = file.with_name(file.stem + ".rejects.csv")
        _write_rejects(rejects, loaded.rejects)
        console.print(f"[yellow]{len(loaded.rejects)} rows rejected[/yellow]: {rejects}")
    with app.sessions() as session:
        view = batch_detail(session, actor, reference)
        left = submission.remaining_for(session, actor, reference)
    word = "loaded" if loaded.created else "resumed"
    summary = view.summary
    console.print(
        f"batch [bold]{reference}[/bold] {word}: {summary.get('lines')} cards, "
        f"{summary.get('clean')} clean, blockers {summary.get('blockers') or 'none'}; "
        f"status {view.status}"
    )
    if view.status == "under_review":
        console.print("waiting for review: a reviewer approves it (whole or line by line)")
    elif left:
        with Progress(console=console) as progress:
            task = progress.add_task("submitting", total=left)
            while True:
                with app.sessions.begin() as session:
                    done = submission.submit_next(session, app.deps, actor, reference)
                if not done:
                    break
                progress.advance(task, done)
    write_result(app, actor, reference, result_file or file.with_name(file.stem + ".results.csv"))
    return reference
