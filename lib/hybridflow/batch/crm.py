"""The seeded CRM/ERP generator and the PostgreSQL seeder (COPY, for speed).

`--scale 1` gives ~2,000 clients, ~3,000 contracts, 80 agents and 25,000 past
tickets; rows grow linearly with the scale (clients stop at 99,999, the most
the ticket model's ``C\\d{5}`` ids allow), so `--scale 100` is ~2.7 million rows.
Client ids are the ticket generator's own population (`client_ids`), so the
live tickets find their client in the CRM.

The data is deterministic for a seed, and deliberately a little dirty, as real
operational data is: some names carry stray blanks, some countries are lower
case, some segments are capitalised (the batch job cleans these), and a known
number of rows break a rule (the batch job rejects them, with the reason).
"""

from __future__ import annotations

import bisect
import io
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hybridflow.batch.errors import BatchError
from hybridflow.config import Settings
from hybridflow.crm_tables import (
    CONTRACT_TIERS,
    JDBC_TABLES,
    PG_SCHEMA,
    SEGMENTS,
    table,
)
from hybridflow.tickets.generator import client_ids, client_weights
from hybridflow.tickets.model import Priority, RequestType, new_ticket_id
from hybridflow.tickets.reference import SUPPORT_TEAMS

# Fixed epoch: the seeded history ends here, whatever the day it is generated.
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 730

SEGMENT_WEIGHTS = {"smb": 0.55, "mid_market": 0.25, "enterprise": 0.15, "public_sector": 0.05}
TIER_WEIGHTS = {"bronze": 0.50, "silver": 0.30, "gold": 0.15, "platinum": 0.05}
COUNTRY_WEIGHTS = {"FR": 0.50, "BE": 0.10, "DE": 0.10, "CH": 0.08, "ES": 0.07, "IT": 0.07, "MA": 0.05, "LU": 0.03}
REGION_OF = {
    "FR": "france",
    "BE": "benelux",
    "LU": "benelux",
    "DE": "dach",
    "CH": "dach",
    "ES": "south",
    "IT": "south",
    "MA": "south",
}
ACCOUNT_TEAMS = {
    "AM-FR-1": ("Comptes France Nord", "france"),
    "AM-FR-2": ("Comptes France Sud", "france"),
    "AM-BNL": ("Comptes Benelux", "benelux"),
    "AM-DACH": ("Comptes DACH", "dach"),
    "AM-SUD": ("Comptes Europe du Sud", "south"),
}
NAME_PARTS = (
    ("Aciéries", "Usinage", "Mécanique", "Plasturgie", "Fonderie", "Robotique", "Électronique", "Chaudronnerie"),
    ("du Rhône", "de Savoie", "Rhénane", "Atlantique", "des Alpes", "du Nord", "Lorraine", "de Provence"),
    ("SA", "SAS", "SARL", "GmbH", "SpA", "SL"),
)
FIRST_NAMES = (
    "Camille",
    "Lucas",
    "Léa",
    "Hugo",
    "Chloé",
    "Nathan",
    "Manon",
    "Karim",
    "Sofia",
    "Jonas",
    "Inès",
    "Yanis",
)
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Garnier", "Haddad", "Schmitt", "Rossi", "Garcia")

# Every Nth row is dirty in a way the cleaning fixes, or breaks a rule (rejected).
FIXABLE_EVERY = 50
REJECT_CLOSED_EVERY = 500  # ticket_history: closed_at before created_at
REJECT_SATISF_EVERY = 700  # ticket_history: satisfaction 9
REJECT_CONTRACT_EVERY = 400  # contracts: end_date before start_date


@dataclass(frozen=True)
class CrmSize:
    """Row counts of one scale."""

    clients: int
    contracts_per_client: float
    agents: int
    ticket_history: int

    @classmethod
    def of(cls, scale: float) -> CrmSize:
        """The sizes at `scale` (1 = ~30,000 rows in all)."""
        if scale <= 0:
            raise BatchError(
                f"--scale must be positive, got {scale}: use e.g. 0.05 for tests, 1 for a demo, 100 for a benchmark."
            )
        return cls(
            clients=min(99_999, max(10, round(2_000 * scale))),
            contracts_per_client=1.5,
            agents=max(8, round(80 * min(scale, 10))),
            ticket_history=max(50, round(25_000 * scale)),
        )


@dataclass
class SeedReport:
    """What the seeder wrote: rows per table, rows it expects the batch job to reject, time."""

    rows: dict[str, int] = field(default_factory=dict)
    expected_rejects: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line: rows per table, total, time."""
        total = sum(self.rows.values())
        per = ", ".join(f"{n} {t}" for t, n in self.rows.items())
        return (
            f"seed-crm: {total:,} rows ({per}) in {self.seconds:.1f} s ({total / max(self.seconds, 1e-9):,.0f} rows/s)"
        )


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ts(value: datetime) -> str:
    return value.isoformat()


class CrmGenerator:
    """Deterministic rows of every CRM table for a scale and a seed (one iterator per table)."""

    def __init__(self, scale: float = 1.0, seed: int = 42) -> None:
        self.scale = scale
        self.seed = seed
        self.size = CrmSize.of(scale)
        self._clients: list[tuple] | None = None

    def _rng(self, table_name: str) -> random.Random:
        # One independent stream per table: changing one table's logic leaves the others' data intact.
        return random.Random(f"{self.seed}:{table_name}")

    def contract_tiers(self) -> Iterator[tuple]:
        """tier, label, first_response_hours, resolution_hours, updated_at."""
        for t in CONTRACT_TIERS:
            yield (
                t.tier,
                t.label,
                t.first_response_hours,
                t.resolution_hours,
                _ts(EPOCH - timedelta(days=HISTORY_DAYS)),
            )

    def teams(self) -> Iterator[tuple]:
        """team_id, team_name, kind, region, updated_at: the support teams of the stream, plus account teams."""
        stamp = _ts(EPOCH - timedelta(days=HISTORY_DAYS))
        for t in SUPPORT_TEAMS:
            yield (t.team_id, t.team_name, "support", None, stamp)
        for team_id, (name, region) in ACCOUNT_TEAMS.items():
            yield (team_id, name, "account", region, stamp)

    def agents(self) -> Iterator[tuple]:
        """agent_id, full_name, email, team_id, hired_on, active, updated_at."""
        rng = self._rng("agents")
        support = [t.team_id for t in SUPPORT_TEAMS]
        for n in range(1, self.size.agents + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = (
                f"{first}.{last}{n}@indutechdata.example".lower().replace("é", "e").replace("è", "e").replace("ï", "i")
            )
            hired = EPOCH.date() - timedelta(days=rng.randint(30, 3650))
            updated = EPOCH - timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86_399))
            yield (
                n,
                f"{first} {last}",
                email,
                support[n % len(support)],
                hired.isoformat(),
                rng.random() > 0.08,
                _ts(updated),
            )

    def clients(self) -> list[tuple]:
        """client_no, client_id, name, segment, country, contract_tier, account_team_id, created_at, updated_at."""
        if self._clients is not None:
            return self._clients
        rng = self._rng("clients")
        teams_by_region: dict[str, list[str]] = {}
        for team_id, (_, region) in ACCOUNT_TEAMS.items():
            teams_by_region.setdefault(region, []).append(team_id)
        rows = []
        for n, cid in enumerate(client_ids(self.size.clients), start=1):
            name = f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {rng.choice(NAME_PARTS[2])}"
            segment = _weighted(rng, SEGMENT_WEIGHTS)
            country = _weighted(rng, COUNTRY_WEIGHTS)
            tier = _weighted(rng, TIER_WEIGHTS)
            team = rng.choice(teams_by_region[REGION_OF[country]])
            created = EPOCH - timedelta(days=rng.randint(HISTORY_DAYS, 4000), seconds=rng.randint(0, 86_399))
            updated = EPOCH - timedelta(days=rng.randint(0, HISTORY_DAYS), seconds=rng.randint(0, 86_399))
            if n % FIXABLE_EVERY == 0:  # typed by hand in the CRM: the batch job fixes these
                name, country, segment = f"  {name} ", country.lower(), segment.capitalize()
            rows.append((n, cid, name, segment, country, tier, team, _ts(created), _ts(updated)))
        self._clients = rows
        return rows

    def contracts(self) -> Iterator[tuple]:
        """contract_id, client_id, contract_tier, start_date, end_date, annual_value_eur, status, updated_at."""
        rng = self._rng("contracts")
        contract_id = 0
        for client in self.clients():
            cid, tier = client[1], client[5]
            # The current contract matches the client's tier; about half the clients also have an expired one.
            history = (
                [("expired", _weighted(rng, TIER_WEIGHTS))] if rng.random() < self.size.contracts_per_client - 1 else []
            )
            for status, ctier in [*history, ("active", tier)]:
                contract_id += 1
                start = EPOCH.date() - timedelta(
                    days=rng.randint(400, 1500) if status == "expired" else rng.randint(0, 399)
                )
                end = start + timedelta(days=365) if status == "expired" else None
                if contract_id % REJECT_CONTRACT_EVERY == 0:
                    end = start - timedelta(days=30)  # a data-entry error the batch job rejects
                value = round(rng.lognormvariate(9.5, 0.8), 2)
                updated = EPOCH - timedelta(days=rng.randint(0, 365), seconds=rng.randint(0, 86_399))
                yield (
                    contract_id,
                    cid,
                    ctier,
                    start.isoformat(),
                    end.isoformat() if end else None,
                    f"{value:.2f}",
                    status,
                    _ts(updated),
                )

    def ticket_history(self) -> Iterator[tuple]:
        """history_id, ticket_id, client_id, created_at, closed_at, request_type, priority, agent_id, status,
        satisfaction, updated_at."""
        rng = self._rng("ticket_history")
        ids = client_ids(self.size.clients)
        cum = list(_accumulate(client_weights(self.size.clients)))
        types = [r.value for r in RequestType]
        prios = [p.value for p in Priority]
        for n in range(1, self.size.ticket_history + 1):
            cid = ids[min(bisect.bisect_left(cum, rng.random()), len(ids) - 1)]
            created = EPOCH - timedelta(seconds=rng.randint(3_600, HISTORY_DAYS * 86_400))
            rtype = rng.choices(types, weights=(25, 40, 20, 15))[0]
            prio = rng.choices(prios, weights=(35, 45, 17, 3))[0]
            if rng.random() < 0.93:
                status = "closed"
                closed = created + timedelta(minutes=rng.randint(10, 10_000))
                satisfaction: int | None = rng.choices((1, 2, 3, 4, 5), weights=(5, 8, 17, 35, 35))[0]
            else:
                status, closed, satisfaction = rng.choice(("open", "in_progress")), None, None
            if n % REJECT_CLOSED_EVERY == 0:
                status, closed = "closed", created - timedelta(hours=2)  # clock skew on an old helpdesk server
            if n % REJECT_SATISF_EVERY == 0:
                satisfaction = 9
            agent = rng.randint(1, self.size.agents)
            updated = closed if closed and closed > created else created + timedelta(minutes=5)
            yield (
                n,
                new_ticket_id(rng),
                cid,
                _ts(created),
                _ts(closed) if closed else None,
                rtype,
                prio,
                agent,
                status,
                satisfaction,
                _ts(updated),
            )

    def rows(self, table_name: str) -> Iterable[tuple]:
        """The rows of one table."""
        return getattr(self, table_name)()

    def expected_rejects(self) -> dict[str, int]:
        """How many rows of each table the batch job must reject."""
        n = self.size.ticket_history
        history = len({i for i in range(1, n + 1) if i % REJECT_CLOSED_EVERY == 0 or i % REJECT_SATISF_EVERY == 0})
        contracts = sum(1 for row in self.contracts() if row[0] % REJECT_CONTRACT_EVERY == 0)
        return {t.name: 0 for t in JDBC_TABLES} | {"contracts": contracts, "ticket_history": history}


def client_tiers(scale: float = 1.0, seed: int = 42) -> dict[str, str]:
    """``{client_id: contract_tier}`` as the CRM seeded at `scale` and `seed` holds it (no I/O).

    The tiers the lake's client dimension gets; ticket simulations use them so that a ticket's
    contract SLA is the one the pipeline will look up. Clients are drawn in order from one
    stream, so a smaller scale gives a prefix of a larger one's clients with the same tiers.
    """
    return {row[1]: row[5] for row in CrmGenerator(scale, seed).clients()}


def support_agents(scale: float = 1.0, seed: int = 42, active_only: bool = True) -> dict[str, list[int]]:
    """``{support team_id: [agent_id, …]}`` as the CRM seeded at `scale` and `seed` holds it (no I/O).

    Agent n belongs to support team ``SUPPORT_TEAMS[n % 4]``; with `active_only`, agents marked
    inactive are left out, unless a team would be left with none.
    """
    every: dict[str, list[int]] = {t.team_id: [] for t in SUPPORT_TEAMS}
    active: dict[str, list[int]] = {t.team_id: [] for t in SUPPORT_TEAMS}
    for agent_id, *_, team_id, _hired, is_active, _updated in CrmGenerator(scale, seed).agents():
        every[team_id].append(agent_id)
        if is_active:
            active[team_id].append(agent_id)
    return {team: (active[team] or agents) if active_only else agents for team, agents in every.items()}


def _accumulate(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


class _CopyStream(io.RawIOBase):
    """A read-only file over an iterator of tuples, in COPY text format (NULL = \\N)."""

    def __init__(self, rows: Iterable[tuple], on_row: Callable[[int], None] | None = None) -> None:
        self._rows = iter(rows)
        self._buf = b""
        self._on_row = on_row

    def readable(self) -> bool:
        return True

    def readinto(self, out) -> int:
        while len(self._buf) < len(out):
            chunk = []
            for _ in range(2_000):
                row = next(self._rows, None)
                if row is None:
                    break
                chunk.append("\t".join(r"\N" if v is None else _escape(str(v)) for v in row))
            if not chunk:
                break
            self._buf += ("\n".join(chunk) + "\n").encode("utf-8")
            if self._on_row:
                self._on_row(len(chunk))
        n = min(len(out), len(self._buf))
        out[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def connect(settings: Settings, database: str | None = None):
    """A psycopg2 connection as PG_USER (raises BatchError naming the fix when unreachable)."""
    import psycopg2

    try:
        return psycopg2.connect(
            host=settings.pg_host,
            port=settings.pg_port,
            dbname=database or settings.pg_database,
            user=settings.pg_user,
            password=settings.pg_password.get_secret_value(),
            connect_timeout=10,
        )
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreachable"
        raise BatchError(
            f"Cannot connect to PostgreSQL at {settings.pg_host}:{settings.pg_port}/{database or settings.pg_database} "
            f"({first}): run `make up` (or `hybridflow up`) or fix PG_HOST/PG_PORT/PG_USER/PG_PASSWORD."
        ) from None


def create_schema(conn) -> None:
    """Drop and re-create schema `crm` with every source table and its updated_at index."""
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        cur.execute(f"CREATE SCHEMA {PG_SCHEMA}")
        for spec in JDBC_TABLES:
            cur.execute(spec.ddl())
            # Incremental extracts filter on updated_at: index it, as the DBA would on the real server.
            cur.execute(f"CREATE INDEX ON {spec.pg_table} ({spec.updated_at})")
    conn.commit()


def seed(
    settings: Settings, scale: float = 1.0, seed: int = 42, database: str | None = None, progress: bool = True
) -> SeedReport:
    """(Re)create the CRM schema and fill it at `scale` with COPY; deterministic for a seed."""
    from tqdm import tqdm

    gen = CrmGenerator(scale, seed)
    report = SeedReport(expected_rejects=gen.expected_rejects())
    t0 = time.monotonic()
    conn = connect(settings, database)
    try:
        create_schema(conn)
        approx = gen.size.clients * 2.5 + gen.size.agents + gen.size.ticket_history + 20
        with tqdm(total=int(approx), unit="row", unit_scale=True, desc="seed-crm", disable=not progress) as bar:
            for spec in JDBC_TABLES:
                counter = [0]

                def on_rows(n: int, counter: list[int] = counter) -> None:
                    counter[0] += n
                    bar.update(n)

                with conn.cursor() as cur:
                    cur.copy_expert(
                        f"COPY {spec.pg_table} ({', '.join(spec.column_names)}) FROM STDIN",
                        io.BufferedReader(_CopyStream(gen.rows(spec.name), on_rows), buffer_size=1 << 20),
                    )
                report.rows[spec.name] = counter[0]
        with conn.cursor() as cur:
            for spec in JDBC_TABLES:
                cur.execute(f"ANALYZE {spec.pg_table}")
        conn.commit()
    finally:
        conn.close()
    report.seconds = time.monotonic() - t0
    return report


@dataclass(frozen=True)
class ChangeSet:
    """Rows an operational user changed in the source since the last extract."""

    table: str
    updated: tuple[object, ...]
    inserted: tuple[object, ...]

    @property
    def keys(self) -> set[object]:
        """Every key touched."""
        return set(self.updated) | set(self.inserted)


def apply_client_changes(
    settings: Settings, n_updates: int, n_inserts: int, seed: int = 7, database: str | None = None
) -> ChangeSet:
    """Simulate CRM activity: upgrade `n_updates` clients' contract tier and add `n_inserts` clients.

    Updated rows get ``updated_at = now()``, as an application trigger would set it.
    """
    spec = table("clients")
    conn = connect(settings, database)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT client_id, contract_tier FROM {spec.pg_table} ORDER BY client_no")
            existing = cur.fetchall()
            cur.execute(f"SELECT coalesce(max(client_no), 0) FROM {spec.pg_table}")
            top = cur.fetchone()[0]
            updates, inserts = plan_client_changes(existing, top, n_updates, n_inserts, seed)
            for cid, tier in updates:
                cur.execute(
                    f"UPDATE {spec.pg_table} SET contract_tier = %s, updated_at = clock_timestamp() WHERE client_id = %s",
                    (tier, cid),
                )
            for row in inserts:
                cur.execute(
                    f"INSERT INTO {spec.pg_table} VALUES (%s, %s, %s, %s, %s, %s, %s, clock_timestamp(), clock_timestamp())",
                    row,
                )
        conn.commit()
    finally:
        conn.close()
    return ChangeSet("clients", tuple(c for c, _ in updates), tuple(row[1] for row in inserts))


UPGRADE = {"bronze": "silver", "silver": "gold", "gold": "platinum", "platinum": "gold"}


def plan_client_changes(
    existing: list[tuple[str, str]], top: int, n_updates: int, n_inserts: int, seed: int = 7
) -> tuple[list[tuple[str, str]], list[tuple]]:
    """Which clients change tier and which are new, from the current (client_id, tier) rows and the top client_no.

    Returns ([(client_id, new tier)], [the new rows, in the clients table's column order]); no I/O.
    """
    rng = random.Random(seed)
    picked = rng.sample(existing, min(n_updates, len(existing)))
    updates = [(cid, UPGRADE[current.strip().lower()]) for cid, current in picked]
    inserts = []
    for k in range(1, n_inserts + 1):
        no = top + k
        if no > 99_999:
            raise BatchError("The CRM already holds 99,999 clients, the most a C\\d{5} id allows: reseed smaller.")
        inserts.append((no, f"C{no:05d}", f"Nouveau client {no}", rng.choice(SEGMENTS), "FR", "bronze", "AM-FR-1"))
    return updates, inserts


def source_counts(settings: Settings, database: str | None = None) -> dict[str, int]:
    """Rows per source table right now (what a full load must account for)."""
    conn = connect(settings, database)
    try:
        with conn.cursor() as cur:
            counts = {}
            for spec in JDBC_TABLES:
                cur.execute(f"SELECT count(*) FROM {spec.pg_table}")
                counts[spec.name] = cur.fetchone()[0]
        return counts
    finally:
        conn.close()
