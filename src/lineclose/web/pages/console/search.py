"""Finding a line by MSISDN, ICCID, request reference or the holder's ID number."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from lineclose.errors import LinecloseError
from lineclose.services.reads.lines import search_lines
from lineclose.web.pages.console.models import SearchPage
from lineclose.web.pages.signin import StaffPage, StaffReadingPage

router = APIRouter(prefix="/console")
FormStr = Annotated[str, Form()]


@router.get("/search")
def search_form(signed: StaffReadingPage) -> Response:
    return signed.view.render("console/search.html", SearchPage(signed.staff, [], searched=False))


@router.post("/search")
def search(signed: StaffPage, q: FormStr = "", csrf: FormStr = "") -> Response:
    """A POST, and the query is not echoed: an ID number must not land in URLs, logs or pages."""
    view = signed.view
    try:
        view.check_csrf(csrf)
    except LinecloseError as exc:
        shown = SearchPage(signed.staff, [], searched=False, error=view.error_text(exc))
        return view.render("console/search.html", shown, exc.status)
    lines = search_lines(signed.session, signed.deps, signed.actor, q)
    return view.render("console/search.html", SearchPage(signed.staff, lines, bool(q.strip())))
