"""Closed lines with a refund waiting, as settlement leaves them, for the payout tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from lineclose.bootstrap import App
from lineclose.db import models
from lineclose.domain.identifiers import mask_account
from lineclose.services.context import Actor, Channel, Deps, Role
from lineclose.services.payouts.accounts import set_payout_account
from tests.factories import make_line, make_operator

_serial = itertools.count(1)
ADMIN = Actor(Role.ADMIN, "payouts", Channel.SYSTEM)
EU_ACCOUNTS = ("DE89370400440532013000", "FR1420041010050500013M02606")
GB_ACCOUNT = "GB33BUKB20201555555555"


def closed_with_refund(
    session: Session,
    deps: Deps,
    operator: models.Operator,
    *,
    account: str,
    amount_minor: int = 2_500,
    contact: str = "alt@example.org",
    holder_name: str = "Anna Schmidt",
) -> models.RefundInstruction:
    # No service password: hashing one is slow on purpose and these tests never use it.
    line = make_line(session, deps, operator, holder_name=holder_name, service_password=None)
    now = deps.clock.now()
    line.status = "closed"
    line.closed_at = now
    n = next(_serial)
    request = models.ClosureRequest(
        reference=f"LC-2026-T{n:05d}",
        operator_id=operator.id,
        line_id=line.id,
        status="closed",
        channel="online",
        submitted_by="subscriber:test",
        payload_digest="0" * 64,
        refund_account_enc=deps.vault.encrypt(account),
        refund_account_masked=mask_account(account),
        alternate_contact_enc=deps.vault.encrypt(contact),
        alternate_contact_masked="a***@example.org",
        submitted_at=now - timedelta(days=3),
        closed_at=now,
        created_at=now - timedelta(days=3),
        updated_at=now,
    )
    session.add(request)
    session.flush()
    refund = models.RefundInstruction(
        request_id=request.id,
        amount_minor=amount_minor,
        currency=line.currency,
        account_enc=request.refund_account_enc,
        account_masked=mask_account(account),
        status="instructed",
        idempotency_key=f"{request.id}:refund",
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return refund


def setup_operators(app: App) -> dict[str, str]:
    with app.sessions.begin() as session:
        eu = make_operator(session, app.deps, "eu", code="op-eu")
        uk = make_operator(session, app.deps, "uk", code="op-uk")
        cn = make_operator(session, app.deps, "cn", code="op-cn")
        set_payout_account(
            session, app.deps, ADMIN, "op-eu", "EUR", "Lineclose EU", "BE68539007547034", "GKCCBEBB"
        )
        set_payout_account(
            session, app.deps, ADMIN, "op-uk", "GBP", "Lineclose UK", GB_ACCOUNT, "BUKBGB22"
        )
        for account, amount in zip(EU_ACCOUNTS, (2_500, 1_010), strict=True):
            closed_with_refund(session, app.deps, eu, account=account, amount_minor=amount)
        closed_with_refund(session, app.deps, uk, account=GB_ACCOUNT, amount_minor=4_200)
        closed_with_refund(
            session,
            app.deps,
            cn,
            account="6222020200112233445",
            amount_minor=8_800,
            holder_name="王芳",
        )
    return {"eu": eu.code, "uk": uk.code, "cn": cn.code}


def camt054(paid: str, returned: str, reason: str = "AC04") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
 <BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>NTF-1</MsgId><CreDtTm>2026-11-26T08:00:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><CreDtTm>2026-11-26T08:00:00</CreDtTm>
   <Acct><Id><IBAN>BE68539007547034</IBAN></Id></Acct>
   <Ntry><Amt Ccy="EUR">25.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-11-26</Dt></BookgDt><ValDt><Dt>2026-11-26</Dt></ValDt>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls><Refs><EndToEndId>{paid}</EndToEndId></Refs>
     <AmtDtls><TxAmt><Amt Ccy="EUR">25.00</Amt></TxAmt></AmtDtls></TxDtls></NtryDtls>
   </Ntry>
   <Ntry><Amt Ccy="EUR">10.10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>2026-11-26</Dt></BookgDt><ValDt><Dt>2026-11-26</Dt></ValDt>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls><Refs><EndToEndId>{returned}</EndToEndId></Refs>
     <RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry><Amt Ccy="EUR">99.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
    <NtryDtls><TxDtls><Refs><EndToEndId>NOT-OURS-1</EndToEndId></Refs></TxDtls></NtryDtls>
   </Ntry>
  </Ntfctn>
 </BkToCstmrDbtCdtNtfctn>
</Document>""".encode()


def pain002(accepted: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
 <CstmrPmtStsRpt>
  <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-11-27T08:00:00</CreDtTm></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>PB</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>
   <TxInfAndSts><OrgnlEndToEndId>{accepted}</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
  </OrgnlPmtInfAndSts>
 </CstmrPmtStsRpt>
</Document>""".encode()


# Parsing and rendering rules do not depend on the database: these run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
