"""A worker process for one outbox step, to be killed mid-delivery by a test.

python -m tests.support.webhook_worker DATABASE_URL DATA_KEYS
"""

from __future__ import annotations

import sys

from pydantic import SecretStr

from lineclose.bootstrap import bootstrap
from lineclose.config import Settings
from lineclose.worker.dispatcher import Worker

if __name__ == "__main__":
    url, keys = sys.argv[1], sys.argv[2]
    settings = Settings(
        database_url=url,
        data_keys=SecretStr(keys),
        hlr_backend="fake",
        sms_backend="fake",
        email_backend="fake",
        webhook_timeout_seconds=60,
    )
    app = bootstrap(settings)
    Worker(app.sessions, app.deps, name="doomed-worker").run_one()
