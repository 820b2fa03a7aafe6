"""Topic and producer settings: read from the environment, refused when they cannot work on a cluster."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiokafka import codec
from baoxue_common.kafka import make_producer, new_topic
from baoxue_common.settings import SettingsError, load_settings
from baoxue_contracts.topics import TOPICS_BY_NAME


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("BAOXUE_") or name in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAOXUE_ENV", "dev")  # the published placeholder secrets are accepted only in dev
    monkeypatch.chdir(tmp_path)


def test_a_three_broker_cluster_gets_three_replicas_two_in_sync_and_the_partitions_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("BAOXUE_KAFKA_MIN_INSYNC_REPLICAS", "2")
    monkeypatch.setenv("BAOXUE_KAFKA_PARTITIONS", '{"attendance.v1": 24}')
    settings = load_settings()
    attendance = new_topic(settings, TOPICS_BY_NAME["attendance.v1"])
    roster = new_topic(settings, TOPICS_BY_NAME["roster.v1"])
    assert (attendance.num_partitions, attendance.replication_factor) == (24, 3)
    assert attendance.topic_configs["min.insync.replicas"] == "2"
    assert roster.num_partitions == TOPICS_BY_NAME["roster.v1"].partitions, "no override: the catalog's count"


def test_min_insync_above_the_replication_factor_is_refused_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_REPLICATION_FACTOR", "1")
    monkeypatch.setenv("BAOXUE_KAFKA_MIN_INSYNC_REPLICAS", "2")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "BAOXUE_KAFKA_MIN_INSYNC_REPLICAS (2) must not exceed BAOXUE_KAFKA_REPLICATION_FACTOR (1)" in str(info.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"attendence.v1": 24}', "unknown topic 'attendence.v1'"),
        ('{"attendance.v1": 0}', "at least 1"),
        ("24", "BAOXUE_KAFKA_PARTITIONS"),
    ],
)
def test_bad_partition_overrides_are_refused(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_PARTITIONS", value)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings()
    assert "BAOXUE_KAFKA_PARTITIONS" in str(info.value)


async def test_the_producer_compresses_with_an_installed_codec_and_takes_its_request_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_MAX_REQUEST_SIZE", str(2 * 1024 * 1024))
    settings = load_settings()
    assert settings.kafka_compression in ("lz4", "zstd"), "compression is on by default"
    assert codec.has_lz4() and codec.has_zstd(), "aiokafka's codecs (cramjam) are installed"
    producer = make_producer(settings, client_id="unit")  # aiokafka refuses a codec it cannot load
    assert producer._compression_type == settings.kafka_compression
    assert producer._max_request_size == 2 * 1024 * 1024


@pytest.mark.parametrize("value", ["brotli", "LZ4 "])
def test_unknown_codecs_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BAOXUE_KAFKA_COMPRESSION", value)
    with pytest.raises(SettingsError, match="BAOXUE_KAFKA_COMPRESSION"):
        load_settings()
