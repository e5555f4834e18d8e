"""Structured logs: one JSON object a line, with the request id of the call being served."""

from __future__ import annotations

import json
import logging

from lineclose import logs


def test_a_record_becomes_one_json_line_with_the_request_id_and_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "lineclose.worker", "levelname": "INFO", "msg": "step %s done", "args": ("x",)}
    )
    record.status = 202
    token = logs.request_id.set("req-1")
    try:
        line = logs.JsonFormatter().format(record)
    finally:
        logs.request_id.reset(token)

    entry = json.loads(line)
    assert entry["message"] == "step x done"
    assert entry["request_id"] == "req-1"
    assert entry["status"] == 202
    assert entry["logger"] == "lineclose.worker"
    assert "\n" not in line
