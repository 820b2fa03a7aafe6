"""`python -m tests.integration.counting_consumer_main`: the consumer process of the SIGKILL test."""

from __future__ import annotations

import asyncio
import os

from baoxue_common.settings import Settings

from tests.integration.support import run_counting_consumer

if __name__ == "__main__":
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        kafka_bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=200,
        consumer_max_records=50,
    )
    asyncio.run(
        run_counting_consumer(
            settings, os.environ["DATABASE_URL"], os.environ["TEST_SCHEMA"], os.environ["TEST_TOPIC"], "kill-test"
        )
    )
