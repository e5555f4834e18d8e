"""Reply latency of the SMS keyword channel through a real Kannel with its fake SMSC.

From the moment the phone (fakesmsc) hands a text to the gateway until the reply reaches the
phone: Kannel's get-url call, the keyword, the outbox row, the worker (polling at the
production default), Kannel's sendsms and the SMSC. The baseline is the gateway alone in the
same run: a message handed straight to sendsms until the phone has it. Target: a reply within
a second (UK operators answer INFO texts within a minute; Lineclose aims far lower).

Run ``python benchmarks/bench_sms.py`` with the ``lineclose`` package importable and Kannel
installed.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.factories import make_line, make_operator
from tests.support.texting_rig import TextingRig, texting_rig

from lineclose.config import Settings
from lineclose.db.migrate import upgrade
from lineclose.security.vault import new_key_line
from lineclose.services.context import SYSTEM_ACTOR
from lineclose.services.sms_keywords.channel import set_short_code

TEXTS = 20
TARGET_SECONDS = 1.0


def _gateway_alone(rig: TextingRig, number: str, seen: int) -> float:
    start = time.perf_counter()
    answer = httpx.get(
        rig.kannel.sendsms_url,
        params={
            "username": rig.kannel.username,
            "password": rig.kannel.password,
            "from": "10086",
            "to": number,
            "text": "baseline",
        },
    )
    answer.raise_for_status()
    rig.wait_for_reply_to(number, seen=seen)
    return time.perf_counter() - start


def run() -> dict[str, dict[str, float]]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    with texting_rig(
        url, new_key_line("k1"), worker_poll_seconds=Settings().worker_poll_seconds
    ) as rig:
        with rig.app.sessions.begin() as session:
            operator = make_operator(session, rig.app.deps, "cn")
            numbers = [make_line(session, rig.app.deps, operator).msisdn for _ in range(TEXTS)]
            set_short_code(session, rig.app.deps, SYSTEM_ACTOR, operator.code, "10086")
        replies, baseline = [], []
        for number in numbers:
            sent = rig.text(number, "10086", "查询")
            rig.wait_for_reply_to(number, seen=0)
            replies.append(time.perf_counter() - sent)
            baseline.append(_gateway_alone(rig, number, seen=1))
    value = statistics.median(replies)
    base = statistics.median(baseline)
    p95 = sorted(replies)[int(len(replies) * 0.95) - 1]
    return {
        "sms_reply_latency_median_s": {
            "value": round(value, 3),
            "baseline": round(base, 3),
            "ratio": round(value / base, 2),
            "target": TARGET_SECONDS,
        },
        "sms_reply_latency_p95_s": {
            "value": round(p95, 3),
            "baseline": round(base, 3),
            "ratio": round(p95 / base, 2),
            "target": TARGET_SECONDS,
        },
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(name, figure)
