"""Kannel's get-url and dlr-url reach a running `lineclose serve`: inbound SMS typed into
fakesmsc are stored encrypted, and every message sent gets its delivery reports kept."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lineclose.db import models
from lineclose.services import sms_callbacks
from tests.conftest import TEST_KEYS
from tests.support.closure_rig import closure_rig

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_inbound_sms_and_delivery_reports_arrive_from_a_real_kannel(
    database_url: str, tmp_path: Path
) -> None:
    with closure_rig(database_url, TEST_KEYS, tmp_path) as rig:
        rig.make_requests(2)
        rig.run_until_drained(workers=1, kill=False, timeout=60, rng=random.Random(1))
        rig.kannel.inject("+8613900000077", "10086", "注销 我的号码")

        deadline = time.monotonic() + 15
        stored: list[models.InboundSms] = []
        while not stored and time.monotonic() < deadline:
            with rig.app.sessions() as session:
                stored = list(session.execute(select(models.InboundSms)).scalars())
            time.sleep(0.1)

        assert len(stored) == 1
        assert stored[0].sender.endswith("8613900000077")
        assert rig.app.deps.vault.decrypt(stored[0].text_enc) == "注销 我的号码"
        with rig.app.sessions() as session:
            keys = list(
                session.execute(
                    select(models.OutboxRow.idempotency_key).where(
                        models.OutboxRow.step == "send_sms"
                    )
                ).scalars()
            )
            assert len(keys) == 4
            for key in keys:
                statuses = {r["status"] for r in sms_callbacks.delivery_reports(session, key)}
                assert "delivered" in statuses
