"""Data the notebooks display, shaped as small pandas DataFrames (pure where possible, I/O named as such)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd

from hybridflow import lake
from hybridflow.config import LOCAL_DEFAULT_PREFIX, PROJ_ROOT, Settings
from hybridflow.crm_tables import CONTRACT_TIERS
from hybridflow.kafka import security as ks
from hybridflow.kafka.access import grants as kafka_grants
from hybridflow.kafka.consumer import read_committed
from hybridflow.probes import is_loopback, parse_address
from hybridflow.report import operations as ops
from hybridflow.report.display import NOT_MEASURED, french_number
from hybridflow.tickets.labels import CONTRACT_TIER, DEAD_LETTER_REASON, PRIORITY, label, labels
from hybridflow.tickets.malformed import Event, MalformedKind, malformed_event
from hybridflow.tickets.model import Ticket, json_schema, spark_schema
from hybridflow.tickets.reference import SUPPORT_TEAMS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame

# --- tickets and malformed events (notebook 4) -------------------------------------------------


def model_table() -> pd.DataFrame:
    """The ticket's fields side by side: JSON Schema type and constraint, Spark type (one source: `Ticket`)."""
    schema = json_schema()
    spark_types = {f.name: f.dataType.simpleString() for f in spark_schema().fields}
    rows = []
    for name, prop in schema["properties"].items():
        if "$ref" in prop:  # enums are referenced definitions
            prop = prop | schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
        # Enum codes stay as they travel on the wire, with their French label beside them.
        constraint = prop.get("pattern") or (
            ", ".join(f"{v} ({label(v)})" for v in prop["enum"]) if "enum" in prop else ""
        )
        if prop.get("format"):
            constraint = prop["format"] + (f" ; {constraint}" if constraint else "")
        if "maxLength" in prop:
            constraint += f" ; {prop.get('minLength', 0)}..{prop['maxLength']} caractères"
        rows.append(
            {
                "champ": name,
                "type JSON": prop.get("type", ""),
                "contrainte": constraint,
                "type Spark": spark_types.get(name, ""),
                "description": prop.get("description", ""),
            }
        )
    return pd.DataFrame(rows)


def tickets_frame(tickets: Iterable[Ticket]) -> pd.DataFrame:
    """Tickets as a DataFrame, in generation order (created_at as UTC timestamps)."""
    frame = pd.DataFrame([t.model_dump(mode="json") for t in tickets])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def shares(observed: pd.Series, target: dict[str, float]) -> pd.DataFrame:
    """Observed share vs target share of each category (percentages)."""
    share = observed.value_counts(normalize=True)
    return pd.DataFrame(
        {
            "valeur": labels(target),
            "cible %": [round(target[k] * 100, 2) for k in target],
            "observé %": [round(share.get(k, 0.0) * 100, 2) for k in target],
        }
    )


def malformed_examples(base: Ticket, max_payload_bytes: int, seed: int = 7, width: int = 110) -> pd.DataFrame:
    """One malformed event per kind, built from `base`: its kind (the DLQ reason) and the start of its bytes."""
    rng = random.Random(seed)
    rows = []
    for kind in MalformedKind:
        event = malformed_event(kind, base, rng, max_payload_bytes)
        text = event.value.decode("utf-8", errors="replace")
        rows.append(
            {
                "raison attendue": label(kind, DEAD_LETTER_REASON),
                "code (en-tête dlq.reason)": kind.value,
                "octets": len(event.value),
                "début du message": text if len(text) <= width else text[: width - 1] + "…",
            }
        )
    return pd.DataFrame(rows)


def event_kinds(events: Iterable[Event]) -> pd.Series:
    """How many events of each kind (valid tickets counted as 'valide')."""
    return pd.Series([label(e.kind, DEAD_LETTER_REASON) if e.kind else "valide" for e in events]).value_counts()


# --- what the POC itself enforces (notebook 3, beside the cloud design) ----------------------------

_OPERATIONS = {"READ": "lire", "WRITE": "écrire", "DESCRIBE": "décrire", "DESCRIBE_CONFIGS": "voir la config"}
_RESOURCES = {"topic": "topic", "group": "groupe", "transactional_id": "id transactionnel", "cluster": "cluster"}
_KAFKA_TEST = "tests/integration/security/test_kafka_login_and_acls.py"
_EXPOSURE_TEST = "tests/integration/security/test_exposure.py"


def _grant_text(grant) -> str:
    what = "/".join(_OPERATIONS.get(op, op.lower()) for op in grant.operations)
    name = f"{grant.name}*" if grant.prefixed else grant.name
    return f"{what} {_RESOURCES[grant.resource]} {name}"


def poc_security(settings: Settings) -> pd.DataFrame:
    """The controls the POC applies itself, read from the live settings: one row per control (French).

    Unlike the cloud design's table, nothing here is a target: each row says what runs now, the
    setting that decides it, and the test that proves it.
    """
    secured, tls = ks.enabled(settings), settings.kafka_security == "sasl_ssl"
    ca = settings.kafka_ca_path
    ca_shown = ca.relative_to(PROJ_ROOT) if ca.is_relative_to(PROJ_ROOT) else ca
    rows = [
        (
            "Kafka : authentification",
            f"chaque client se connecte (SASL {ks.MECHANISM}) ; refus sinon"
            if secured
            else "aucune : tout client qui atteint le port lit et écrit tout",
            f"KAFKA_SECURITY={settings.kafka_security}",
            _KAFKA_TEST,
        ),
        (
            "Kafka : chiffrement",
            f"TLS ; certificat du broker signé par une CA locale ({ca_shown})"
            if tls
            else "aucun : réservé à un réseau privé (Compose) ou à la boucle locale",
            f"KAFKA_SECURITY={settings.kafka_security}",
            _KAFKA_TEST,
        ),
    ]
    grants = kafka_grants(settings)
    for role in ks.user_roles(settings):
        user = ks.principal_name(settings, role)
        if role == "admin":
            rights = "super-utilisateur : crée les topics, les utilisateurs et les ACL"
        else:
            rights = " ; ".join(_grant_text(g) for g in grants if g.role == role)
        rows.append(
            (
                f"Kafka : droits de {user}",
                rights if secured else "sans objet (pas d'ACL sans authentification)",
                f"KAFKA_{role.upper()}_USER",
                _KAFKA_TEST,
            )
        )
    rows.append(
        (
            "Kafka : client anonyme",
            "rien : aucun listener sans authentification, aucune ACL pour lui"
            if secured
            else "tout (KAFKA_SECURITY=plaintext)",
            "—",
            _KAFKA_TEST,
        )
    )
    defaults = [r for r in ks.ROLES if ks.credentials(settings, r)[1].startswith(LOCAL_DEFAULT_PREFIX)]
    rows.append(
        (
            "Kafka : mots de passe",
            "aléatoires, dans .env (make setup), jamais dans git"
            if not defaults
            else f"valeurs par défaut du code pour {', '.join(defaults)} : acceptées sur la boucle locale seulement",
            "KAFKA_*_PASSWORD",
            "tests/unit/test_local_secrets.py",
        )
    )
    addresses = [
        ("broker Kafka", settings.bootstrap_list[0], "KAFKA_BOOTSTRAP_SERVERS"),
        ("PostgreSQL", f"{settings.pg_host}:{settings.pg_port}", "PG_HOST"),
    ]
    if settings.s3_endpoint:
        addresses.append(("stockage objet", settings.s3_endpoint.split("://", 1)[1].rstrip("/"), "S3_ENDPOINT"))
    for what, address, setting in addresses:
        host = parse_address(address)[0] if ":" in address else address
        rows.append(
            (
                f"Écoute : {what}",
                "boucle locale uniquement" if is_loopback(host) else "joignable du réseau : secrets par défaut refusés",
                f"{setting}={address}",
                _EXPOSURE_TEST,
            )
        )
    rows += [
        (
            "PostgreSQL : connexion",
            "mot de passe du rôle vérifié en scram-sha-256 ; superutilisateur sans connexion TCP",
            f"PG_USER={settings.pg_user}",
            _EXPOSURE_TEST,
        ),
        (
            "Secrets dans le dépôt",
            "detect-secrets sur chaque fichier versionné, contre une base auditée ; .env ignoré",
            ".secrets.baseline",
            "tests/unit/test_no_secrets.py",
        ),
        (
            "Texte des tickets dans le rapport",
            "affiché comme du texte : ni balise HTML, ni commande LaTeX",
            "—",
            "tests/unit/report/test_hostile_text.py",
        ),
    ]
    return pd.DataFrame(rows, columns=["contrôle", "ce que le POC applique", "réglage en cours", "prouvé par"])


# --- the broker (notebook 5) ---------------------------------------------------------------------


def read_back(settings: Settings, topic: str, timeout_s: float = 20.0) -> pd.DataFrame:
    """Every committed record of `topic` from the beginning to its end, one row each (`tickets.consumer`)."""
    columns = ["partition", "offset", "key", "timestamp", "bytes", "value", "headers"]
    frame = pd.DataFrame(read_committed(settings, topic, timeout_s), columns=[*columns, "timestamp_ms"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp_ms"], unit="ms", utc=True)
    return frame[columns]


def partition_summary(records: pd.DataFrame) -> pd.DataFrame:
    """Per partition: records, distinct keys, offsets, bytes; shows how client_id keys spread."""
    return (
        records.groupby("partition")
        .agg(
            enregistrements=("offset", "size"),
            clés_distinctes=("key", "nunique"),
            premier_offset=("offset", "min"),
            dernier_offset=("offset", "max"),
            octets=("bytes", "sum"),
        )
        .reset_index()
    )


def keys_in_several_partitions(records: pd.DataFrame) -> int:
    """How many keys appear in more than one partition (0: every client's tickets stay in order)."""
    per_key = records.dropna(subset=["key"]).groupby("key")["partition"].nunique()
    return int((per_key > 1).sum())


# --- the stream (notebook 6) ---------------------------------------------------------------------


def progress_table(queries: dict) -> pd.DataFrame:
    """Every micro-batch of every query: rows in, rates, duration, watermark, state rows, late rows dropped."""
    rows = []
    for name, query in queries.items():
        for p in (json.loads(q.json) for q in query.recentProgress):
            state = p.get("stateOperators") or []
            watermark = (p.get("eventTime") or {}).get("watermark")
            rows.append(
                {
                    "requête": name,
                    "batch": p["batchId"],
                    "lignes lues": p["numInputRows"],
                    "lignes/s traitées": round(p.get("processedRowsPerSecond") or 0.0),
                    "durée ms": (p.get("durationMs") or {}).get("triggerExecution"),
                    "watermark": None if not watermark or watermark.startswith("1970") else watermark,
                    "lignes d'état": sum(op.get("numRowsTotal", 0) for op in state) if state else None,
                    "rejetées (retard)": sum(op.get("numRowsDroppedByWatermark", 0) for op in state) if state else None,
                }
            )
    return pd.DataFrame(rows)


def last_watermark(progress: pd.DataFrame) -> pd.Timestamp | None:
    """The latest watermark any query reported (None before the first one)."""
    marks = progress["watermark"].dropna() if "watermark" in progress else pd.Series(dtype=object)
    return pd.to_datetime(marks, utc=True).max() if len(marks) else None


def windows_vs_tickets(tickets: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """Per event-time window: valid tickets in the lake vs tickets in emitted windows, and the window's state."""
    duration = (
        (pd.to_datetime(windows["window_end"]) - pd.to_datetime(windows["window_start"])).iloc[0]
        if len(windows)
        else pd.Timedelta(minutes=1)
    )
    start = pd.to_datetime(tickets["created_at"], utc=True).dt.floor(duration)
    valid = start.value_counts().rename("valid_tickets")
    emitted = (
        windows.assign(window_start=pd.to_datetime(windows["window_start"], utc=True))
        .groupby("window_start")["tickets"]
        .sum()
        .rename("windowed_tickets")
    )
    frame = pd.concat([valid, emitted], axis=1).fillna(0).astype(int).sort_index()
    frame.index.name = "window_start"
    frame = frame.reset_index()
    frame["état"] = ["émise (fermée)" if w > 0 else "ouverte : pas encore émise" for w in frame["windowed_tickets"]]
    return frame


def job_queries(settings: Settings) -> pd.DataFrame:
    """The job's three queries: what each reads and writes, its trigger and its delivery guarantee (French)."""
    cap = "sans plafond"
    if settings.max_offsets_per_trigger:
        cap = f"≤ {settings.max_offsets_per_trigger:,} enregistrements par micro-batch".replace(",", " ")
    return pd.DataFrame(
        [
            {
                "requête": lake.TICKETS_QUERY.name,
                "lit": f"topic {settings.topic_tickets} ({cap}), analysé et validé une seule fois",
                "écrit": f"table Delta tickets (ajout) + topic {settings.topic_dlq}",
                "déclencheur": f"micro-batch toutes les {settings.trigger_interval} (foreachBatch), ou available-now",
                "garantie": "tickets exactement une fois (id de requête et n° de batch dans le commit Delta) ; "
                "lettres mortes exactement une fois pour un lecteur read_committed (une transaction Kafka par batch)",
            },
            {
                "requête": lake.WINDOWS_QUERY.name,
                "lit": "table Delta tickets, lue en flux (pas de 2e analyse du topic)",
                "écrit": "table Delta ticket_windows (append)",
                "déclencheur": f"micro-batch toutes les {settings.windows_trigger_interval} (une fenêtre ne se ferme "
                "qu'au passage du watermark), ou available-now après la 1re",
                "garantie": f"chaque fenêtre fermée une seule fois (watermark {settings.watermark_delay} ; "
                "id de requête et n° de batch dans le commit Delta, comme les tickets)",
            },
            {
                "requête": lake.ALERTS_QUERY.name,
                "lit": f"topic {settings.topic_tickets}, à partir de sa fin (les alertes parlent du présent)",
                "écrit": f"topic {settings.topic_alerts} (tickets {', '.join(settings.alert_priority_list)})",
                "déclencheur": f"Real-time Mode de Spark 4.2 (checkpoint toutes les {settings.alerts_checkpoint_interval}) ; "
                "job continu seulement",
                "garantie": "au moins une fois, clé = ticket_id : un consommateur dédoublonne",
            },
        ]
    )


# --- a Spark job, stage by stage (notebooks 6 and 7) ----------------------------------------------


def schema_table(df: SparkFrame, after: SparkFrame | None = None) -> pd.DataFrame:
    """A Spark DataFrame's columns, one row each: name, Spark type, nullable (`after`: only the columns it lacks)."""
    known = set(after.columns) if after is not None else set()
    rows = [
        {"colonne": f.name, "type Spark": f.dataType.simpleString(), "peut être nul": f.nullable}
        for f in df.schema.fields
        if f.name not in known
    ]
    return pd.DataFrame(rows, columns=["colonne", "type Spark", "peut être nul"])


def windows_at_watermark(
    counts: SparkFrame, tickets: SparkFrame, delay: str, time_column: str = "created_at"
) -> tuple[pd.Timestamp | None, pd.DataFrame]:
    """Windowed counts of a static frame, and which windows a stream would already have emitted.

    A stream's watermark is the latest event time it has seen minus `delay`; a window is emitted
    (append mode) once the watermark passes its end. On a static frame Spark ignores the
    watermark: this says what it would do if these rows were the stream so far.

    Returns:
        (the watermark, the windows in time order with a column « émise par le flux »).
    """
    frame = cast(pd.DataFrame, counts.toPandas())
    frame = frame.sort_values(["window_start", "request_type", "priority"]).reset_index(drop=True)
    latest = cast(pd.DataFrame, tickets.select(time_column).toPandas())[time_column].max()
    if pd.isna(latest):
        return None, frame.assign(**{"émise par le flux": pd.Series(dtype=bool)})
    watermark = pd.Timestamp(latest) - pd.Timedelta(delay)
    return watermark, frame.assign(**{"émise par le flux": pd.to_datetime(frame["window_end"]) <= watermark})


def window_totals(windows: pd.DataFrame) -> pd.DataFrame:
    """`windows_at_watermark`'s rows summed per window (all types and priorities), with « émise par le flux »."""
    keys = ["window_start", "window_end", "émise par le flux"]
    return windows.groupby(keys, as_index=False)[["tickets"]].sum()[["window_start", "window_end", "tickets", keys[2]]]


def same_rows(
    expected: SparkFrame, actual: SparkFrame, key: str | Sequence[str], columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Does `actual` hold exactly `expected`'s rows? Rows on each side for the same keys, and differences both ways.

    Args:
        key: the column(s) that pick, in `actual`, the rows to compare (e.g. ``ticket_id``).
        columns: the columns compared (default: all of `expected`'s).
    """
    keys = [key] if isinstance(key, str) else list(key)
    cols = list(columns) if columns else list(expected.columns)
    wanted = expected.select(*cols)
    found = actual.join(expected.select(*keys).distinct(), on=keys, how="left_semi").select(*cols)
    n_wanted, n_found = wanted.count(), found.count()
    missing, extra = wanted.exceptAll(found).count(), found.exceptAll(wanted).count()
    return pd.DataFrame(
        [
            ("lignes attendues", n_wanted),
            (f"lignes trouvées pour les mêmes {' / '.join(keys)}", n_found),
            (f"attendues absentes ou différentes ({len(cols)} colonnes comparées)", missing),
            ("trouvées en trop ou différentes", extra),
            ("identiques", n_wanted == n_found and missing == 0 and extra == 0),
        ],
        columns=["vérification", "résultat"],
    )


# --- the Delta tables, read without Spark (notebooks 6, 7, 8) ------------------------------------


def delta_history(table, settings: Settings) -> pd.DataFrame:
    """The Delta log of a lake table, oldest version first: commit time, operation and what it wrote (delta-rs)."""
    delta = table.delta(settings)
    if delta is None:
        return pd.DataFrame(columns=["version", "commit (UTC)", "opération", "paramètres", "métriques"])
    rows = []
    for commit in sorted(delta.history(), key=lambda c: c["version"]):
        params = commit.get("operationParameters") or {}
        metrics = commit.get("operationMetrics") or {}
        keep = (
            "numOutputRows",
            "numFiles",
            "numTargetRowsInserted",
            "numTargetRowsUpdated",
            "numTargetFilesRemoved",
            "numAddedFiles",
            "numRemovedFiles",
        )
        rows.append(
            {
                "version": commit["version"],
                "commit (UTC)": pd.Timestamp(commit["timestamp"], unit="ms", tz="UTC"),
                "opération": commit.get("operation"),
                "paramètres": ", ".join(
                    f"{k}={v}" for k, v in params.items() if k in ("mode", "outputMode", "epochId", "queryId")
                ),
                "métriques": ", ".join(f"{k}={metrics[k]}" for k in keep if k in metrics),
            }
        )
    return pd.DataFrame(rows)


def outputs_snapshot(settings: Settings) -> dict[str, object]:
    """What the job's readers see right now, without Spark: table versions, tickets, distinct ids, dead letters, windows."""
    ids = lake.TICKETS.to_pandas(settings, columns=["ticket_id"])["ticket_id"]
    return {
        "version de la table tickets": lake.TICKETS.version(settings),
        "tickets (delta-rs)": len(ids),
        "ticket_id distincts": ids.nunique(),
        "lettres mortes (read_committed)": len(read_back(settings, settings.topic_dlq)),
        "version de la table ticket_windows": lake.TICKET_WINDOWS.version(settings),
        "fenêtres fermées": lake.TICKET_WINDOWS.count(settings),
    }


def compare_versions(table, settings: Settings, before: int, keys: Iterable[str], column: str) -> pd.DataFrame:
    """`column` of some rows at an older version of a Delta table and at its latest (time travel, delta-rs)."""
    key = table.key[0]
    then = table.to_pandas(settings, version=before).set_index(key)[column]
    now = table.to_pandas(settings).set_index(key)[column]
    keys = list(keys)
    return pd.DataFrame(
        {
            key: keys,
            f"{column}, version {before}": [then.get(k) for k in keys],
            f"{column}, version {table.version(settings)}": [now.get(k) for k in keys],
        }
    )


def naive_vs_delta(settings: Settings, tables) -> pd.DataFrame:
    """Per table: Parquet files in the folder vs in the current Delta version, and the rows each reader counts.

    The "naive" reader is what pyarrow, pandas or a SQL engine pointed at the folder do: read
    every ``*.parquet`` file under it. The Delta reader follows the log: only the files of the
    committed version.
    """
    import pyarrow.dataset as ds

    rows = []
    for table in tables:
        delta = table.delta(settings)
        if delta is None:
            continue
        root = settings.local_path(table.uri(settings))
        files = [str(p) for p in root.rglob("*.parquet") if "_delta_log" not in p.relative_to(root).parts]
        rows.append(
            {
                "table": table.name,
                "version": delta.version(),
                "fichiers Parquet du dossier": len(files),
                "fichiers de la version": len(delta.file_uris()),
                "lignes, lecteur Parquet naïf": ds.dataset(files, format="parquet").count_rows() if files else 0,
                "lignes, lecteur Delta": table.count(settings),
            }
        )
    return pd.DataFrame(rows)


# --- the stream's benchmark (notebook 6) ---------------------------------------------------------

# The project's targets for the full benchmark (1,000,000 events; 1,000 tickets/s for 2 minutes).
DRAIN_RATIO_TARGET = 0.5
ALERTS_P95_TARGET_S = 1.0
VISIBLE_P95_TARGET_S = 5.0


def drain_table(drained) -> pd.DataFrame:
    """The drain comparison (`hybridflow.bench.stream.DrainResult`) in French, with the target ratio."""
    import statistics

    rows = [
        (
            "Spark seul : Kafka → from_json → Parquet (une requête)",
            statistics.median(drained.baseline_s),
            drained.rate(drained.baseline_s),
        ),
        (
            "hybridflow stream --available-now (job complet)",
            statistics.median(drained.job_s),
            drained.rate(drained.job_s),
        ),
    ]
    frame = pd.DataFrame(
        rows, columns=["exécution (processus entier, JVM comprise)", "durée médiane (s)", "événements/s"]
    )
    frame["événements/s"] = frame["événements/s"].round()
    frame["durée médiane (s)"] = frame["durée médiane (s)"].round(1)
    frame["job / référence"] = ["", f"{drained.ratio:.2f}× (cible ≥ {DRAIN_RATIO_TARGET}×)"]
    return frame


def latency_paths(held) -> dict[str, dict]:
    """The two latency paths of a steady run, as `figures.latency_distributions` takes them.

    Every measured latency is plotted when the run kept them (`visible_s`, `alerts_s`);
    otherwise the curve goes through p50/p95/p99.
    """
    return {
        "visible dans la table tickets": held.visible
        | {"target": VISIBLE_P95_TARGET_S, "samples": getattr(held, "visible_s", None)},
        "publié dans le topic d'alertes": held.alerts
        | {"target": ALERTS_P95_TARGET_S, "samples": getattr(held, "alerts_s", None)},
    }


def latency_table(held) -> pd.DataFrame:
    """The steady-state latencies (`hybridflow.bench.stream.SteadyResult`) in French, with the targets."""
    rows = []
    for path, p, target in (
        ("visible dans la table tickets (commit Delta)", held.visible, VISIBLE_P95_TARGET_S),
        ("dans le topic d'alertes (Real-time Mode)", held.alerts, ALERTS_P95_TARGET_S),
    ):
        rows.append(
            {
                "latence depuis created_at": path,
                "p50 (s)": round(p["p50"], 3),
                "p95 (s)": round(p["p95"], 3),
                "p99 (s)": round(p["p99"], 3),
                "tickets mesurés": int(p["n"]),
                "cible p95": f"≤ {target:g} s",
                "atteinte": "non mesurée" if p["n"] < 2 else "oui" if p["p95"] <= target else "non",
            }
        )
    return pd.DataFrame(rows)


# --- results (notebook 8) ------------------------------------------------------------------------


def dead_letter_reasons(letters: pd.DataFrame) -> pd.Series:
    """Dead letters per reason, as a Series."""
    return letters["reason"].value_counts() if len(letters) else pd.Series(dtype=int)


def headline(tickets: pd.DataFrame, windows: pd.DataFrame, letters: pd.DataFrame) -> pd.DataFrame:
    """The key numbers of a run: valid tickets, clients, event-time span, windows, dead letters."""
    created = pd.to_datetime(tickets["created_at"], utc=True)
    total = len(tickets) + len(letters)
    rows = [
        ("tickets valides dans le lac", f"{len(tickets):,}".replace(",", " ")),
        ("clients distincts", tickets["client_id"].nunique()),
        ("période couverte (heure d'événement)", f"{created.min():%H:%M:%S} → {created.max():%H:%M:%S} UTC"),
        ("fenêtres fermées (type × priorité)", len(windows)),
        ("tickets comptés dans les fenêtres fermées", int(windows["tickets"].sum()) if len(windows) else 0),
        ("lettres mortes", len(letters)),
        ("part d'événements rejetés", f"{len(letters) / total:.1%}" if total else "—"),
    ]
    return pd.DataFrame(rows, columns=["indicateur", "valeur"])


def dead_letters(settings: Settings) -> pd.DataFrame:
    """The dead-letter topic as a read_committed consumer sees it: reason, detail, source coordinates, bytes."""
    records = read_back(settings, settings.topic_dlq)
    headers = records["headers"]
    return pd.DataFrame(
        {
            "reason": [h.get("dlq.reason") for h in headers],
            "detail": [h.get("dlq.detail") for h in headers],
            "source_partition": [
                int(h["dlq.source.partition"]) if h.get("dlq.source.partition") else None for h in headers
            ],
            "source_offset": [int(h["dlq.source.offset"]) if h.get("dlq.source.offset") else None for h in headers],
            "value": records["value"],
        }
    )


def findings(tickets: pd.DataFrame, letters: pd.DataFrame) -> str:
    """A few computed observations, as Markdown bullet points (French)."""
    by_team = tickets["team_name"].value_counts()
    critical = tickets[tickets["priority"] == "critical"]
    top_clients = tickets["client_id"].value_counts()
    top10 = top_clients.head(max(1, len(top_clients) // 10)).sum() / len(tickets)
    lines = [
        f"- **{by_team.index[0]}** porte la plus forte charge : {by_team.iloc[0]} tickets "
        f"({by_team.iloc[0] / len(tickets):.0%} du total).",
        f"- **{len(critical)} tickets critiques** ({len(critical) / len(tickets):.1%}), dont "
        f"{(critical['request_type'] == 'technical').mean():.0%} techniques : ce sont eux qui engagent le SLA de 15 minutes.",
        f"- Les 10 % de clients les plus actifs ouvrent **{top10:.0%}** des tickets : un compte clé mal servi pèse lourd.",
    ]
    if len(letters):
        reason = letters["reason"].value_counts()
        lines.append(
            f"- **{len(letters)} événements rejetés** vers la DLQ, {reason.size} raisons distinctes "
            f"(la plus fréquente : « {label(reason.index[0], DEAD_LETTER_REASON)} ») ; aucun n'est perdu ni ne bloque le flux."
        )
    return "\n".join(lines)


# --- support operations: the ticket lifecycle (notebook 8, synthesis) ----------------------------

ALL_LABEL = "ensemble"
TEAM: dict[str, str] = {t.team_id: t.team_name for t in SUPPORT_TEAMS}
TICKET_STATUS: dict[str, str] = {"open": "ouvert", "in_progress": "en cours", "resolved": "résolu", "closed": "clos"}
SLA_KIND: dict[str, str] = {ops.FIRST_RESPONSE: "première réponse", ops.RESOLUTION: "résolution"}
SOURCE: dict[str, str] = {ops.HISTORY: "historique on-premise", ops.STREAM: "flux temps réel"}
# Per grouping column: its French header and the labels of its codes (the overall row included).
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "contract_tier": ("niveau de contrat", {**CONTRACT_TIER, ops.ALL: ALL_LABEL}),
    "team_id": ("équipe", {**TEAM, ops.ALL: ALL_LABEL}),
    "priority": ("priorité", {**PRIORITY, ops.ALL: ALL_LABEL}),
}
SLA_HOURS: dict[str, tuple[int, int]] = {t.tier: (t.first_response_hours, t.resolution_hours) for t in CONTRACT_TIERS}


def group_labels(by: str, codes: Iterable[object]) -> list[str]:
    """French labels of the groups of a `by` column (contract tier, team, priority; 'all' = ensemble)."""
    return labels(codes, GROUPS[by][1])


def _hours(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 2)


def _percent(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def response_times_table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """`operations.response_times` in French: tickets measured, p50 and p90 in hours (and the SLA, per tier)."""
    header, _ = GROUPS[by]
    table = pd.DataFrame({header: group_labels(by, frame[by])})
    for kind, name in (("first_response", "1re réponse"), ("resolution", "résolution")):
        table[f"{name} : tickets"] = frame[f"{kind}_n"].to_numpy()
        table[f"{name} p50 (h)"] = [_hours(v) for v in frame[f"{kind}_p50_h"]]
        table[f"{name} p90 (h)"] = [_hours(v) for v in frame[f"{kind}_p90_h"]]
        if by == "contract_tier":
            index = 0 if kind == "first_response" else 1
            table[f"{name} : SLA (h)"] = [SLA_HOURS[g][index] if g in SLA_HOURS else None for g in frame[by]]
    return table


def breach_table(rates: pd.DataFrame) -> pd.DataFrame:
    """`operations.breach_rates` in French: per contract tier, deadlines passed, breaches and their share."""
    table = pd.DataFrame({"niveau de contrat": group_labels("contract_tier", rates["contract_tier"])})
    for kind, name in (("first_response", "1re réponse"), ("resolution", "résolution")):
        table[f"{name} : échéances passées"] = rates[f"{kind}_due"].to_numpy()
        table[f"{name} : dépassées"] = rates[f"{kind}_breached"].to_numpy()
        table[f"{name} : taux %"] = [
            _percent(b, d) for b, d in zip(rates[f"{kind}_breached"], rates[f"{kind}_due"], strict=True)
        ]
    return table


def _minute(times: pd.Series) -> list[str]:
    """Event times to the minute (UTC), as the reader reads a deadline: 06/12 21:21."""
    return [pd.Timestamp(t).strftime("%d/%m %H:%M") if pd.notna(t) else "" for t in times]


def at_risk_table(risk: pd.DataFrame) -> pd.DataFrame:
    """`operations.at_risk` in French: ticket, client, tier, team, priority, status, which deadline and when."""
    return pd.DataFrame(
        {
            "ticket": [str(t)[:8] + "…" for t in risk["ticket_id"]],
            "client": risk["client_id"].to_numpy(),
            "niveau de contrat": group_labels("contract_tier", risk["contract_tier"]),
            "équipe": group_labels("team_id", risk["team_id"]),
            "priorité": labels(risk["priority"], PRIORITY),
            "statut": labels(risk["status"], TICKET_STATUS),
            "échéance": labels(risk["deadline_kind"], SLA_KIND),
            "à (UTC)": _minute(risk["deadline"]),
            "minutes restantes": [round(float(m)) for m in risk["minutes_left"]],
        }
    )


def history_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """`operations.resolution_vs_history` side by side: per priority, history then stream (tickets, p50, p90)."""
    priorities = list(dict.fromkeys(comparison["priority"]))
    table = pd.DataFrame({"priorité": group_labels("priority", priorities)})
    for source in (ops.HISTORY, ops.STREAM):
        rows = comparison[comparison["source"] == source].set_index("priority").reindex(priorities)
        name = SOURCE[source]
        table[f"{name} : tickets"] = rows["tickets"].fillna(0).astype(int).to_numpy()
        table[f"{name} p50 (h)"] = [_hours(v) for v in rows["p50_h"]]
        table[f"{name} p90 (h)"] = [_hours(v) for v in rows["p90_h"]]
    return table


def breaches_table(breaches: pd.DataFrame) -> pd.DataFrame:
    """Breach records (`operations.parse_breaches`) in French: ticket, SLA, deadline, client, tier, team, priority."""
    return pd.DataFrame(
        {
            "ticket": [str(t)[:8] + "…" for t in breaches["ticket_id"]],
            "SLA dépassé": labels(breaches["kind"], SLA_KIND),
            "échéance (UTC)": _minute(breaches["deadline"]),
            "client": breaches["client_id"].to_numpy(),
            "niveau de contrat": group_labels("contract_tier", breaches["contract_tier"]),
            "équipe": group_labels("team_id", breaches["team"]),
            "priorité": labels(breaches["priority"], PRIORITY),
            "watermark à l'émission (UTC)": _minute(breaches["watermark"]),
        }
    )


def reconciliation_table(reconciliation: pd.DataFrame) -> pd.DataFrame:
    """`operations.breach_reconciliation` in French: table flags against topic records, per SLA."""
    return pd.DataFrame(
        {
            "SLA": labels(reconciliation["kind"], SLA_KIND),
            "tickets signalés (ticket_status)": reconciliation["flagged"].to_numpy(),
            "enregistrements du topic": reconciliation["records"].to_numpy(),
            "tickets distincts du topic": reconciliation["distinct"].to_numpy(),
            "dans la table seulement": reconciliation["only_in_table"].to_numpy(),
            "dans le topic seulement": reconciliation["only_in_topic"].to_numpy(),
        }
    )


def _rate_text(breached: int, due: int) -> str:
    if not due:
        return "aucune échéance passée"
    return f"{french_number(breached / due * 100, 1)} % ({french_number(breached)} sur {french_number(due)} échéances passées)"


# The headline indicators; the synthesis states the ones in SYNTHESIS_INDICATORS, with the same text.
FIRST_RESPONSE_BREACHES = "dépassement du SLA de première réponse"
RESOLUTION_BREACHES = "dépassement du SLA de résolution"
RESOLUTION_DELAY = "délai de résolution, p50 (p90)"
OPEN_AT_END = "tickets non résolus en fin d'exécution"
AT_RISK = "tickets à risque (échéance dans l'heure)"
SYNTHESIS_INDICATORS = (FIRST_RESPONSE_BREACHES, RESOLUTION_BREACHES, RESOLUTION_DELAY, OPEN_AT_END, AT_RISK)


def support_figures(summary: ops.OperationsSummary | None) -> dict[str, str]:
    """The headline support figures as French text, by indicator (« non mesuré » everywhere without a summary)."""
    indicators = ("tickets suivis", "événements de cycle de vie appliqués", "« maintenant » (heure d'événement)")
    if summary is None:
        return dict.fromkeys((*indicators, *SYNTHESIS_INDICATORS), NOT_MEASURED)
    delay = NOT_MEASURED
    if summary.resolution_n:
        delay = (
            f"{french_number(summary.resolution_p50_h, 1)} h (p90 {french_number(summary.resolution_p90_h, 1)} h) "
            f"sur {french_number(summary.resolution_n)} tickets résolus"
        )
    return {
        indicators[0]: french_number(summary.tickets),
        indicators[1]: french_number(summary.events),
        indicators[2]: f"{summary.now:%d/%m/%Y %H:%M} UTC" if summary.now is not None else NOT_MEASURED,
        FIRST_RESPONSE_BREACHES: _rate_text(summary.first_response_breached, summary.first_response_due),
        RESOLUTION_BREACHES: _rate_text(summary.resolution_breached, summary.resolution_due),
        RESOLUTION_DELAY: delay,
        OPEN_AT_END: french_number(summary.open_tickets),
        AT_RISK: french_number(summary.at_risk),
    }


def support_headline(summary: ops.OperationsSummary | None) -> pd.DataFrame:
    """`support_figures` as a two-column table (indicateur, valeur)."""
    return pd.DataFrame(list(support_figures(summary).items()), columns=["indicateur", "valeur"])


def support_findings(
    summary: ops.OperationsSummary, by_tier: pd.DataFrame, by_team: pd.DataFrame, comparison: pd.DataFrame
) -> str:
    """A few computed observations on the support's delays and SLA, as Markdown bullet points (French).

    Args:
        by_tier, by_team: `operations.response_times` by contract tier and by team.
        comparison: `operations.resolution_vs_history`.
    """
    lines = [
        f"- Dépassements SLA, première réponse : **{_rate_text(summary.first_response_breached, summary.first_response_due)}** ; "
        f"résolution : **{_rate_text(summary.resolution_breached, summary.resolution_due)}**."
    ]
    tiers = by_tier[by_tier["contract_tier"].isin(list(SLA_HOURS))]
    late = [
        f"{label(t, CONTRACT_TIER)} ({french_number(p90, 1)} h pour {SLA_HOURS[t][0]} h)"
        for t, p90 in zip(tiers["contract_tier"], tiers["first_response_p90_h"], strict=True)
        if pd.notna(p90) and p90 > SLA_HOURS[t][0]
    ]
    if late:
        lines.append(
            "- Au p90, la première réponse dépasse l'engagement du contrat pour : " + ", ".join(late) + " : "
            "plus d'un client sur dix de ces niveaux attend au-delà de ce qui lui est promis."
        )
    elif tiers["first_response_n"].sum():
        lines.append(
            "- Au p90, chaque niveau de contrat reçoit sa première réponse dans son engagement, parmi les tickets "
            "déjà répondus ; le taux de dépassement compte en plus ceux restés sans réponse après leur échéance."
        )
    teams = by_team[(by_team["team_id"] != ops.ALL) & by_team["resolution_p50_h"].notna()]
    if len(teams) > 1:
        slow = teams.loc[teams["resolution_p50_h"].idxmax()]
        fast = teams.loc[teams["resolution_p50_h"].idxmin()]
        lines.append(
            f"- **{TEAM.get(slow['team_id'], slow['team_id'])}** résout le plus lentement (p50 "
            f"{french_number(slow['resolution_p50_h'], 1)} h), **{TEAM.get(fast['team_id'], fast['team_id'])}** "
            f"le plus vite ({french_number(fast['resolution_p50_h'], 1)} h)."
        )
    overall = comparison[comparison["priority"] == ops.ALL].set_index("source")
    if len(overall) == 2 and overall["tickets"].min() > 0:
        history, stream = overall.loc[ops.HISTORY], overall.loc[ops.STREAM]
        lines.append(
            f"- De la création à la clôture, p50 de **{french_number(stream['p50_h'], 1)} h** dans le flux contre "
            f"{french_number(history['p50_h'], 1)} h dans l'historique on-premise ; seuls les tickets déjà clos "
            "comptent, ce qui avantage le flux sur une exécution courte."
        )
    lines.append(
        f"- **{french_number(summary.at_risk)} ticket(s)** ont une échéance dans l'heure qui suit : "
        "la file à traiter en premier."
    )
    return "\n".join(lines)


# --- deployment (notebook 9) ---------------------------------------------------------------------


def dockerfile_summary(path) -> pd.DataFrame:
    """The Dockerfile's structural lines (stages, pinned versions, user, entry point), with their line number."""
    keep = ("FROM", "ARG", "USER", "ENTRYPOINT", "CMD", "HEALTHCHECK", "EXPOSE")
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        word = line.strip().split(" ", 1)[0].upper()
        if word in keep:
            rows.append({"ligne": number, "instruction": line.strip()})
    return pd.DataFrame(rows)
