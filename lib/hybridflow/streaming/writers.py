"""The `foreachBatch` function of a one-pass query: one validated micro-batch to its Delta table and its dead letters.

The tickets query and the lifecycle events query share it: each validates its records once, in
the streaming plan, and Spark hands every micro-batch here with its id (the same id, with the
same records, when a batch is replayed after a crash).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from hybridflow.batch.dimension import ClientDimension
from hybridflow.batch.transforms import enrich_with_clients
from hybridflow.config import Settings
from hybridflow.lake import TICKETS, LakeTable
from hybridflow.streaming import sinks, transforms
from hybridflow.streaming.sinks import STREAM_TIME

log = logging.getLogger(__name__)


class TicketBatchWriter:
    """The `foreachBatch` function of a one-pass query: the lake and the dead letters from one validated batch.

    Spark calls it once per micro-batch with the batch's validated records and its id (the
    same id, with the same records, when a batch is replayed after a crash). The valid rows are
    shaped (`shape`: for tickets, enriched with their team, SLA and the client dimension), stamped
    with the stream time (`sinks.StreamClock`) and appended to `table` once; the invalid ones are
    published as dead letters in one transaction.

    Args:
        event_time: the valid rows' event-time column (its running maximum is the stream time).
    """

    def __init__(
        self,
        spark: SparkSession,
        settings: Settings,
        table: LakeTable = TICKETS,
        event_time: str = "created_at",
        shape: Callable[[DataFrame], DataFrame] | None = None,
    ) -> None:
        self.spark = spark
        self.settings = settings
        self.dimension = ClientDimension(spark, settings)
        self.stats = {"batches": 0, "tickets": 0, "dead_letters": 0, "replayed": 0}
        self.lake = sinks.OnceAppender(table, settings)
        self.clock = sinks.StreamClock(self.lake)
        self.event_time = event_time
        self._shape = shape or self._enrich_tickets
        self._publisher: sinks.DeadLetterPublisher | None = None

    def _enrich_tickets(self, validated: DataFrame) -> DataFrame:
        return enrich_with_clients(transforms.enrich(transforms.valid_tickets(validated)), self.dimension.current())

    def bind(self, query: StreamingQuery) -> None:
        """Give the writer its query's id: the idempotence key of every write (stable across restarts)."""
        self.lake.bind(query)

    def __call__(self, validated: DataFrame, batch_id: int) -> None:
        # Parsed and validated by the streaming plan (planned once, not per batch); cached here so
        # every output reads the batch once.
        validated = validated.persist(StorageLevel.MEMORY_AND_DISK)
        started = time.perf_counter()
        try:
            stream_time = self.clock.advance(validated.where(F.col("error").isNull()), self.event_time)
            rows = self._shape(validated).withColumn(STREAM_TIME, self.clock.column())
            if not self.lake.append(rows, batch_id, marker={STREAM_TIME: stream_time}):
                self.stats["replayed"] += 1
            landed = time.perf_counter()
            if self._publisher is None:
                self._publisher = sinks.DeadLetterPublisher(self.settings, self.lake.app_id)
            # Dead letters are few (malformed events only, at most MAX_OFFSETS_PER_TRIGGER a batch):
            # collected through Arrow, as plain dicts of bytes and strings.
            letters = transforms.dead_letters(validated).toArrow().to_pylist()
            collected = time.perf_counter()
            published = self._publisher.publish(letters)
            log.debug(
                "%s batch %d: read, validate and append to Delta %.1f s; collect %d dead letters %.1f s; "
                "publish them %.1f s",
                self.lake.table.name, batch_id, landed - started, len(letters), collected - landed,
                time.perf_counter() - collected,
            )  # fmt: skip
            self.stats["batches"] += 1
            self.stats["dead_letters"] += published
        finally:
            validated.unpersist()

    def close(self) -> None:
        """Release the dead-letter producer."""
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
