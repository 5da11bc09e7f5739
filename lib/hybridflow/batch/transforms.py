"""Pure DataFrame → DataFrame functions of the batch ETL (no I/O: unit-tested on tiny static frames).

- `conform`: trim, normalise case, type (``try_*`` parsers: a bad value never fails the job),
  check the spec's rules; every row either comes out clean or as a reject carrying its reason.
- `dedup_latest`: one row per key, the latest ``updated_at``.
- `newer_than`, `affected_partitions`: what the incremental Delta MERGE writes, and the partitions it touches.
- `build_client_dimension`, `enrich_with_clients`: the client dimension and the stream's enrichment.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, StringType

from hybridflow.batch.errors import BatchError
from hybridflow.crm_tables import DEFAULT_TIER, Column, TableSpec, spark_type, tier

REASON = "reject_reason"
RECORD = "record"
REJECT_COLUMNS = ("table", "source", REASON, RECORD)
_PRIO = "_merge_priority"


def _quote(value: SparkColumn) -> SparkColumn:
    """A value as it appears in a reason: quoted, cut at 60 characters."""
    return F.concat(F.lit("'"), F.substring(value.cast("string"), 1, 60), F.lit("'"))


def _parse(text: SparkColumn, col: Column) -> SparkColumn:
    """Type a trimmed string; null when it does not parse (never an error, even in ANSI mode)."""
    target = spark_type(col.spark_type)
    if isinstance(target, StringType):
        return text
    if col.spark_type in ("date", "timestamp") and col.csv_format:
        parsed = F.try_to_timestamp(text, F.lit(col.csv_format))
        return parsed.cast("date") if col.spark_type == "date" else parsed
    if isinstance(target, DecimalType):
        # French exports: '1 234,56' (space or no-break space as thousands separator, decimal comma).
        text = F.regexp_replace(F.regexp_replace(text, r"[\s\u00a0\u202f]", ""), ",", ".")
    return text.try_cast(target)


def conform(df: DataFrame, spec: TableSpec, source: str) -> tuple[DataFrame, DataFrame]:
    """Clean `df` (raw rows of `spec`) into (valid rows in the lake schema, rejects with their reason).

    Strings are trimmed (blank = null) and case-normalised; string inputs are typed with the
    spec's formats; then required columns, patterns, allowed values and row checks are tested.
    A reject keeps the original row as JSON in `record`, and the first rule it broke in `reject_reason`.

    Args:
        source: where the rows came from (table or file), kept on the rejects.
    """
    missing = [c for c in spec.column_names if c not in df.columns]
    if missing:
        raise BatchError(
            f"{spec.name}: the source has no column(s) {', '.join(missing)}: check the export/table layout."
        )
    in_types = dict(df.dtypes)
    record = F.to_json(F.struct(*[F.col(c) for c in spec.column_names]))
    source_col = F.col("_source_file") if "_source_file" in df.columns else F.lit(source)

    clean: dict[str, SparkColumn] = {}
    reasons: list[SparkColumn] = []
    for col in spec.columns:
        raw = F.col(col.name)
        if in_types[col.name] == "string":
            text = F.trim(raw)
            text = F.when(text == "", F.lit(None)).otherwise(text)
            if col.case == "lower":
                text = F.lower(text)
            elif col.case == "upper":
                text = F.upper(text)
            value = _parse(text, col)
            reasons.append(
                F.when(text.isNotNull() & value.isNull(), F.concat(F.lit(f"unparseable {col.name}: "), _quote(text)))
            )
        else:
            value = raw.cast(spark_type(col.spark_type))
        clean[col.name] = value
        if col.required:
            reasons.append(F.when(value.isNull(), F.lit(f"missing {col.name}")))
        if col.pattern:
            reasons.append(
                F.when(
                    ~value.cast("string").rlike(col.pattern), F.concat(F.lit(f"invalid {col.name}: "), _quote(value))
                )
            )
        if col.allowed:
            reasons.append(F.when(~value.isin(*col.allowed), F.concat(F.lit(f"invalid {col.name}: "), _quote(value))))

    # Column reasons refer to the raw columns: evaluate them in the same projection that cleans them.
    staged = df.select(
        *[v.alias(k) for k, v in clean.items()],
        record.alias(RECORD),
        source_col.alias("source"),
        F.coalesce(*reasons).alias("_col_reason") if reasons else F.lit(None).cast("string").alias("_col_reason"),
    )
    # Row checks then read the clean, typed columns; a check on a null input passes (that is `required`'s job).
    row_reasons = [F.when(~F.coalesce(F.expr(expr), F.lit(True)), F.lit(reason)) for reason, expr in spec.checks]
    staged = staged.withColumn(
        REASON, F.coalesce(F.col("_col_reason"), *row_reasons) if row_reasons else F.col("_col_reason")
    )
    valid = staged.where(F.col(REASON).isNull())
    for name, expr, typ in spec.derived:
        valid = valid.withColumn(name, F.expr(expr).cast(typ))
    valid = valid.select(*spec.lake_schema().fieldNames())
    rejects = staged.where(F.col(REASON).isNotNull()).select(F.lit(spec.name).alias("table"), "source", REASON, RECORD)
    return valid, rejects


def dedup_latest(df: DataFrame, key: str, updated_at: str = "updated_at") -> DataFrame:
    """One row per `key`: the one with the latest `updated_at` (ties broken deterministically)."""
    order = [F.col(updated_at).desc_nulls_last()]
    if _PRIO in df.columns:
        order.append(F.col(_PRIO).desc())
    order.append(F.xxhash64(*[c for c in df.columns if c != _PRIO]).desc())
    w = Window.partitionBy(key).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(w)).where("_rank = 1").drop("_rank")


def newer_than(changes: DataFrame, existing: DataFrame, key: str, updated_at: str = "updated_at") -> DataFrame:
    """The rows of `changes` that are new keys, or newer than the version `existing` holds.

    What makes a re-run idempotent: re-reading a row already loaded yields nothing.
    """
    current = existing.select(F.col(key), F.col(updated_at).alias("_current_updated_at"))
    return (
        changes.join(current, on=key, how="left")
        .where(F.col("_current_updated_at").isNull() | (F.col(updated_at) > F.col("_current_updated_at")))
        .drop("_current_updated_at")
    )


def affected_partitions(existing: DataFrame, changes: DataFrame, key: str, partition_by: tuple[str, ...]) -> DataFrame:
    """Distinct partition values a merge must rewrite: those of the changes and of the rows they replace.

    A change can move a row to another partition (a client changing segment): the old
    partition must be rewritten too, or it would keep the stale version.
    """
    cols = list(partition_by)
    replaced = existing.join(changes.select(key), on=key, how="left_semi").select(*cols)
    return changes.select(*cols).unionByName(replaced).distinct()


# --- The client dimension and the stream's enrichment -----------------------------------------------

DIMENSION_COLUMNS = (
    "client_id",
    "client_name",
    "segment",
    "country",
    "contract_tier",
    "sla_first_response_hours",
    "contract_sla_hours",
    "account_team_id",
    "account_team_name",
)
ENRICHMENT_COLUMNS = (
    "client_name",
    "segment",
    "country",
    "contract_tier",
    "account_team_id",
    "account_team_name",
    "contract_sla_hours",
    "sla_deadline",
    "client_known",
    "contract_first_response_hours",
)


def build_client_dimension(clients: DataFrame, tiers: DataFrame, teams: DataFrame) -> DataFrame:
    """One row per client: segment, country, contract tier with its SLA hours, account team (lake tables in)."""
    t = tiers.select(
        F.col("tier").alias("contract_tier"),
        F.col("first_response_hours").alias("sla_first_response_hours"),
        F.col("resolution_hours").alias("contract_sla_hours"),
    )
    a = teams.select(F.col("team_id").alias("account_team_id"), F.col("team_name").alias("account_team_name"))
    return (
        clients.select(
            "client_id", F.col("name").alias("client_name"), "segment", "country", "contract_tier", "account_team_id"
        )
        .join(F.broadcast(t), on="contract_tier", how="left")
        .join(F.broadcast(a), on="account_team_id", how="left")
        .select(*DIMENSION_COLUMNS)
    )


def enrich_with_clients(tickets_df: DataFrame, clients_df: DataFrame) -> DataFrame:
    """Left-join tickets with the client dimension; add the contract's SLA hours, `sla_deadline` and `client_known`.

    Works on a static or a streaming `tickets_df` (a stream–static join). A ticket whose
    client the CRM does not know is kept, with ``client_known = false``, null client
    attributes, and the standard contract's SLA (``DEFAULT_TIER``) so it still has a deadline.

    Args:
        tickets_df: needs `client_id` and `created_at` (timestamp).
        clients_df: the dimension (`read_client_dimension` or `build_client_dimension`).
    """
    clash = sorted(set(ENRICHMENT_COLUMNS) & set(tickets_df.columns))
    if clash:
        raise BatchError(f"tickets already have column(s) {', '.join(clash)}: rename them before enrich_with_clients.")
    for needed in ("client_id", "created_at"):
        if needed not in tickets_df.columns:
            raise BatchError(f"enrich_with_clients needs a `{needed}` column on the tickets.")
    dim = clients_df.select(*DIMENSION_COLUMNS).withColumn("_known", F.lit(True))
    default = tier(DEFAULT_TIER)
    joined = tickets_df.join(F.broadcast(dim), on="client_id", how="left")
    return (
        joined.withColumn("client_known", F.coalesce(F.col("_known"), F.lit(False)))
        .withColumn("contract_sla_hours", F.coalesce(F.col("contract_sla_hours"), F.lit(default.resolution_hours)))
        .withColumn(
            "contract_first_response_hours",
            F.coalesce(F.col("sla_first_response_hours"), F.lit(default.first_response_hours)),
        )
        .withColumn("sla_deadline", F.timestamp_add("HOUR", F.col("contract_sla_hours"), F.col("created_at")))
        .drop("_known")
        .select(*tickets_df.columns, *ENRICHMENT_COLUMNS)
    )
