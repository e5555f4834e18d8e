"""Reading the bank's answers: camt.054 debit notifications, pain.002 status reports, MT940.

Each gives a list of outcomes keyed by the end-to-end id the batch wrote:
- camt.054: a booked debit entry pays its transactions; a transaction carrying return
  information (`RtrInf`, e.g. AC04 account closed, AM09/BE01 name mismatch) is returned.
- pain.002: `ACSC` (settled) and `ACCC` pay; `RJCT` returns, with the status reason code.
- MT940: a debit line naming an end-to-end id (the `EREF+` of the structured `:86:` field,
  or the id anywhere in its text) pays it; a credit line naming one is its return, with the
  reason code when the text carries one (`RTRN` when it does not).
Entries naming no end-to-end id of ours are not ours and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import mt940
from lxml import etree

PAID = "paid"
RETURNED = "returned"


class UnreadableStatement(ValueError):
    """The file is not a camt.054, pain.002 or MT940 document this reader understands."""


@dataclass(frozen=True)
class Credit:
    """Money received whose text may carry a debt's payment reference."""

    text: str
    amount_minor: int
    line: int | None = None


_PAY_REFERENCE = re.compile(r"PAY-[A-Z2-9]{10}")


def pay_references(credits: list[Credit]) -> list[tuple[str, int, int | None]]:
    found = []
    for credit in credits:
        match = _PAY_REFERENCE.search(credit.text.upper())
        if match:
            found.append((match.group(0), credit.amount_minor, credit.line))
    return found


def _minor(text: str | None) -> int:
    value = Decimal((text or "0").strip())
    return int((value * 100).to_integral_value())


@dataclass(frozen=True)
class Outcome:
    end_to_end_id: str
    status: str  # paid | returned
    reason: str | None = None
    line: int | None = None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _elements(node: etree._Element, path: str) -> list[etree._Element]:
    found = node.xpath(path)
    return [el for el in found if isinstance(el, etree._Element)] if isinstance(found, list) else []


def _text(node: etree._Element, path: str) -> str | None:
    found = _elements(node, path)
    if found and found[0].text:
        return str(found[0].text).strip()
    return None


def _line(node: etree._Element) -> int | None:
    line = node.sourceline
    return line if isinstance(line, int) else None


def _camt054(root: etree._Element, credits: list[Credit]) -> list[Outcome]:
    outcomes = []
    for entry in _elements(root, "//*[local-name()='Ntry']"):
        status = _text(entry, "./*[local-name()='Sts']") or _text(
            entry, "./*[local-name()='Sts']/*[local-name()='Cd']"
        )
        if status not in (None, "BOOK"):
            continue  # pending entries are not settled yet
        if _text(entry, "./*[local-name()='CdtDbtInd']") == "CRDT" and not _elements(
            entry, ".//*[local-name()='RtrInf']"
        ):
            text = " ".join(str(t).strip() for t in entry.itertext() if str(t).strip())
            credits.append(
                Credit(text, _minor(_text(entry, "./*[local-name()='Amt']")), _line(entry))
            )
            continue
        for tx in _elements(entry, ".//*[local-name()='TxDtls']"):
            e2e = _text(tx, "./*[local-name()='Refs']/*[local-name()='EndToEndId']")
            if not e2e or e2e == "NOTPROVIDED":
                continue
            returned = _elements(tx, "./*[local-name()='RtrInf']")
            if returned:
                reason = _text(returned[0], ".//*[local-name()='Cd']")
                outcomes.append(Outcome(e2e, RETURNED, reason, _line(tx)))
            else:
                outcomes.append(Outcome(e2e, PAID, None, _line(tx)))
    return outcomes


def _pain002(root: etree._Element) -> list[Outcome]:
    outcomes = []
    for tx in _elements(root, "//*[local-name()='TxInfAndSts']"):
        e2e = _text(tx, "./*[local-name()='OrgnlEndToEndId']")
        status = _text(tx, "./*[local-name()='TxSts']")
        if not e2e:
            continue
        if status in ("ACSC", "ACCC"):
            outcomes.append(Outcome(e2e, PAID, None, _line(tx)))
        elif status == "RJCT":
            reason = _text(tx, ".//*[local-name()='StsRsnInf']//*[local-name()='Cd']")
            outcomes.append(Outcome(e2e, RETURNED, reason, _line(tx)))
    return outcomes


_REASON = re.compile(r"\b(AC0[1-6]|AC13|AG0[12]|AM0[45]|AM09|BE0[1-5]|MD07|MS0[23]|RR0[1-4])\b")
_TEXT_FIELDS = ("purpose", "additional_purpose", "transaction_details", "extra_details")


def _mt940(data: str, known_ids: set[str], credits: list[Credit]) -> list[Outcome]:
    outcomes = []
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(data)
    except Exception as exc:  # the parser raises bare errors on malformed input
        raise UnreadableStatement("not an MT940 statement this reader understands") from exc
    for index, transaction in enumerate(transactions, start=1):
        fields = transaction.data
        text = " ".join(str(fields.get(key) or "") for key in _TEXT_FIELDS)
        # mt-940 reads the structured :86: field (EREF+); free text may name the id anywhere.
        candidates = [str(fields.get("end_to_end_reference") or "").strip()]
        candidates += [known for known in known_ids if known in text]
        e2e = next((c for c in candidates if c in known_ids), None)
        is_credit = str(fields.get("status", "")).endswith("C")
        if e2e is None:
            amount = fields.get("amount")
            if is_credit and amount is not None:
                credits.append(Credit(text, _minor(str(amount.amount)), index))
            continue
        if is_credit:  # our payment came back: a return
            reason = _REASON.search(text)
            outcomes.append(Outcome(e2e, RETURNED, reason.group(1) if reason else "RTRN", index))
        else:
            outcomes.append(Outcome(e2e, PAID, None, index))
    return outcomes


@dataclass
class Parsed:
    kind: str
    outcomes: list[Outcome]
    credits: list[Credit] = field(default_factory=list)


def parse_statement(data: bytes, known_ids: set[str]) -> Parsed:
    """Outcomes and credits of a camt.054, pain.002 or MT940 file; `known_ids` helps read MT940,
    whose free text has no fixed place for the end-to-end id."""
    credits: list[Credit] = []
    head = data.lstrip()[:200]
    if head.startswith(b"<"):
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise UnreadableStatement(f"the XML is malformed: {exc.msg}") from exc
        kinds = {_local(el.tag) for el in root.iter() if isinstance(el.tag, str)}
        if "BkToCstmrDbtCdtNtfctn" in kinds or "BkToCstmrStmt" in kinds:
            return Parsed("camt.054", _camt054(root, credits), credits)
        if "CstmrPmtStsRpt" in kinds:
            return Parsed("pain.002", _pain002(root))
        raise UnreadableStatement("the XML is neither a camt.054 nor a pain.002 document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if ":20:" not in text or ":61:" not in text:
        raise UnreadableStatement("not a camt.054, pain.002 or MT940 statement")
    return Parsed("mt940", _mt940(text, known_ids, credits), credits)
