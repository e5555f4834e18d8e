"""What the SMS channel answers, in the subscriber's language: short lines, one fact each.

Texts are msgids translated through the project's catalogues (locale/*/messages.po).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from lineclose.i18n import format_date, format_money, translator

BLOCKER_TEXTS: dict[str, str] = {
    "ARREARS": "Unpaid bills: {amount}",
    "COMMITMENT_ACTIVE": "Contract runs until {date}; fee to end it now: {amount}",
    "BINDINGS_PRESENT": "Apps still using this number: {services}",
    "IDENTITY_NOT_VERIFIED": "We still need to confirm it is you",
    "LINE_NOT_ACTIVE": "The line is not active",
    "OPEN_ORDER": "Another order on this line is in progress",
    "LEGAL_HOLD": "The line is frozen by a legal hold: call us",
    "LOST_REPORTED": "The line is reported lost: bring your ID document to a store",
}

INFO_HEADER = "{operator} line {msisdn}"
INFO_CONTRACT = "Contract ends: {date}"
INFO_NO_CONTRACT = "No contract commitment"
INFO_ETF = "Fee if closed today: {amount}"
INFO_REFUND = "Credit to refund: {amount}"
BLOCKS_HEADER = "Still blocking a closure:"
NOTHING_BLOCKS = "Nothing blocks a closure."
HOW_TO_CLOSE = "Text {keyword} to {short_code} to close it."
CLOSE_STARTED = "Closure request {reference} for {msisdn}."
CLOSE_STATE = "Status: {state}"
INFO_PENDING = "Closure request in progress: {reference}"
CONFIRM_WITH_CODE = "To confirm it is you, reply {keyword} {code} within {minutes} minutes."
CHECKLIST_LINK = "Checklist: {link}"
CODE_WRONG = "That code is wrong or has expired. Text {keyword} for a new one."
STOPPED = "You will get no more reminders about {msisdn}. Text {keyword} to get them again."
STARTED = "Reminders about {msisdn} are on again."
UNKNOWN_WORD = "Text one of: {keywords}"
REFUND_ACCOUNT_NEEDED = "Your credit will be refunded: finish in the portal to give the account."
CANNOT_START = "We could not start a closure by text: please use the portal."

STATE_TEXTS: dict[str, str] = {
    "needs_action": "needs your action",
    "under_review": "under review",
    "approved": "approved",
    "scheduled": "scheduled",
    "executing": "closing now",
    "closed": "closed",
    "rejected": "not approved",
}

ALL_MSGIDS: tuple[str, ...] = (
    *BLOCKER_TEXTS.values(),
    *STATE_TEXTS.values(),
    INFO_HEADER,
    INFO_CONTRACT,
    INFO_NO_CONTRACT,
    INFO_ETF,
    INFO_REFUND,
    BLOCKS_HEADER,
    NOTHING_BLOCKS,
    HOW_TO_CLOSE,
    CLOSE_STARTED,
    CLOSE_STATE,
    INFO_PENDING,
    CONFIRM_WITH_CODE,
    CHECKLIST_LINK,
    CODE_WRONG,
    STOPPED,
    STARTED,
    UNKNOWN_WORD,
    REFUND_ACCOUNT_NEEDED,
    CANNOT_START,
)


class Reply:
    """A reply built line by line in one locale."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale = locale
        self.currency = currency
        self.lines: list[str] = []
        self._t = translator(locale)

    def say(self, msgid: str, **values: Any) -> Reply:
        self.lines.append(self._t.gettext(msgid).format(**values))
        return self

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency, self.locale)

    def day(self, value: date) -> str:
        return format_date(value, self.locale, "medium")

    def state(self, status: str) -> str:
        return self._t.gettext(STATE_TEXTS.get(status, status))

    def blockers(self, views: Iterable[dict[str, Any]]) -> Reply:
        """Every blocker on a line of its own, with its amount or date where it has one."""
        views = list(views)
        if not views:
            return self.say(NOTHING_BLOCKS)
        self.say(BLOCKS_HEADER)
        for view in views:
            code = str(view.get("code"))
            remedies = {r["code"]: r for r in view.get("remedies", [])}
            values: dict[str, Any] = {}
            if code == "ARREARS":
                values["amount"] = self.money(int(remedies["PAY_ARREARS"]["amount_minor"]))
            elif code == "COMMITMENT_ACTIVE":
                values["amount"] = self.money(int(remedies["ACCEPT_ETF"]["amount_minor"]))
                values["date"] = self.day(
                    date.fromisoformat(remedies["SCHEDULE_AT_TERM_END"]["date"])
                )
            elif code == "BINDINGS_PRESENT":
                items = remedies["UNBIND"].get("items", [])
                values["services"] = ", ".join(str(i["service"]) for i in items)
            msgid = BLOCKER_TEXTS.get(code)
            self.lines.append("- " + (self._t.gettext(msgid).format(**values) if msgid else code))
        return self

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
