"""The on-premise CRM/ERP tables and the SAN export, as data.

One `TableSpec` per dataset drives everything else: the PostgreSQL DDL of the
seeder, the explicit Spark schemas (JDBC result and raw CSV), the cleaning rules
(with the reason each rejected row carries), the JDBC partition column and the
lake partitioning. The report renders the same specs, so text and code agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from hybridflow.tickets.model import CLIENT_ID_PATTERN, UUID_PATTERN, Priority, RequestType

PG_SCHEMA = "crm"

_SIMPLE_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "bigint": LongType(),
    "date": DateType(),
    "timestamp": TimestampType(),
    "boolean": BooleanType(),
}


def spark_type(ddl: str) -> DataType:
    """The Spark type of a DDL name used in the specs (no SparkSession needed, unlike pyspark's parser)."""
    if ddl in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[ddl]
    match = re.fullmatch(r"decimal\((\d+),(\d+)\)", ddl)
    if match:
        return DecimalType(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"unsupported type {ddl!r} in a table spec")


@dataclass(frozen=True)
class ContractTier:
    """A contract level and the support SLA it buys."""

    tier: str
    label: str
    first_response_hours: int
    resolution_hours: int


CONTRACT_TIERS: tuple[ContractTier, ...] = (
    ContractTier("platinum", "Platinum 24/7", first_response_hours=1, resolution_hours=8),
    ContractTier("gold", "Gold", first_response_hours=2, resolution_hours=24),
    ContractTier("silver", "Silver", first_response_hours=4, resolution_hours=48),
    ContractTier("bronze", "Bronze (standard)", first_response_hours=8, resolution_hours=120),
)
# A ticket from a client the CRM does not know still gets a deadline: the standard contract's.
DEFAULT_TIER = "bronze"

SEGMENTS = ("smb", "mid_market", "enterprise", "public_sector")
CONTRACT_STATUSES = ("active", "expired", "cancelled")
TICKET_STATUSES = ("open", "in_progress", "resolved", "closed")
INVOICE_STATUSES = ("paid", "unpaid", "overdue", "cancelled")
TEAM_KINDS = ("support", "account")


@dataclass(frozen=True)
class Column:
    """One column: Spark type, PostgreSQL type and the rules a clean value obeys.

    Args:
        spark_type: Spark SQL DDL type (``string``, ``int``, ``timestamp``, ``decimal(12,2)`` ...).
        pg_type: PostgreSQL type of the source table (None for the CSV-only dataset).
        required: a null (or blank) value rejects the row.
        pattern: a regex a non-null string must match (after trimming/normalising).
        allowed: the set a non-null value must belong to (after lower-casing).
        case: normalise strings to 'lower' or 'upper' before checking.
        csv_format: the date/timestamp format of the CSV export (CSV datasets only).
    """

    name: str
    spark_type: str
    pg_type: str | None = None
    required: bool = True
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None
    case: str | None = None
    csv_format: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One dataset of the reference layer and where it comes from.

    Args:
        source: 'jdbc' (a PostgreSQL table in schema `crm`) or 'csv' (files in the landing folder).
        key: the business key: at most one row per key in the lake (the latest `updated_at`).
        jdbc_partition_column: numeric column the parallel JDBC read is split on (None: one reader).
        lake_partition_by: Parquet partition columns of the lake table (may be derived).
        derived: extra columns computed from clean ones: (name, Spark SQL expression, type).
        checks: row rules (reason, Spark SQL boolean that must hold when its inputs are not null).
        csv_glob: file-name pattern of the exports in the landing folder (CSV only).
    """

    name: str
    source: str
    columns: tuple[Column, ...]
    key: str
    updated_at: str = "updated_at"
    jdbc_partition_column: str | None = None
    lake_partition_by: tuple[str, ...] = ()
    derived: tuple[tuple[str, str, str], ...] = ()
    checks: tuple[tuple[str, str], ...] = ()
    csv_glob: str | None = None
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        """Source columns in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(c for c in self.columns if c.name == name)

    @property
    def pg_table(self) -> str:
        """Schema-qualified PostgreSQL table name."""
        return f"{PG_SCHEMA}.{self.name}"

    def source_schema(self) -> StructType:
        """Typed schema of the clean rows (what the JDBC read returns)."""
        return StructType([StructField(c.name, spark_type(c.spark_type), True) for c in self.columns])

    def raw_csv_schema(self) -> StructType:
        """Explicit schema of the CSV export: every column a string, so a bad value is kept to be reported."""
        return StructType([StructField(c.name, spark_type("string"), True) for c in self.columns])

    def lake_schema(self) -> StructType:
        """Schema of the lake table: source columns then derived ones (partition columns included)."""
        fields = list(self.source_schema().fields)
        fields += [StructField(name, spark_type(typ), True) for name, _, typ in self.derived]
        return StructType(fields)

    def ddl(self) -> str:
        """CREATE TABLE statement of the source table (JDBC datasets only)."""
        cols = ",\n  ".join(f"{c.name} {c.pg_type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.pg_table} (\n  {cols},\n  PRIMARY KEY ({self.key})\n)"


_TS = "timestamptz NOT NULL"
_CLIENT = Column("client_id", "string", "text NOT NULL", pattern=CLIENT_ID_PATTERN, case="upper")

CONTRACT_TIERS_SPEC = TableSpec(
    name="contract_tiers",
    source="jdbc",
    description="Contract levels and their support SLA",
    key="tier",
    columns=(
        Column("tier", "string", "text", allowed=tuple(t.tier for t in CONTRACT_TIERS), case="lower"),
        Column("label", "string", "text NOT NULL"),
        Column("first_response_hours", "int", "integer NOT NULL"),
        Column("resolution_hours", "int", "integer NOT NULL"),
        Column("updated_at", "timestamp", _TS),
    ),
    checks=(("resolution before first response", "resolution_hours >= first_response_hours"),),
)

TEAMS_SPEC = TableSpec(
    name="teams",
    source="jdbc",
    description="Support teams (per request type) and account teams (per region)",
    key="team_id",
    columns=(
        Column("team_id", "string", "text", case="upper"),
        Column("team_name", "string", "text NOT NULL"),
        Column("kind", "string", "text NOT NULL", allowed=TEAM_KINDS, case="lower"),
        Column("region", "string", "text", required=False),
        Column("updated_at", "timestamp", _TS),
    ),
)

AGENTS_SPEC = TableSpec(
    name="agents",
    source="jdbc",
    description="Support agents and their team",
    key="agent_id",
    jdbc_partition_column="agent_id",
    columns=(
        Column("agent_id", "int", "integer"),
        Column("full_name", "string", "text NOT NULL"),
        Column("email", "string", "text NOT NULL", pattern=r"^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}$", case="lower"),
        Column("team_id", "string", "text NOT NULL", case="upper"),
        Column("hired_on", "date", "date NOT NULL"),
        Column("active", "boolean", "boolean NOT NULL"),
        Column("updated_at", "timestamp", _TS),
    ),
)

CLIENTS_SPEC = TableSpec(
    name="clients",
    source="jdbc",
    description="Client accounts: segment, country, contract tier, account team",
    key="client_id",
    jdbc_partition_column="client_no",
    lake_partition_by=("segment",),
    columns=(
        Column("client_no", "int", "integer NOT NULL UNIQUE"),
        Column("client_id", "string", "text", pattern=CLIENT_ID_PATTERN, case="upper"),
        Column("name", "string", "text NOT NULL"),
        Column("segment", "string", "text", allowed=SEGMENTS, case="lower"),
        Column("country", "string", "text", pattern=r"^[A-Z]{2}$", case="upper"),
        Column("contract_tier", "string", "text", allowed=tuple(t.tier for t in CONTRACT_TIERS), case="lower"),
        Column("account_team_id", "string", "text NOT NULL", case="upper"),
        Column("created_at", "timestamp", _TS),
        Column("updated_at", "timestamp", _TS),
    ),
)

CONTRACTS_SPEC = TableSpec(
    name="contracts",
    source="jdbc",
    description="Support contracts of the clients (one current, older ones expired)",
    key="contract_id",
    jdbc_partition_column="contract_id",
    lake_partition_by=("start_year",),
    derived=(("start_year", "year(start_date)", "int"),),
    columns=(
        Column("contract_id", "bigint", "bigint"),
        _CLIENT,
        Column("contract_tier", "string", "text NOT NULL", allowed=tuple(t.tier for t in CONTRACT_TIERS), case="lower"),
        Column("start_date", "date", "date NOT NULL"),
        Column("end_date", "date", "date", required=False),
        Column("annual_value_eur", "decimal(12,2)", "numeric(12,2) NOT NULL"),
        Column("status", "string", "text NOT NULL", allowed=CONTRACT_STATUSES, case="lower"),
        Column("updated_at", "timestamp", _TS),
    ),
    checks=(
        ("end_date before start_date", "end_date >= start_date"),
        ("negative annual_value_eur", "annual_value_eur >= 0"),
    ),
)

TICKET_HISTORY_SPEC = TableSpec(
    name="ticket_history",
    source="jdbc",
    description="Past support tickets from the on-premise helpdesk (the large table)",
    key="history_id",
    jdbc_partition_column="history_id",
    lake_partition_by=("created_month",),
    derived=(("created_month", "date_format(created_at, 'yyyy-MM')", "string"),),
    columns=(
        Column("history_id", "bigint", "bigint"),
        Column("ticket_id", "string", "text NOT NULL", pattern=UUID_PATTERN, case="lower"),
        _CLIENT,
        Column("created_at", "timestamp", "timestamptz NOT NULL"),
        Column("closed_at", "timestamp", "timestamptz", required=False),
        Column("request_type", "string", "text NOT NULL", allowed=tuple(r.value for r in RequestType), case="lower"),
        Column("priority", "string", "text NOT NULL", allowed=tuple(p.value for p in Priority), case="lower"),
        Column("agent_id", "int", "integer", required=False),
        Column("status", "string", "text NOT NULL", allowed=TICKET_STATUSES, case="lower"),
        Column("satisfaction", "int", "smallint", required=False),
        Column("updated_at", "timestamp", _TS),
    ),
    checks=(
        ("closed_at before created_at", "closed_at >= created_at"),
        ("satisfaction outside 1-5", "satisfaction BETWEEN 1 AND 5"),
    ),
)

INVOICES_SPEC = TableSpec(
    name="invoices",
    source="csv",
    description="ERP invoices, exported daily by the SAN as ';'-separated CSV (French number/date formats)",
    key="invoice_id",
    lake_partition_by=("issued_month",),
    derived=(("issued_month", "date_format(issued_on, 'yyyy-MM')", "string"),),
    csv_glob="invoices_*.csv",
    columns=(
        Column("invoice_id", "string", pattern=r"^INV-\d{8}$", case="upper"),
        _CLIENT,
        Column("issued_on", "date", csv_format="dd/MM/yyyy"),
        Column("amount_eur", "decimal(12,2)"),
        Column("status", "string", allowed=INVOICE_STATUSES, case="lower"),
        Column("updated_at", "timestamp", csv_format="yyyy-MM-dd HH:mm:ss"),
    ),
    checks=(("negative amount_eur", "amount_eur >= 0"),),
)

# Load order: small reference tables first, the big fact-like table last.
TABLES: tuple[TableSpec, ...] = (
    CONTRACT_TIERS_SPEC,
    TEAMS_SPEC,
    AGENTS_SPEC,
    CLIENTS_SPEC,
    CONTRACTS_SPEC,
    TICKET_HISTORY_SPEC,
    INVOICES_SPEC,
)
JDBC_TABLES: tuple[TableSpec, ...] = tuple(t for t in TABLES if t.source == "jdbc")


def table(name: str) -> TableSpec:
    """The spec of dataset `name`."""
    for spec in TABLES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown table {name!r}; known: {', '.join(t.name for t in TABLES)}")


def tier(name: str) -> ContractTier:
    """The contract tier called `name`."""
    return next(t for t in CONTRACT_TIERS if t.tier == name)
