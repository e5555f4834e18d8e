"""The documented product characteristics of a termination order (README, "TMF622").

They let a verified channel carry in the order itself everything a closure needs, so a clean
order completes with no other call:

| name | value | closure input |
|---|---|---|
| `msisdn` | the line's number, E.164 (required) | the line to close |
| `identityEvidence` | list of `{method, value}` (methods below) | identity proof |
| `acceptEarlyTerminationFee` | boolean | ETF accepted |
| `scheduleAtTermEnd` | boolean | close when the commitment ends |
| `acknowledgedBindings` | list of binding ids the subscriber confirmed | bindings acknowledged |
| `refundAccount` | IBAN or account number | where the refund goes |

Identity methods: `service_password`, `id_number`, `id_document_seen` (store staff only).
The order's `notificationContact` is the contact for notices after closure and its
`requestedCompletionDate` the closure date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lineclose.domain.facts import IdentityMethod
from lineclose.domain.identifiers import mask_account
from lineclose.services.closure import ClosureInput
from lineclose.services.identity import IdentityEvidence
from lineclose.services.tmf622.errors import bad_request

NAMES = frozenset(
    {
        "msisdn",
        "identityEvidence",
        "acceptEarlyTerminationFee",
        "scheduleAtTermEnd",
        "acknowledgedBindings",
        "refundAccount",
    }
)


@dataclass(frozen=True)
class Termination:
    msisdn: str
    given: ClosureInput


def _item(body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("productOrderItem")
    if (
        not isinstance(items, list)
        or len(items) != 1
        or not isinstance(items[0], dict)
        or items[0].get("action") != "delete"
    ):
        raise bad_request(
            "unsupportedOrder",
            "a termination order has exactly one productOrderItem, with action 'delete'",
        )
    item: dict[str, Any] = items[0]
    return item


def characteristics(body: dict[str, Any]) -> dict[str, Any]:
    product = _item(body).get("product") or {}
    listed = product.get("productCharacteristic") if isinstance(product, dict) else None
    if not isinstance(listed, list):
        raise bad_request(
            "missingCharacteristic",
            "productOrderItem.product.productCharacteristic must list the line's 'msisdn'",
        )
    found: dict[str, Any] = {}
    for entry in listed:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in NAMES:
            raise bad_request(
                "unknownCharacteristic",
                f"productCharacteristic {name!r} is not one of: {', '.join(sorted(NAMES))}",
            )
        found[name] = entry.get("value")
    return found


def _bool(found: dict[str, Any], name: str) -> bool:
    value = found.get(name, False)
    if not isinstance(value, bool):
        raise bad_request("invalidCharacteristic", f"productCharacteristic {name} is a boolean")
    return value


def _evidence(raw: Any) -> tuple[IdentityEvidence, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise bad_request(
            "invalidCharacteristic", "identityEvidence is a list of {method, value} objects"
        )
    try:
        return tuple(IdentityEvidence(IdentityMethod(e.get("method")), e.get("value")) for e in raw)
    except ValueError:
        methods = ", ".join(m.value for m in IdentityMethod if m is not IdentityMethod.OTP)
        raise bad_request(
            "invalidCharacteristic", f"identityEvidence.method must be one of: {methods}"
        ) from None


def _requested(raw: Any) -> date | None:
    if raw is None:
        return None
    try:
        text = str(raw)
        return (
            datetime.fromisoformat(text)
            if "T" in text
            else datetime.fromisoformat(text + "T00:00:00")
        ).date()
    except ValueError:
        raise bad_request(
            "invalidDate", "requestedCompletionDate must be an RFC 3339 date-time"
        ) from None


def termination(body: dict[str, Any], *, refund_account: bool = True) -> Termination:
    """The closure an order asks for. `refund_account=False` leaves the account unchanged (a
    patch that does not send it again: the stored copy is masked)."""
    found = characteristics(body)
    msisdn = found.get("msisdn")
    if not isinstance(msisdn, str) or not msisdn:
        raise bad_request("missingCharacteristic", "productCharacteristic 'msisdn' is required")
    bindings = found.get("acknowledgedBindings") or []
    if not isinstance(bindings, list) or not all(
        isinstance(b, int) and not isinstance(b, bool) for b in bindings
    ):
        raise bad_request("invalidCharacteristic", "acknowledgedBindings is a list of binding ids")
    account = found.get("refundAccount") if refund_account else None
    contact = body.get("notificationContact")
    return Termination(
        msisdn,
        ClosureInput(
            refund_account=str(account) if account else None,
            alternate_contact=str(contact) if contact else None,
            acknowledged_bindings=tuple(bindings),
            accept_etf=_bool(found, "acceptEarlyTerminationFee"),
            requested_date=_requested(body.get("requestedCompletionDate")),
            schedule_at_term_end=_bool(found, "scheduleAtTermEnd"),
            identity=_evidence(found.get("identityEvidence")),
        ),
    )


def sanitized(body: dict[str, Any]) -> dict[str, Any]:
    """The order as it is kept to be echoed: identity evidence by method only, the refund
    account masked, the contact left to the request (which keeps it sealed and masked)."""
    kept = {k: v for k, v in body.items() if k != "notificationContact"}
    items = []
    for item in kept.get("productOrderItem", []):
        product = dict(item.get("product") or {})
        listed = []
        for c in product.get("productCharacteristic", []):
            if c.get("name") == "identityEvidence" and isinstance(c.get("value"), list):
                c = {**c, "value": [{"method": e.get("method")} for e in c["value"]]}
            elif c.get("name") == "refundAccount" and c.get("value"):
                c = {**c, "value": mask_account(str(c["value"]))}
            listed.append(c)
        product["productCharacteristic"] = listed
        items.append({**item, "product": product})
    kept["productOrderItem"] = items
    return kept
