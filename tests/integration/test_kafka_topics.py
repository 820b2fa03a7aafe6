"""Topics as the broker stores them (partitions, replicas, configs) and compressed records, on a real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.record.memory_records import MemoryRecords
from baoxue_common.devstack import Broker, free_port
from baoxue_common.kafka import ensure_topics, make_producer
from baoxue_contracts.topics import ATTENDANCE, AUTH, ROSTER, STATS_BY_TIER, TOPICS, TOPICS_BY_NAME

from tests.integration.conftest import DATA, Stack
from tests.integration.test_delivery import read_all


@pytest.fixture(scope="module")
async def broker() -> AsyncIterator[Broker]:
    """A broker of our own: the session broker's topics were created with the default settings."""
    broker = await Broker(free_port(), DATA / "logs" / "topics-broker.log").start()
    try:
        yield broker
    finally:
        broker.kill()


async def topic_configs(bootstrap: str, names: list[str]) -> tuple[dict[str, dict[str, str]], dict[str, list[int]]]:
    """(configs per topic as the broker describes them, replica counts per partition per topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    configs = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}
        for response in responses
        for resource in response.resources
    }
    replicas = {t["topic"]: [len(p["replicas"]) for p in t["partitions"]] for t in described}
    return configs, replicas


async def test_topics_are_created_with_the_settings_replicas_min_insync_partitions_and_their_configs(
    stack: Stack, broker: Broker
) -> None:
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap, kafka_partitions={ATTENDANCE: 12})
    created = await ensure_topics(settings)
    assert sorted(created) == sorted(t.name for t in TOPICS)
    assert await ensure_topics(settings) == [], "existing topics are left alone"
    stats = STATS_BY_TIER["county"]
    configs, replicas = await topic_configs(broker.bootstrap, [ATTENDANCE, ROSTER, AUTH, stats])
    assert len(replicas[ATTENDANCE]) == 12, "the override"
    assert len(replicas[ROSTER]) == TOPICS_BY_NAME[ROSTER].partitions, "the catalog's default"
    assert {n for counts in replicas.values() for n in counts} == {settings.kafka_replication_factor}
    for name in (ATTENDANCE, ROSTER, AUTH, stats):
        assert configs[name]["min.insync.replicas"] == str(settings.kafka_min_insync_replicas), name
    assert configs[AUTH]["cleanup.policy"] == "compact", "revocations: one record per token id, never deleted"
    assert configs[AUTH]["retention.ms"] == "-1"
    assert configs[stats]["cleanup.policy"] == "compact"
    assert configs[ATTENDANCE]["cleanup.policy"] == "delete"


async def stored_codecs(bootstrap: str, topic: str, partition: int) -> list[int]:
    """The compression codec of every record batch the broker holds for one partition (a raw Fetch)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        await client.force_metadata_update()
        leader = client.cluster.leader_for_partition(TopicPartition(topic, partition))
        request = FetchRequest(100, 1, 16 * 1024 * 1024, 0, [(topic, [(partition, 0, 16 * 1024 * 1024)])])
        response = await client.send(leader, request)
    finally:
        await client.close()
    records = MemoryRecords(response.topics[0][1][0][-1])
    codecs = []
    while (batch := records.next_batch()) is not None:
        codecs.append(batch.compression_type)
    return codecs


async def test_records_travel_compressed_and_come_back_intact(stack: Stack, broker: Broker) -> None:
    settings = stack.settings(kafka_bootstrap_servers=broker.bootstrap)
    await ensure_topics(settings)
    value = b'{"counts": {"present": 1}}' * 4000  # ~100 KB, very compressible
    producer = make_producer(settings, client_id="compression-test")
    await producer.start()
    try:
        sent = await producer.send_and_wait(ROSTER, value, key=b"110101")
    finally:
        await producer.stop()
    records = await read_all(broker.bootstrap, ROSTER, expect=1)
    assert [r.value for r in records] == [value]
    codec = {"lz4": DefaultRecordBatch.CODEC_LZ4, "zstd": DefaultRecordBatch.CODEC_ZSTD}[settings.kafka_compression]
    assert await stored_codecs(broker.bootstrap, ROSTER, sent.partition) == [codec]
