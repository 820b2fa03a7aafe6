"""The compose file's Kafka settings: accepted by the services' settings and possible on its single broker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from baoxue_common.kafka import new_topic
from baoxue_common.settings import load_settings
from baoxue_contracts.topics import TOPICS

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
TOPIC_SETTINGS = ("BAOXUE_KAFKA_REPLICATION_FACTOR", "BAOXUE_KAFKA_MIN_INSYNC_REPLICAS", "BAOXUE_KAFKA_PARTITIONS")


def test_the_compose_topic_settings_load_and_fit_its_kafka_nodes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    env = compose["x-baoxue-env"]
    missing = [name for name in TOPIC_SETTINGS if name not in env]
    assert not missing, f"the compose file must state its topic settings explicitly: {missing}"
    brokers = [
        s for s in compose["services"].values() if "broker" in s.get("environment", {}).get("KAFKA_PROCESS_ROLES", "")
    ]
    for name in list(os.environ):
        if name.startswith("BAOXUE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAOXUE_ENV", "dev")  # the compose file's secrets come from the operator's .env
    for name, value in env.items():
        if name.startswith(("BAOXUE_KAFKA_", "BAOXUE_RETENTION_")):
            monkeypatch.setenv(name, str(value))
    settings = load_settings()
    replicas = {new_topic(settings, spec).replication_factor for spec in TOPICS}
    assert replicas == {len(brokers)}, f"{len(brokers)} Kafka node(s) in the compose file, topics asked for {replicas}"
