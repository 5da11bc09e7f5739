"""The report's one-page synthesis, computed from the same run: decision, cost, availability, measures, outcome, support.

Every number comes from where the chapters get it — the architecture model, the report's own lake
and topics as the notebooks left them, the benchmark results the lead's `make bench` wrote, the
support figures chapter 8 computes (`hybridflow.report.operations`, worded by
`hybridflow.report.views.support_figures`) — and a number that was not measured says « non mesuré »
instead of showing a stale or invented value.

Benchmark results are read from where the benchmarks write them (``STATE_DIR/bench``,
`hybridflow.bench.results_dir`): ``stream.json`` as written by ``python -m hybridflow.bench stream`` and, when present,
``produce.json`` (``{"producers": [{"producer": …, "events/s (median)": …}, …]}``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from hybridflow import lake
from hybridflow.architecture import availability, costs, sensitivity
from hybridflow.architecture.model import Architecture, CostOption
from hybridflow.bench import results_dir
from hybridflow.config import PROJ_ROOT, Settings, get_settings
from hybridflow.kafka.topics import describe_topics
from hybridflow.report import views
from hybridflow.report.display import NOT_MEASURED, french_number
from hybridflow.report.lifecycle_io import support_summary as read_summary
from hybridflow.report.operations import OperationsSummary
from hybridflow.report.views import ALERTS_P95_TARGET_S, DRAIN_RATIO_TARGET, VISIBLE_P95_TARGET_S, read_back

logger = logging.getLogger(__name__)

REPORT_PRODUCERS = "mesures/producteurs.json"  # the report's own reduced producer measure (notebook 5)
STREAM_BENCH = "stream.json"
PRODUCE_BENCH = "produce.json"
LIFECYCLE_BENCH = "lifecycle.json"


def _n(value: float | None, digits: int = 0) -> str:
    """French number: narrow no-break space for thousands, comma for decimals (« non mesuré » for None)."""
    return NOT_MEASURED if value is None else french_number(value, digits)


def _keur(value: float) -> str:
    return f"{_n(value / 1000)} k€"


# --- the architecture (exercise 1) ------------------------------------------------------------------


def decision_rows(arch: Architecture, draws: int = sensitivity.N_DRAWS) -> list[dict[str, str]]:
    """Decision and runner-up with their scores, the lead, and how often random weightings keep it.

    Args:
        draws: random weightings drawn; pass the number `sensitivity.conclusion` gets beside it, so the
            table and the sentence quote the same draws (same seed, same share).
    """
    ranked = sensitivity.ranking(arch)
    mc = sensitivity.monte_carlo_weights(arch, draws)
    return [
        {
            "thème": "Décision",
            "indicateur": "fournisseur principal retenu",
            "valeur": f"{ranked.winner.label} : {_n(ranked.winner_score, 2)} / 5",
            "source": "notebook 2 (scores pondérés)",
        },
        {
            "thème": "Décision",
            "indicateur": "deuxième",
            "valeur": f"{ranked.runner_up.label} : {_n(ranked.runner_up_score, 2)} / 5 (écart {_n(ranked.margin, 2)})",
            "source": "notebook 2",
        },
        {
            "thème": "Décision",
            "indicateur": "robustesse aux poids",
            "valeur": f"{ranked.winner.label} gagne {sensitivity._pct(mc.share(ranked.winner))} de {_n(draws)} pondérations au hasard",
            "source": "notebook 2 (sensibilité)",
        },
    ]


def cost_rows(arch: Architecture) -> list[dict[str, str]]:
    """3-year cost of the hybrid option against keeping everything on-premise, today and at ×10."""
    rows = []
    for growth, scenario in ((1.0, "volume actuel"), (costs.GROWTH_FACTOR, f"volumes ×{costs.GROWTH_FACTOR:g}")):
        hybrid = costs.totals(arch, CostOption.HYBRID, growth).three_years
        onprem = costs.totals(arch, CostOption.ON_PREMISE, growth).three_years
        rows.append(
            {
                "thème": "Coût",
                "indicateur": f"coût sur 3 ans, {scenario}",
                "valeur": f"hybride {_keur(hybrid)} contre {_keur(onprem)} tout on-premise ({_n((1 - hybrid / onprem) * 100)} % d'économie)",
                "source": "notebook 3 (prix unitaires × volumes)",
            }
        )
    return rows


def availability_rows(arch: Architecture) -> list[dict[str, str]]:
    """Each critical path's computed availability against its target."""
    rows = []
    for path in arch.critical_paths:
        value = availability.path_availability(arch, path)
        verdict = "atteinte" if value >= path.target else "NON atteinte"
        rows.append(
            {
                "thème": "Disponibilité",
                "indicateur": path.label,
                "valeur": f"{_n(value * 100, 3)} % pour une cible de {_n(path.target * 100, 1)} % : {verdict}",
                "source": "notebook 3 (SLA composés)",
            }
        )
    return rows


# --- the benchmarks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchFile:
    """One benchmark result file: its content (None when absent or unreadable) and when it was written."""

    path: Path
    data: dict[str, Any] | None
    written: datetime | None

    @property
    def when(self) -> str:
        """'du 27/11/2026 09:48 UTC' or ''."""
        return f"mesuré le {self.written:%d/%m/%Y à %H:%M} UTC" if self.written else ""


def default_bench_dir() -> Path:
    """The benchmarks' results folder of the current settings (STATE_DIR/bench)."""
    return results_dir(get_settings())


def read_bench(name: str, folder: Path | None = None) -> BenchFile:
    """A benchmark's JSON from `folder` (default `default_bench_dir()`; None inside when absent or not JSON)."""
    path = Path(folder or default_bench_dir()) / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return BenchFile(path, None, None)
    except (OSError, ValueError) as exc:
        logger.warning("benchmark results %s unreadable (%s): shown as not measured", path, exc)
        return BenchFile(path, None, None)
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return BenchFile(path, data if isinstance(data, dict) else None, written)


def _latency(steady: dict[str, Any], key: str, target: float) -> str:
    p = (steady or {}).get(key) or {}
    if not p or (p.get("n") or 0) < 2 or p.get("p95") is None:
        return NOT_MEASURED
    verdict = "cible atteinte" if p["p95"] <= target else "cible NON atteinte"
    return f"p50 {_n(p['p50'], 2)} s, p95 {_n(p['p95'], 2)} s sur {_n(p['n'])} tickets (cible p95 ≤ {target:g} s : {verdict})"


def bench_rows(folder: Path | None = None) -> list[dict[str, str]]:
    """Throughput and latency as the benchmarks measured them, or « non mesuré »."""
    stream = read_bench(STREAM_BENCH, folder)
    produce = read_bench(PRODUCE_BENCH, folder)
    source = f"{stream.path.relative_to(PROJ_ROOT) if stream.path.is_relative_to(PROJ_ROOT) else stream.path}"
    drain = (stream.data or {}).get("drain") or {}
    steady = (stream.data or {}).get("steady") or {}
    if drain.get("job_eps"):
        ratio = drain.get("ratio")
        ratio_text = f", {_n(ratio, 2)}× Spark seul (cible ≥ {_n(DRAIN_RATIO_TARGET, 1)}×)" if ratio else ""
        throughput = f"{_n(drain['job_eps'])} événements/s sur un arriéré de {_n(drain.get('count', 0))}{ratio_text}"
    else:
        throughput = NOT_MEASURED
    rows = [
        {
            "thème": "Mesures",
            "indicateur": "débit du job de streaming (vidage d'un arriéré)",
            "valeur": throughput,
            "source": f"{source} {stream.when}".strip() if stream.data else f"{source} absent (make bench)",
        },
        {
            "thème": "Mesures",
            "indicateur": "latence created_at → visible dans le lac",
            "valeur": _latency(steady, "visible", VISIBLE_P95_TARGET_S),
            "source": f"{source}, régime établi à {_n(steady.get('rate', 0))} tickets/s"
            if steady
            else f"{source} absent",
        },
        {
            "thème": "Mesures",
            "indicateur": "latence created_at → topic d'alertes",
            "valeur": _latency(steady, "alerts", ALERTS_P95_TARGET_S),
            "source": f"{source} (Real-time Mode)" if steady else f"{source} absent",
        },
    ]
    rows += lifecycle_bench_rows(folder)
    if not produce.data:  # the lead's full benchmark is absent: the report's own reduced measure (notebook 5)
        produce = read_bench(REPORT_PRODUCERS, report_dir())
    producers = [
        p for p in (produce.data or {}).get("producers") or [] if str(p.get("producer", "")).startswith("produce()")
    ]
    best = max(producers, key=lambda p: p.get("events/s (median)") or 0, default=None)
    rows.append(
        {
            "thème": "Mesures",
            "indicateur": "débit de notre producteur (médiane)",
            "valeur": f"{_n(best['events/s (median)'])} tickets/s ({best['producer']})" if best else NOT_MEASURED,
            "source": f"{produce.path.name} {produce.when}".strip()
            if produce.data
            else "non mesuré (notebook 5, make bench)",
        }
    )
    return rows


def lifecycle_bench_rows(folder: Path | None = None) -> list[dict[str, str]]:
    """The lifecycle benchmark's drain and breach latency (`python -m hybridflow.bench lifecycle`), or « non mesuré »."""
    bench = read_bench(LIFECYCLE_BENCH, folder)
    source = f"{bench.path.name} {bench.when}".strip() if bench.data else f"{bench.path.name} absent (make bench)"
    drain = (bench.data or {}).get("drain") or {}
    steady = (bench.data or {}).get("steady") or {}
    lifecycle_s, tickets = drain.get("lifecycle_s"), drain.get("tickets")
    if lifecycle_s and tickets:
        throughput = (
            f"{_n(tickets / lifecycle_s)} tickets/s dans la requête à état ({_n(drain.get('records', 0))} "
            f"enregistrements vidés, {_n(drain.get('ratio'), 2)}× Spark seul)"
        )
    else:
        throughput = NOT_MEASURED
    latency = steady.get("latency") or {}
    if latency.get("n"):
        breaches = (
            f"p50 {_n(latency['p50'], 1)} s, p95 {_n(latency['p95'], 1)} s sur {_n(latency['n'])} dépassements "
            f"(cible p95 ≤ 2 s : {'atteinte' if latency['p95'] <= 2 else 'NON atteinte'})"
        )
    else:
        breaches = NOT_MEASURED
    return [
        {
            "thème": "Mesures",
            "indicateur": "cycle de vie : débit de l'état par ticket",
            "valeur": throughput,
            "source": source,
        },
        {
            "thème": "Mesures",
            "indicateur": "cycle de vie : watermark passé → dépassement publié",
            "valeur": breaches,
            "source": source,
        },
    ]


def report_dir() -> Path:
    """The report's output folder (the REPORT_DIR setting during a build, else report/)."""
    return get_settings().report_out_dir


def record_producers(frame: pd.DataFrame) -> Path:
    """Keep notebook 5's producer measure for the synthesis (report/mesures/producteurs.json)."""
    target = report_dir() / REPORT_PRODUCERS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        json.dumps({"producers": frame.to_dict("records")}, default=str, ensure_ascii=False), encoding="utf-8"
    )
    return target


# --- the run of this report ----------------------------------------------------------------------


@dataclass
class RunOutcome:
    """What the report's pipeline run left in its topic, lake and dead-letter topic."""

    records: int | None = None
    tickets: int | None = None
    distinct: int | None = None
    dead_letters: int | None = None
    windows: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        """True when the lake and both topics could be read."""
        return None not in (self.records, self.tickets, self.distinct, self.dead_letters)

    @property
    def duplicates(self) -> int | None:
        """Rows of the tickets table beyond one per ticket_id."""
        return None if self.tickets is None or self.distinct is None else self.tickets - self.distinct

    @property
    def balanced(self) -> bool:
        """Every record read became a ticket or a dead letter, none twice."""
        if self.records is None or self.tickets is None or self.dead_letters is None:
            return False
        return self.records == self.tickets + self.dead_letters and self.duplicates == 0


def run_outcome(settings: Settings) -> RunOutcome:
    """Read the report's topic, lake (delta-rs, no Spark) and dead-letter topic (read_committed)."""
    outcome = RunOutcome()
    try:
        if lake.TICKETS.exists(settings):
            ids = lake.TICKETS.to_pandas(settings, columns=["ticket_id"])["ticket_id"]
            outcome.tickets, outcome.distinct = len(ids), int(ids.nunique())
        else:
            outcome.problems.append(f"pas de table tickets sous {settings.lake_uri} (notebook 6 non exécuté)")
        if lake.TICKET_WINDOWS.exists(settings):
            outcome.windows = lake.TICKET_WINDOWS.count(settings)
    except Exception as exc:  # noqa: BLE001 - an unreadable lake is reported as such, not raised
        outcome.problems.append(f"lac illisible ({type(exc).__name__}: {exc})")

    try:
        topics = describe_topics(settings)
    except Exception as exc:  # noqa: BLE001 - an unreachable broker is reported as such
        outcome.problems.append(f"broker injoignable ({type(exc).__name__})")
        return outcome
    for topic, attr in ((settings.topic_tickets, "records"), (settings.topic_dlq, "dead_letters")):
        if topic not in topics:
            outcome.problems.append(f"topic {topic} absent (notebook 5 non exécuté)")
            continue
        try:
            setattr(outcome, attr, len(read_back(settings, topic, timeout_s=15)))
        except Exception as exc:  # noqa: BLE001 - an unreadable topic is reported as such
            outcome.problems.append(f"topic {topic} illisible ({type(exc).__name__}: {exc})")
    return outcome


def outcome_rows(outcome: RunOutcome, settings: Settings) -> list[dict[str, str]]:
    """Tickets landed, dead letters, duplicates and the balance, from this report's run."""

    def value(number: int | None) -> str:
        return _n(number) if number is not None else NOT_MEASURED

    balance = NOT_MEASURED
    if outcome.records is not None and outcome.tickets is not None and outcome.dead_letters is not None:
        balance = f"{_n(outcome.records)} = {_n(outcome.tickets)} + {_n(outcome.dead_letters)} : " + (
            "rien de perdu" if outcome.records == outcome.tickets + outcome.dead_letters else "ÉCART"
        )
    return [
        {
            "thème": "Exécution",
            "indicateur": "événements dans le topic",
            "valeur": value(outcome.records),
            "source": f"topic {settings.topic_tickets}",
        },
        {
            "thème": "Exécution",
            "indicateur": "tickets dans le lac (Delta, lu sans Spark)",
            "valeur": value(outcome.tickets),
            "source": "table tickets (delta-rs)",
        },
        {
            "thème": "Exécution",
            "indicateur": "lettres mortes",
            "valeur": value(outcome.dead_letters),
            "source": f"topic {settings.topic_dlq} (read_committed)",
        },
        {
            "thème": "Exécution",
            "indicateur": "doublons de ticket_id",
            "valeur": value(outcome.duplicates),
            "source": "table tickets (delta-rs)",
        },
        {
            "thème": "Exécution",
            "indicateur": "bilan : événements = tickets + lettres mortes",
            "valeur": balance,
            "source": "notebooks 5 et 6",
        },
    ]


# --- the support's operations (chapter 8) --------------------------------------------------------


def support_summary(settings: Settings) -> OperationsSummary | None:
    """Chapter 8's support figures from the report's lake, or None when ticket_status is absent, empty or unreadable."""
    try:
        return read_summary(settings)
    except Exception as exc:  # noqa: BLE001 - an unreadable lake is shown as « non mesuré », not raised
        logger.warning("ticket_status unreadable (%s): support figures shown as not measured", exc)
        return None


def support_rows(summary: OperationsSummary | None) -> list[dict[str, str]]:
    """SLA breach rates, resolution delay, backlog and tickets at risk, in chapter 8's words (« non mesuré » without)."""
    values = views.support_figures(summary)
    source = (
        "notebook 8 (ticket_status, heure d'événement)"
        if summary is not None
        else "ticket_status absente ou vide (notebook 8 non exécuté)"
    )
    return [
        {"thème": "Support", "indicateur": name, "valeur": values[name], "source": source}
        for name in views.SYNTHESIS_INDICATORS
    ]


def table(
    settings: Settings,
    arch: Architecture,
    outcome: RunOutcome,
    bench_dir: Path | None = None,
    support: OperationsSummary | None = None,
    draws: int = sensitivity.N_DRAWS,
) -> pd.DataFrame:
    """The synthesis as one table: theme, indicator, value, where it comes from (`support`: chapter 8's figures).

    Args:
        draws: random weightings of the robustness row (the same number as the conclusion shown beside it).
    """
    rows = (
        decision_rows(arch, draws)
        + cost_rows(arch)
        + availability_rows(arch)
        + bench_rows(bench_dir)
        + outcome_rows(outcome, settings)
        + support_rows(support)
    )
    return pd.DataFrame(rows, columns=["thème", "indicateur", "valeur", "source"])


# --- what the POC proves, and what it does not ---------------------------------------------------


NOT_PROVEN: tuple[str, ...] = (
    "aucun service cloud n'a été déployé : le choix d'Azure, ses coûts et ses SLA sont des données publiées, "
    "pas des mesures ;",
    "SQL Server est joué par PostgreSQL (même accès JDBC) et Redpanda par Apache Kafka (même protocole) ; "
    "le CDC natif de SQL Server n'est pas exercé ;",
    "les volumes sont ceux d'une machine à 2 cœurs : ni les 40 To, ni la charge IoT réelle ne sont rejoués ;",
    "les débits et latences viennent d'une machine partagée, sans réseau entre les services ;",
    "les prix sont des prix catalogue, sans remise ni réservation ; la sensibilité à ±20 % en tient compte, "
    "pas une négociation.",
)


def proves(
    outcome: RunOutcome, arch: Architecture, bench_dir: Path | None = None, support: OperationsSummary | None = None
) -> list[str]:
    """What this run proves, each point with the computed evidence behind it (nothing claimed without it)."""
    points = []
    if outcome.balanced:
        points.append(
            f"le pipeline temps réel tourne de bout en bout sur de vrais composants (broker Kafka, Spark, "
            f"Delta Lake) : {_n(outcome.records)} événements produits, {_n(outcome.tickets)} tickets dans le lac, "
            f"{_n(outcome.dead_letters)} lettres mortes avec leur raison, aucun perdu, aucun doublon ;"
        )
    elif outcome.measured:
        points.append(
            f"le bilan de l'exécution ne tombe PAS juste : {_n(outcome.records)} événements pour "
            f"{_n(outcome.tickets)} tickets + {_n(outcome.dead_letters)} lettres mortes, "
            f"{_n(outcome.duplicates or 0)} doublon(s) ;"
        )
    ranked = sensitivity.ranking(arch)
    points.append(
        f"le choix {sensitivity._of(ranked.winner.label)} découle des notes et des poids écrits dans le modèle, et sa "
        f"sensibilité est chiffrée (notebook 2) ;"
    )
    stream = read_bench(STREAM_BENCH, bench_dir)
    if stream.data and (stream.data.get("drain") or {}).get("job_eps"):
        points.append(f"le débit et les latences du job sont mesurés ({stream.when}), pas estimés ;")
    if support is not None and support.tickets:
        figures = views.support_figures(support)
        points.append(
            f"le cycle de vie des tickets est suivi en flux : {_n(support.tickets)} tickets, délais et dépassements "
            f"SLA calculés sur l'heure d'événement (première réponse : {figures[views.FIRST_RESPONSE_BREACHES]} ; "
            f"résolution : {figures[views.RESOLUTION_BREACHES]}) ;"
        )
    return points


def proof_markdown(
    outcome: RunOutcome, arch: Architecture, bench_dir: Path | None = None, support: OperationsSummary | None = None
) -> str:
    """The two lists, as Markdown (French)."""
    shown = proves(outcome, arch, bench_dir, support)
    text = "**Ce que le POC prouve** (chaque point est calculé sur cette exécution) :\n\n"
    text += "\n".join(f"- {p}" for p in shown) or "- rien : l'exécution n'a pas pu être lue."
    if outcome.problems:
        text += "\n\n*Non vérifié :* " + " ; ".join(outcome.problems) + "."
    text += "\n\n**Ce qu'il ne prouve pas** :\n\n" + "\n".join(f"- {p}" for p in NOT_PROVEN)
    return text
